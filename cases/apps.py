from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("Cases")

    def ready(self):
        from cases import checks  # noqa: F401  (registers the calendar check)
        from cases.services import ratings, requests, visits  # noqa: F401  (register their follow-ups)
        from servicedesk.admin import check_every_list
        from servicedesk.beat_admin import mend_crontab_admin

        mend_crontab_admin()
        check_every_list()  # every admin is registered by now (the admin app, listed first, discovered them)

        post_migrate.connect(_after_migrate, sender=self, weak=False, dispatch_uid="cases.after_migrate")


def _after_migrate(**kwargs):
    """Calendars (seeded from the `holidays` package) and the default SLA policies exist after
    every migrate and test flush; both only fill what is missing."""
    from cases.calendars import calendars_seed
    from cases.defaults import create_default_policies

    calendars_seed()
    create_default_policies()
