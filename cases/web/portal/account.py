"""A credit account in the portal: its card, and its history (cases.web.account_history): the
interest day by day, so that a client can check the arithmetic themselves, the ratio history and
the lines crossed. Only the client's own accounts (else 404)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from cases.web.account_history import account_history
from cases.web.portal import reads
from cases.web.portal.access import client_page


@require_GET
@client_page
def account_page(request: HttpRequest, account_no: str) -> HttpResponse:
    statuses = reads.account_statuses(request.user, account_no)
    if not statuses:
        raise Http404
    item = statuses[0]
    context, status = account_history(request.user, item.account, request.GET)
    context.update(item=item, form_action=reverse("portal:account", args=[account_no]),
                   dispute_url=f"{reverse('portal:submit', args=['dispute'])}?account={account_no}")
    return render(request, "portal/account.html", context, status=status)
