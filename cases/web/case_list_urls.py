"""URLs of the console case lists (inside the console namespace)."""

from django.urls import path

from cases.web.case_list import case_list_page

urlpatterns = [
    path("", case_list_page, name="cases"),
]
