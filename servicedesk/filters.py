"""Query filters shared by the APIs."""

import datetime

import django_filters
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, in UTC before it reaches a query: PostgreSQL refuses offsets beyond
    ±15:59 that Python accepts (…T07:53+18:09 was a 500), and a time whose UTC falls before year 1
    has none (a 400, like any bad date)."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.timezone.utc)
        except (OverflowError, ValueError):
            raise ValidationError(_("Enter a valid date/time."), code="invalid") from None


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
