"""How amounts and countdowns are written: one way, on every page (templates load it as the
`money` filter of cases/templatetags/portal_format.py and risk/templatetags/risk_pages.py) and in
both languages (Django's zh-hans number format has no thousands separator, so not through it)."""

import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext, pgettext

NO_BREAK_SPACE = "\u00a0"


def money(amount: Decimal | int | str | None, places: int = 2) -> str:
    """Yuan with thousands separators and cents: "¥12,345.60", "-¥5.00"; None: "". `places` 4 for
    a day's interest, kept to 4 decimals until a total is rounded once (accounts.interest)."""
    if amount is None:
        return ""
    value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.{places}f}"


def percent(value: Decimal, places: int = 2, *, signed: bool = False) -> str:
    """A figure already in per cent, as every page writes it: 12.5 → "12.50%"; signed (a shock, a
    change): "+12.50%"."""
    return f"{value:{'+' if signed else ''}.{places}f}%"


def ratio_percent(ratio: Decimal, places: int = 2) -> str:
    """A ratio as per cent: Decimal("1.105") → "110.50%"."""
    return percent(ratio * 100, places)


def moment(value: datetime.datetime | None) -> str:
    """A moment in Asia/Shanghai to the minute, the same way in both languages: "2026-11-27 15:00";
    None: ""."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def overdue_format() -> str:
    """How a clock past its due moment reads, translated: "overdue by 3h 05m", never a minus sign
    before a large figure. static/js/app.js writes a wall-clock countdown that runs out the same way,
    reading this format from the countdown's data-overdue-format."""
    # Translators: an SLA clock or a margin call's deadline that has passed; %(time)s is "3h 05m" or "1 d 02:05".
    return gettext("overdue by %(time)s")


def overdue(figure: str) -> str:
    """"overdue by 3h 05m": where a narrow column wraps it, the figure stays on one line (its spaces
    do not break)."""
    return overdue_format() % {"time": figure.replace(" ", NO_BREAK_SPACE)}


def business_time(seconds: float) -> str:
    """Business time as hours and minutes: "88h 00m", late "overdue by 3h 05m" (the SLA targets and
    the time left on them, counted on a policy's calendar: business days vary in length, so never
    days). Only the server writes it: business time stands still outside service hours, so no
    script ticks it on between the page's refreshes."""
    minutes = abs(int(seconds)) // 60
    text = gettext("%(hours)dh %(minutes)02dm") % {"hours": minutes // 60, "minutes": minutes % 60}
    return overdue(text) if seconds < 0 else text


def countdown_days_format() -> str:
    """The text of a countdown longer than a day, translated: static/js/app.js ticks with the same
    format, read from the countdown's data-days-format."""
    # Translators: an SLA or margin-call countdown of a day or more: "3 d 04:05" is 3 days, 4 hours and 5 minutes.
    return pgettext("countdown", "%(days)s d %(clock)s")


def countdown(seconds: float, days_format: str | None = None) -> str:
    """Wall-clock time left as days and hours:minutes (a margin call's deadline): "1 d 02:05",
    "00:40"; late: "overdue by 01:30". `days_format`:
    countdown_days_format(), when the caller writes many countdowns."""
    rest = abs(round(seconds))
    days, rest = divmod(rest, 86400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    text = (days_format or countdown_days_format()) % {"days": days, "clock": clock} if days else clock
    return overdue(text) if seconds < 0 else text
