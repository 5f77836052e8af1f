"""Test settings only: Django's test client `login()` and direct `authenticate()` calls pass no
request, which django-axes' backend refuses. This backend skips the lockout check for exactly
those calls; every login through a view (web login, token API) is checked as in production."""

from axes.backends import AxesStandaloneBackend


class AxesBackendForTestClient(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
