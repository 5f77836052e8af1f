"""URLs of the supervisor pages (namespace supervisor)."""

from django.urls import path  # noqa: F401

app_name = "supervisor"
urlpatterns: list = []
