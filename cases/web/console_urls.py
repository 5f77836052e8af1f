"""URLs of the console pages (namespace console)."""

from django.urls import path  # noqa: F401

app_name = "console"
urlpatterns: list = []
