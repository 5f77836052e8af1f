"""A margin call opened by the real monitoring, for the web pages' tests."""

from decimal import Decimal as D

from cases.models import Case
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory, queue


def open_margin_call(client_profile, agent, security=None, **account_fields) -> Case:
    """Debt 100,000 and 10,000 shares bought at 16.00: the ratio is price / 10. The price falls to
    12.50, below the close-out line (130 %): the monitoring opens a margin call with a deadline, in
    the risk queue, of which `agent` is a member."""
    queue("risk").members.add(agent)
    security = security or SecurityFactory(price=D("16.00"))
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"), **account_fields)
    PositionFactory(account=account, security=security, quantity=10000)
    monitor_accounts(trigger="test")
    security.price = D("12.50")
    security.save()
    monitor_accounts(trigger="test")
    return Case.objects.get(credit_account=account, kind="margin_call")
