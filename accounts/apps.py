from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Clients and credit accounts")

    def ready(self):
        post_migrate.connect(_after_migrate, weak=False, dispatch_uid="accounts.after_migrate")


def _after_migrate(**kwargs):
    """Roles and default queues exist after every migrate and flush (idempotent). Not limited to
    this app's signal: the permissions of apps migrated after it must exist."""
    from accounts.defaults import create_default_queues
    from accounts.models import Queue, RoutingRule
    from accounts.services import roles_sync

    roles_sync()
    create_default_queues(Queue, RoutingRule)
