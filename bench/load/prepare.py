"""`python -m bench.load.prepare OUT.json`: the load test's database. The bench's generated dataset
(bench.database, LOAD_CASES cases: clients, credit accounts, positions, securities, staff, cases,
SLA timers) and on top of it the people locust works as: agents of the general queue, each with
tickets of their own to work, and clients with accounts and open cases, each with a password, a
session (the test window is a stretch of a working day: people are logged in already; logging in
is measured by a user of its own) and the agents with an API token. Writes what locust needs to
OUT.json. Idempotent: a second run reuses the data (and makes new sessions)."""

import json
import os
import sys
import time
from pathlib import Path

PASSWORD = "load-pass-2026"
AGENTS = 30
CLIENTS = 80
SPARE_CLIENTS = 10  # logins for the user who logs in and out during the test
TICKETS_PER_AGENT = 8


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.local")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def logins(users) -> None:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User

    password = make_password(PASSWORD)  # one hash for all: the same cost per login as any password
    User.objects.filter(pk__in=[user.pk for user in users]).update(password=password)


def session_for(user) -> str:
    """A logged-in session, as the login page would have made it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


def prepare(cases: int) -> dict:
    from django.db import transaction
    from django.db.models import Count
    from rest_framework.authtoken.models import Token

    from accounts.models import ClientProfile, Queue, Security, User
    from accounts.roles import Role
    from accounts.services import user_provision
    from bench import __main__ as bench
    from bench import database
    from cases.models import Case
    from cases.models.workflows import ALL_CLOSED_STATES, CLOSED_STATES

    started = time.perf_counter()
    database.ensure_dataset(bench.dataset_spec(cases), steps=bench.dataset_steps(cases))
    general = Queue.objects.get(code="general")
    with transaction.atomic():
        agents = list(User.objects.filter(groups__name=Role.AGENT, queues=general).order_by("pk")[:AGENTS])
        for n in range(len(agents), AGENTS):  # the generated staff may be fewer: more agents of the queue
            agents.append(user_provision(username=f"load_agent{n}", roles=[Role.AGENT], password=PASSWORD,
                                         queue_codes=["general"]))
        clients = list(
            ClientProfile.objects.filter(user__isnull=False, credit_accounts__isnull=False)
            .annotate(open_cases=Count("cases")).filter(open_cases__gt=0).select_related("user")
            .order_by("pk").distinct()[:CLIENTS + SPARE_CLIENTS])
        logins(agents + [client.user for client in clients])
        clients, spare = clients[:CLIENTS], clients[CLIENTS:]
        for user in [*agents, *(client.user for client in clients)]:
            user.refresh_from_db(fields=["password"])
        portal_clients = [client.pk for client in clients]
        # Each agent works tickets of clients who are not on the portal during the test (a client's
        # reply moves a ticket too: two people moving one ticket at once is a conflict, not load).
        tickets = list(Case.objects.filter(kind="ticket", queue=general, state__in=["open", "waiting_on_client"])
                       .exclude(client_id__in=portal_clients).order_by("-id")
                       .values_list("pk", flat=True)[:AGENTS * TICKETS_PER_AGENT])
        agent_data = []
        for n, agent in enumerate(agents):
            mine = tickets[n * TICKETS_PER_AGENT:(n + 1) * TICKETS_PER_AGENT]
            Case.objects.filter(pk__in=mine).update(assignee=agent)
            agent_data.append({
                "username": agent.username, "token": Token.objects.get_or_create(user=agent)[0].key,
                "session": session_for(agent),
                "tickets": list(Case.objects.filter(pk__in=mine).values_list("number", flat=True))})
        queue_cases = list(Case.objects.filter(queue=general).exclude(state__in=ALL_CLOSED_STATES)
                           .order_by("-id").values_list("number", flat=True)[:500])
        client_data = []
        for client in clients:
            cases_of = Case.objects.filter(client=client).order_by("-id")
            # Margin calls are left out: a price import may restore (close) one while the client writes.
            open_cases = [number for number, kind, state in cases_of.values_list("number", "kind", "state")
                          if state not in CLOSED_STATES[kind] and kind != "margin_call"]
            client_data.append({
                "username": client.user.username, "client_no": client.client_no, "session": session_for(client.user),
                "cases": list(cases_of.values_list("number", flat=True)[:10]), "open_cases": open_cases[:10],
                "accounts": list(client.credit_accounts.values_list("account_no", flat=True))})
    prices = dict(Security.objects.order_by("symbol").values_list("symbol", "price"))
    return {
        "password": PASSWORD, "agents": agent_data, "clients": client_data, "queue_cases": queue_cases,
        "spare_logins": [client.user.username for client in spare],
        "prices": {symbol: str(price) for symbol, price in prices.items() if price is not None},
        "cases": Case.objects.count(), "prepared_in_seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("var/load/users.json")
    setup_django()
    data = prepare(int(os.environ.get("LOAD_CASES", "100000")))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1))
    print(f"Prepared {len(data['agents'])} agents, {len(data['clients'])} clients, {len(data['prices'])} "
          f"securities over {data['cases']:,} cases in {data['prepared_in_seconds']}s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
