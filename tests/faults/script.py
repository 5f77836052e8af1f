"""Seeding the fault tests' database, run in a subprocess against it:
`python -m tests.faults.script COMMAND '{"argument": value}'` with DATABASE_URL set; prints one JSON
line (what the test needs to know: ids, tokens, counts)."""

import datetime
import json
import sys
from decimal import Decimal


def _staff():
    """A supervisor (API token and a web session), a team lead in every queue; returns the
    supervisor's token and session cookie."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import Queue
    from accounts.roles import Role
    from tests.factories import UserFactory

    supervisor = UserFactory(username="faults_supervisor", roles=[Role.SUPERVISOR])
    lead = UserFactory(username="faults_lead", roles=[Role.TEAM_LEAD])
    for queue in Queue.objects.all():
        queue.members.add(lead)
    browser = Client()
    browser.force_login(supervisor)
    token, _created = Token.objects.get_or_create(user=supervisor)
    return {"token": token.key, "session": browser.cookies["sessionid"].value}


def web(clients: int = 5) -> dict:
    """Staff and clients (each with an e-mail address and a login) for cases opened over HTTP."""
    from tests.factories import ClientProfileFactory, without_quiet_hours

    profiles = [ClientProfileFactory() for _ in range(clients)]
    without_quiet_hours(*profiles)  # the e-mails the tests wait for go at any hour
    return {**_staff(), "clients": [profile.client_no for profile in profiles]}


def sla_cases(count: int) -> dict:
    """`count` urgent tickets opened a week ago: every warning level of their two timers (first
    response, resolution) has passed, none has fired yet."""
    import time_machine
    from django.utils import timezone

    from cases.services import case_create
    from tests.factories import ClientProfileFactory

    staff = _staff()
    client = ClientProfileFactory(email="")  # no acknowledgement e-mail: the warnings are what counts
    with time_machine.travel(timezone.now() - datetime.timedelta(days=7), tick=False):
        numbers = [case_create(created_by=None, client=client, kind="ticket", subject=f"故障测试 {n}",
                               priority="urgent").number for n in range(count)]
    return {**staff, "numbers": numbers}


def accounts(count: int) -> dict:
    """`count` credit accounts with financing debt (interest accrues on them every day)."""
    from tests.factories import CreditAccountFactory

    rows = [CreditAccountFactory(financing_debt=Decimal("100000.00") + n, client__email="")
            for n in range(count)]
    return {"accounts": [row.pk for row in rows]}


def sms(count: int) -> dict:
    """`count` SMS in the outbox, pending and due, not yet handed to any worker."""
    from django.utils import timezone

    from notifications.models import Notification
    from tests.factories import ClientProfileFactory

    client = ClientProfileFactory(email="")
    rows = Notification.objects.bulk_create([
        Notification(recipient_client=client, address=client.phone, channel="sms", event="margin_call",
                     body=f"追保通知 {n}", next_attempt_at=timezone.now(), queued_at=timezone.now())
        for n in range(count)])
    return {"ids": [row.pk for row in rows]}


def hnw_clients(count: int) -> dict:
    """`count` high-net-worth clients (each gets a return visit a quarter)."""
    from tests.factories import ClientProfileFactory

    return {"clients": [ClientProfileFactory(tier="hnw", email="").client_no for _ in range(count)]}


def _fresh_sequences() -> None:
    """The factories number from past every row already there (each run is a new process, whose
    sequences would start at 0 again)."""
    from accounts.models import ClientProfile, CreditAccount, User
    from tests import factories

    start = User.objects.count() + ClientProfile.objects.count() + CreditAccount.objects.count() + 1
    for factory in (factories.UserFactory, factories.ClientProfileFactory, factories.CreditAccountFactory,
                    factories.SecurityFactory):
        factory.reset_sequence(start)


def main() -> None:
    import django

    django.setup()
    _fresh_sequences()
    command = sys.argv[1]
    arguments = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    commands = {"web": web, "sla_cases": sla_cases, "accounts": accounts, "sms": sms, "hnw_clients": hnw_clients}
    print(json.dumps(commands[command](**arguments)))


if __name__ == "__main__":
    main()
