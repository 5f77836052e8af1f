"""manage.py seed_demo [--if-empty]: the demo data (cases/demo), then the demo logins."""

import unicodedata

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import ClientProfile
from cases.calendars import calendar_command_errors
from cases.demo import demo_seed, is_empty
from cases.models import CaseKind
from servicedesk.commands import OperatorCommand


def _band_label(band: str) -> str:
    """A demo account's ratio band as the pages name it (its code is a monitoring level, or the band
    above the withdrawal line)."""
    from risk.models import Level

    return _("At or above the withdrawal line") if band not in Level.values else str(Level(band).label)


class Command(OperatorCommand):
    help = _("Fill an empty database with bilingual demo data (deterministic) and print the demo "
             "logins.")

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help=gettext_lazy("Do nothing (but say so) when the database already holds clients."))

    def handle(self, *args, if_empty=False, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", True):
            raise CommandError(_("Demo data is never loaded with the production settings: its logins, a superuser "
                                 "among them, have a published password."))
        if not is_empty():
            count = ClientProfile.objects.count()
            if if_empty:
                self.stdout.write(_("Demo data not loaded: the database already holds %(count)d clients.")
                                  % {"count": count})
                return
            raise CommandError(_("The database already holds %(count)d clients; demo data goes only into an "
                                 "empty database (use --if-empty to skip quietly).") % {"count": count})
        with calendar_command_errors():  # the demo's cases need every year they reach in the calendars
            summary = demo_seed()
        kinds = ", ".join(f"{CaseKind(kind).label} {count}" for kind, count in summary.cases_by_kind.items())
        bands = ", ".join(f"{_band_label(band)} {count}" for band, count in summary.accounts_by_band.items())
        self.stdout.write(self.style.SUCCESS(
            _("Demo data loaded: %(clients)d clients, %(accounts)d credit accounts, %(securities)d securities, "
              "%(cases)d cases.") % {"clients": summary.clients, "accounts": summary.accounts,
                                     "securities": summary.securities, "cases": sum(summary.cases_by_kind.values())}))
        self.stdout.write(_("Cases by kind: %(kinds)s") % {"kinds": kinds})
        self.stdout.write(_("Accounts by ratio band: %(bands)s") % {"bands": bands})
        self.stdout.write("")
        self.stdout.write(_("Demo logins (demo only, never in production):"))
        rows = [(_("username"), _("role"), _("password"))] + [(login.username, login.role, login.password)
                                                             for login in summary.logins]
        widths = [max(_width(str(row[column])) for row in rows) for column in range(3)]
        for number, row in enumerate(rows):
            cells = (str(cell) + " " * (width - _width(str(cell))) for cell, width in zip(row, widths))
            self.stdout.write("  ".join(cells).rstrip())
            if number == 0:
                self.stdout.write("  ".join("-" * width for width in widths))


def _width(text: str) -> int:
    """Columns a text takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
