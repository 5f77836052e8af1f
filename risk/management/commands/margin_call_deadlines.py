import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from cases.calendars import calendar_command_errors
from risk.deadlines import deadlines_after_calendar_change
from servicedesk.commands import OperatorCommand


class Command(OperatorCommand):
    help = _("After a change of the trading calendar on the given dates: the open margin calls that counted one of "
             "them to their deadline get it back (what the calendar edit starts as a task).")

    def add_arguments(self, parser):
        parser.add_argument("dates", nargs="+", metavar="YYYY-MM-DD", help=_("the changed days"))

    def handle(self, *args, dates, **options):
        try:
            days = [datetime.date.fromisoformat(day) for day in dates]
        except ValueError:
            raise CommandError(_("Give the changed days as YYYY-MM-DD, e.g. 2026-10-09.")) from None
        with calendar_command_errors():
            moved = deadlines_after_calendar_change(days)
        self.stdout.write(_("%(count)d margin call deadline(s) moved.") % {"count": moved})
