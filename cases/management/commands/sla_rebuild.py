from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from cases import sla_tally
from cases.models import Case
from cases.services.sla import sla_rebuild
from cases.sla_engine import SLA_KINDS


class Command(BaseCommand):
    help = _("Recompute every SLA timer from the case event log (after a calendar or engine change).")

    def add_arguments(self, parser):
        parser.add_argument("--case", action="append", default=[], help=_("Only this case number (repeatable)."))

    def handle(self, *args, case=(), **options):
        cases = Case.objects.filter(kind__in=SLA_KINDS).order_by("id")
        if case:
            known = set(Case.objects.filter(number__in=case).values_list("number", flat=True))
            unknown = [number for number in dict.fromkeys(case) if number not in known]
            if unknown:
                raise CommandError(_("Unknown case number(s): %(unknown)s.") % {"unknown": ", ".join(unknown)})
            cases = cases.filter(number__in=case)
        checked = changed = 0
        for one in cases.iterator(chunk_size=500):
            checked += 1
            changed += sla_rebuild(case=one)
        self.stdout.write(_("%(checked)d case(s) replayed, %(changed)d had timers that differed and were rewritten.")
                          % {"checked": checked, "changed": changed})
        if not case and sla_tally.in_use():
            sla_tally.rebuild()
            self.stdout.write(_("The SLA report's tally was counted afresh from every timer."))
