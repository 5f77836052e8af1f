"""A ratio snapshot's account is kept from the accounts' side (risk.snapshot_keys): an account
with snapshots is not deleted behind the ORM's back, the ORM still deletes an account without
history, and deleting an account waits for a monitoring run in progress (PostgreSQL)."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from accounts.models import CreditAccount
from risk.models import RatioSnapshot
from risk.monitoring import monitor_accounts
from risk.snapshot_keys import MONITORING_LOCK
from tests.concurrency import held_open
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory


def valued_account(**fields):
    """A healthy account (ratio 2.00: no alert, no case) with its first snapshot."""
    account = CreditAccountFactory(financing_debt=D("100000.00"), **fields)
    PositionFactory(account=account, security=SecurityFactory(price=D("20.00")), quantity=10000)
    return account


def orphan_snapshots() -> int:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT COUNT(*) FROM risk_ratiosnapshot s
                          WHERE NOT EXISTS (SELECT 1 FROM accounts_creditaccount a WHERE a.id = s.account_id)""")
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.postgres(
    reason="on SQLite (the single-user demo) the ORM's on_delete alone keeps the key "
           '(servicedesk.kept_keys)')
def test_an_account_with_snapshots_is_not_deleted_behind_the_orms_back():
    account = valued_account()
    monitor_accounts(trigger="test")
    assert RatioSnapshot.objects.filter(account=account).count() == 1
    with pytest.raises(IntegrityError, match="snapshots"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM risk_accountrisk WHERE account_id = %s", [account.pk])
            cursor.execute("DELETE FROM accounts_position WHERE account_id = %s", [account.pk])
            cursor.execute("DELETE FROM accounts_creditaccount WHERE id = %s", [account.pk])
        connection.check_constraints()  # PostgreSQL checks at commit, as a key would
    assert CreditAccount.objects.filter(pk=account.pk).exists()
    assert orphan_snapshots() == 0


@pytest.mark.django_db
def test_an_account_without_snapshots_is_deleted_and_the_others_keep_theirs():
    other = valued_account()
    monitor_accounts(trigger="test")
    account = valued_account()  # opened after the run: never valued
    with transaction.atomic():
        account.delete()
        connection.check_constraints()
    assert not CreditAccount.objects.filter(pk=account.pk).exists()
    assert RatioSnapshot.objects.filter(account=other).count() == 1 and orphan_snapshots() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_deleting_an_account_waits_for_the_monitoring_run_in_progress():
    account = valued_account()
    with held_open(lambda: monitor_accounts(trigger="test")):  # the run's lock is held until it commits
        # The run has written its snapshot of the account and not committed: a delete has to wait.
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
                cursor.execute("DELETE FROM accounts_position WHERE account_id = %s", [account.pk])
                cursor.execute("DELETE FROM accounts_creditaccount WHERE id = %s", [account.pk])
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [MONITORING_LOCK])
            assert cursor.fetchone()[0] is False  # still the run's
    # Once the run committed, the same delete meets its snapshot and is refused at commit.
    with pytest.raises(IntegrityError, match="snapshots"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM risk_accountrisk WHERE account_id = %s", [account.pk])
            cursor.execute("DELETE FROM accounts_position WHERE account_id = %s", [account.pk])
            cursor.execute("DELETE FROM accounts_creditaccount WHERE id = %s", [account.pk])
    assert CreditAccount.objects.filter(pk=account.pk).exists() and orphan_snapshots() == 0
