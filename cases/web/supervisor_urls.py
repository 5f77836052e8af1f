"""URLs of the supervisor pages (namespace supervisor)."""

from django.urls import path, re_path

from cases.web.supervisor import approvals, calendars, dashboard

app_name = "supervisor"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("export/<slug:table>/", dashboard.export, name="export"),
    path("approvals/", approvals.approvals, name="approvals"),
    # Only a case number's shape reaches the database (CS-2026-000123; more digits past a million a year).
    re_path(r"^approvals/(?P<number>CS-\d{4}-\d{6,12})/decide/$", approvals.decide, name="decide"),
    path("calendars/", calendars.calendars, name="calendars"),
    path("calendars/<slug:code>/<int:year>/", calendars.calendar_year, name="calendar_year"),
    path("calendars/<slug:code>/<int:year>/confirm/", calendars.confirm_year, name="confirm_year"),
    path("calendars/<slug:code>/<int:year>/days/", calendars.add_day, name="add_day"),
    path("calendars/<slug:code>/<int:year>/days/remove/", calendars.remove_day, name="remove_day"),
]
