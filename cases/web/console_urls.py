"""URLs of the agent console (namespace console): the case lists, the case page, a credit
account's history and the return visits."""

from django.urls import include, path, re_path

from cases.web.console_account import account_page
from cases.web.visits import visit_record, visits_page

app_name = "console"
urlpatterns = [
    path("", include("cases.web.case_list_urls")),
    path("cases/", include("cases.web.case_page_urls")),
    re_path(r"^accounts/(?P<account_no>[A-Za-z0-9_.-]{1,32})/$", account_page, name="account"),
    path("visits/", visits_page, name="visits"),
    path("visits/<int:pk>/record/", visit_record, name="visit_record"),
]
