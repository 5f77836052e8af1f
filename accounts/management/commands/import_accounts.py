"""`manage.py import_accounts DIR`: clients, securities, credit accounts and positions from the
core system's CSV files in DIR (see accounts.importers)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.importers import ACCOUNT_FILES, ImportRejected, accounts_import


class Command(BaseCommand):
    help = _("Import %(files)s from a directory; all or nothing.") % {"files": ", ".join(ACCOUNT_FILES)}

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("The directory holding the files (at least one of them)."))

    def handle(self, *args, directory, **options):
        try:
            result = accounts_import(directory)
        except ImportRejected as rejected:
            for line in rejected.issues.formatted():
                self.stderr.write(line)
            raise CommandError(rejected.message, returncode=1) from None
        for summary in result.files:
            self.stdout.write(summary.describe())
