from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = _("Risk monitoring")

    def ready(self):
        from risk import effects  # noqa: F401  (registers the follow-ups of case transitions)
