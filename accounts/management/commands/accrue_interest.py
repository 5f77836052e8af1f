"""`manage.py accrue_interest [--day YYYY-MM-DD]`: what the daily `interest.accrue` task does."""

import argparse
import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounts.interest import interest_accrue, interest_accrue_due
from servicedesk.commands import OperatorCommand
from servicedesk.errors import ApplicationError


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        # argparse turns this into one line naming the option, exit status 2 (a CommandError when called)
        raise argparse.ArgumentTypeError(_("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value}) from None


class Command(OperatorCommand):
    help = _("Accrue the daily interest: yesterday and any day missed, or one given day. Each day once.")

    def add_arguments(self, parser):
        parser.add_argument("--day", type=_day, help=_("Accrue only this day (YYYY-MM-DD), which must have ended."))

    def handle(self, *args, day=None, **options):
        try:
            added = {day: interest_accrue(day)} if day else interest_accrue_due()
        except ApplicationError as error:
            raise CommandError(str(error.message)) from None
        if not added:
            self.stdout.write(_("Nothing to accrue: every day up to yesterday is accrued."))
        for accrued_day, lines in added.items():
            self.stdout.write(_("%(day)s: %(lines)d line(s) added.") % {"day": accrued_day.isoformat(), "lines": lines})
