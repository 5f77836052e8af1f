"""URLs of the agent console (namespace console): the case lists, the case page and a credit
account's history."""

from django.urls import include, path, re_path

from cases.web.console_account import account_page

app_name = "console"
urlpatterns = [
    path("", include("cases.web.case_list_urls")),
    path("cases/", include("cases.web.case_page_urls")),
    re_path(r"^accounts/(?P<account_no>[A-Za-z0-9_.-]{1,32})/$", account_page, name="account"),
]
