"""django_celery_beat's crontab admin, mended (superusers edit the periodic jobs' schedules there):
a schedule the scheduler cannot read (`-1` passes the package's validators) is a form error, not a
saved row that would stop beat; the schedule in words is left out where it cannot be written,
instead of the page failing with a server error."""

from celery.schedules import ParseException, crontab
from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_celery_beat.admin import CrontabScheduleAdmin
from django_celery_beat.models import CrontabSchedule

CRONTAB_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


class CrontabScheduleForm(forms.ModelForm):
    class Meta:
        model = CrontabSchedule
        fields = "__all__"

    def clean(self):
        data = super().clean()
        if not self.errors:
            try:
                crontab(**{name: data.get(name, "*") for name in CRONTAB_FIELDS})
            except (ParseException, ValueError) as error:
                raise forms.ValidationError(_("The scheduler cannot read this schedule: %(error)s"),
                                            params={"error": error}) from error
        return data


class CheckedCrontabScheduleAdmin(CrontabScheduleAdmin):
    form = CrontabScheduleForm
    list_display = ("__str__", "in_words")
    fields = ("in_words", *CrontabScheduleAdmin.fields[1:])
    readonly_fields = ("in_words",)

    @admin.display(description=_("schedule in words"))
    def in_words(self, obj) -> str:
        try:
            return obj.human_readable
        except (ParseException, ValueError):  # a row stored by other means than this form
            return "—"


def mend_crontab_admin(site: admin.AdminSite = admin.site) -> None:
    site.unregister(CrontabSchedule)
    site.register(CrontabSchedule, CheckedCrontabScheduleAdmin)
