"""URLs of the risk officer pages (namespace risk_pages, under /risk/)."""

from django.urls import path

from risk.web import views

app_name = "risk_pages"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("accounts/", views.accounts, name="accounts"),
    path("stress-tests/", views.stress_tests_page, name="stress_tests"),
    path("stress-tests/<int:pk>/", views.stress_test_page, name="stress_test"),
    path("stress-tests/<int:pk>/outreach/", views.stress_test_outreach, name="stress_test_outreach"),
    path("stress-mode/", views.stress_mode_page, name="stress_mode"),
    path("forecast/", views.forecast_page, name="forecast"),
]
