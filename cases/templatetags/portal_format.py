"""Money, ratios and subjects as the client portal shows them (cases.web.portal.plain); the
console's pages write money and a case's subject (a margin call's in the reader's language) with
the same filters (servicedesk.formats.money: "¥1,234.56" in both languages)."""

from django import template

from cases.web.portal import plain
from servicedesk import formats

register = template.Library()


@register.filter
def money(amount) -> str:
    return formats.money(amount)


@register.filter
def money_exact(amount) -> str:
    """A day's interest or a security's price as it is kept, to 4 decimals: "¥231.9444", "¥1,452.8000"
    (the same in both languages: Django's floatformat groups thousands in English only)."""
    return formats.money(amount, places=4)


@register.filter
def subject(case) -> str:
    return plain.subject_shown(case)


@register.filter
def percent(ratio) -> str:
    return plain.percent(ratio)
