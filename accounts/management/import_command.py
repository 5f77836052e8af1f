"""What the import commands share: run the import, print its summary, or print every problem
on stderr and exit 1 with nothing written."""

from django.core.management.base import CommandError

from accounts.importers import ImportRejected, ImportResult
from servicedesk.commands import OperatorCommand


class ImportCommand(OperatorCommand):
    def run_import(self, run, source) -> None:
        try:
            result: ImportResult = run(source)
        except ImportRejected as rejected:
            for line in rejected.issues.formatted():
                self.stderr.write(line)
            raise CommandError(rejected.message, returncode=1) from None
        for summary in result.files:
            self.stdout.write(summary.describe())
