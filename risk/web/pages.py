"""Shared bits of the risk pages: the context every page carries (the stress-mode banner, what
the user may do), labels, and links to other areas."""

from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from risk import stress
from risk.models import Level
from risk.web import access

LINE_LABELS = {
    "attention": _("Attention line"),
    "warning": _("Warning line"),
    "close_out": _("Close-out line"),
    "immediate": _("Immediate close-out line"),
    "restore_to": _("Restore-to line"),
}
LEVEL_LABELS = dict(Level.choices)
FORECAST_FLAGS = {
    "no_liability": _("No liability"),
    "no_warning_line": _("No warning line"),
    "already_below": _("Already below the line"),
}
#: The default_volatility flag names the securities it concerns (at most this many, then a count).
THIN_HISTORY_SHOWN = 3


def thin_history_label(symbols: list[str], annual_percent) -> str:
    """The default_volatility badge: which of the account's securities lack price history, and
    what is assumed for them (the others keep their own volatility)."""
    shown = ", ".join(symbols[:THIN_HISTORY_SHOWN])
    more = len(symbols) - THIN_HISTORY_SHOWN
    if more > 0:
        shown = ngettext("%(symbols)s and %(count)d more", "%(symbols)s and %(count)d more", more) % {
            "symbols": shown, "count": more}
    return gettext("Too little price history for %(symbols)s: %(volatility)s %% a year assumed for them") % {
        "symbols": shown, "volatility": annual_percent}

#: Why a monitoring run started (risk.tasks, risk.stress, the import_prices, import_accounts and run_monitoring
#: commands).
RUN_TRIGGERS = {
    "schedule": _("every 5 minutes in trading sessions"),
    "price_import": _("price import"),
    "stress_mode": _("stress mode changed"),
    "account_edit": _("credit account edited in the admin"),
    "account_import": _("accounts imported (import_accounts)"),
    "command": _("run by hand (run_monitoring)"),
    "manual": _("run by hand"),
}


def risk_context(request, tab: str, **extra) -> dict:
    """What every risk page shows: the active stress mode (one query), the tabs, the user's rights."""
    mode = stress.stress_mode_active()
    user = request.user
    return {
        "tab": tab,
        "stress_mode": mode,
        "stress_points": mode.points if mode is not None else Decimal(0),
        "may_run_stress_tests": access.may_run_stress_tests(user),
        "may_switch_stress_mode": access.may_switch_stress_mode(user),
        **extra,
    }


def case_url(number: str) -> str | None:
    """The case page in the console (None while that page is not installed)."""
    try:
        return reverse("console:case", args=[number])
    except NoReverseMatch:
        return None
