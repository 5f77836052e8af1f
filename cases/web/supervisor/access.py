"""Who may open the supervisor's pages, and the page a refused user gets (403)."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from accounts.roles import Role

#: Read the SLA dashboard (read-only for team leads and auditors).
DASHBOARD_READERS = (Role.SUPERVISOR, Role.TEAM_LEAD, Role.AUDITOR)
#: Read the calendars (auditors read-only).
CALENDAR_READERS = (Role.SUPERVISOR, Role.AUDITOR)
#: Decide approvals and change calendars.
SUPERVISORS = (Role.SUPERVISOR,)


def has_any_role(user, roles) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.has_role(*roles))


def is_supervisor(user) -> bool:
    return has_any_role(user, SUPERVISORS)


def forbidden(request, message: str | None = None):
    """The site's 403 page (templates/403.html, as Django shows it for a PermissionDenied) with the
    reason; without one, that the role may not open the page."""
    return render(request, "403.html", {"exception": message}, status=403)


def page_for(*roles):
    """The view is for users holding one of `roles` (or superusers): anonymous visitors go to the
    login page, anyone else gets 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_any_role(request.user, roles):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
