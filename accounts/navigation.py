"""Where each role lands after login and what its navigation bar offers."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

#: (url name, label, roles that see it); the first entry a user may see is their home page.
NAVIGATION = [
    ("portal:home", _("My accounts and cases"), {Role.CLIENT}),
    ("console:cases", _("Cases"), {Role.AGENT, Role.ADVISOR, Role.TEAM_LEAD, Role.SUPERVISOR,
                                    Role.RISK_OFFICER, Role.AUDITOR}),
    ("console:visits", _("Return visits"), {Role.AGENT, Role.ADVISOR, Role.TEAM_LEAD, Role.SUPERVISOR,
                                            Role.AUDITOR}),
    ("supervisor:dashboard", _("SLA dashboard"), {Role.SUPERVISOR, Role.TEAM_LEAD, Role.AUDITOR}),
    ("supervisor:approvals", _("Approvals"), {Role.SUPERVISOR}),
    ("supervisor:calendars", _("Calendars"), {Role.SUPERVISOR, Role.AUDITOR}),  # auditors read them
    ("risk_pages:overview", _("Risk"), {Role.RISK_OFFICER, Role.SUPERVISOR, Role.AUDITOR}),
]

#: Home page per role, in order of precedence for people who hold several roles.
HOME_BY_ROLE = [
    (Role.SUPERVISOR, "supervisor:dashboard"),
    (Role.RISK_OFFICER, "risk_pages:overview"),
    (Role.TEAM_LEAD, "console:cases"),
    (Role.AGENT, "console:cases"),
    (Role.ADVISOR, "console:cases"),
    (Role.AUDITOR, "console:cases"),
    (Role.CLIENT, "portal:home"),
]


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # an area not installed in this deployment
        return None


def navigation_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    roles = set(user.role_codes)
    items = []
    for name, label, allowed in NAVIGATION:
        if user.is_superuser and Role.CLIENT in allowed and len(allowed) == 1:
            continue
        if (roles & allowed or user.is_superuser) and (url := _url(name)):
            items.append({"name": name, "url": url, "label": label})
    return items


def home_url_for(user) -> str | None:
    """The page a user lands on; None when no web page is meant for them."""
    roles = set(user.role_codes)
    if user.is_superuser and not roles:
        roles = {Role.SUPERVISOR}
    for role, name in HOME_BY_ROLE:
        if role in roles and (url := _url(name)):
            return url
    return None
