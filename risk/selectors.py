"""Reads of the monitoring's results, scoped like the credit accounts they are about."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import client_scope_q
from risk.models import AccountAlert, MarginCallContact, RatioSnapshot


def ratio_history(user: User, account) -> QuerySet[RatioSnapshot]:
    return RatioSnapshot.objects.filter(account=account).order_by("-taken_at", "-id")


def alerts_visible_to(user: User) -> QuerySet[AccountAlert]:
    q = client_scope_q(user, prefix="account__client__")
    alerts = AccountAlert.objects.select_related("account", "account__client", "opened_snapshot", "cleared_snapshot")
    return alerts if q is None else alerts.filter(q)


def margin_call_contacts(case) -> QuerySet[MarginCallContact]:
    return MarginCallContact.objects.filter(case=case).select_related("recorded_by").order_by("called_at", "id")
