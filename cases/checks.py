from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.db import DatabaseError
from django.utils.translation import gettext as _


@register()
def calendar_years_confirmed(app_configs, **kwargs):
    """Warn while this year or next is estimated or missing in a business calendar."""
    from cases.calendars import unconfirmed_years

    try:
        problems = unconfirmed_years()
    except DatabaseError:  # tables not created yet: nothing to check
        return []
    return [
        CheckWarning(
            _("The %(calendar)s calendar for %(year)s is %(status)s, not confirmed.")
            % {"calendar": code, "year": year, "status": status},
            hint=_("A supervisor confirms the year in the admin (Business calendars → Calendar years) once the "
                   "exchange has published it."),
            id="cases.W001",
        )
        for code, year, status in problems
    ]
