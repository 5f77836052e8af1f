"""What the import commands share: run the import, print its summary, or print every problem
on stderr and exit 1 with nothing written; then revalue the credit accounts the import moved."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounts.importers import ImportRejected, ImportResult
from servicedesk.commands import OperatorCommand


class ImportCommand(OperatorCommand):
    def run_import(self, run, source) -> ImportResult:
        try:
            result: ImportResult = run(source)
        except ImportRejected as rejected:
            for line in rejected.issues.formatted():
                self.stderr.write(line)
            raise CommandError(rejected.message, returncode=1) from None
        for summary in result.files:
            self.stdout.write(summary.describe())
        return result

    def revalue_accounts(self, trigger: str) -> None:
        """Every credit account revalued (on the monitoring queue): no account should wait for the
        next scheduled run (the next trading session's, after an evening import) to open, raise or
        close its margin call, nor a page show the new figures beside the old level."""
        from cases.calendars import calendar_command_errors
        from risk.tasks import monitoring_run_task
        from servicedesk.broker import publish

        # Without a broker the task runs here: a margin call's deadline in a year with no data is
        # one line and exit status 1 (the import stays written), as below, not a traceback.
        with calendar_command_errors():
            if publish(monitoring_run_task, trigger=trigger):
                return
        # The task queue is down: the operator who imported waits for the revaluation here instead,
        # as a stress-mode change does.
        from risk.monitoring import monitor_accounts, outcome_summary

        self.stderr.write(_("The task queue is unavailable: every credit account is revalued here and now."))
        with calendar_command_errors():  # a margin call's deadline in a year with no data: one line, exit 1
            outcome = monitor_accounts(trigger=trigger)
        self.stdout.write(outcome_summary(outcome))
