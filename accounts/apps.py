from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Clients and credit accounts")

    def ready(self):
        from accounts.services import roles_sync

        # Not limited to this app's signal: the permissions of apps migrated after it must exist.
        post_migrate.connect(lambda **kwargs: roles_sync(), weak=False, dispatch_uid="accounts.roles_sync")
