"""A client's case page: state in plain words, the public conversation (refreshed by htmx), reply
with attachments, the steps the workflow lets the client take (accept or reject a dispute's
resolution, reopen, close or cancel a ticket), and rating a resolved case."""

from decimal import Decimal

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_fsm import ConcurrentTransition

from cases.attachment_views import attachment_response, download_policy
from cases.calendars import calendar_refusals
from cases.categories import category_label
from cases.models import Case, CaseKind, EventKind, RequestDetails, SatisfactionRating
from cases.models.case import MARGIN_CALL_DEADLINE_STATES
from cases.models.workflows import CLIENT_FACING_COMMENTS
from cases.services import available_transitions, case_transition, message_create_once
from cases.services.portal import client_rating_submit, is_rateable
from cases.web.portal import reads
from cases.web.portal.access import client_page
from cases.web.portal.forms import RatingForm, ReplyForm, TransitionForm, add_service_errors
from cases.web.portal.plain import CALL_OVERDUE, CALL_RUNNING, case_status, money, top_up_advice
from risk.models import MarginCall
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed

#: The steps a client takes on the portal (replying resumes a ticket waiting on them by itself).
CLIENT_STEPS = {
    CaseKind.TICKET: ("reopen", "close", "cancel"),
    CaseKind.DISPUTE: ("accept", "reject"),
}


def _case(request: HttpRequest, number: str, *, light: bool = False) -> Case:
    try:
        if light:
            return reads.client_case_key(request.user, number)
        return reads.client_case(request.user, number)
    except Case.DoesNotExist:
        raise Http404 from None


def _steps(case: Case, user) -> list:
    allowed = CLIENT_STEPS.get(case.kind, ())
    if not allowed:
        return []
    return [step for step in available_transitions(case=case, user=user) if step.name in allowed]


def _request_details(case: Case) -> dict | None:
    if case.kind not in (CaseKind.EXTENSION, CaseKind.RELIEF):
        return None
    details = RequestDetails.objects.filter(case=case).first()
    if details is None:
        return {}
    return {
        "requested_days": details.requested_days, "requested_maturity": details.requested_maturity,
        "instalments": [{"due": item["due"], "amount": money(Decimal(str(item["amount"])))}
                        for item in details.staged_repayment or []],
    }


def _relief_url(case: Case) -> str:
    """On a margin call whose deadline still runs with something to add, where to ask for more time
    (as the account card offers it)."""
    call = getattr(case, "margin_call", None) if case.kind == CaseKind.MARGIN_CALL else None
    if (call is None or call.stage != MarginCall.Stage.MARGIN_CALL or not call.top_up_cash
            or case.state not in CALL_RUNNING):
        return ""
    form = reverse("portal:submit", args=[CaseKind.RELIEF])
    return f"{form}?account={case.credit_account.account_no}&category=more_time"


def _margin_call_advice(case: Case) -> str:
    """What an open margin call asks of the client: the amounts and deadline of its notice."""
    call = getattr(case, "margin_call", None) if case.kind == CaseKind.MARGIN_CALL else None
    if call is None or not call.top_up_cash or case.state not in MARGIN_CALL_DEADLINE_STATES:
        return ""
    return top_up_advice(cash=call.top_up_cash, sell=call.top_up_sell, target=call.restore_to,
                         deadline=call.deadline if call.stage == MarginCall.Stage.MARGIN_CALL else None,
                         overdue=case.state in CALL_OVERDUE)


#: The heading of what we wrote to the client with a step (CLIENT_FACING_COMMENTS).
STEP_NOTE_HEADINGS = {"wait_on_client": gettext_lazy("What we need from you"),
                      "decline": gettext_lazy("Why we declined your request")}


#: The client's own steps whose reason they gave (CLIENT_STEPS): shown back to them, as they wrote it.
CLIENT_REASON_STEPS = frozenset({"reject", "reopen", "cancel"})


def _step_note(case: Case, user) -> dict | None:
    """What we wrote to the client with the step that brought the case to its state now, or the
    reason the client gave with their own step (a rejected resolution: what they object to)."""
    last = case.events.filter(kind__in=(EventKind.TRANSITION, EventKind.APPROVAL)).order_by("-id").first()
    if last is None or not last.comment or last.to_value != case.state:
        return None
    if last.name in CLIENT_REASON_STEPS and last.actor_id == user.pk:  # staff's own reasons stay staff's
        return {"name": last.name, "heading": _("Your reason"), "text": last.comment}
    if last.name not in CLIENT_FACING_COMMENTS:
        return None
    return {"name": last.name, "heading": STEP_NOTE_HEADINGS[last.name], "text": last.comment}


def _render(request: HttpRequest, case: Case, *, status: int = 200, reply_form=None, rating_form=None,
            step_error: str = "", step_name: str = "") -> HttpResponse:
    case_state = case_status(case)
    rating = SatisfactionRating.objects.filter(case=case).first()
    context = {
        "case": case, "status": case_state, "category": category_label(case.category),
        "kind_label": case.get_kind_display(),
        "messages_list": reads.public_messages(request.user, case),
        "steps": _steps(case, request.user), "step_error": step_error, "step_name": step_name,
        # A dispute's proposed resolution is the client's to read once a supervisor approved it.
        "proposal": case.proposal if case.kind == CaseKind.DISPUTE and case.approved_by_id else "",
        "request_details": _request_details(case), "margin_call_advice": _margin_call_advice(case),
        "relief_url": _relief_url(case),
        "step_note": _step_note(case, request.user),
        "rating": rating, "may_rate": rating is None and is_rateable(case),
        "may_reply": not case_state.finished,
        "reply_form": reply_form or ReplyForm(), "rating_form": rating_form or RatingForm(),
    }
    return render(request, "portal/case.html", context, status=status)


@require_GET
@client_page
def case_page(request: HttpRequest, number: str) -> HttpResponse:
    return _render(request, _case(request, number))


@require_GET
@client_page
def case_messages(request: HttpRequest, number: str) -> HttpResponse:
    """The conversation alone: the case page polls it every 15 seconds."""
    case = _case(request, number, light=True)
    return render(request, "portal/_messages.html",
                  {"case": case, "messages_list": reads.public_messages(request.user, case)})


@require_POST
@client_page
def reply(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if case_status(case).finished:
        form.add_error(None, _("This case is closed. To tell us more, please submit a new request."))
        return _render(request, case, reply_form=form, status=409)
    if not form.is_valid():
        return _render(request, case, reply_form=form, status=400)
    try:
        with calendar_refusals():  # resuming the clocks may reach a year the calendar has no data for
            _message, replayed = message_create_once(
                case=case, author=request.user, body=form.cleaned_data["body"],
                attachments=form.cleaned_data["attachments"], key=form.submission_key())
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _render(request, case, reply_form=form, status=400)
    except NotAllowed as error:
        form.add_error(None, error.message)
        return _render(request, case, reply_form=form, status=403)
    except Conflict as error:
        form.add_error(None, error.message)
        return _render(request, case, reply_form=form, status=409)
    # sent again (a double click): the reply the first sending sent, and nothing more
    messages.success(request, _("We had already received this reply.") if replayed else _("Your reply has been sent."))
    return redirect("portal:case", number=case.number)


@require_POST
@client_page
def step(request: HttpRequest, number: str) -> HttpResponse:
    """A workflow step the client takes (accept or reject a resolution…): 409 with the reason when
    the case's state does not allow it (any more), 400 when a required comment is missing."""
    case = _case(request, number)
    form = TransitionForm(request.POST)
    name = request.POST.get("name", "")
    if not form.is_valid() or name not in CLIENT_STEPS.get(case.kind, ()):
        return _render(request, case, step_error=_("This step is not available to you."), status=403)
    if case.proposal_replaced(form.cleaned_data["proposal_key"]):
        return _render(request, case, step_name=name, status=409, step_error=_(
            "We have changed our proposed resolution since this page was shown: please read it again below."))
    try:
        with calendar_refusals():
            case_transition(case=case, user=request.user, name=name, comment=form.cleaned_data["comment"],
                            require_comment=True)
    except ValidationFailed as error:
        return _render(request, case, step_error=_errors_text(error), step_name=name, status=400)
    except (Conflict, ConcurrentTransition) as error:
        reason = getattr(error, "message", "") or _("The case was changed at the same time; please try again.")
        return _render(request, _case(request, number), step_error=str(reason), step_name=name, status=409)
    except NotAllowed as error:
        return _render(request, case, step_error=error.message, step_name=name, status=403)
    messages.success(request, _("Done."))
    return redirect("portal:case", number=case.number)


@require_POST
@client_page
def rate(request: HttpRequest, number: str) -> HttpResponse:
    case = _case(request, number)
    form = RatingForm(request.POST)
    if not form.is_valid():
        return _render(request, case, rating_form=form, status=400)
    try:
        client_rating_submit(case=case, user=request.user, score=form.cleaned_data["score"],
                             comment=form.cleaned_data["comment"])
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _render(request, case, rating_form=form, status=400)
    except Conflict as error:  # not resolved, or rated already
        form.add_error(None, error.message)
        return _render(request, case, rating_form=form, status=409)
    except NotAllowed as error:
        form.add_error(None, error.message)
        return _render(request, case, rating_form=form, status=403)
    messages.success(request, _("Thank you for your rating!"))
    return redirect("portal:case", number=case.number)


@download_policy
@require_GET
@client_page
def attachment(request: HttpRequest, number: str, pk: int) -> FileResponse:
    """A file of a public message of the client's own case, served as every download is
    (cases.attachment_views: allow-listed type, safe name, nosniff, sandboxed)."""
    item = reads.public_attachment(_case(request, number, light=True), pk)
    if item is None:
        raise Http404
    return attachment_response(item)


def _errors_text(error: ValidationFailed) -> str:
    problems = [str(problem) for values in error.extra.values() for problem in values]
    return " ".join(problems) or error.message
