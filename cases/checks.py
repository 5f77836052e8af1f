from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.db import DatabaseError
from django.utils.translation import gettext as _


@register()
def calendar_years_confirmed(app_configs, **kwargs):
    """Warn while this year or next is estimated or missing in a business calendar."""
    from cases.calendars import unconfirmed_year_warnings

    try:
        warnings = unconfirmed_year_warnings()
    except DatabaseError:  # tables not created yet: nothing to check
        return []
    return [
        CheckWarning(
            warning,
            hint=_("A supervisor confirms the year in the admin (Business calendars → Calendar years) once the "
                   "exchange has published it."),
            id="cases.W001",
        )
        for warning in warnings
    ]
