"""CSV exports: cells a spreadsheet would run as a formula are neutralised (OWASP "CSV
injection"). Every CSV the service desk writes goes through `csv_safe` / `csv_row`."""

from decimal import Decimal

#: A cell starting with one of these is a formula (or becomes one) in Excel, WPS and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_safe(value) -> str:
    """The cell's text, prefixed with a single quote when it would start a formula. Numbers stay
    numbers (a negative amount is not a formula); None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    text = str(value)
    return "'" + text if text.lstrip(" ").startswith(FORMULA_PREFIXES) else text


def csv_row(values) -> list[str]:
    return [csv_safe(value) for value in values]
