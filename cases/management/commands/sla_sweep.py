from django.utils.translation import gettext as _

from cases.sla_sweep import sla_sweep
from servicedesk.commands import OperatorCommand


class Command(OperatorCommand):
    help = _("Fire the SLA warnings and breaches due now (what Celery beat runs every minute).")

    def handle(self, *args, **options):
        fired = sla_sweep()
        self.stdout.write(_("%(count)d warning level(s) fired.") % {"count": fired})
