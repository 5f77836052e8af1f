"""An account's own lines (or balances) edited in the admin: the monitoring follows the new figures
at once, not at the next scheduled run (days away at a weekend), and no page shows the new lines
beside the old level."""

from decimal import Decimal as D

import pytest

from risk.models import AccountRisk, MarginCall, MonitoringRun
from risk.monitoring import monitor_accounts
from tests.accounts.test_lines_and_rates import post_change
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(client_profile):
    """Debt 100,000 against 10,000 shares at 13.50: 135 %, below the warning line (140 %), above
    close-out (130 %)."""
    account = CreditAccountFactory(client=client_profile, financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("13.50")), quantity=10000)
    monitor_accounts(trigger="test")
    return account


def test_lines_raised_in_the_admin_revalue_the_account_at_once(client, risk_officer, account,
                                                                django_capture_on_commit_callbacks):
    assert AccountRisk.objects.get(account=account).level == "warning"
    client.force_login(risk_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_change(client, account, attention_line="1.60", warning_line="1.50", close_out_line="1.40",
                               restore_to_line="1.50")
    assert response.status_code == 302
    assert MonitoringRun.objects.filter(trigger="account_edit").count() == 1
    assert AccountRisk.objects.get(account=account).level == "close_out"  # 135 % under its own 140 %
    call = MarginCall.objects.get(account=account)
    assert call.stage == "margin_call" and call.deadline is not None


def test_saving_the_account_unchanged_starts_no_run(client, risk_officer, account, django_capture_on_commit_callbacks):
    client.force_login(risk_officer)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_change(client, account).status_code == 302
    assert not MonitoringRun.objects.filter(trigger="account_edit").exists()


def test_the_risk_page_names_why_the_run_started(client, risk_officer, account, django_capture_on_commit_callbacks):
    from django.urls import reverse

    client.force_login(risk_officer)
    with django_capture_on_commit_callbacks(execute=True):
        post_change(client, account, cash="1000.00")
    page = client.get(reverse("risk_pages:overview"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "credit account edited in the admin" in page
