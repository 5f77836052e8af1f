from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from cases import sla_tally
from cases.calendars import CalendarUnavailable
from cases.models import Case
from cases.services.sla import sla_rebuild
from cases.sla_engine import SLA_KINDS
from servicedesk.commands import OperatorCommand

#: How many of the cases that could not be replayed the error names.
NAMED_CASES = 5


class Command(OperatorCommand):
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
            untimed = list(Case.objects.filter(number__in=case).exclude(kind__in=SLA_KINDS)
                           .order_by("id").values_list("number", flat=True))
            if untimed:  # "0 case(s) replayed" alone said nothing of why
                self.stdout.write(_("%(cases)s: no SLA timers to replay (a margin call runs on its own deadline).")
                                  % {"cases": ", ".join(untimed)})
        checked = changed = 0
        refused: dict[str, list[str]] = {}  # why (the calendar and year) -> the cases it stopped
        for one in cases.iterator(chunk_size=500):
            try:
                changed += sla_rebuild(case=one)  # one transaction per case: a refused one is left as it was
            except CalendarUnavailable as error:
                refused.setdefault(str(error), []).append(one.number)
                continue
            checked += 1
        self.stdout.write(_("%(checked)d case(s) replayed, %(changed)d had timers that differed and were rewritten.")
                          % {"checked": checked, "changed": changed})
        if not case and sla_tally.in_use():
            sla_tally.rebuild()
            self.stdout.write(_("The SLA report's tally was counted afresh from every timer."))
        if refused:
            numbers = [number for numbers in refused.values() for number in numbers]
            shown = ", ".join(numbers[:NAMED_CASES]) + (", …" if len(numbers) > NAMED_CASES else "")
            raise CommandError(_("%(count)d case(s) could not be replayed and keep their stored timers (%(cases)s). "
                                 "%(reasons)s") % {"count": len(numbers), "cases": shown,
                                                   "reasons": " ".join(refused)})
