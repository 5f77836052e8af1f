"""An operator at the commands the README gives them: the core system's imports with the files a real
export leaves behind (what the client chose on the portal survives the nightly file; a name in the
directory that is not a readable file is refused, not passed over; a bad value is repeated short),
every command's --help, and a day accrued by hand that the daily run must not build on."""

import datetime
import io
import os
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import ManagementUtility, call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.utils import translation

from accounts.interest import interest_accrue
from accounts.models import ClientProfile, InterestAccrual, InterestAccrualRun, Security
from tests.factories import ClientProfileFactory, CreditAccountFactory, SecurityFactory
from tests.import_commands import rejected

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

CLIENTS_HEADER = "client_no,name,id_number,phone,email,tier,risk_rating,advisor,language\n"
CLIENTS = "clients.csv"
SECURITIES = "securities.csv"
SECURITY_ROWS = "symbol,name,exchange,haircut,price\n600000,浦发银行,SSE,0.65,10.50\n"


def run_import(directory) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_accounts", str(directory), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_blank_language_in_the_clients_file_keeps_the_language_the_client_chose(tmp_path, api):
    """The client chose English for their messages on the portal; the core system's nightly file, which
    knows nothing of that choice, left the cell blank, and the import put the client back to Chinese:
    the next margin-call SMS came in a language the client had turned away from."""
    client = ClientProfileFactory(client_no="C100", name="Li Si", language="zh-hans")
    response = api.as_user(client.user).patch("/api/v1/notifications/preferences/", {"language": "en"},
                                              format="json")
    assert response.status_code == 200
    (tmp_path / CLIENTS).write_text(
        CLIENTS_HEADER
        + f"C100,Li Si,{client.id_number},{client.phone},{client.email},standard,,,\n"
        + "C200,王五,110101198001010033,13800000003,,standard,,,\n", encoding="utf-8")

    out = run_import(tmp_path)

    assert "clients.csv: 1 created, 0 updated, 1 unchanged, 0 deleted" in out
    assert ClientProfile.objects.get(client_no="C100").language == "en"
    assert api.as_user(client.user).get("/api/v1/notifications/preferences/").data["language"] == "en"
    assert ClientProfile.objects.get(client_no="C200").language == "zh-hans"  # new: the firm's language

    # A language the file does state is the core system's word, and is applied.
    (tmp_path / CLIENTS).write_text(
        CLIENTS_HEADER + f"C100,Li Si,{client.id_number},{client.phone},{client.email},standard,,,zh-hans\n",
        encoding="utf-8")
    assert "clients.csv: 0 created, 1 updated, 0 unchanged, 0 deleted" in run_import(tmp_path)
    assert ClientProfile.objects.get(client_no="C100").language == "zh-hans"


def _directory(tmp_path):
    (tmp_path / CLIENTS).mkdir()
    return tmp_path


def _dangling_link(tmp_path):
    os.symlink(tmp_path / "export-not-finished.csv", tmp_path / CLIENTS)
    return tmp_path


def _pipe(tmp_path):
    os.mkfifo(tmp_path / CLIENTS)
    return tmp_path


@pytest.mark.parametrize("make_clients", [_directory, _dangling_link, _pipe],
                         ids=["a directory", "a dangling link", "a named pipe"])
def test_an_import_file_name_that_is_not_a_file_is_refused_not_skipped(tmp_path, make_clients):
    """securities.csv next to a clients.csv that was a directory, a link to an export that never
    arrived, or a pipe: the import said "securities.csv: 1 created …", exit status 0, and the operator
    took the clients as imported."""
    (tmp_path / SECURITIES).write_text(SECURITY_ROWS, encoding="utf-8")
    directory = make_clients(tmp_path)

    with translation.override("en"), pytest.raises(CommandError) as failure:
        call_command("import_accounts", str(directory), stdout=io.StringIO(), stderr=io.StringIO())

    assert failure.value.returncode == 1
    assert str(failure.value) == f"{directory / CLIENTS} is not a file"
    assert not Security.objects.exists()  # the good file next to it is not imported alone either



def test_an_import_file_named_in_capitals_is_refused_not_skipped(tmp_path):
    """A Windows export left Positions.csv next to clients.csv: the clients were imported, the positions
    passed over without a word, exit status 0."""
    (tmp_path / SECURITIES).write_text(SECURITY_ROWS, encoding="utf-8")
    (tmp_path / "Positions.csv").write_text("account_no,symbol,quantity,kind\n", encoding="utf-8")

    with translation.override("en"), pytest.raises(CommandError) as failure:
        call_command("import_accounts", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())

    assert failure.value.returncode == 1
    assert str(failure.value) == (f"{tmp_path / 'Positions.csv'} would not be imported under that name: "
                                  "rename it positions.csv")
    assert not Security.objects.exists()

#: The commands the README gives an operator.
OPERATOR_COMMANDS = ["import_accounts", "import_prices", "add_user", "seed_demo", "run_periodic", "sla_sweep",
                     "sla_rebuild", "accrue_interest", "ingest_email", "margin_call_deadlines", "run_monitoring"]


@pytest.mark.parametrize("name", OPERATOR_COMMANDS)
def test_every_operator_command_shows_its_help(name, capsys):
    """`manage.py add_user --help` and `manage.py seed_demo --help` ended in a traceback (TypeError:
    expected string, got '__proxy__'): an operator looking up the options of add_user found none."""
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", name, "--help"]).execute()

    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: manage.py {name}")
    assert " ".join(str(load_command_class(get_commands()[name], name).help).split()) in " ".join(out.split())


def test_a_bad_value_is_repeated_short_and_with_its_control_characters_spelled_out(tmp_path):
    """A runaway cell (5,000 digits; a stray quote can make one of 128 KB) was repeated whole in its
    message, a line per bad row, flooding the terminal; a NUL was written out raw, so the operator read
    “"12.5 " is not a number” and saw nothing wrong with 12.5."""
    SecurityFactory(symbol="600000")
    prices = tmp_path / "prices.csv"
    prices.write_text("symbol,price,as_of\n"
                      "600000," + "9" * 5000 + ",2026-01-05T15:00:00+08:00\n"
                      "600000,12.5\x00,2026-01-06T15:00:00+08:00\n", encoding="utf-8")

    lines = rejected("import_prices", prices)

    assert lines == ['prices.csv:2: price: "' + "9" * 40 + '…" is too large',
                     'prices.csv:3: price: "12.5\\x00" is not a number']


def test_an_old_day_accrued_by_hand_does_not_make_the_daily_run_charge_the_days_before_go_live(capsys):
    """The desk accrued from 25 June on; an operator typed `accrue_interest --day 2026-06-05` (for
    06-30). The next daily run took 5 June for the first accrued day and charged every day from 6 to
    24 June too, on today's balances: 19 days of interest nobody had asked for."""
    with time_machine.travel(datetime.datetime(2026, 7, 1, 10, tzinfo=SHANGHAI), tick=True):
        account = CreditAccountFactory(financing_debt=Decimal("1000000.00"), annual_rate=Decimal("0.08350"),
                                       contract_start=datetime.date(2026, 1, 1),
                                       contract_maturity=datetime.date(2026, 12, 31))
        for day in range(25, 30):  # the daily task from go-live on
            interest_accrue(datetime.date(2026, 6, day))
        with translation.override("en"):
            call_command("accrue_interest", "--day", "2026-06-05")
            capsys.readouterr()

            call_command("accrue_interest")  # what the 00:30 task runs

        assert capsys.readouterr().out.splitlines() == ["2026-06-30: 1 line(s) added."]
        assert sorted(InterestAccrualRun.objects.values_list("day", flat=True)) == [
            datetime.date(2026, 6, day) for day in (5, 25, 26, 27, 28, 29, 30)]
        assert InterestAccrual.objects.filter(account=account).count() == 7


def test_a_price_file_that_is_not_there_is_said_to_be_missing_not_to_be_no_file(tmp_path):
    """A mistyped name, or the feed's file not delivered yet: "is not a file" sent the operator
    looking at what the path was."""
    missing = tmp_path / "prices-2026-11-27.csv"
    for path, reason in ((missing, f"{missing} does not exist"), (tmp_path, f"{tmp_path} is not a file")):
        with translation.override("en"), pytest.raises(CommandError) as failure:
            call_command("import_prices", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        assert failure.value.returncode == 1 and str(failure.value) == reason


def test_run_periodic_once_exits_1_when_a_job_failed_after_running_the_others(settings, monkeypatch):
    """`run_periodic --once` from cron or a script: the SLA sweep failed, its error went to stderr, and
    the exit status was 0, so nothing that watches the status ever learned of it."""
    from servicedesk.celery import app

    app.loader.import_default_modules()
    settings.CELERY_BEAT_SCHEDULE = {name: settings.CELERY_BEAT_SCHEDULE[name]
                                     for name in ("sla-sweep", "tickets-close-resolved")}

    def sweep_fails(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(app.tasks["sla.sweep"], "run", sweep_fails)
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as failure:
        call_command("run_periodic", "--once", stdout=out, stderr=err)

    assert failure.value.returncode == 1
    assert str(failure.value) == "1 periodic job(s) failed: sla-sweep."
    assert "sla-sweep: RuntimeError('the database went away')" in err.getvalue()
    assert "tickets-close-resolved: ok" in out.getvalue()  # the other jobs still ran

    monkeypatch.undo()
    call_command("run_periodic", "--once", stdout=io.StringIO(), stderr=io.StringIO())  # all ran: exit 0


def test_an_import_directory_that_is_not_there_is_said_to_be_missing_not_to_be_no_directory(tmp_path):
    """Tonight's export directory not delivered yet, or its name mistyped: "is not a directory" sent the
    operator looking at what the path was, as it had for a price file."""
    missing = tmp_path / "core-2026-11-27"
    (tmp_path / "clients.csv").write_text(CLIENTS_HEADER, encoding="utf-8")
    for path, reason in ((missing, f"{missing} does not exist"),
                         (tmp_path / "clients.csv", f"{tmp_path / 'clients.csv'} is not a directory")):
        with translation.override("en"), pytest.raises(CommandError) as failure:
            call_command("import_accounts", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        assert failure.value.returncode == 1 and str(failure.value) == reason
