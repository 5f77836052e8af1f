from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from health_check.checks import Cache, Database
from health_check.views import HealthCheckView
from rest_framework.routers import DefaultRouter

from accounts.apis import CreditAccountViewSet
from accounts.auth_apis import AuthTokenApi
from cases.apis import CaseViewSet
from cases.attachment_views import attachment_download
from cases.rating_apis import RatingApi
from cases.rating_views import rate_case
from cases.report_apis import SlaReportApi
from cases.visit_apis import ReturnVisitCompleteApi, ReturnVisitListApi
from risk.apis import ForecastApi, StressModeApi, StressTestDetailApi, StressTestListApi
from servicedesk.health import Broker, HealthView, Migrations, SlaSweep

# Errors outside the views: 503 when the database is unreachable, else the plain 500 page.
handler500 = "servicedesk.unavailable.server_error"

# Operators' health checks (README "Health checks"): no login, no secrets, plain HTTP allowed in production.
# Ready to serve needs the database and its migrations alone: with Redis down (broker or cache) the pages
# still work (notices wait in the outbox, rate limits fail open), so only the full check names it.
READINESS_CHECKS = [Database, Migrations]
health = [
    path("", HealthView.as_view(checks=[*READINESS_CHECKS, Cache, Broker, SlaSweep]), name="health"),
    path("ready/", HealthView.as_view(checks=READINESS_CHECKS), name="health-ready"),
    path("live/", HealthCheckView.as_view(checks=[]), name="health-live"),
]

router = DefaultRouter()
router.register("cases", CaseViewSet, basename="case")
router.register("accounts", CreditAccountViewSet, basename="account")

api_v1 = [
    path("auth/token/", AuthTokenApi.as_view(), name="api-token"),
    path("reports/sla/", SlaReportApi.as_view(), name="report-sla"),
    path("return-visits/", ReturnVisitListApi.as_view(), name="return-visits"),
    path("return-visits/<int:pk>/complete/", ReturnVisitCompleteApi.as_view(), name="return-visit-complete"),
    path("ratings/<str:token>/", RatingApi.as_view(), name="rating"),
    path("knowledge/", include("knowledge.urls")),
    path("risk/stress-tests/", StressTestListApi.as_view(), name="risk-stress-tests"),
    path("risk/stress-tests/<int:pk>/", StressTestDetailApi.as_view(), name="risk-stress-test"),
    path("risk/stress-mode/", StressModeApi.as_view(), name="risk-stress-mode"),
    path("risk/forecast/", ForecastApi.as_view(), name="risk-forecast"),
    path("", include("risk.urls")),
    path("", include("notifications.urls")),
    path("", include(router.urls)),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("console/", include("cases.web.console_urls")),
    path("supervisor/", include("cases.web.supervisor_urls")),
    path("portal/", include("cases.web.portal_urls")),
    path("risk/", include("risk.web.urls")),
    path("notifications/", include("notifications.web_urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("rate/<str:token>/", rate_case, name="rate-case"),
    path("attachments/<int:pk>/", attachment_download, name="attachment-download"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("health/", include(health)),
]
handler404 = "servicedesk.handlers.page_not_found"  # JSON under /api/
# MEDIA_ROOT (attachments, inbound e-mails) is never served as static files, not even with DEBUG:
# attachments go through attachment-download, which checks who may see them.
