"""An account's own lines are checked wherever they are set (admin, account import), and a
risk officer records dated rate changes in the admin, from which the interest accrual segments."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.interest import interest_accrue
from accounts.models import CreditAccount, RateChange
from tests.admin_forms import change_form_data
from tests.factories import CreditAccountFactory
from tests.import_commands import rejected

pytestmark = pytest.mark.django_db


def post_change(client, account, **changes):
    url = f"/admin/accounts/creditaccount/{account.pk}/change/"
    data = change_form_data(client.get(url, HTTP_ACCEPT_LANGUAGE=translation.get_language()))
    data.update(changes)
    return client.post(url, data, HTTP_ACCEPT_LANGUAGE=translation.get_language())


@pytest.fixture
def admin_client(client, risk_officer):
    client.force_login(risk_officer)  # the thresholds and the contract's rates are the risk officer's
    return client


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"attention_line": "-5"}, "attention_line", "must be above zero"),
    ({"attention_line": "1.2"}, "attention_line", "must be above the warning line (140.00%)"),
    ({"immediate_line": "2.3"}, "immediate_line", "must be below the close-out line (130.00%)"),
    ({"warning_line": "1.6"}, "warning_line", "must be below the attention line (150.00%)"),
    ({"restore_to_line": "1.25"}, "restore_to_line", "must be above the close-out line (130.00%)"),
    # 9,900 %: raised by a stress mode, past what a line holds (numeric(6, 4)): every revaluation failed
    ({"withdrawal_line": "99"}, "withdrawal_line", "must be at most 1000.00%"),
])
def test_the_admin_refuses_lines_out_of_order_and_saves_nothing(admin_client, changes, field, message):
    account = CreditAccountFactory()
    with translation.override("en"):
        response = post_change(admin_client, account, **changes)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert CreditAccount.objects.get(pk=account.pk).line(field.removesuffix("_line")) == account.line(
        field.removesuffix("_line"))


def test_the_admin_saves_lines_in_order(admin_client):
    account = CreditAccountFactory()
    response = post_change(admin_client, account, attention_line="1.60", warning_line="1.45",
                           close_out_line="1.35", immediate_line="1.20")

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.attention_line, account.warning_line, account.close_out_line, account.immediate_line) == (
        D("1.6000"), D("1.4500"), D("1.3500"), D("1.2000"))


def test_a_line_is_checked_against_the_defaults_it_leaves_in_place(settings):
    settings.MARGIN_DEFAULT_LINES = {**settings.MARGIN_DEFAULT_LINES, "close_out": "1.45"}
    account = CreditAccount()
    account.clean()  # the defaults alone out of order are not the account's doing
    account.warning_line = D("1.44")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        account.clean()
    assert refused.value.message_dict == {"warning_line": ["must be above the close-out line (145.00%)"]}


def test_the_account_import_refuses_lines_out_of_order(tmp_path, client_profile):
    """The stored close-out line of 1.45 stays (no column for it): the file's warning line must lie above it."""
    account = CreditAccountFactory(account_no="A100", client=client_profile, close_out_line=D("1.45"))
    (tmp_path / "credit_accounts.csv").write_text(
        "account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate,"
        "contract_start,contract_maturity,warning_line\n"
        f"A100,{client_profile.client_no},HT100,1000000,0,200000,0,0.0835,2024-01-02,2024-07-02,1.42\n",
        encoding="utf-8")

    with translation.override("en"):
        lines = rejected("import_accounts", tmp_path)

    assert lines == ["credit_accounts.csv:2: warning_line: must be above the close-out line (145.00%)"]
    account.refresh_from_db()
    assert account.warning_line is None


def test_a_rate_change_entered_in_the_admin_segments_the_accrual(admin_client):
    account = CreditAccountFactory(financing_debt=D("360000.00"), annual_rate=D("0.08000"),
                                   contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2027, 1, 1))
    response = post_change(admin_client, account, **{
        "rate_changes-TOTAL_FORMS": "1", "rate_changes-0-effective_date": "2026-03-02",
        "rate_changes-0-annual_rate": "0.06000"})
    assert response.status_code == 302
    assert list(RateChange.objects.filter(account=account).values_list("effective_date", "annual_rate")) == [
        (datetime.date(2026, 3, 2), D("0.06000"))]

    interest_accrue(datetime.date(2026, 3, 1))
    interest_accrue(datetime.date(2026, 3, 2))

    rates = list(account.interest_accruals.order_by("day").values_list("day", "annual_rate", "amount"))
    assert rates == [(datetime.date(2026, 3, 1), D("0.080000"), D("80.0000")),  # 360,000 × 8 % / 360
                     (datetime.date(2026, 3, 2), D("0.060000"), D("60.0000"))]


def test_a_rate_change_on_a_day_already_accrued_is_refused(admin_client):
    account = CreditAccountFactory(financing_debt=D("360000.00"), contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2027, 1, 1))
    interest_accrue(datetime.date(2026, 3, 5))

    with translation.override("en"):
        response = post_change(admin_client, account, **{
            "rate_changes-TOTAL_FORMS": "1", "rate_changes-0-effective_date": "2026-03-05",
            "rate_changes-0-annual_rate": "0.06000"})

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][-1].formset.forms[0].errors
    assert errors["effective_date"] == [
        "Interest is accrued up to 2026-03-05 already: a rate change takes effect on 2026-03-06 at the earliest."]
    assert not RateChange.objects.exists()


def test_an_account_with_a_rate_change_already_accrued_is_still_saved_in_the_admin(admin_client):
    """Every inline row is validated when the account is saved: a change in force on an accrued day,
    left as it was, made the page refuse any edit of the account (its cash, its lines)."""
    account = CreditAccountFactory(financing_debt=D("360000.00"), cash=D("1000.00"),
                                   contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2027, 1, 1))
    RateChange.objects.create(account=account, effective_date=datetime.date(2026, 3, 2), annual_rate=D("0.06000"))
    interest_accrue(datetime.date(2026, 3, 5))

    response = post_change(admin_client, account, cash="2000.00")

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.cash == D("2000.00")
    assert list(RateChange.objects.filter(account=account).values_list("effective_date", "annual_rate")) == [
        (datetime.date(2026, 3, 2), D("0.06000"))]


@pytest.mark.parametrize("changes", [
    {"rate_changes-0-annual_rate": "0.07000"},  # the rate already charged on 3 to 5 March
    {"rate_changes-0-effective_date": "2026-03-10"},  # moved off the days it was charged on
])
def test_a_rate_change_already_accrued_is_not_altered_in_the_admin(admin_client, changes):
    account = CreditAccountFactory(financing_debt=D("360000.00"), contract_start=datetime.date(2026, 1, 1),
                                   contract_maturity=datetime.date(2027, 1, 1))
    RateChange.objects.create(account=account, effective_date=datetime.date(2026, 3, 2), annual_rate=D("0.06000"))
    interest_accrue(datetime.date(2026, 3, 5))

    with translation.override("en"):
        response = post_change(admin_client, account, **changes)

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][-1].formset.forms[0].errors
    assert errors["effective_date"] == [
        "Interest is accrued up to 2026-03-05 already: a rate change takes effect on 2026-03-06 at the earliest."]
    assert list(RateChange.objects.filter(account=account).values_list("effective_date", "annual_rate")) == [
        (datetime.date(2026, 3, 2), D("0.06000"))]


# --- a rate is a fraction: "8.35" typed for 8.35 % is refused wherever a rate is entered -------------

@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"annual_rate": "8.35"}, "annual_rate", '"8.35" is above 1: an annual rate is a fraction, 0.0835 for 8.35%.'),
    ({"penalty_rate": "0.05"}, "penalty_rate",
     '"0.05" is above 0.01: a daily penalty rate is a fraction, 0.0005 for 0.05% a day.'),
])
def test_the_admin_refuses_a_rate_typed_as_a_percentage_and_saves_nothing(admin_client, changes, field, message):
    """8.35 was taken as 835 % a year: the next accrual charged a hundred times the interest."""
    account = CreditAccountFactory()
    with translation.override("en"):  # the validator's message is lazy: read in the language it is asserted in
        response = post_change(admin_client, account, **changes)
        assert response.status_code == 200
        assert response.context["adminform"].form.errors[field] == [message]
    stored = CreditAccount.objects.get(pk=account.pk)
    assert (stored.annual_rate, stored.penalty_rate) == (account.annual_rate, account.penalty_rate)


def test_the_admin_refuses_a_rate_change_typed_as_a_percentage(admin_client):
    account = CreditAccountFactory()
    with translation.override("en"):
        response = post_change(admin_client, account, **{
            "rate_changes-TOTAL_FORMS": "1", "rate_changes-0-effective_date": "2026-03-02",
            "rate_changes-0-annual_rate": "6"})
        assert response.status_code == 200
        errors = response.context["inline_admin_formsets"][-1].formset.forms[0].errors
        assert errors["annual_rate"] == ['"6" is above 1: an annual rate is a fraction, 0.0835 for 8.35%.']
    assert not RateChange.objects.exists()


def test_the_highest_rates_a_contract_can_have_are_saved_in_the_admin(admin_client):
    account = CreditAccountFactory()
    response = post_change(admin_client, account, annual_rate="1", penalty_rate="0.01")

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.annual_rate, account.penalty_rate) == (D("1.00000"), D("0.010000"))


def test_the_account_import_refuses_an_annual_rate_typed_as_a_percentage(tmp_path, client_profile):
    account = CreditAccountFactory(account_no="A100", client=client_profile)
    (tmp_path / "credit_accounts.csv").write_text(
        "account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate,"
        "contract_start,contract_maturity\n"
        f"A100,{client_profile.client_no},HT100,1000000,0,200000,0,8.35,2024-01-02,2024-07-02\n",
        encoding="utf-8")

    with translation.override("en"):
        lines = rejected("import_accounts", tmp_path)

    assert lines == ['credit_accounts.csv:2: annual_rate: "8.35" is above 1: an annual rate is a fraction, '
                     "0.0835 for 8.35%."]
    account.refresh_from_db()
    assert account.annual_rate == D("0.08350")
