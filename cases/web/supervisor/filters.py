"""The dashboard's filter: a date range (local days, both ends included), the grouping and the
trend's period. Bad input is a 400 with the reason, never a guess."""

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import reports
from cases.sla import day_start

DEFAULT_DAYS = 30
#: Longest range a page may ask for, in days (three years).
MAX_RANGE_DAYS = 3 * 366
#: From this many days on, the trend is drawn per week unless the user chose a period.
WEEKLY_FROM_DAYS = 92
FIRST_DATE, LAST_DATE = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)
DATE_FORMATS = ["%Y-%m-%d"]

GROUP_CHOICES = [("queue", _("Queue")), ("assignee", _("Agent")), ("kind", _("Kind")), ("tier", _("Tier")),
                 ("priority", _("Priority"))]
PERIOD_CHOICES = [("", _("Automatic")), ("day", _("Per day")), ("week", _("Per week"))]
assert {code for code, _label in GROUP_CHOICES} == set(reports.GROUPS)


@dataclass(frozen=True)
class ReportRange:
    first: datetime.date
    last: datetime.date
    group_by: str
    period: str

    @property
    def start(self) -> datetime.datetime:
        """The first day's start, local time (aware)."""
        return day_start(self.first)

    @property
    def end(self) -> datetime.datetime:
        """The start of the day after the last (the range is [start, end))."""
        return day_start(self.last + datetime.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def as_data(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "group_by": self.group_by,
                "period": self.period}

    @property
    def querystring(self) -> str:
        return urlencode(self.as_data)




class DashboardFilter(forms.Form):
    to = forms.DateField(label=_("To"), required=False, input_formats=DATE_FORMATS,
                         widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_CHOICES, required=False)
    period = forms.ChoiceField(label=_("Trend"), choices=PERIOD_CHOICES, required=False)

    def __init__(self, data=None, *, today: datetime.date | None = None):
        super().__init__(data)
        self.today = today or timezone.localdate()

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        first, last = cleaned.get("from"), cleaned.get("to") or self.today
        # The dates given are checked before the default start is counted back from the end
        # (to=0001-01-01 was a 500: no date 29 days before it).
        for name, day in (("from", first), ("to", last)):
            if day is not None and not FIRST_DATE <= day <= LAST_DATE:
                self._out_of_range(name)
        if self.errors:
            return cleaned
        first = first or last - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if first < FIRST_DATE:
            self._out_of_range("from")
        elif first > last:
            self.add_error("from", _("The start date must not be after the end date."))
        elif (last - first).days + 1 > MAX_RANGE_DAYS:
            self.add_error("from", _("The range may span at most %(days)d days.") % {"days": MAX_RANGE_DAYS})
        cleaned["first"], cleaned["last"] = first, last
        return cleaned

    def _out_of_range(self, name: str) -> None:
        self.add_error(name, _("Choose a date between %(first)s and %(last)s.")
                       % {"first": FIRST_DATE.isoformat(), "last": LAST_DATE.isoformat()})

    def report_range(self) -> ReportRange:
        data = self.cleaned_data
        days = (data["last"] - data["first"]).days + 1
        period = data.get("period") or ("week" if days >= WEEKLY_FROM_DAYS else "day")
        return ReportRange(first=data["first"], last=data["last"], group_by=data.get("group_by") or "queue",
                           period=period)


# `from` is a Python keyword: declared here, placed first.
DashboardFilter.base_fields = {
    "from": forms.DateField(label=_("From"), required=False, input_formats=DATE_FORMATS,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")),
    **DashboardFilter.base_fields,
}
