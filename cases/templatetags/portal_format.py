"""Money and ratios as the client portal shows them (cases.web.portal.plain)."""

from django import template

from cases.web.portal import plain

register = template.Library()


@register.filter
def money(amount) -> str:
    return plain.money(amount)


@register.filter
def percent(ratio) -> str:
    return plain.percent(ratio)
