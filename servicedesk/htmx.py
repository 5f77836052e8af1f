"""htmx requests and sessions: a partial asked for after the session ended reloads the page."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django_htmx.http import HttpResponseClientRefresh


def login_required_htmx(view):
    """login_required; for htmx (a poll after the session ended) a full reload instead, which
    then lands on the login page, rather than the login form swapped into a panel."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        return protected(request, *args, **kwargs)
    return wrapper
