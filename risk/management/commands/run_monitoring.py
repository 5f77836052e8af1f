from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cases.calendars import calendar_command_errors
from risk.monitoring import monitor_accounts


class Command(BaseCommand):
    help = _("Revalue every credit account now: ratio history, alerts, margin calls (what a price import starts).")

    def handle(self, *args, **options):
        with calendar_command_errors():  # a margin call's deadline in a year with no data: one line, nothing written
            outcome = monitor_accounts(trigger="command")
        self.stdout.write(
            _("%(changed)d account(s) changed; %(opened)d alert(s) opened, %(cleared)d cleared; margin calls: "
              "%(cases)d opened, %(raised)d raised, %(restored)d restored; %(passed)d deadline(s) passed.")
            % {"changed": outcome.changed, "opened": outcome.alerts_opened, "cleared": outcome.alerts_cleared,
               "cases": outcome.cases_opened, "raised": outcome.cases_raised, "restored": outcome.cases_restored,
               "passed": outcome.deadlines_passed})
