"""Submitting a ticket, dispute, extension or relief request: a form per kind, the client's own
accounts only, attachments checked by content; knowledge-base suggestions while the subject is
typed. Bad input: the form again with its errors, status 400, nothing created; a refusal (a
deadline in a year the calendar has no data for) the same with the reason, status 409."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import CreditAccount
from cases.calendars import calendar_refusals
from cases.models import CaseKind
from cases.services.portal import case_submit
from cases.services.submissions import submitted_once
from cases.web.portal.access import client_page
from cases.web.portal.forms import SUBMIT_KINDS, SubmitForm, add_service_errors
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed

def _intro(kind: str) -> str:
    return {
        CaseKind.TICKET: _("A question or a problem with your account, trading, fees or our systems."),
        CaseKind.DISPUTE: _("A complaint about how we calculated interest or fees, a forced liquidation, a notice "
                            "you did not receive, a refused extension or a haircut change. We acknowledge every "
                            "complaint and keep you informed until it is settled."),
        CaseKind.EXTENSION: _("Ask to extend your margin contract. Requests are accepted in the days before the "
                              "contract matures, with interest paid and the ratio above the extension line."),
        CaseKind.RELIEF: _("Ask for more time to top up during a margin call, or to repay your debt in stages."),
    }[kind]


@require_http_methods(["GET", "POST"])
@client_page
def submit(request: HttpRequest, kind: str = CaseKind.TICKET) -> HttpResponse:
    if kind not in SUBMIT_KINDS:
        raise Http404
    accounts = CreditAccount.objects.filter(client=request.client).order_by("account_no")
    status = 200
    if request.method == "POST":
        form = SubmitForm(request.POST, request.FILES, kind=kind, accounts=accounts)
        if form.is_valid():
            try:
                with calendar_refusals():
                    case, replayed = submitted_once(
                        user=request.user, key=form.submission_key(), content=None,
                        create=lambda: case_submit(user=request.user, client=request.client,
                                                   **form.service_arguments()))
            except ValidationFailed as error:
                add_service_errors(form, error)
            except NotAllowed as error:
                form.add_error(None, error.message)
                status = 403
            except Conflict as error:  # e.g. a deadline in a year the calendar has no data for
                form.add_error(None, error.message)
                status = 409
            else:  # sent again (a double click): the case the first sending opened
                messages.success(request, (_("We had already received this as case %(number)s.") if replayed else
                                           _("Thank you. We have received your case %(number)s."))
                                 % {"number": case.number})
                return redirect("portal:case", number=case.number)
        status = status if status != 200 else 400
    else:
        # The links that lead here say which account, and which kind of relief (more time, from a margin call).
        initial = {"credit_account": request.GET.get("account", "")[:32],
                   "category": request.GET.get("category", "")[:32]}
        form = SubmitForm(initial=initial, kind=kind, accounts=accounts)
    return render(request, "portal/submit.html", {
        "form": form, "kind": kind, "kinds": [(value, CaseKind(value).label) for value in SUBMIT_KINDS],
        "intro": _intro(kind),
        # An extension or relief request is about an account: without one, say so instead of a form
        # whose account list is empty and whose every sending is refused.
        "no_account": kind in (CaseKind.EXTENSION, CaseKind.RELIEF) and not accounts.exists(),
    }, status=status)
