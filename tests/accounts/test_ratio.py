"""The maintenance collateral ratio and the top-up amounts (PRODUCT.md, margin-trading-facts.md §1)."""

import random
from decimal import Decimal

import pytest

from accounts.models import CreditAccount, Position
from accounts.ratio import maintenance_ratio, top_up, with_ratio
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_long_positions_count_at_full_market_value_without_haircut():
    account = CreditAccountFactory(cash=D("100000.00"), financing_debt=D("200000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("26.00"), haircut=D("0.50")), quantity=10000)
    assert account.total_assets == D("360000.00")
    assert account.total_liabilities == D("200000.00")
    assert account.maintenance_ratio == D("1.8000")


def test_short_positions_are_liabilities_at_current_price():
    account = CreditAccountFactory(cash=D("150000.00"), financing_debt=D("0"))
    PositionFactory(account=account, security=SecurityFactory(price=D("50.00")), quantity=1000,
                    kind=Position.Kind.SHORT)
    # Selling borrowed shares brought cash in; the shares owed are the liability.
    assert account.total_liabilities == D("50000.00")
    assert account.maintenance_ratio == D("3.0000")


def test_interest_and_fees_are_in_the_denominator():
    account = CreditAccountFactory(cash=D("140000.00"), financing_debt=D("99000.00"), interest_fees=D("1000.00"))
    assert account.total_liabilities == D("100000.00")
    assert account.maintenance_ratio == D("1.4000")


def test_other_collateral_counts_as_assets():
    account = CreditAccountFactory(cash=D("10000"), other_collateral=D("120000"), financing_debt=D("100000"))
    assert account.maintenance_ratio == D("1.3000")


def test_no_liability_means_no_ratio_not_an_error():
    account = CreditAccountFactory(cash=D("5000.00"))
    PositionFactory(account=account)
    assert account.maintenance_ratio is None
    assert with_ratio(CreditAccount.objects.filter(pk=account.pk)).get().maintenance_ratio_sql is None


def test_cash_only_account_with_debt():
    account = CreditAccountFactory(cash=D("1300.00"), financing_debt=D("1000.00"))
    assert account.maintenance_ratio == D("1.3000")


def test_ratio_rounds_half_up_to_four_places():
    assert maintenance_ratio(D("2"), D("3")) == D("0.6667")
    assert maintenance_ratio(D("1.00005"), D("1")) == D("1.0001")


def test_top_up_amounts_match_the_worked_example():
    # A = 2.6M, D = 2.0M (130%): 0.2M cash or 0.5M sold and repaid restores 140%.
    result = top_up(D("2600000"), D("2000000"), D("1.40"))
    assert result.cash == D("200000.00")
    assert result.sell == D("500000.00")
    assert maintenance_ratio(D("2600000") + result.cash, D("2000000")) == D("1.4000")
    assert maintenance_ratio(D("2600000") - result.sell, D("2000000") - result.sell) == D("1.4000")


def test_top_up_rounds_up_to_the_cent_so_the_target_is_reached():
    result = top_up(D("1000.001"), D("1000"), D("1.40"))
    assert result.cash == D("399.999").quantize(D("0.01"), rounding="ROUND_CEILING") == D("400.00")


def test_nothing_to_top_up_above_target_or_without_debt():
    assert top_up(D("3000"), D("1000"), D("1.40")).cash == D("0.00")
    assert top_up(D("3000"), D("0"), D("1.40")).sell == D("0.00")


def test_no_sale_restores_an_account_whose_assets_are_below_its_liabilities(api, risk_officer):
    # A = 85,000, D = 100,000 (85 %): S = (140,000 − 85,000) / 0.40 = 137,500 is more than the account
    # holds; selling all of it and repaying leaves 15,000 of debt and nothing: only cash restores 140 %.
    result = top_up(D("85000"), D("100000"), D("1.40"))
    assert (result.cash, result.sell) == (D("55000.00"), None)
    at_par = top_up(D("100000"), D("100000"), D("1.40"))  # at 100 %: sell everything, repay everything
    assert (at_par.cash, at_par.sell) == (D("40000.00"), D("100000.00"))
    account = CreditAccountFactory(financing_debt=D("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=D("8.50")), quantity=10000)
    shown = api.as_user(risk_officer).get(f"/api/v1/accounts/{account.account_no}/").json()["top_up"]
    assert (shown["cash"], shown["sell"]) == ("55000.00", None)


def test_account_top_up_uses_its_own_restore_to_line():
    account = CreditAccountFactory(cash=D("2600000"), financing_debt=D("2000000"), restore_to_line=D("1.50"))
    assert account.top_up().cash == D("400000.00")
    assert account.top_up().sell == D("800000.00")


def test_per_account_lines_override_the_defaults():
    account = CreditAccountFactory(warning_line=D("1.4500"))
    assert account.lines["warning"] == D("1.4500")
    assert account.lines["close_out"] == D("1.30")
    assert account.lines["withdrawal"] == D("3.00")


def test_sql_and_python_agree_for_many_accounts():
    rng = random.Random(7)
    securities = [SecurityFactory(price=D(rng.randint(100, 99999)) / 100) for _ in range(8)]
    for _ in range(40):
        account = CreditAccountFactory(
            cash=D(rng.randint(0, 10**8)) / 100, financing_debt=D(rng.choice([0, rng.randint(1, 10**8)])) / 100,
            interest_fees=D(rng.randint(0, 10**6)) / 100,
        )
        for security in rng.sample(securities, rng.randint(0, 4)):
            PositionFactory(account=account, security=security, quantity=rng.randint(0, 100000),
                            kind=rng.choice([Position.Kind.LONG, Position.Kind.SHORT]))
    annotated = with_ratio(CreditAccount.objects.all())
    assert annotated.count() == 40
    for account in annotated:
        assert account.total_assets_sql == account.total_assets
        assert account.total_liabilities_sql == account.total_liabilities
        assert account.maintenance_ratio_sql == account.maintenance_ratio


def test_sql_ratio_with_whole_number_amounts_is_not_integer_division():
    account = CreditAccountFactory(cash=D("150000"), financing_debt=D("120000"))
    assert with_ratio(CreditAccount.objects.filter(pk=account.pk)).get().maintenance_ratio_sql == D("1.2500")
