from django import template

from accounts.roles import Role
from cases.calendars import unconfirmed_year_warnings

register = template.Library()


@register.simple_tag
def calendar_warnings(user) -> list[str]:
    """Supervisors are shown, on every visit to the admin home and the console's pages
    (console/_calendar_banner.html), the calendar years (this one and next) that are still
    estimated or missing."""
    if not (user.is_superuser or user.has_role(Role.SUPERVISOR)):
        return []
    return unconfirmed_year_warnings()
