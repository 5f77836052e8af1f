"""Number formats of the risk pages: ratios and probabilities as per cent, money as every page
writes it (servicedesk.formats).
Decimal throughout (values may arrive as the strings a stress test's stored result holds)."""

from decimal import Decimal, InvalidOperation

from django import template

from servicedesk import formats

register = template.Library()
DASH = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


@register.filter
def ratio_percent(value, places: int = 2) -> str:
    """1.4523 → "145.23%"; None (no liability) → "—"."""
    number = _decimal(value)
    return DASH if number is None else formats.ratio_percent(number, int(places))


@register.filter
def percent(value, places: int = 2) -> str:
    """Already in per cent: -10 → "-10.00%"."""
    number = _decimal(value)
    return DASH if number is None else formats.percent(number, int(places))


@register.filter
def signed_percent(value, places: int = 2) -> str:
    number = _decimal(value)
    return DASH if number is None else formats.percent(number, int(places), signed=True)


@register.filter
def money(value) -> str:
    """"39000.00" → "¥39,000.00" (servicedesk.formats.money, as on every page)."""
    number = _decimal(value)
    return DASH if number is None else formats.money(number)
