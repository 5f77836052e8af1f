"""Query filters shared by the APIs."""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ChoiceField, IsoDateTimeField
from rest_framework import serializers


def range_checked(form, start: str, end: str) -> bool:
    """False, with an error on `end`, when the range given by the form's `start` and `end` filters
    ends before it starts: a mistake (400), not an empty list. Call once the form is valid."""
    low, high = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if low is not None and high is not None and high < low:
        form.add_error(end, _("“%(to)s” must not be before “%(from)s”.") % {"to": end, "from": start})
        return False
    return True


def not_one_of(value, allowed, *, code: str = "invalid") -> ValidationError:
    """The refusal of a query value outside its list, naming the values allowed."""
    return ValidationError(_('"%(value)s" is not one of: %(allowed)s'), code=code,
                           params={"value": value, "allowed": ", ".join(allowed)})


class StrictBooleanField(forms.Field):
    """true/false/1/0 (any case); anything else is bad input. Django's NullBooleanField reads an
    unknown value as "not given", so ?breached=maybe answered every case unfiltered."""

    VALUES = {"true": True, "false": False, "1": True, "0": False}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise not_one_of(value, self.VALUES) from None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ListedChoiceField(ChoiceField):
    """A choice whose refusal names the values allowed (Django's says only that the value is not one)."""

    def validate(self, value):
        if value and not self.valid_value(value):
            raise not_one_of(value, [str(choice) for choice, _label in self.choices if choice != ""],
                             code="invalid_choice")
        super().validate(value)


class ListedChoiceFilter(django_filters.ChoiceFilter):
    field_class = ListedChoiceField


#: The refusal of a date-time that has no UTC or no local time (Python's dates end at years 1 and 9999).
INVALID_DATE_TIME = _("Enter a valid date/time.")


#: A date and time, then a space and a UTC offset: the "+" of a positive offset written into a query string
#: unescaped, which the query string reads as a space (?created_after=2026-01-01T00:00:00+08:00).
_OFFSET_PLUS_LOST = re.compile(r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?) (\d{2}(?::?\d{2})?)")


def offset_plus_restored(value):
    """`value` with the "+" of its UTC offset back where a query string turned it into a space."""
    if isinstance(value, str) and (lost := _OFFSET_PLUS_LOST.fullmatch(value.strip())):
        return f"{lost[1]}+{lost[2]}"
    return value


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC before it reaches a query: PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts (…T07:53+18:09 was a 500), and a time whose UTC falls before year 1
    has none (a 400, like any bad date). A positive offset whose "+" the query string read as a
    space is read as the offset it was (offset_plus_restored), not refused."""

    def to_python(self, value):
        value = super().to_python(offset_plus_restored(value))
        if value is None:
            return None
        try:
            return value.astimezone(datetime.timezone.utc)
        except (OverflowError, ValueError):
            raise ValidationError(INVALID_DATE_TIME, code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


def is_date_only(value) -> bool:
    """A date alone, without a time, in each form of ISO 8601 a date-time field reads: 2026-11-25,
    20261125 and 2026-W48-3 (the same Wednesday) alike."""
    if not isinstance(value, str):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def end_of_day(moment: datetime.datetime) -> datetime.datetime | None:
    """The end of `moment`'s day in Asia/Shanghai (the next midnight, in UTC): where a range given
    as a date alone ends, that whole day included. On the last day Python has: None (no end)."""
    zone = timezone.get_default_timezone()
    day = moment.astimezone(zone).date()
    if day == datetime.date.max:
        return None
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min,
                                     tzinfo=zone).astimezone(datetime.timezone.utc)


class UtcIsoDateTimeEndField(UtcIsoDateTimeField):
    """The end of a range (before it): a date-time, or a date alone, which includes that whole day
    (`?date_from=2026-09-24&date_to=2026-09-24` is that day, not an empty range)."""

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None or not is_date_only(value):
            return moment
        return end_of_day(moment)  # None on the last day Python has: no end


class IsoDateTimeEndFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeEndField


class UtcDateTimeField(serializers.DateTimeField):
    """UtcIsoDateTimeField's rule for a query read by a serializer (the SLA report's from/to): in UTC,
    and a 400 naming the field for a time with no UTC or no local time. DRF's own field checks the
    local time against UTC unguarded: from=0001-01-01 (midnight in Shanghai, still year 0 in UTC)
    was a 500. A positive offset whose "+" the query string read as a space is that offset
    (offset_plus_restored), as for the filters."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(offset_plus_restored(value)).astimezone(datetime.timezone.utc)
        except (OverflowError, ValueError):
            raise serializers.ValidationError(INVALID_DATE_TIME, code="invalid") from None
