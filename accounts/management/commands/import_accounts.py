"""`manage.py import_accounts DIR`: clients, securities, credit accounts and positions from the
core system's CSV files in DIR (see accounts.importers)."""

from django.utils.translation import gettext as _

from accounts.importers import ACCOUNT_FILES, accounts_import
from accounts.management.import_command import ImportCommand


class Command(ImportCommand):
    help = _("Import %(files)s from a directory; all or nothing.") % {"files": ", ".join(ACCOUNT_FILES)}

    def add_arguments(self, parser):
        parser.add_argument("directory", help=_("The directory holding the files (at least one of them)."))

    def handle(self, *args, directory, **options):
        self.run_import(accounts_import, directory)
