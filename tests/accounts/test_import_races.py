"""An account import while someone else locks several of the same accounts (PostgreSQL, real
concurrent transactions): a stress test's outreach locks the accounts it calls one by one in the
order of their ids. The import updated them in the file's order, so each could hold an account the
other waited for, and PostgreSQL aborted one of them as a deadlock."""

from decimal import Decimal

import pytest

from accounts.importers import accounts_import
from accounts.models import CreditAccount
from tests.accounts.test_imports import write
from tests.concurrency import holding_then
from tests.factories import CreditAccountFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def _locked(pk):
    return list(CreditAccount.objects.select_for_update(of=("self",)).filter(pk=pk).values_list("pk", flat=True))


def test_an_import_updating_accounts_locked_in_id_order_elsewhere_is_no_deadlock(tmp_path, monkeypatch):
    """Within one statement PostgreSQL takes the rows in the order of their ids; the import writes a
    thousand rows a statement, so two are enough here with a batch of one."""
    monkeypatch.setattr("accounts.importers.base.BATCH_SIZE", 1)
    first = CreditAccountFactory(account_no="A100", financing_debt=Decimal("100000.00"))
    second = CreditAccountFactory(account_no="A200", financing_debt=Decimal("100000.00"))
    assert first.pk < second.pk
    header = ("account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate,"
              "contract_start,contract_maturity\n")
    rows = [f"{account.account_no},{account.client.client_no},{account.contract_no},1000000,0,{debt},0,0.0835,"
            f"2024-01-02,2027-01-02\n" for account, debt in ((second, 90000), (first, 80000))]  # the higher id first
    directory = write(tmp_path / "in", {"credit_accounts.csv": header + "".join(rows)})

    # As the outreach does: the lower id locked, then (once the import waits) the higher one.
    then, imported = holding_then(lambda: _locked(first.pk), lambda: _locked(second.pk),
                                  lambda: accounts_import(directory))
    assert then == [second.pk] and not isinstance(imported, Exception), (then, imported)
    assert dict(CreditAccount.objects.values_list("account_no", "financing_debt")) == {
        "A100": Decimal("80000.00"), "A200": Decimal("90000.00")}
