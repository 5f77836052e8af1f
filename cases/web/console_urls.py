"""URLs of the agent console (namespace console): the case lists and the case page."""

from django.urls import include, path

app_name = "console"
urlpatterns = [
    path("", include("cases.web.case_list_urls")),
    path("cases/", include("cases.web.case_page_urls")),
]
