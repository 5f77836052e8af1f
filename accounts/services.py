"""Writes about people: roles (groups and their permissions) and user provisioning."""

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import ClientProfile, Queue, User
from accounts.roles import ADMIN_ROLES, GROUP_PERMISSIONS, STAFF_ROLES, Role
from servicedesk.errors import ValidationFailed


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


# --- user provisioning ---------------------------------------------------------------------------

def _refuse(message, field: str) -> ValidationFailed:
    return ValidationFailed(message, extra={field: [str(message)]})


def _provision_check(*, username: str, roles: list[str], password: str | None, client_no: str | None,
                     queue_codes: list[str], user: User | None) -> tuple[ClientProfile | None, list[Queue]]:
    """Every reason the request cannot be carried out, found before anything is written."""
    if not username:
        raise _refuse(_("A username is required."), "username")
    try:  # the field's validators: its characters and its length (SQLite would store a longer one)
        User._meta.get_field("username").run_validators(username)
    except ValidationError as error:
        raise _refuse(" ".join(error.messages), "username") from None

    valid = ", ".join(Role.values)
    if not roles:
        raise _refuse(_("At least one role is required. Valid roles: %(valid)s.") % {"valid": valid}, "roles")
    unknown = [role for role in roles if role not in Role.values]
    if unknown:
        raise _refuse(_("Unknown role(s): %(unknown)s. Valid roles: %(valid)s.")
                      % {"unknown": ", ".join(unknown), "valid": valid}, "roles")

    profile = None
    if client_no and Role.CLIENT not in roles:
        raise _refuse(_("A client number links a client login: the roles must include “client”."), "client_no")
    if Role.CLIENT in roles and not client_no:
        raise _refuse(_("A client login must be linked to a client: give its client number."), "client_no")
    if client_no:
        profile = ClientProfile.objects.select_for_update().filter(client_no=client_no).first()
        if profile is None:
            raise _refuse(_("Unknown client number “%(client_no)s”.") % {"client_no": client_no}, "client_no")
        if profile.user_id is not None and (user is None or profile.user_id != user.pk):
            raise _refuse(_("Client %(client_no)s is already linked to another user (%(other)s).")
                          % {"client_no": client_no, "other": profile.user.username}, "client_no")

    queues = []
    if queue_codes:
        if not any(role in STAFF_ROLES for role in roles):
            raise _refuse(_("Only staff work in queues: queues need a staff role."), "queue_codes")
        found = {queue.code: queue for queue in Queue.objects.filter(code__in=queue_codes)}
        missing = [code for code in queue_codes if code not in found]
        if missing:
            existing = ", ".join(Queue.objects.values_list("code", flat=True)) or "-"
            raise _refuse(_("Unknown queue(s): %(missing)s. Existing queues: %(existing)s.")
                          % {"missing": ", ".join(missing), "existing": existing}, "queue_codes")
        queues = [found[code] for code in dict.fromkeys(queue_codes)]

    if password is None:
        if user is None:
            raise _refuse(_("A new user needs a password."), "password")
    elif not password:
        raise _refuse(_("The password is empty."), "password")
    else:
        try:
            validate_password(password, user=user or User(username=username))
        except ValidationError as error:
            raise _refuse(_("The password was refused: %(reasons)s") % {"reasons": " ".join(error.messages)},
                          "password") from None
    return profile, queues


def user_provision(*, username: str, roles, password: str | None, client_no: str | None = None,
                   queue_codes=()) -> User:
    """_user_provision, once more if another run created the same new login at the same moment (the
    unique username refused this one's): the second time it finds the login and makes it match, as
    the same arguments given again would. Two `add_user` runs for one new name died of the refusal."""
    arguments = {"username": username, "roles": roles, "password": password, "client_no": client_no,
                 "queue_codes": queue_codes}
    try:
        with transaction.atomic():
            return _user_provision(**arguments)
    except IntegrityError:
        with transaction.atomic():
            return _user_provision(**arguments)


def _user_provision(*, username: str, roles, password: str | None, client_no: str | None = None,
                    queue_codes=()) -> User:
    """Create or update a login so that it holds exactly `roles` (groups that are not roles are
    kept), is linked to client `client_no` (client logins only, and always) and is a member of
    `queue_codes` (staff only; a login left without a staff role leaves every queue).

    Idempotent: the same arguments again change nothing (the password is set only when it
    differs; None keeps it). Roles that may use the admin site (ADMIN_ROLES) get is_staff.
    Every bad input raises ValidationFailed before anything is written. The returned user's
    `provision_changes` names what changed (empty: nothing)."""
    username = (username or "").strip()
    roles = list(dict.fromkeys(str(role) for role in (roles or ())))
    queue_codes = [str(code) for code in (queue_codes or ())]
    client_no = (client_no or "").strip() or None

    user = User.objects.select_for_update().filter(username=username).first()
    profile, queues = _provision_check(username=username, roles=roles, password=password, client_no=client_no,
                                       queue_codes=queue_codes, user=user)
    changes: list[str] = []
    dirty = False
    if user is None:
        user = User(username=username)
        changes.append("created")
    if password is not None and (user.pk is None or not user.check_password(password)):
        user.set_password(password)
        dirty = True
        if user.pk is not None:
            changes.append("password")
    is_staff = user.is_superuser or any(role in ADMIN_ROLES for role in roles)
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        dirty = True
        if user.pk is not None:
            changes.append("is_staff")
    if dirty or user.pk is None:
        user.save()

    if any(not Group.objects.filter(name=role).exists() for role in roles):
        roles_sync()
    held = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if held != set(roles):
        user.groups.remove(*Group.objects.filter(name__in=held - set(roles)))
        user.groups.add(*Group.objects.filter(name__in=set(roles) - held))
        changes.append("roles")
    user.__dict__.pop("_role_codes", None)

    stale = ClientProfile.objects.filter(user=user)
    if profile is not None:
        stale = stale.exclude(pk=profile.pk)
    if stale.update(user=None):
        changes.append("client unlinked")
    if profile is not None and profile.user_id != user.pk:
        profile.user = user
        profile.save(update_fields=["user", "updated_at"])
        changes.append("client linked")

    if not any(role in STAFF_ROLES for role in roles):
        if user.queues.exists():
            user.queues.clear()
            changes.append("queues")
    else:
        joined = set(user.queues.values_list("pk", flat=True))
        new_queues = [queue for queue in queues if queue.pk not in joined]
        if new_queues:
            user.queues.add(*new_queues)
            changes.append("queues")

    user.provision_changes = changes
    return user
