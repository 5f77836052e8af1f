"""How amounts and countdowns are written: one way, on every page (templates load it as the
`money` filter of cases/templatetags/portal_format.py and risk/templatetags/risk_pages.py) and in
both languages (Django's zh-hans number format has no thousands separator, so not through it)."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext, pgettext

#: A countdown past its deadline starts with a minus sign (U+2212), as static/js/app.js writes it.
MINUS = "\u2212"


def money(amount: Decimal | int | str | None, places: int = 2) -> str:
    """Yuan with thousands separators and cents: "¥12,345.60", "-¥5.00"; None: "". `places` 4 for
    a day's interest, kept to 4 decimals until a total is rounded once (accounts.interest)."""
    if amount is None:
        return ""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.{places}f}"


def moment(value: datetime.datetime | None) -> str:
    """A moment in Asia/Shanghai to the minute, the same way in both languages: "2026-11-27 15:00";
    None: ""."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def business_time(seconds: float) -> str:
    """Business time as hours and minutes: "88h 00m", late "−3h 05m" (the SLA targets and the time
    left on them, counted on a policy's calendar: business days vary in length, so never days).
    Only the server writes it: business time stands still outside service hours, so no script
    ticks it on between the page's refreshes."""
    sign = MINUS if seconds < 0 else ""
    minutes = abs(int(seconds)) // 60
    return sign + gettext("%(hours)dh %(minutes)02dm") % {"hours": minutes // 60, "minutes": minutes % 60}


def countdown_days_format() -> str:
    """The text of a countdown longer than a day, translated: static/js/app.js ticks with the same
    format, read from the countdown's data-days-format."""
    # Translators: an SLA or margin-call countdown of a day or more: "3 d 04:05" is 3 days, 4 hours and 5 minutes.
    return pgettext("countdown", "%(days)s d %(clock)s")


def countdown(seconds: float, days_format: str | None = None) -> str:
    """Wall-clock time left as days and hours:minutes (a margin call's deadline): "1 d 02:05",
    "00:40"; late: "−01:30". `days_format`:
    countdown_days_format(), when the caller writes many countdowns."""
    sign = MINUS if seconds < 0 else ""
    rest = abs(round(seconds))
    days, rest = divmod(rest, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    if not days:
        return sign + clock
    return sign + (days_format or countdown_days_format()) % {"days": days, "clock": clock}
