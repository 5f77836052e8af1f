"""`manage.py import_accounts DIR`: clients, securities, credit accounts and positions from the
core system's CSV files in DIR (see accounts.importers)."""

from django.utils.translation import gettext as _

from accounts.importers import ACCOUNT_FILES, accounts_import
from accounts.importers.accounts import CLIENTS
from accounts.management.import_command import ImportCommand


class Command(ImportCommand):
    help = _("Import %(files)s from a directory; all or nothing.") % {"files": ", ".join(ACCOUNT_FILES)}

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("The directory holding the files (at least one of them)."))

    def handle(self, *args, directory, **options):
        result = self.run_import(accounts_import, directory)
        # Balances, lines, positions or prices written: the accounts are revalued now, as after an
        # edit in the admin (a client's details alone move no ratio).
        if any(summary.created or summary.updated or summary.deleted
               for summary in result.files if summary.file != CLIENTS):
            self.revalue_accounts("account_import")
