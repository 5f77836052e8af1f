"""`manage.py import_prices FILE`: the price feed (symbol,price,as_of) onto the securities and
their daily price history (see accounts.importers)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.importers import ImportRejected, prices_import


class Command(BaseCommand):
    help = _("Import prices (symbol,price,as_of) from a CSV file; all or nothing.")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("The CSV file of prices."))

    def handle(self, *args, file, **options):
        try:
            result = prices_import(file)
        except ImportRejected as rejected:
            for line in rejected.issues.formatted():
                self.stderr.write(line)
            raise CommandError(rejected.message, returncode=1) from None
        for summary in result.files:
            self.stdout.write(summary.describe())
