"""A credit account in the portal: where the ratio stands and where it has been (the monitoring's
snapshots and the lines it crossed), and the interest charged day by day: the same lines an agent
shows in an interest dispute (GET /api/v1/accounts/{account_no}/interest/), so that a client can
check the arithmetic themselves. Only the client's own accounts (else 404)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.interest import interest_lines
from accounts.serializers import InterestQuerySerializer
from cases.web.portal import reads
from cases.web.portal.access import client_page
from risk.models import AccountAlert
from risk.selectors import ratio_history
from risk.web.pages import LINE_LABELS

RATIO_HISTORY = 30
ALERTS = 20


@require_GET
@client_page
def account_page(request: HttpRequest, account_no: str) -> HttpResponse:
    statuses = reads.account_statuses(request.user, account_no)
    if not statuses:
        raise Http404
    item = statuses[0]
    account = item.account
    # The period's rules (default: the settlement period so far; at most 400 days) are the API's.
    period = InterestQuerySerializer(data={key: request.GET[key] for key in ("from", "to") if request.GET.get(key)})
    statement, errors = None, {}
    if period.is_valid():
        statement = interest_lines(account, period.validated_data["from"], period.validated_data["to"])
    else:
        errors = {name: [str(message) for message in messages] for name, messages in period.errors.items()}
    alerts = (AccountAlert.objects.filter(account=account)
              .select_related("opened_snapshot", "cleared_snapshot").order_by("-opened_at", "-id")[:ALERTS])
    return render(request, "portal/account.html", {
        "item": item, "statement": statement, "errors": errors,
        "period": {"from": request.GET.get("from", "")[:10], "to": request.GET.get("to", "")[:10]},
        "history": list(ratio_history(request.user, account)[:RATIO_HISTORY]),
        "alerts": [{"alert": alert, "label": LINE_LABELS.get(alert.line, alert.line)} for alert in alerts],
    }, status=400 if errors else 200)
