"""Parsers for one CSV value: each takes the stripped text and returns the value or raises
ValueError with the reason a person can act on. Money stays Decimal throughout."""

import datetime
import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from accounts.models import ACCOUNT_NO_PATTERN, QUANTITY_MAX

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_INTEGER = re.compile(r"[+-]?\d+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: The moments with a date in UTC and in Shanghai (UTC+8): Python's dates run from year 1 to 9999.
_FIRST_MOMENT = datetime.datetime.min.replace(tzinfo=datetime.UTC)
_LAST_MOMENT = datetime.datetime.max.replace(tzinfo=datetime.UTC) - datetime.timedelta(hours=8)
_email = EmailValidator()
#: The most of a bad value a message repeats: a cell a stray quote ran on holds up to 128 KB.
SHOWN_LENGTH = 40


def shown(raw: str) -> str:
    """A bad value as its message repeats it: control characters spelled out (a NUL, a line break),
    cut at SHOWN_LENGTH characters."""
    value = _CONTROL.sub(lambda match: repr(match.group())[1:-1], raw)
    return value if len(value) <= SHOWN_LENGTH else value[:SHOWN_LENGTH] + "…"


def text(max_length: int) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise ValueError(_("longer than %(max)d characters") % {"max": max_length})
        if _CONTROL.search(raw):
            raise ValueError(_("contains a control character (a line break, NUL …): the file may be garbled"))
        return raw

    return parse


def account_no(raw: str) -> str:
    raw = text(32)(raw)
    if not ACCOUNT_NO_PATTERN.fullmatch(raw):
        raise ValueError(_('"%(value)s" is not an account number: use only letters A to Z, digits, “-”, “_” '
                           'and “.”') % {"value": shown(raw)})
    return raw


def email(raw: str) -> str:
    if len(raw) > 254:
        raise ValueError(_("longer than %(max)d characters") % {"max": 254})
    try:
        _email(raw)
    except ValidationError:
        raise ValueError(_('"%(value)s" is not a valid e-mail address') % {"value": shown(raw)}) from None
    return raw


def decimal(*, max_digits: int, decimal_places: int, minimum: Decimal | None = None,
            positive: bool = False, maximum: Decimal | None = None,
            above_maximum: str | None = None) -> Callable[[str], Decimal]:
    """A plain decimal number (no exponent, no thousands separators) that fits the model field;
    `minimum` is inclusive, `positive` means greater than zero; `above_maximum`, the refusal of
    a value above `maximum` (with %(value)s and %(maximum)s) when the plain one would not help."""
    quantum = Decimal(1).scaleb(-decimal_places)

    def parse(raw: str) -> Decimal:
        if not _DECIMAL.fullmatch(raw):
            raise ValueError(_('"%(value)s" is not a number') % {"value": shown(raw)})
        value = Decimal(raw)
        if value and value.adjusted() >= max_digits - decimal_places:
            raise ValueError(_('"%(value)s" is too large') % {"value": shown(raw)})
        quantized = value.quantize(quantum)
        if quantized != value:
            raise ValueError(_('"%(value)s" has more than %(places)d decimal places')
                             % {"value": shown(raw), "places": decimal_places})
        value = quantized
        if positive and value <= 0:
            raise ValueError(_('"%(value)s" must be greater than zero') % {"value": shown(raw)})
        if minimum is not None and value < minimum:
            if minimum == 0:
                raise ValueError(_('"%(value)s" must not be negative') % {"value": shown(raw)})
            raise ValueError(_('"%(value)s" must be at least %(minimum)s') % {"value": shown(raw), "minimum": minimum})
        if maximum is not None and value > maximum:
            message = above_maximum or _('"%(value)s" must be at most %(maximum)s')
            raise ValueError(message % {"value": shown(raw), "maximum": maximum})
        return value

    return parse


def quantity(raw: str) -> int:
    """A whole number of shares, not negative."""
    if not _INTEGER.fullmatch(raw):
        raise ValueError(_('"%(value)s" is not a whole number') % {"value": shown(raw)})
    value = int(raw) if len(raw) <= 20 else QUANTITY_MAX + 1  # Python refuses int() of 4,300 digits
    if value < 0:
        raise ValueError(_('"%(value)s" must not be negative') % {"value": shown(raw)})
    if value > QUANTITY_MAX:
        raise ValueError(_('"%(value)s" must be at most %(maximum)s') % {"value": shown(raw), "maximum": QUANTITY_MAX})
    return value


def date(raw: str) -> datetime.date:
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(_('"%(value)s" is not a date in the form YYYY-MM-DD') % {"value": shown(raw)}) from None


def timestamp(raw: str) -> datetime.datetime:
    """An ISO 8601 date and time with its UTC offset (2024-05-06T15:00:00+08:00); a naive one is
    refused rather than guessed."""
    try:
        if not _DATE.match(raw) or len(raw) <= 10:
            raise ValueError
        value = datetime.datetime.fromisoformat(raw)
    except ValueError:
        # ISO 8601's extended format alone: the basic one (20240506T150000+0800) is ISO 8601 too.
        raise ValueError(_('"%(value)s" is not a date and time in the form 2024-05-06T15:00:00+08:00 (ISO 8601 '
                           'extended format, with its UTC offset)') % {"value": shown(raw)}) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(_('"%(value)s" has no UTC offset (e.g. 2024-05-06T15:00:00+08:00)') % {"value": shown(raw)})
    if not _FIRST_MOMENT <= value <= _LAST_MOMENT:
        # It would have no date in UTC or in Shanghai (years 1 to 9999): stored or dated, a traceback.
        raise ValueError(_('"%(value)s" is out of range: before year 1 or after year 9999 in UTC or in Shanghai')
                         % {"value": shown(raw)})
    return value


def choice(values: Iterable[str], *, normalize: Callable[[str], str] = str.lower) -> Callable[[str], str]:
    allowed = tuple(values)

    def parse(raw: str) -> str:
        value = normalize(raw)
        if value not in allowed:
            raise ValueError(_('"%(value)s" is not one of: %(allowed)s')
                             % {"value": shown(raw), "allowed": ", ".join(allowed)})
        return value

    return parse
