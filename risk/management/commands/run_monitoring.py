from django.utils.translation import gettext as _

from cases.calendars import calendar_command_errors
from risk.monitoring import monitor_accounts, outcome_summary
from servicedesk.commands import OperatorCommand


class Command(OperatorCommand):
    help = _("Revalue every credit account now: ratio history, alerts, margin calls (what a price import starts).")

    def handle(self, *args, **options):
        with calendar_command_errors():  # a margin call's deadline in a year with no data: one line, nothing written
            outcome = monitor_accounts(trigger="command")
        self.stdout.write(outcome_summary(outcome))
