"""Who may see and do what on the risk pages: the same predicates as the risk API.

Reading (overview, account lists, stress tests, forecast, stress mode): risk officers,
supervisors and auditors, the roles that hold the risk.view_* permissions (accounts/roles.py)
and read saved stress tests through the API (risk.stress.may_read). Running a stress test:
risk.stress.may_run (risk officers, supervisors). Setting or lifting stress mode: risk officers
only (risk.apis.StressModeApi). Everyone else gets 403; anonymous visitors go to the login page.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.roles import Role
from risk import stress


def may_read(user) -> bool:
    return stress.may_read(user)


def may_run_stress_tests(user) -> bool:
    return stress.may_run(user)


def may_switch_stress_mode(user) -> bool:
    return user.is_superuser or user.has_role(Role.RISK_OFFICER)


def denied(request, message: str | None = None):
    """The 403 page of the risk area (the reason in the user's language)."""
    return render(request, "403.html", {"exception": message or _("Your role may not see the risk pages.")},
                  status=403)


def risk_reader_required(view):
    """Login, then one of the roles that read risk data; 403 for the others (clients included)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not may_read(request.user):
            return denied(request)
        return view(request, *args, **kwargs)

    return wrapper
