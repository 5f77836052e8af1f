"""A credit account in the portal: its card, and its history (cases.web.account_history): the
interest day by day, so that a client can check the arithmetic themselves, the ratio history and
the lines crossed. Only the client's own accounts (else 404)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from cases.models import CaseKind
from cases.web.account_history import account_history
from cases.web.portal import reads
from cases.web.portal.access import client_page

#: The dispute category of an interest or fee calculation (cases.categories.CATEGORIES).
INTEREST_DISPUTE = "interest_fee"


@require_GET
@client_page
def account_page(request: HttpRequest, account_no: str) -> HttpResponse:
    statuses = reads.account_statuses(request.user, account_no)
    if not statuses:
        raise Http404
    item = statuses[0]
    context, status = account_history(request.user, item.account, request.GET)
    # "Something looks wrong?" sits under the interest lines: the dispute form opens on this account
    # and on the interest category, as the relief link opens on "more time".
    query = urlencode({"account": account_no, "category": INTEREST_DISPUTE})
    context.update(item=item, form_action=reverse("portal:account", args=[account_no]),
                   dispute_url=f"{reverse('portal:submit', args=[CaseKind.DISPUTE])}?{query}")
    return render(request, "portal/account.html", context, status=status)
