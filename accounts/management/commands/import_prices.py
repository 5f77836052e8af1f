"""`manage.py import_prices FILE`: the price feed (symbol,price,as_of) onto the securities and
their daily price history (see accounts.importers)."""

from django.utils.translation import gettext as _

from accounts.importers import prices_import
from accounts.management.import_command import ImportCommand


class Command(ImportCommand):
    help = _("Import prices (symbol,price,as_of) from a CSV file; all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The CSV file of prices."))

    def handle(self, *args, file, **options):
        self.run_import(prices_import, file)
        # Every price import revalues every credit account (on the monitoring queue).
        from cases.calendars import calendar_command_errors
        from risk.tasks import monitoring_run_task
        from servicedesk.broker import publish

        # Without a broker the task runs here: a margin call's deadline in a year with no data is
        # one line and exit status 1 (the prices stay imported), as below, not a traceback.
        with calendar_command_errors():
            if publish(monitoring_run_task, trigger="price_import"):
                return
        # The task queue is down: the operator who imported waits for the revaluation here instead,
        # as a stress-mode change does (no account should wait for the next scheduled run).
        from risk.monitoring import monitor_accounts, outcome_summary

        self.stderr.write(_("The task queue is unavailable: every credit account is revalued here and now."))
        with calendar_command_errors():  # a margin call's deadline in a year with no data: one line, exit 1
            outcome = monitor_accounts(trigger="price_import")
        self.stdout.write(outcome_summary(outcome))
