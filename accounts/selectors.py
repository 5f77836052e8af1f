"""Reads of people and accounts, scoped to what a user may see."""

from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q, QuerySet

from accounts.models import ClientProfile, CreditAccount, Position, User
from accounts.ratio import with_ratio
from accounts.roles import SEE_EVERYTHING, SEE_PERSONAL_DATA, Role


def client_scope_q(user: User, prefix: str = "") -> Q | None:
    """Q over ClientProfile (through `prefix`) for the clients a user may see; None means all."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser or user.has_role(*SEE_EVERYTHING, Role.AGENT, Role.TEAM_LEAD):
        return None
    q = Q(pk__in=[])
    if user.has_role(Role.ADVISOR):
        q |= Q(**{f"{prefix}advisor": user})
    if user.has_role(Role.CLIENT):
        q |= Q(**{f"{prefix}user": user})
    return q


def clients_visible_to(user: User) -> QuerySet[ClientProfile]:
    q = client_scope_q(user)
    queryset = ClientProfile.objects.select_related("advisor")
    return queryset if q is None else queryset.filter(q)


def credit_accounts_visible_to(user: User) -> QuerySet[CreditAccount]:
    """Clients see their own accounts; advisors their clients'; other staff every account
    (agents serve any client who calls)."""
    q = client_scope_q(user, prefix="client__")
    queryset = with_ratio(CreditAccount.objects.select_related("client"))
    return queryset if q is None else queryset.filter(q)


def credit_account_detail(user: User, account_no: str) -> CreditAccount:
    positions = Prefetch("positions", queryset=Position.objects.select_related("security").order_by("security__symbol"))
    return credit_accounts_visible_to(user).prefetch_related(positions).get(account_no=account_no)


def sees_personal_data(user: User, client: ClientProfile) -> bool:
    """Id number and phone are shown whole only to those who need them."""
    if user.is_superuser or user.has_role(*SEE_PERSONAL_DATA):
        return True
    if client.user_id is not None and client.user_id == user.pk:
        return True
    return client.advisor_id is not None and client.advisor_id == user.pk


def mask_id_number(value: str) -> str:
    if len(value) <= 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_phone(value: str) -> str:
    if len(value) <= 7:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def users_with_roles(*roles: str) -> QuerySet[User]:
    """The users holding any of `roles` (each user once). The role groups are looked up first and
    the users by the groups' ids: by ids PostgreSQL knows from its statistics how few users the
    staff groups hold (the clients' group holds nearly all of them); joined by the groups' names
    it guessed seven in ten and read every user (31 ms at 80,000 clients, against 1.5 ms)."""
    groups = list(Group.objects.filter(name__in=roles).values_list("pk", flat=True))
    return User.objects.filter(groups__in=groups).distinct()
