"""Writes about people: roles (groups and their permissions) and user provisioning."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import GROUP_PERMISSIONS, Role


@transaction.atomic
def roles_sync() -> None:
    """Make one group per role holding exactly its model permissions (idempotent; runs after
    every migrate)."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in GROUP_PERMISSIONS[role]:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
