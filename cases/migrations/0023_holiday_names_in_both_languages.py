"""Holidays and make-up working days are named in Chinese (`name`) and English (`name_en`).

The days seeded from the `holidays` package held its names in whatever language the process's
locale chose (English on most servers) and make-up days "调休 make-up working day": those take
both names from the package (cases.calendars.library_days, as seeding does now). A name a
supervisor typed is kept, in both fields, since its language is not known."""

from itertools import groupby

import holidays
from django.db import migrations, models

FORMER_MAKE_UP_DAY_NAME = "调休 make-up working day"


def _former_names(code: str, year: int) -> dict:
    """{date: every name seeding may have stored}: the package's names in each of its languages."""
    names = {}
    for language in holidays.China.supported_languages:
        if code == "working":
            listed = holidays.China(years=[year], language=language)
        else:
            listed = holidays.financial_holidays("XSHG", years=[year], language=language)
        for day, name in listed.items():
            names.setdefault(day, set()).add(name[:100])
    return names


def name_in_both_languages(apps, schema_editor):
    from cases.calendars import CALENDARS, library_days

    CalendarDay = apps.get_model("cases", "CalendarDay")
    days = sorted(CalendarDay.objects.select_related("calendar"), key=lambda day: (day.calendar.code, day.date))
    for (code, year), group in groupby(days, key=lambda day: (day.calendar.code, day.date.year)):
        seeded = library_days(code, year) if code in CALENDARS else {}
        former = _former_names(code, year) if code in CALENDARS else {}
        for day in group:
            library = seeded.get(day.date)
            was_seeded = library is not None and library.is_business_day == day.is_business_day and (
                day.name in former.get(day.date, ()) or (day.is_business_day and day.name == FORMER_MAKE_UP_DAY_NAME))
            if was_seeded:
                day.name, day.name_en = library.name[:100], library.name_en[:100]
            else:
                day.name_en = day.name
    CalendarDay.objects.bulk_update(days, ["name", "name_en"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0022_sla_target_bounds"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarday",
            name="name_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="name (English)"),
        ),
        migrations.AlterField(
            model_name="calendarday",
            name="name",
            field=models.CharField(blank=True, max_length=100, verbose_name="name (Chinese)"),
        ),
        migrations.RunPython(name_in_both_languages, migrations.RunPython.noop),
    ]
