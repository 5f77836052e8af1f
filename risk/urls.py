"""Routes of the monitoring's API (included under /api/v1/)."""

from django.urls import path, re_path

from accounts.apis import CreditAccountViewSet
from cases.apis import CaseViewSet
from risk.monitoring_apis import AlertListApi, MarginCallContactsApi, RatioHistoryApi

# The same account and case numbers as the accounts' and cases' own routes accept (anything else, a
# NUL byte included, matches no route: 404, never a query PostgreSQL refuses).
ACCOUNT_NO = CreditAccountViewSet.lookup_value_regex
CASE_NUMBER = CaseViewSet.lookup_value_regex

urlpatterns = [
    re_path(rf"^accounts/(?P<account_no>{ACCOUNT_NO})/ratio-history/$", RatioHistoryApi.as_view(),
            name="account-ratio-history"),
    path("risk/alerts/", AlertListApi.as_view(), name="risk-alerts"),
    re_path(rf"^cases/(?P<number>{CASE_NUMBER})/calls/$", MarginCallContactsApi.as_view(), name="case-calls"),
]
