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
        self.revalue_accounts("price_import")
