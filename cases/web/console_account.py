"""A credit account in the console: its history (cases.web.account_history): the interest day by
day that an agent shows in an interest dispute, the ratio history and the lines crossed. Staff
only (403 for clients: the portal is theirs); an account outside one's scope is a 404."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.selectors import credit_accounts_visible_to
from cases.selectors import is_staff_reader
from cases.web.account_history import account_history
from cases.web.case_page.views import NUMBER
from servicedesk.htmx import login_required_htmx


@require_GET
@login_required_htmx
def account_page(request: HttpRequest, account_no: str) -> HttpResponse:
    if not is_staff_reader(request.user):
        raise PermissionDenied
    account = credit_accounts_visible_to(request.user).filter(account_no=account_no).first()
    if account is None:
        raise Http404
    context, status = account_history(request.user, account, request.GET)
    case_number = request.GET.get("case", "")  # the case page the agent came from, to go back to
    context.update(account=account, form_action=reverse("console:account", args=[account_no]),
                   case_number=case_number if NUMBER.fullmatch(case_number) else "")
    return render(request, "console/account.html", context, status=status)
