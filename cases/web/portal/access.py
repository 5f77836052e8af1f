"""Who reaches the portal: clients only (the client role and a client profile). Anyone holding a
staff role is refused (403), even if they are a client too: the portal's pages are built for
what a client may see, and staff see more in the console."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django_htmx.http import HttpResponseClientRefresh

from accounts.models import ClientProfile
from accounts.roles import Role


def portal_client(user) -> ClientProfile | None:
    """The client profile of a client-only login, else None."""
    if not user.is_authenticated or not user.is_active or user.is_superuser:
        return None
    if not user.has_role(Role.CLIENT) or any(role != Role.CLIENT for role in user.role_codes):
        return None
    return ClientProfile.objects.filter(user=user).first()


def client_page(view):
    """Log in first (a poll after the session ended reloads the page, to the login, rather than
    swapping the login form into the conversation); then only clients (request.client is their
    profile); others get a 403 page."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            if getattr(request, "htmx", False):  # a poll after the session ended: reload the page
                return HttpResponseClientRefresh()
            return redirect_to_login(request.get_full_path())
        client = portal_client(request.user)
        if client is None:
            return render(request, "portal/forbidden.html", status=403)
        request.client = client
        return view(request, *args, **kwargs)
    return wrapper
