"""Staff (with their roles and queues) and clients (with their logins)."""

from datetime import timedelta

from django.contrib.auth.models import Group

from accounts.models import ClientProfile, Queue, Tier, User
from accounts.roles import Role
from bench.data.texts import GIVEN_NAME_CHARACTERS, SURNAMES
from bench.data.world import Weighted, World
from bench.writers import TableWriter, next_id

#: Not a usable password hash: generated people cannot log in with a password (tests force the login).
UNUSABLE_PASSWORD = "!bench"
#: How much of the case load each queue carries, to staff it accordingly (other queues: 0.1).
QUEUE_LOAD = {"general": 0.6, "risk": 0.25, "disputes": 0.12, "hnw": 0.03}
USER_COLUMNS = ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff",
                "is_active", "date_joined", "preferred_language"]
TIERS = Weighted({Tier.STANDARD: 90, Tier.VIP: 8, Tier.HNW: 2})


def staff_counts(*, clients: int, cases: int) -> dict[str, int]:
    return {
        Role.SUPERVISOR: 5,
        Role.RISK_OFFICER: 5,
        Role.AUDITOR: 2,
        Role.TEAM_LEAD: 8,
        Role.AGENT: max(8, min(400, cases // 5_000)),
        Role.ADVISOR: max(2, clients // 800),
    }


def chinese_name(world: World) -> tuple[str, str]:
    rng = world.rng
    return rng.choice(SURNAMES), "".join(rng.choices(GIVEN_NAME_CHARACTERS, k=rng.choice((1, 2, 2))))


def ensure_groups(world: World) -> None:
    world.group_ids = {role.value: Group.objects.get_or_create(name=role.value)[0].pk for role in Role}


def staff(world: World, *, counts: dict[str, int]) -> int:
    """Supervisors, risk officers, auditors, team leads, agents and advisors; agents and team
    leads join queues in proportion to the queues' load. Returns the number of users made."""
    ensure_groups(world)
    queues = list(Queue.objects.order_by("pk").values_list("code", "pk"))
    world.queue_ids = dict(queues)
    world.queue_members = {queue_id: [] for _code, queue_id in queues}
    load = Weighted({queue_id: QUEUE_LOAD.get(code, 0.1) for code, queue_id in queues})
    user_id = next_id(User)
    roles, memberships = [], []
    with TableWriter(User, USER_COLUMNS) as write_user:  # one COPY at a time per connection
        for role, count in counts.items():
            ids = world.staff.setdefault(role, [])
            for n in range(count):
                last_name, first_name = chinese_name(world)
                username = f"{role}{user_id}"
                write_user((user_id, UNUSABLE_PASSWORD, False, username, first_name, last_name,
                            f"{username}@margin-desk.example", True, True,
                            world.now - timedelta(days=world.rng.randint(30, 2000)), "zh-hans"))
                roles.append((user_id, world.group_ids[role]))
                ids.append(user_id)
                if role in (Role.AGENT, Role.TEAM_LEAD) and queues:
                    # Every queue gets someone first; then by load; a third of them cover a second queue.
                    first = queues[n][1] if n < len(queues) else load.pick(world.rng)
                    mine = {first}
                    if world.rng.random() < 0.33:
                        mine.add(load.pick(world.rng))
                    memberships.extend((queue_id, user_id) for queue_id in mine)
                user_id += 1
    with TableWriter(User.groups.through, ["user_id", "group_id"]) as write_role:
        for row in roles:
            write_role(row)
    with TableWriter(Queue.members.through, ["queue_id", "user_id"]) as write_member:
        for queue_id, member_id in memberships:
            write_member((queue_id, member_id))
            world.queue_members[queue_id].append(member_id)
    return sum(counts.values())


def clients(world: World, count: int) -> int:
    """Clients, each with a login (role client); VIP and high-net-worth clients have an advisor."""
    rng = world.rng
    advisors = world.staff.get(Role.ADVISOR) or [None]
    first_client_id, first_user_id = next_id(ClientProfile), next_id(User)
    people = []
    for n in range(count):
        surname, given_name = chinese_name(world)
        tier = TIERS.pick(rng)
        advisor = rng.choice(advisors) if tier != Tier.STANDARD or rng.random() < 0.05 else None
        joined = world.now - timedelta(days=rng.randint(1, 3000), seconds=rng.randint(0, 86_399))
        people.append((f"8{first_client_id + n:09d}", surname, given_name, tier, advisor, joined))
    with TableWriter(User, USER_COLUMNS, rows=count) as write:  # one COPY at a time per connection
        for n, (client_no, surname, given_name, _tier, _advisor, joined) in enumerate(people):
            write((first_user_id + n, UNUSABLE_PASSWORD, False, client_no, given_name, surname,
                   f"{client_no}@mail.example", False, True, joined, "zh-hans"))
    with TableWriter(User.groups.through, ["user_id", "group_id"]) as write:
        client_group = world.group_ids[Role.CLIENT]
        for n in range(count):
            write((first_user_id + n, client_group))
    columns = ["id", "user_id", "client_no", "name", "id_number", "phone", "email", "tier", "risk_rating",
               "advisor_id", "language", "created_at", "updated_at"]
    with TableWriter(ClientProfile, columns, rows=count) as write:
        for n, (client_no, surname, given_name, tier, advisor, joined) in enumerate(people):
            birth = f"{rng.randint(1950, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            write((first_client_id + n, first_user_id + n, client_no, surname + given_name,
                   f"{rng.choice((110101, 310104, 440305, 330106, 510107))}{birth}{rng.randint(0, 9999):04d}",
                   f"1{rng.choice((3, 5, 8))}{rng.randint(0, 999_999_999):09d}", f"{client_no}@mail.example",
                   tier, rng.choice(("C3", "C4", "C4", "C5")), advisor, "zh-hans", joined, joined))
            world.client_ids.append(first_client_id + n)
            world.client_tiers.append(tier)
            world.client_advisors.append(advisor)
            world.client_users.append(first_user_id + n)
            world.client_accounts.append([])
    return count
