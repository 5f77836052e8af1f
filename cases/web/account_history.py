"""A credit account's history as the portal and the console show it: the interest day by day for a
period (the interest API's lines and rules: the evidence in an interest dispute), the ratio
history and the lines the ratio crossed. The caller has checked who may see the account."""

from django.utils.translation import gettext as _

from accounts.interest import interest_lines
from accounts.serializers import InterestQuerySerializer
from risk.models import AccountAlert
from risk.selectors import ratio_history
from risk.web.pages import LINE_LABELS

RATIO_HISTORY = 30
ALERTS = 20


def account_history(user, account, query) -> tuple[dict, int]:
    """The template context (templates/web/_account_history.html) and the page's status: 400 when
    the period asked for (?from=&to=) is not valid, with the reason."""
    # The period's rules (default: the settlement period so far; at most 400 days) are the API's; its
    # errors name the fields by the form's labels (templates/web/_account_history.html), not the parameters.
    period = InterestQuerySerializer(data={key: query[key] for key in ("from", "to") if query.get(key)},
                                     context={"field_labels": {"from": _("From"), "to": _("To")}})
    statement, errors = None, {}
    if period.is_valid():
        statement = interest_lines(account, period.validated_data["from"], period.validated_data["to"])
    else:
        errors = {name: [str(message) for message in messages] for name, messages in period.errors.items()}
    alerts = (AccountAlert.objects.filter(account=account)
              .select_related("opened_snapshot", "cleared_snapshot").order_by("-opened_at", "-id")[:ALERTS])
    return {
        "statement": statement, "errors": errors,
        "period": {"from": query.get("from", "")[:10], "to": query.get("to", "")[:10]},
        "history": list(ratio_history(user, account)[:RATIO_HISTORY]),
        "alerts": [{"alert": alert, "label": LINE_LABELS.get(alert.line, alert.line)} for alert in alerts],
    }, 400 if errors else 200
