from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from notifications import case_notices, checks  # noqa: F401  (register the follow-ups and the checks)

        post_migrate.connect(_after_migrate, sender=self, weak=False, dispatch_uid="notifications.after_migrate")


def _after_migrate(**kwargs):
    """The default notice texts exist after every migrate and test flush (only what is missing)."""
    from notifications.defaults import create_default_templates

    create_default_templates()
