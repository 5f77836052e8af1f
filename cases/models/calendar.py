"""Business calendars in the database: the working-day calendar (public holidays and make-up
working days, 调休) and the trading-day calendar (SSE sessions). A year is *estimated* until a
supervisor confirms it; a year with no data is an error, never silently a normal year."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.i18n import BilingualNameMixin


class BusinessCalendar(BilingualNameMixin, models.Model):
    WORKING = "working"
    TRADING = "trading"

    code = models.SlugField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50)
    opens_at = models.TimeField(_("opens at"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(17, 0))
    weekend_days_can_be_business = models.BooleanField(
        _("make-up weekend days count"), default=True,
        help_text=_("Working calendar: a make-up Saturday is a working day. Trading calendar: never."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["code"]

    def clean(self):
        """Service hours are one stretch within a day: a day that closes when or before it opens
        had no business time at all (every deadline was refused for a year without data)."""
        if self.opens_at is not None and self.closes_at is not None and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The closing time must be after the opening time.")})
        # As the field's help says: the exchange never trades on a weekend, make-up working day or not
        # (ticked, the trading calendar took a Saturday as a trading day and a margin call lost a day).
        if self.code == self.TRADING and self.weekend_days_can_be_business:
            raise ValidationError({"weekend_days_can_be_business": _(
                "The exchange never trades on a weekend day: the trading calendar cannot count make-up days.")})


class CalendarYear(models.Model):
    class Status(models.TextChoices):
        ESTIMATED = "estimated", _("Estimated")
        CONFIRMED = "confirmed", _("Confirmed")

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="years",
                                 verbose_name=_("calendar"))
    year = models.PositiveIntegerField(_("year"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ESTIMATED)
    source = models.CharField(_("source"), max_length=200, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["calendar", "year"]
        constraints = [models.UniqueConstraint(fields=["calendar", "year"], name="calendar_year_unique")]

    def __str__(self) -> str:
        return f"{self.calendar.code} {self.year} ({self.get_status_display()})"


class CalendarDay(BilingualNameMixin, models.Model):
    """An exception to the weekday rule: a holiday on a weekday, or a make-up working weekend day,
    in a year the calendar has (CalendarYear)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days",
                                 verbose_name=_("calendar"))
    date = models.DateField(_("date"))
    is_business_day = models.BooleanField(_("business day"))
    name = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="calendar_day_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.localized_name}"

    @property
    def localized_name(self) -> str:
        """In the active language, else in the one it was given in (a day added by hand may have one name)."""
        return super().localized_name or self.name or self.name_en

    def clean(self):
        """What every editor of the days (the admin, cases.services.calendars) refuses: a date in a
        year the calendar has no data for, and a make-up working day that is a weekday already or
        on a calendar that never counts a weekend day (trading: the exchange does not trade then)."""
        if self.calendar_id is None or self.date is None:
            return  # the missing field is reported on its own
        problem = None
        if not CalendarYear.objects.filter(calendar_id=self.calendar_id, year=self.date.year).exists():
            problem = _("The “%(calendar)s” calendar has no year %(year)s: add that year first.") % {
                "calendar": self.calendar.localized_name, "year": self.date.year}
        elif self.is_business_day and self.date.weekday() < 5:
            problem = _("%(date)s is a weekday, a working day already: a make-up working day is a Saturday or "
                        "Sunday.") % {"date": self.date.isoformat()}
        elif self.is_business_day and not self.calendar.weekend_days_can_be_business:
            problem = _("This calendar never counts a weekend day (the exchange does not trade on make-up days).")
        if problem:
            raise ValidationError({"date": problem})

    # Saving or deleting a day moves its calendar's stamp (cases.calendars.STAMP_SQL): every
    # process's cached schedule sees the edit at once, also a day changed in place (same count,
    # same id). Bulk deletes change the stamp's count of days.
    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._stamp_calendar()

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        self._stamp_calendar()
        return deleted

    def _stamp_calendar(self) -> None:
        BusinessCalendar.objects.filter(pk=self.calendar_id).update(updated_at=timezone.now())


class CalendarChange(models.Model):
    """A calendar as it stood before one edit of a day (`date`) or of its service hours (no date),
    kept for good. A replay of a case's event log counts each event on the calendar as it stood
    then (cases.calendars.CalendarHistory), as the live clocks did: a day corrected afterwards
    moves no time already banked, and the rebuild still reproduces the stored timers.

    `before`, a day: {"listed": bool, "business": bool | None}; the hours: {"opens_at": "09:00:00",
    "closes_at": "17:00:00", "weekend": bool}."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="changes",
                                 verbose_name=_("calendar"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    date = models.DateField(_("date"), null=True, blank=True)
    before = models.JSONField(_("before"), default=dict)

    class Meta:
        verbose_name = _("calendar change")
        verbose_name_plural = _("calendar changes")
        ordering = ["calendar", "changed_at", "id"]
