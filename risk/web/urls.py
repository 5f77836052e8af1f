"""URLs of the risk officer pages (namespace risk_pages)."""

from django.urls import path  # noqa: F401

app_name = "risk_pages"
urlpatterns: list = []
