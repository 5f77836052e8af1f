"""The project's URLs plus the baselines, for the duration of a benchmark run."""

from django.urls import include, path

from bench import baseline

urlpatterns = [
    path("bench/baseline/cases/", baseline.case_page),
    path("", include("servicedesk.urls")),
]
