"""Daily interest (days/360, segmented at rate changes, penalty on overdue debt), the lines behind a
charge, and the maturity and settlement reminders (PRODUCT.md "Credit account rules")."""

import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
import time_machine
from django.conf import settings
from django.core.management import call_command

from accounts.interest import (
    MAX_CATCH_UP_DAYS, interest_accrue, interest_accrue_due, interest_lines, settlement_dates,
    settlement_period_start,
)
from accounts.models import CreditAccount, InterestAccrual, InterestAccrualRun, RateChange, Reminder
from accounts.reminders import reminders_send, stage_for
from accounts.roles import Role
from accounts.tasks import interest_accrue_task, reminders_send_task
from notifications.models import Notification
from servicedesk.errors import ValidationFailed
from tests.factories import ClientProfileFactory, CreditAccountFactory, UserFactory
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
MARCH = [datetime.date(2026, 3, day) for day in range(1, 32)]


@pytest.fixture(autouse=True)
def _summer_2026():
    """Today is 2026-07-01 in Shanghai: the March days below have ended."""
    with time_machine.travel(datetime.datetime(2026, 7, 1, 10, tzinfo=SH), tick=True):
        yield


def debtor(debt="1000000.00", rate="0.08350", start=datetime.date(2026, 1, 1),
           maturity=datetime.date(2026, 6, 30), **extra) -> CreditAccount:
    return CreditAccountFactory(financing_debt=Decimal(debt), annual_rate=Decimal(rate), contract_start=start,
                                contract_maturity=maturity, **extra)


def accrue(*days):
    return [interest_accrue(day) for day in days]


def refreshed(account) -> CreditAccount:
    return CreditAccount.objects.get(pk=account.pk)


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- the hand-computed examples --------------------------------------------------------------------

def test_hand_computed_example_ten_days_at_8_35_percent():
    account = debtor()
    accrue(*MARCH[:10])

    # 1,000,000.00 × 0.0835 × 10 / 360 = 2,319.444… → 2,319.44
    assert rounded(Decimal("1000000.00") * Decimal("0.0835") * 10 / 360) == Decimal("2319.44")
    statement = interest_lines(account, MARCH[0], MARCH[9])
    # one line a day: 1,000,000.00 × 0.0835 × 1 / 360 = 231.94444… kept as 231.9444
    assert [(line.day, line.kind, line.principal, line.annual_rate, line.days, line.amount)
            for line in statement.lines] == [
        (day, "interest", Decimal("1000000.00"), Decimal("0.083500"), 1, Decimal("231.9444")) for day in MARCH[:10]
    ]
    assert sum(line.amount for line in statement.lines) == Decimal("2319.4440")
    assert statement.total == Decimal("2319.44")
    assert statement.posted == Decimal("2319.44")
    assert refreshed(account).interest_fees == Decimal("2319.44")


def test_the_total_is_rounded_once_not_a_cent_a_day():
    """123,456.78 at 6.5 % for the 30 days from the settlement date of 20 March:
    123,456.78 × 0.065 / 360 = 22.2908075 a day; × 30 = 668.724225 → 668.72. Rounding every
    day to cents would charge 22.29 × 30 = 668.70."""
    account = debtor(debt="123456.78", rate="0.06500")
    days = [datetime.date(2026, 3, 20) + datetime.timedelta(days=n) for n in range(30)]
    accrue(*days)

    statement = interest_lines(account, days[0], days[-1])
    assert {line.amount for line in statement.lines} == {Decimal("22.2908")}
    assert rounded(Decimal("123456.78") * Decimal("0.065") * 30 / 360) == Decimal("668.72")
    assert statement.total == Decimal("668.72")
    # every line posts cents, yet the period's interest and fees grow by the total rounded once
    assert {line.posted for line in statement.lines} <= {Decimal("22.29"), Decimal("22.30")}
    assert refreshed(account).interest_fees == Decimal("668.72") == statement.posted


def test_a_rate_change_splits_the_period_into_two_segments_that_sum_to_the_total():
    account = debtor()
    RateChange.objects.create(account=account, effective_date=MARCH[5], annual_rate=Decimal("0.06000"))
    accrue(*MARCH[:10])

    statement = interest_lines(account, MARCH[0], MARCH[9])
    segments = {}
    for line in statement.lines:
        segments.setdefault(line.annual_rate, []).append(line.amount)
    # 1,000,000 × 0.0835 × 5 / 360 = 1,159.7222…  and  1,000,000 × 0.06 × 5 / 360 = 833.3333…
    assert segments == {Decimal("0.083500"): [Decimal("231.9444")] * 5, Decimal("0.060000"): [Decimal("166.6667")] * 5}
    assert sum(segments[Decimal("0.083500")]) == Decimal("1159.7220")
    assert sum(segments[Decimal("0.060000")]) == Decimal("833.3335")
    assert rounded(Decimal("1000000") * Decimal("0.0835") * 5 / 360
                   + Decimal("1000000") * Decimal("0.06") * 5 / 360) == Decimal("1993.06")
    assert statement.total == Decimal("1993.06") == rounded(Decimal("1159.7220") + Decimal("833.3335"))
    assert refreshed(account).interest_fees == Decimal("1993.06")


def test_the_latest_rate_change_on_or_before_the_day_is_in_force():
    account = debtor()
    RateChange.objects.create(account=account, effective_date=datetime.date(2026, 2, 1), annual_rate=Decimal("0.072"))
    RateChange.objects.create(account=account, effective_date=MARCH[2], annual_rate=Decimal("0.05"))
    RateChange.objects.create(account=account, effective_date=MARCH[20], annual_rate=Decimal("0.09"))
    accrue(*MARCH[:4])
    rates = [line.annual_rate for line in interest_lines(account, MARCH[0], MARCH[3]).lines]
    assert rates == [Decimal("0.072000"), Decimal("0.072000"), Decimal("0.050000"), Decimal("0.050000")]


def test_a_repayment_mid_period_changes_the_principal_from_the_repayment_day():
    account = debtor()
    accrue(*MARCH[:5])
    CreditAccount.objects.filter(pk=account.pk).update(financing_debt=Decimal("600000.00"))  # repaid on 6 March
    accrue(*MARCH[5:10])

    statement = interest_lines(account, MARCH[0], MARCH[9])
    assert [line.principal for line in statement.lines] == [Decimal("1000000.00")] * 5 + [Decimal("600000.00")] * 5
    # 1,000,000 × 0.0835 × 5 / 360 + 600,000 × 0.0835 × 5 / 360 = 1,159.7222… + 695.8333… = 1,855.5555…
    assert [line.amount for line in statement.lines[5:]] == [Decimal("139.1667")] * 5
    assert rounded(Decimal("1000000") * Decimal("0.0835") * 5 / 360
                   + Decimal("600000") * Decimal("0.0835") * 5 / 360) == Decimal("1855.56")
    assert statement.total == Decimal("1855.56")
    assert refreshed(account).interest_fees == Decimal("1855.56")


def test_the_draw_day_counts_and_the_repayment_day_does_not():
    account = debtor(debt="0.00")
    accrue(MARCH[0], MARCH[1])                      # no debt yet
    CreditAccount.objects.filter(pk=account.pk).update(financing_debt=Decimal("360000.00"))  # drawn on 3 March
    accrue(MARCH[2], MARCH[3])
    CreditAccount.objects.filter(pk=account.pk).update(financing_debt=Decimal("0.00"))  # repaid on 5 March
    accrue(MARCH[4], MARCH[5])

    statement = interest_lines(account, MARCH[0], MARCH[5])
    assert [line.day for line in statement.lines] == [MARCH[2], MARCH[3]]
    assert statement.total == Decimal("167.00")  # 360,000 × 0.0835 × 2 / 360 = 167.00


def test_no_interest_before_the_contract_starts():
    account = debtor(start=MARCH[3])
    accrue(*MARCH[:5])
    assert [line.day for line in interest_lines(account, MARCH[0], MARCH[4]).lines] == [MARCH[3], MARCH[4]]


def test_penalty_interest_on_debt_not_repaid_by_maturity():
    account = debtor(maturity=MARCH[4])  # matures on 5 March
    accrue(*MARCH[3:7])

    statement = interest_lines(account, MARCH[3], MARCH[6])
    lines = [(line.day, line.kind, line.annual_rate, line.amount) for line in statement.lines]
    assert lines == [
        (MARCH[3], "interest", Decimal("0.083500"), Decimal("231.9444")),
        (MARCH[4], "interest", Decimal("0.083500"), Decimal("231.9444")),  # the maturity day itself is not overdue
        (MARCH[5], "interest", Decimal("0.083500"), Decimal("231.9444")),
        # 1,000,000.00 × 0.0005 (万分之五 a day) = 500.00, shown as 0.0005 × 360 = 18 % a year
        (MARCH[5], "penalty", Decimal("0.180000"), Decimal("500.0000")),
        (MARCH[6], "interest", Decimal("0.083500"), Decimal("231.9444")),
        (MARCH[6], "penalty", Decimal("0.180000"), Decimal("500.0000")),
    ]
    assert all(line.principal * line.annual_rate * line.days / 360 == line.amount
               for line in statement.lines if line.kind == "penalty")
    assert statement.total == Decimal("1927.78")  # 4 × 231.9444 + 2 × 500 = 1,927.7776
    assert refreshed(account).interest_fees == Decimal("1927.78")


def test_the_penalty_rate_is_per_contract():
    account = debtor(maturity=MARCH[0], penalty_rate=Decimal("0.000350"))
    accrue(MARCH[1])
    penalty = InterestAccrual.objects.get(account=account, kind="penalty")
    assert penalty.amount == Decimal("350.0000")


# --- once per account and day ----------------------------------------------------------------------

def test_accruing_a_day_twice_adds_nothing():
    account = debtor(interest_fees=Decimal("100.00"))
    assert interest_accrue(MARCH[0]) == 1
    assert interest_accrue(MARCH[0]) == 0
    assert InterestAccrual.objects.filter(account=account).count() == 1
    assert refreshed(account).interest_fees == Decimal("331.94")
    assert InterestAccrualRun.objects.get(day=MARCH[0]).lines == 1


def test_a_day_that_has_not_ended_cannot_be_accrued():
    debtor()
    today = datetime.date(2026, 7, 1)
    for day in (today, today + datetime.timedelta(days=1)):
        with pytest.raises(ValidationFailed):
            interest_accrue(day)
    assert not InterestAccrual.objects.exists()


def test_only_accounts_with_debt_accrue():
    with_debt, without = debtor(), debtor(debt="0.00")
    assert interest_accrue(MARCH[0]) == 1
    assert refreshed(without).interest_fees == Decimal("0.00")
    assert InterestAccrual.objects.get().account == with_debt


def test_the_task_accrues_yesterday_and_catches_up_missed_days():
    account = debtor()
    interest_accrue(datetime.date(2026, 6, 26))
    interest_accrue_task.delay()  # today is 1 July: 27 to 30 June were missed
    assert list(InterestAccrualRun.objects.order_by("day").values_list("day", flat=True)) == [
        datetime.date(2026, 6, day) for day in range(26, 31)]
    interest_accrue_task.delay()
    assert InterestAccrual.objects.filter(account=account).count() == 5


def test_the_task_catches_up_days_left_behind_a_day_accrued_by_hand():
    """After an outage the operator ran `accrue_interest --day` for yesterday only: the catch-up
    started after the last accrued day, so the days between were never charged (no error either)."""
    account = debtor()
    interest_accrue(datetime.date(2026, 6, 25))
    interest_accrue(datetime.date(2026, 6, 29))  # by hand on 30 June; the beat missed 26 to 29 June
    assert interest_accrue_due() == {datetime.date(2026, 6, day): 1 for day in (26, 27, 28, 30)}
    assert interest_accrue_due() == {}
    statement = interest_lines(account, datetime.date(2026, 6, 20), datetime.date(2026, 6, 30))
    assert [line.day.day for line in statement.lines] == [25, 26, 27, 28, 29, 30]
    assert statement.total == rounded(Decimal("231.9444") * 6) == Decimal("1391.67")
    assert refreshed(account).interest_fees == statement.posted == statement.total  # 1391.68 posted before


def test_a_day_filled_in_behind_later_days_still_posts_the_period_total():
    """The period's lines sum to what was charged, whichever order its days were accrued in."""
    account = debtor()
    accrue(MARCH[19], MARCH[21], MARCH[20])  # 21 March missed, filled in after 22 March
    statement = interest_lines(account, MARCH[19], MARCH[21])
    assert statement.total == rounded(Decimal("231.9444") * 3) == Decimal("695.83")
    assert refreshed(account).interest_fees == statement.posted == statement.total  # 695.84 before


def test_the_first_run_accrues_yesterday_only():
    debtor()
    assert interest_accrue_due() == {datetime.date(2026, 6, 30): 1}
    assert interest_accrue_due() == {}


def test_the_catch_up_looks_back_a_month_at_most(caplog):
    debtor()
    interest_accrue(datetime.date(2026, 4, 30))
    accrued = interest_accrue_due()
    assert len(accrued) == MAX_CATCH_UP_DAYS
    assert (min(accrued), max(accrued)) == (datetime.date(2026, 5, 31), datetime.date(2026, 6, 30))
    assert "2026-05-01 to 2026-05-30 were never accrued" in caplog.text


def test_the_command_accrues_a_given_day_once(capsys):
    account = debtor()
    with translation.override("en"):
        call_command("accrue_interest", "--day", "2026-03-01")
        call_command("accrue_interest", "--day", "2026-03-01")
    assert refreshed(account).interest_fees == Decimal("231.94")
    out = capsys.readouterr().out
    assert "2026-03-01: 1 " in out and "2026-03-01: 0 " in out


def test_a_day_whose_settlement_period_opens_before_year_1_is_accrued_not_a_traceback(capsys):
    """The 1st to the 19th of January of year 1: the period would open on the 20th of December of
    year 0 (a ValueError out of the command)."""
    account = debtor()
    with translation.override("en"):
        call_command("accrue_interest", "--day", "0001-01-01")
    assert "0001-01-01: 0 " in capsys.readouterr().out  # no contract had started
    assert refreshed(account).interest_fees == account.interest_fees


def test_the_command_refuses_a_bad_day():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("accrue_interest", "--day", "2026-02-30")
    with pytest.raises(CommandError):
        call_command("accrue_interest", "--day", "2026-07-01")


def test_a_bad_day_on_the_command_line_is_one_line_not_a_traceback(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.test", "LANGUAGE": "en",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    done = subprocess.run([sys.executable, "manage.py", "accrue_interest", "--day", "2026-13-01"],
                          cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "error: argument --day: “2026-13-01”" in done.stderr.splitlines()[-1]


def test_the_tasks_are_on_the_beat_schedule():
    from celery.schedules import crontab

    from servicedesk.celery import app

    app.loader.import_default_modules()
    scheduled = {spec["task"]: spec["schedule"] for spec in settings.CELERY_BEAT_SCHEDULE.values()}
    for name in ("interest.accrue", "reminders.send"):
        assert isinstance(scheduled[name], crontab)
        assert name in app.tasks


# --- settlement dates ------------------------------------------------------------------------------

def test_settlement_dates_are_the_20th_by_default(settings):
    assert settlement_period_start(datetime.date(2026, 3, 19)) == datetime.date(2026, 2, 20)
    assert settlement_period_start(datetime.date(2026, 3, 20)) == datetime.date(2026, 3, 20)
    assert settlement_period_start(datetime.date(2026, 1, 5)) == datetime.date(2025, 12, 20)
    assert settlement_dates(datetime.date(2026, 1, 1), datetime.date(2026, 3, 20)) == [
        datetime.date(2026, 1, 20), datetime.date(2026, 2, 20), datetime.date(2026, 3, 20)]
    settings.INTEREST_SETTLEMENT_DAY = 21
    assert settlement_dates(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31)) == [datetime.date(2026, 1, 21)]


def test_a_settlement_period_posts_exactly_its_total():
    account = debtor(debt="123456.78", rate="0.06500")
    days = [datetime.date(2026, 2, 20) + datetime.timedelta(days=n) for n in range(28 + 31)]  # 20 Feb to 19 Apr
    accrue(*days)
    february = interest_lines(account, datetime.date(2026, 2, 20), datetime.date(2026, 3, 19))
    march = interest_lines(account, datetime.date(2026, 3, 20), datetime.date(2026, 4, 19))
    assert february.posted == february.total and march.posted == march.total
    assert refreshed(account).interest_fees == february.total + march.total


# --- the API: the evidence in an interest dispute --------------------------------------------------

def test_the_api_lists_the_lines_that_sum_to_the_total(api, client_profile):
    account = debtor(client=client_profile)
    RateChange.objects.create(account=account, effective_date=MARCH[5], annual_rate=Decimal("0.06000"))
    accrue(*MARCH[:10])

    response = api.as_user(client_profile.user).get(f"/api/v1/accounts/{account.account_no}/interest/",
                                                    {"from": "2026-03-01", "to": "2026-03-10"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["account"], body["from"], body["to"]) == (account.account_no, "2026-03-01", "2026-03-10")
    assert body["lines"][0] == {"day": "2026-03-01", "kind": "interest", "principal": "1000000.00",
                                "annual_rate": "0.083500", "rate": "0.083500", "days": 1, "amount": "231.9444",
                                "posted": "231.94"}
    assert len(body["lines"]) == 10
    assert body["total"] == "1993.06"
    assert rounded(sum(Decimal(line["amount"]) for line in body["lines"])) == Decimal(body["total"])
    assert sum(Decimal(line["posted"]) for line in body["lines"]) == Decimal(body["posted"])


def test_each_line_gives_its_rate_by_the_name_the_dispute_evidence_uses(api, client_profile):
    """The lines are "(principal, rate, days, amount)": `rate` next to `annual_rate`, the same value."""
    account = debtor(client=client_profile)
    RateChange.objects.create(account=account, effective_date=MARCH[5], annual_rate=Decimal("0.06000"))
    accrue(*MARCH[:10])
    lines = api.as_user(client_profile.user).get(f"/api/v1/accounts/{account.account_no}/interest/",
                                                 {"from": "2026-03-01", "to": "2026-03-10"}).json()["lines"]
    assert [line["rate"] for line in lines] == [line["annual_rate"] for line in lines]
    assert {line["rate"] for line in lines} == {"0.083500", "0.060000"}


def test_the_api_defaults_to_the_settlement_period_so_far(api, agent):
    account = debtor()
    accrue(datetime.date(2026, 6, 19), datetime.date(2026, 6, 20), datetime.date(2026, 6, 30))
    body = api.as_user(agent).get(f"/api/v1/accounts/{account.account_no}/interest/").json()
    assert (body["from"], body["to"]) == ("2026-06-20", "2026-06-30")
    assert [line["day"] for line in body["lines"]] == ["2026-06-20", "2026-06-30"]


def test_the_statement_says_which_days_are_not_accrued_yet(api, agent):
    """After an outage (or before the night's run) the missing days had no line and the total was
    short, yet the statement claimed to cover them: a day not accrued looked like a day without debt."""
    account = debtor()
    accrue(MARCH[0], MARCH[1], MARCH[3])  # 3 March missed, 5 March not accrued yet
    body = api.as_user(agent).get(f"/api/v1/accounts/{account.account_no}/interest/",
                                  {"from": "2026-03-01", "to": "2026-03-05"}).json()
    assert [line["day"] for line in body["lines"]] == ["2026-03-01", "2026-03-02", "2026-03-04"]
    assert body["not_accrued"] == ["2026-03-03", "2026-03-05"]

    accrue(MARCH[2], MARCH[4])
    body = api.as_user(agent).get(f"/api/v1/accounts/{account.account_no}/interest/",
                                  {"from": "2026-03-01", "to": "2026-03-05"}).json()
    assert body["not_accrued"] == [] and body["total"] == str(rounded(Decimal("231.9444") * 5))

    accrue(datetime.date(2026, 6, 29))  # today is 1 July: the night's run of 30 June has not happened
    body = api.as_user(agent).get(f"/api/v1/accounts/{account.account_no}/interest/",
                                  {"from": "2026-06-29"}).json()
    assert (body["to"], body["not_accrued"]) == ("2026-06-30", ["2026-06-30"])


def test_another_clients_account_is_not_found(api, client_profile, other_client_profile):
    theirs = debtor(client=other_client_profile)
    response = api.as_user(client_profile.user).get(f"/api/v1/accounts/{theirs.account_no}/interest/",
                                                    {"from": "2026-03-01", "to": "2026-03-10"})
    assert response.status_code == 404


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-02-30", "to": "2026-03-10"}, "from"),
    ({"from": "2026-03-01", "to": "yesterday"}, "to"),
    ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
    ({"from": "2025-01-01", "to": "2026-03-01"}, "to"),
    ({"to": "0001-01-01"}, "to"),  # a 500: the settlement period of this day would open in year 0
    ({"to": "0001-01-19"}, "to"),
])
def test_bad_dates_are_refused_with_the_field(api, agent, query, field):
    account = debtor()
    response = api.as_user(agent).get(f"/api/v1/accounts/{account.account_no}/interest/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_anonymous_callers_are_refused(api):
    account = debtor()
    assert api.get(f"/api/v1/accounts/{account.account_no}/interest/").status_code == 401


# --- reminders -------------------------------------------------------------------------------------

def run_reminders(first: datetime.date, last: datetime.date, times: int = 2):
    day = first
    while day <= last:
        for _ in range(times):
            reminders_send(day)
        day += datetime.timedelta(days=1)


def test_stages():
    assert [stage_for(days) for days in (0, 1, 2, 7, 8, 14, 15)] == [None, 1, 7, 7, 14, 14, None]


def test_maturity_reminders_14_7_and_1_days_before_each_once():
    account = debtor(maturity=datetime.date(2026, 5, 15))
    run_reminders(datetime.date(2026, 4, 25), datetime.date(2026, 5, 16))

    sent = Reminder.objects.filter(account=account, kind="maturity")
    assert list(sent.order_by("-days_before").values_list("days_before", "due_date")) == [
        (14, datetime.date(2026, 5, 15)), (7, datetime.date(2026, 5, 15)), (1, datetime.date(2026, 5, 15))]
    assert [r.sent_at.astimezone(SH).date() for r in sent.order_by("-days_before")] == [datetime.date(2026, 7, 1)] * 3
    notices = Notification.objects.filter(event="contract_maturity_reminder", recipient_client=account.client)
    assert sorted(notices.values_list("channel", flat=True)) == ["email", "email", "email", "sms", "sms", "sms"]
    assert set(notices.values_list("status", flat=True)) == {"pending"}


def test_the_reminder_days_are_the_right_ones():
    account = debtor(maturity=datetime.date(2026, 5, 15))
    sent_on = {}
    day = datetime.date(2026, 4, 25)
    while day <= datetime.date(2026, 5, 16):
        before = set(Reminder.objects.filter(account=account, kind="maturity").values_list("days_before", flat=True))
        reminders_send(day)
        after = set(Reminder.objects.filter(account=account, kind="maturity").values_list("days_before", flat=True))
        for stage in after - before:
            sent_on[stage] = day
        day += datetime.timedelta(days=1)
    assert sent_on == {14: datetime.date(2026, 5, 1), 7: datetime.date(2026, 5, 8), 1: datetime.date(2026, 5, 14)}


def test_a_missed_day_is_caught_up_and_an_earlier_stage_is_not_sent_late():
    late = debtor(maturity=datetime.date(2026, 5, 15))
    reminders_send(datetime.date(2026, 5, 3))  # the run of 1 May was missed: the 14-day reminder goes now
    assert list(Reminder.objects.filter(account=late, kind="maturity").values_list("days_before", flat=True)) == [14]
    notice = Notification.objects.get(event="contract_maturity_reminder", channel="sms")
    assert notice.language == "zh-hans" and "还有 12 天" in notice.body  # the client's language, the real count

    very_late = debtor(maturity=datetime.date(2026, 5, 20))
    reminders_send(datetime.date(2026, 5, 14))  # 6 days ahead: the 7-day stage, never the 14-day one
    assert list(Reminder.objects.filter(account=very_late, kind="maturity").values_list(
        "days_before", flat=True)) == [7]


def test_no_maturity_reminder_without_debt():
    repaid = debtor(debt="0.00", maturity=datetime.date(2026, 5, 15))
    reminders_send(datetime.date(2026, 5, 1))
    assert not Reminder.objects.filter(account=repaid).exists()


def test_a_contract_with_shares_lent_or_interest_owed_is_reminded_of_its_maturity():
    """No financing debt, but shares lent (融券) or interest still owed: both fall due at maturity."""
    from accounts.models import Position
    from tests.factories import PositionFactory

    short_seller = debtor(debt="0.00", maturity=datetime.date(2026, 5, 15))
    PositionFactory(account=short_seller, kind=Position.Kind.SHORT, quantity=1000)
    owing_interest = debtor(debt="0.00", interest_fees=Decimal("12.34"), maturity=datetime.date(2026, 5, 15))
    reminders_send(datetime.date(2026, 5, 1))
    assert set(Reminder.objects.filter(kind="maturity").values_list("account", "days_before")) == {
        (short_seller.pk, 14), (owing_interest.pk, 14)}


def test_a_short_position_returned_to_zero_shares_is_not_reminded_to_repay():
    """positions.csv may report a closed short as 0 shares: nothing is lent, nothing to repay, so no
    "repay the financing debt or apply for an extension" message to a client who owes nothing."""
    from accounts.models import Position
    from tests.factories import PositionFactory

    returned = debtor(debt="0.00", maturity=datetime.date(2026, 5, 15))
    PositionFactory(account=returned, kind=Position.Kind.SHORT, quantity=0)
    assert reminders_send(datetime.date(2026, 5, 1)) == 0
    assert not Reminder.objects.filter(account=returned).exists()
    assert not Notification.objects.filter(recipient_client=returned.client).exists()


def test_settlement_reminders_before_the_20th_each_once():
    owing_interest = debtor(debt="0.00", interest_fees=Decimal("12.34"))
    nothing_owed = debtor(debt="0.00")
    borrower = debtor()
    run_reminders(datetime.date(2026, 6, 1), datetime.date(2026, 6, 21))

    for account in (owing_interest, borrower):
        sent = Reminder.objects.filter(account=account, kind="interest_settlement")
        assert sorted(sent.values_list("days_before", "due_date")) == [
            (1, datetime.date(2026, 6, 20)), (7, datetime.date(2026, 6, 20)), (14, datetime.date(2026, 6, 20))]
    assert not Reminder.objects.filter(account=nothing_owed).exists()
    assert Notification.objects.filter(event="interest_settlement_reminder").count() == 2 * 3 * 2


def test_notifications_are_in_the_clients_language_with_their_contacts():
    english = debtor(maturity=datetime.date(2026, 5, 15),
                     client=ClientProfileFactory(language="en", email="", phone="13900000001"))
    chinese = debtor(maturity=datetime.date(2026, 5, 15), client=ClientProfileFactory(language="zh-hans"))
    assert reminders_send(datetime.date(2026, 5, 1)) == 2

    english_notices = Notification.objects.filter(recipient_client=english.client)
    assert [(n.channel, n.address, n.language) for n in english_notices] == [("sms", "13900000001", "en")]
    sms = english_notices.get()
    assert english.account_no in sms.body and "May 15, 2026" in sms.body and "in 14 days" in sms.body
    assert sms.data == {"account_no": english.account_no, "kind": "maturity", "due_date": "2026-05-15",
                        "days_before": 14, "reminder_id": Reminder.objects.get(account=english).pk}

    chinese_notices = Notification.objects.filter(recipient_client=chinese.client)
    assert sorted(chinese_notices.values_list("channel", "address")) == [
        ("email", chinese.client.email), ("sms", chinese.client.phone)]
    email = chinese_notices.get(channel="email")
    assert email.language == "zh-hans"
    assert "2026年5月15日" in email.subject and "2026年5月15日" in email.body and chinese.account_no in email.body


def test_a_reminder_template_greeting_the_client_by_name_names_each_client():
    """`{{ client_name }}` and `{{ client_no }}` are placeholders every notice has (the admin offers them and
    its preview fills them in): a supervisor who greets the client in the reminder's text must not send
    "尊敬的：" to every client of the run."""
    from notifications.models import NotificationTemplate

    NotificationTemplate.objects.filter(event="contract_maturity_reminder", language="zh-hans").update(
        body="尊敬的{{ client_name }}（客户号 {{ client_no }}）：信用账户 {{ account_no }} 的合约将于 {{ due_date }} 到期。")
    NotificationTemplate.objects.filter(event="contract_maturity_reminder", language="en").update(
        body="Dear {{ client_name }}, credit account {{ account_no }} matures on {{ due_date }}.")
    wang = debtor(maturity=datetime.date(2026, 5, 15), client=ClientProfileFactory(name="王小明", client_no="C900001"))
    smith = debtor(maturity=datetime.date(2026, 5, 15),
                   client=ClientProfileFactory(name="Ann Smith", client_no="C900002", language="en"))
    assert reminders_send(datetime.date(2026, 5, 1)) == 2

    for notice in Notification.objects.filter(recipient_client=wang.client):
        assert notice.body == f"尊敬的王小明（客户号 C900001）：信用账户 {wang.account_no} 的合约将于 2026年5月15日 到期。"
    for notice in Notification.objects.filter(recipient_client=smith.client):
        assert notice.body == f"Dear Ann Smith, credit account {smith.account_no} matures on May 15, 2026."


def test_a_long_subject_with_the_clients_name_is_cut_to_the_subject_length():
    """The name goes in after the text is rendered (and cut to 200 characters): a long name must not
    make the whole run fail on the subject's length."""
    from notifications.models import NotificationTemplate

    NotificationTemplate.objects.filter(event="contract_maturity_reminder", language="zh-hans").update(
        subject="{{ client_name }}：" + "合约到期提醒" * 29)
    account = debtor(maturity=datetime.date(2026, 5, 15), client=ClientProfileFactory(name="欧阳" * 40))
    assert reminders_send(datetime.date(2026, 5, 1)) == 1
    email = Notification.objects.get(recipient_client=account.client, channel="email")
    assert len(email.subject) == 200 and email.subject.startswith("欧阳" * 40 + "：合约到期提醒")


def test_the_reminder_task_runs_for_today():
    account = debtor(maturity=datetime.date(2026, 7, 15))  # today is 1 July: 14 days
    assert reminders_send_task.delay().get() == 1
    assert reminders_send_task.delay().get() == 0
    assert Reminder.objects.get(account=account).days_before == 14


# --- concurrency (PostgreSQL) ----------------------------------------------------------------------

@pytest.mark.postgres(reason="concurrent runs need PostgreSQL (set DATABASE_URL); SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_accruals_of_a_day_charge_once():
    accounts = [debtor() for _ in range(30)]
    rounds = [run_together(lambda: interest_accrue(MARCH[0]), lambda: interest_accrue(MARCH[0]))
              for _ in range(3)]
    assert sorted(rounds[0]) == [0, 30] and rounds[1:] == [[0, 0], [0, 0]], rounds
    assert InterestAccrual.objects.count() == 30
    assert {refreshed(a).interest_fees for a in accounts} == {Decimal("231.94")}


@pytest.mark.postgres(reason="concurrent runs need PostgreSQL (set DATABASE_URL); SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_catch_ups_accrue_each_day_once():
    account = debtor()
    interest_accrue(datetime.date(2026, 6, 20))
    results = run_together(interest_accrue_due, interest_accrue_due)
    assert not any(isinstance(r, Exception) for r in results), results
    assert InterestAccrual.objects.filter(account=account).count() == 11  # 20 to 30 June
    expected = rounded(Decimal("231.9444") * 11)
    assert refreshed(account).interest_fees == expected


@pytest.mark.postgres(reason="concurrent runs need PostgreSQL (set DATABASE_URL); SQLite runs one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_reminder_runs_send_each_once():
    accounts = [debtor(maturity=datetime.date(2026, 5, 15)) for _ in range(20)]
    results = run_together(lambda: reminders_send(datetime.date(2026, 5, 1)),
                           lambda: reminders_send(datetime.date(2026, 5, 1)))
    assert sorted(results) == [0, 20], results
    assert Reminder.objects.filter(account__in=accounts, kind="maturity").count() == 20
    assert Notification.objects.filter(event="contract_maturity_reminder").count() == 40


def test_staff_roles_see_any_account(api):
    auditor = UserFactory(roles=[Role.AUDITOR])
    account = debtor()
    assert api.as_user(auditor).get(f"/api/v1/accounts/{account.account_no}/interest/").status_code == 200


def test_a_client_with_no_e_mail_and_no_phone_is_on_the_record_as_not_reminded():
    """No row at all was written for such a client: nothing showed the reminder could not be sent.
    Now one e-mail row is kept, given up by the outbox with the reason."""
    from notifications.delivery import notifications_resend
    from notifications.policy import NO_CONTACT

    account = debtor(maturity=datetime.date(2026, 5, 15), client=ClientProfileFactory(email="", phone=""))
    reminders_send(datetime.date(2026, 5, 1))
    notices = Notification.objects.filter(event="contract_maturity_reminder", recipient_client=account.client)
    assert list(notices.values_list("channel", "address")) == [("email", "")]
    notifications_resend()
    assert list(notices.values_list("status", "error")) == [("gave_up", NO_CONTACT)]
