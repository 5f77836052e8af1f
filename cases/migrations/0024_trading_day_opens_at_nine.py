"""The trading calendar's service hours are the default opening (09:00) to the exchange's close
(15:00), as the SLA issue sets them: it was seeded opening at 09:30. A calendar whose opening a
supervisor set to anything else keeps it."""

import datetime

from django.db import migrations
from django.utils import timezone

SEEDED_OPENING = datetime.time(9, 30)
OPENING = datetime.time(9, 0)


def open_at_nine(apps, schema_editor):
    BusinessCalendar = apps.get_model("cases", "BusinessCalendar")
    BusinessCalendar.objects.filter(code="trading", opens_at=SEEDED_OPENING).update(
        opens_at=OPENING, updated_at=timezone.now())  # running processes reload the calendar


def open_at_half_past_nine(apps, schema_editor):
    BusinessCalendar = apps.get_model("cases", "BusinessCalendar")
    BusinessCalendar.objects.filter(code="trading", opens_at=OPENING).update(
        opens_at=SEEDED_OPENING, updated_at=timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0023_holiday_names_in_both_languages"),
    ]

    operations = [
        migrations.RunPython(open_at_nine, open_at_half_past_nine),
    ]
