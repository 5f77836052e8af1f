"""Deterministic, bilingual demo data (manage.py seed_demo): people for every role, fifty
clients, eighty credit accounts across every ratio band, and two hundred cases with their
history, all written through the services so routing, numbering, events and SLA timers are real."""

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import ClientProfile, CreditAccount, Security
from accounts.ratio import with_ratio
from cases.demo import data
from cases.demo.casework import Cast, cases_create
from cases.demo.clock import controlled_clock
from cases.demo.people import DemoLogin, admin_create, client_login_create, clients_create, staff_create
from cases.demo.portfolios import BANDS, accounts_create, band_of, interest_history_accrue, securities_create
from cases.models import Case
from cases.models.request_conditions import eligibility_waived
from cases.saved_replies import demo_replies_seed
from knowledge.seed import knowledge_seed

SEED = 20260301
DEMO_PASSWORD = data.DEMO_PASSWORD


@dataclass(frozen=True)
class DemoSummary:
    clients: int
    accounts: int
    securities: int
    cases_by_kind: dict[str, int]
    accounts_by_band: dict[str, int]
    logins: list[DemoLogin]


def is_empty() -> bool:
    return not ClientProfile.objects.exists()


@transaction.atomic
def demo_seed(*, seed: int = SEED) -> DemoSummary:
    """Fill an empty database with the demo (the same data every run, dated relative to now)."""
    # bandit B311: repeatable demo data, not a security use of randomness
    rng = random.Random(seed)  # nosec B311
    with controlled_clock() as clock:
        clock.set(clock.real_now - datetime.timedelta(days=98))  # clients joined before the cases began
        users, logins = staff_create()
        admin_login = admin_create()
        clients = clients_create(rng, advisor=users["advisor"])
        client_login = client_login_create(clients[0])
        clients[0].refresh_from_db()
        securities = securities_create(clock.real_now)
        accounts = accounts_create(rng, clients, securities)
        cast = Cast(rng=rng, users=users)
        # A made-up history: its decided requests were eligible when decided, which today's
        # account data cannot show (cases/models/request_conditions.py).
        with eligibility_waived():
            cases_create(rng=rng, clock=clock, cast=cast, clients=clients, accounts=accounts)
        knowledge_seed()
        demo_replies_seed()
        clock.set(clock.real_now)
        interest_history_accrue(timezone.localdate())

    bands = dict.fromkeys(BANDS, 0)
    for account in with_ratio(CreditAccount.objects.all()):
        band = band_of(account.maintenance_ratio_sql, account.lines)
        bands[band] = bands.get(band, 0) + 1
    for item in accounts:
        planned, actual = item.band, band_of(item.account.maintenance_ratio, item.account.lines)
        assert planned == actual, f"{item.account.account_no}: planned {planned}, got {actual}"
    return DemoSummary(
        clients=ClientProfile.objects.count(), accounts=CreditAccount.objects.count(),
        securities=Security.objects.count(),
        cases_by_kind=dict(Case.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")),
        accounts_by_band=bands, logins=[client_login, *logins, admin_login],
    )
