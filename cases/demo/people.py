"""Demo people: one login per role (through accounts.services.user_provision), the admin, and
fifty clients with Chinese names, some of them VIP or high-net-worth with an advisor."""

import datetime
import random
from dataclasses import dataclass

from accounts.models import ClientProfile, Tier, User
from accounts.roles import Role
from accounts.services import user_provision
from cases.demo import data

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    password: str


def resident_id(rng: random.Random) -> str:
    """A well-formed (fictitious) 18-digit resident ID number with its check character."""
    born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randint(0, 35 * 365))
    body = f"{rng.choice(data.REGIONS)}{born:%Y%m%d}{rng.randint(1, 999):03d}"
    return body + ID_CHECK[sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS)) % 11]


def staff_create() -> tuple[dict[str, User], list[DemoLogin]]:
    users, logins = {}, []
    for username, roles, queues, (last_name, first_name), language in data.STAFF:
        user = user_provision(username=username, roles=roles, password=data.DEMO_PASSWORD, queue_codes=queues)
        User.objects.filter(pk=user.pk).update(first_name=first_name, last_name=last_name, preferred_language=language,
                                               email=f"{username}@margin-desk.example")
        users[username] = user
        logins.append(DemoLogin(username, ", ".join(roles), data.DEMO_PASSWORD))
    return users, logins


def admin_create() -> DemoLogin:
    """The superuser; an existing one keeps its password."""
    existing = User.objects.filter(username=data.ADMIN_USERNAME).first()
    if existing is not None:
        return DemoLogin(data.ADMIN_USERNAME, "superuser", "(unchanged: existing user)")
    User.objects.create_superuser(data.ADMIN_USERNAME, f"{data.ADMIN_USERNAME}@margin-desk.example",
                                  data.DEMO_PASSWORD)
    return DemoLogin(data.ADMIN_USERNAME, "superuser", data.DEMO_PASSWORD)


def clients_create(rng: random.Random, advisor: User) -> list[ClientProfile]:
    """Fifty clients: the first is the demo login's; 6 high-net-worth (with the advisor),
    10 VIP (4 of them with the advisor), the rest standard; about one in five prefers English."""
    tiers = [Tier.STANDARD] + [Tier.HNW] * 6 + [Tier.VIP] * 10 + [Tier.STANDARD] * 33
    rest = tiers[1:]
    rng.shuffle(rest)
    tiers = tiers[:1] + rest
    vip_with_advisor = 0
    profiles = []
    for number, (name, tier) in enumerate(zip(data.CLIENT_NAMES, tiers), start=1):
        with_advisor = tier == Tier.HNW or (tier == Tier.VIP and vip_with_advisor < 4)
        vip_with_advisor += tier == Tier.VIP and with_advisor
        client_no = f"8800{number:06d}"
        profiles.append(ClientProfile(
            client_no=client_no, name=name, id_number=resident_id(rng),
            phone=f"{rng.choice(data.PHONE_PREFIXES)}{rng.randint(0, 99_999_999):08d}",
            email=f"c{client_no}@example.com", tier=tier,
            risk_rating=rng.choice(["C4", "C4", "C5"]) if tier != Tier.STANDARD else rng.choice(["C3", "C4"]),
            advisor=advisor if with_advisor else None,
            language="zh-hans" if number == 1 or rng.random() < 0.8 else "en",
        ))
    for profile in profiles:  # one by one: auto_now_add reads the demo clock
        profile.save()
    return profiles


def client_login_create(profile: ClientProfile) -> DemoLogin:
    user = user_provision(username=data.CLIENT_USERNAME, roles=[Role.CLIENT], password=data.DEMO_PASSWORD,
                          client_no=profile.client_no)
    family, given = profile.name[:1], profile.name[1:]
    User.objects.filter(pk=user.pk).update(first_name=given, last_name=family, email=profile.email,
                                           preferred_language=profile.language)
    return DemoLogin(data.CLIENT_USERNAME, Role.CLIENT.value, data.DEMO_PASSWORD)
