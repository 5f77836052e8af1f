"""Routes of the monitoring's API (included under /api/v1/)."""

from django.urls import path

from risk.monitoring_apis import AlertListApi, MarginCallContactsApi, RatioHistoryApi

urlpatterns = [
    path("accounts/<str:account_no>/ratio-history/", RatioHistoryApi.as_view(), name="account-ratio-history"),
    path("risk/alerts/", AlertListApi.as_view(), name="risk-alerts"),
    path("cases/<str:number>/calls/", MarginCallContactsApi.as_view(), name="case-calls"),
]
