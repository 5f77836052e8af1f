"""Admin for the business calendars and SLA policies (supervisors edit them; each December a
supervisor confirms next year's calendar once the exchange publishes it)."""

import datetime
import re

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cases.calendars import LIBRARY_SOURCE, calendar_year_confirm, calendar_year_library_days
from cases.models import BusinessCalendar, CalendarDay, CalendarYear, SlaPolicy, SlaTarget, SlaTimer
from cases.services.calendars import (calendar_changes_record, calendar_days_changed, calendar_hours_changed,
                                     days_as_they_stand, hours_as_they_stand)
from cases.tasks import sla_reapply_task
from servicedesk.admin import ModelAdmin


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ModelAdmin):
    list_display = ["code", "name", "name_en", "opens_at", "closes_at", "weekend_days_can_be_business"]

    def get_readonly_fields(self, request, obj=None):
        """The code names the calendar in the code (`load_schedule("trading")`, the seeding job): a
        renamed calendar would be one the monitoring and next year's seeding no longer find."""
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "code") if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        """New service hours (or make-up weekend days counted or not) move the deadlines of every
        running clock on the calendar."""
        hours_changed = change and {"opens_at", "closes_at", "weekend_days_can_be_business"} & set(form.changed_data)
        before = hours_as_they_stand(obj) if hours_changed else None
        super().save_model(request, obj, form, change)
        if hours_changed:
            calendar_changes_record([before])
            calendar_hours_changed(obj.code)


#: The years a calendar may be given by hand (those the supervisor's pages take dates in).
FIRST_YEAR, LAST_YEAR = 2000, 2099


class CalendarYearForm(forms.ModelForm):
    def clean_year(self):
        year = self.cleaned_data["year"]
        if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
            raise forms.ValidationError(_("Choose a year from %(first)s to %(last)s.") % {
                "first": FIRST_YEAR, "last": LAST_YEAR}, code="out_of_range")
        return year


@admin.register(CalendarYear)
class CalendarYearAdmin(ModelAdmin):
    form = CalendarYearForm
    list_display = ["calendar", "year", "status", "confirmed_by", "confirmed_at", "source"]
    list_filter = ["calendar", "status"]
    readonly_fields = ["status", "confirmed_by", "confirmed_at"]
    actions = ["confirm"]

    def save_model(self, request, obj, form, change):
        """A year added by hand starts from the holidays and make-up days the `holidays` package
        lists, as the daily seeding adds one (which leaves a year present alone: added empty, it
        counted every public holiday a working day, for good), estimated until confirmed; the
        running clocks that reach into it are projected again."""
        if change:
            return super().save_model(request, obj, form, change)
        obj.source = obj.source or LIBRARY_SOURCE
        super().save_model(request, obj, form, change)
        calendar_days_changed(obj.calendar.code, calendar_year_library_days(obj.calendar, obj.year))

    def get_readonly_fields(self, request, obj=None):
        """A year is confirmed with the action (which records who and when), and a stored year stays the
        calendar's and year it is: moved, it would leave its days behind and claim a year it has none of."""
        readonly = tuple(super().get_readonly_fields(request, obj))
        return ("calendar", "year", *readonly) if obj is not None else readonly

    @admin.action(description=_("Confirm the selected years"), permissions=["change"])  # never an auditor
    def confirm(self, request, queryset):
        """Confirm the estimated years selected; a year confirmed already keeps who confirmed it and
        when (as on the supervisor's calendar page), and the message says it was left alone.

        The years alone are locked (`of`), as the calendar page locks one: with them the list's
        select_related locked their calendar too, which a day edited on the page meanwhile moves
        (its stamp) while holding its year, and the two deadlocked."""
        confirmed = skipped = 0
        with transaction.atomic():
            for calendar_year in queryset.select_for_update(of=("self",)).order_by("pk"):
                if calendar_year.status == CalendarYear.Status.CONFIRMED:
                    skipped += 1
                    continue
                calendar_year_confirm(calendar_year=calendar_year, user=request.user)
                confirmed += 1
        self.message_user(request, _("%(count)d year(s) confirmed.") % {"count": confirmed}, messages.SUCCESS)
        if skipped:
            self.message_user(request, _("%(count)d year(s) were confirmed already and keep who confirmed them "
                                         "and when.") % {"count": skipped}, messages.WARNING)


@admin.register(CalendarDay)
class CalendarDayAdmin(ModelAdmin):
    """Every edit of a day moves the deadlines of the running clocks it concerns, the date it had
    before a change too (cases.services.calendars.calendar_days_changed). What a day may be is the
    model's rule (CalendarDay.clean), the same as on the supervisor's calendar page."""

    list_display = ["calendar", "date", "is_business_day", "name", "name_en"]
    list_filter = ["calendar", "is_business_day"]
    date_hierarchy = "date"
    search_fields = ["name", "name_en"]

    def save_model(self, request, obj, form, change):
        stored = CalendarDay.objects.select_related("calendar").filter(pk=obj.pk).first() if change else None
        # The day as it was too: its date or its calendar may have changed.
        days = [(obj.calendar, obj.date)] + ([(stored.calendar, stored.date)] if stored else [])
        before = days_as_they_stand([(calendar.pk, date) for calendar, date in days])
        super().save_model(request, obj, form, change)
        calendar_changes_record(before)
        _days_changed([(calendar.code, date) for calendar, date in days])

    def delete_model(self, request, obj):
        before = days_as_they_stand([(obj.calendar_id, obj.date)])
        super().delete_model(request, obj)
        calendar_changes_record(before)
        _days_changed([(obj.calendar.code, obj.date)])

    def delete_queryset(self, request, queryset):
        changed = list(queryset.values_list("calendar__code", "date"))
        before = days_as_they_stand(queryset.values_list("calendar_id", "date"))
        super().delete_queryset(request, queryset)
        calendar_changes_record(before)
        _days_changed(changed)


def _days_changed(days: list[tuple[str, object]]) -> None:
    """(calendar code, date) pairs: one recomputation per calendar."""
    for code in {code for code, _date in days}:
        calendar_days_changed(code, [date for other, date in days if other == code])


class BusinessHoursField(forms.DurationField):
    """A target as business hours:minutes:seconds, "24:00:00", never Django's "1 00:00:00", which
    reads as a calendar day where it is 24 business hours (three working days of 8 hours)."""

    #: Typed as hours:minutes:seconds, nothing else: "1 day" (or "1 00:00:00", "P1D") was read as 24
    #: business hours, three working days where the supervisor meant one; "8:00" as 8 minutes.
    TYPED = re.compile(r"\s*\d+:[0-5]?\d:[0-5]?\d\s*")

    def prepare_value(self, value):
        if isinstance(value, datetime.timedelta):
            seconds = int(value.total_seconds())
            return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        return value

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not self.TYPED.fullmatch(value):
            raise forms.ValidationError(
                _("Write the target as business hours:minutes:seconds, e.g. 08:00:00 for one working day of 8 "
                  "hours."), code="invalid")
        return super().to_python(value)


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ["metric", "target", "calendar", "pausable", "scales_with_tier"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "target":
            kwargs.update(form_class=BusinessHoursField, help_text=_(
                "Business hours:minutes:seconds on the calendar, e.g. 24:00:00 (three working days of 8 hours)."))
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ModelAdmin):
    list_display = ["position", "name", "name_en", "kind", "priority", "tier", "premium_tier_factor", "is_active"]
    list_editable = ["is_active"]
    list_filter = ["kind", "priority", "tier", "is_active"]
    inlines = [SlaTargetInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        self._reapply_on_commit(request, _(
            "The policy is saved, but open cases could not be moved to the changed targets now (the task queue is "
            "unavailable): save the policy again once it is back."))

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._reapply_on_commit(request, DELETED_NOT_REAPPLIED)  # its cases fall to the next policy that matches

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        self._reapply_on_commit(request, DELETED_NOT_REAPPLIED)

    def _reapply_on_commit(self, request, not_queued):
        """Open cases take the targets now in force, keeping the time already run (after this edit commits)."""
        def reapply():
            from servicedesk.broker import publish

            if publish(sla_reapply_task):
                self.message_user(request, _("Open cases are being moved to the changed targets."), messages.INFO)
            else:
                self.message_user(request, not_queued, messages.ERROR)

        transaction.on_commit(reapply)


DELETED_NOT_REAPPLIED = _("The policy is deleted, but open cases could not be moved to the targets now in force "
                          "(the task queue is unavailable): save any policy once it is back.")


@admin.register(SlaTimer)
class SlaTimerAdmin(ModelAdmin):
    list_display = ["case", "metric", "cycle", "state", "breached", "due_at", "fired_level"]
    list_filter = ["metric", "state", "breached"]
    search_fields = ["case__number"]
    list_select_related = ["case"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
