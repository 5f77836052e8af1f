"""Imports from the core system: `import_accounts DIR` and `import_prices FILE` (accounts/importers)."""

import datetime
import io
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from accounts.importers import prices_import
from accounts.models import ClientProfile, CreditAccount, Position, Security, SecurityPrice
from accounts.roles import Role
from tests.factories import ClientProfileFactory, CreditAccountFactory, PositionFactory, SecurityFactory, UserFactory
from tests.import_commands import rejected

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))

pytestmark = pytest.mark.django_db
D = Decimal
PROJECT = Path(__file__).resolve().parents[2]
ISSUE_LINE = re.compile(r"^[\w.]+:\d+: [\w,-]+: .+$")

CLIENTS = """\
client_no,name,id_number,phone,email,tier,risk_rating,advisor,language
C100,张三,110101198001010011,13800000001,zs@example.com,vip,C4,advisor1,zh-hans
C200,Li Si,110101198001010022,13800000002,,standard,,,en
"""
SECURITIES = """\
symbol,name,exchange,haircut,price
600000,浦发银行,SSE,0.65,10.50
000001,平安银行,SZSE,0.6,12.3
"""
CREDIT_ACCOUNTS = """\
account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate,contract_start,contract_maturity,warning_line,close_out_line
A100,C100,HT100,1000000,5000.00,200000,100.50,0.0835,2024-01-02,2024-07-02,1.45,
A200,C200,HT200,500000,0,0,0,0.0835,2024-01-02,2024-07-02,,
"""
POSITIONS = """\
account_no,symbol,quantity,kind
A100,600000,10000,long
A100,000001,500,short
A200,600000,100,long
"""
GOOD = {"clients.csv": CLIENTS, "securities.csv": SECURITIES, "credit_accounts.csv": CREDIT_ACCOUNTS,
        "positions.csv": POSITIONS}


def write(directory: Path, files: dict[str, str], encoding: str = "utf-8") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_bytes(text.encode(encoding))
    return directory


def run(command: str, path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command(command, str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def nothing_written():
    return not (ClientProfile.objects.exists() or Security.objects.exists() or CreditAccount.objects.exists()
                or Position.objects.exists())


# --- good files ---------------------------------------------------------------------------------

def test_good_files_create_clients_securities_accounts_and_positions(tmp_path, advisor):
    out, err = run("import_accounts", write(tmp_path, GOOD))

    assert out.splitlines() == [
        "clients.csv: 2 created, 0 updated, 0 unchanged, 0 deleted",
        "securities.csv: 2 created, 0 updated, 0 unchanged, 0 deleted",
        "credit_accounts.csv: 2 created, 0 updated, 0 unchanged, 0 deleted",
        "positions.csv: 3 created, 0 updated, 0 unchanged, 0 deleted",
    ]
    assert err == ""
    zhang = ClientProfile.objects.get(client_no="C100")
    assert (zhang.name, zhang.tier, zhang.advisor, zhang.language) == ("张三", "vip", advisor, "zh-hans")
    li = ClientProfile.objects.get(client_no="C200")
    assert (li.email, li.advisor, li.language, li.risk_rating) == ("", None, "en", "")
    account = CreditAccount.objects.get(account_no="A100")
    assert account.client == zhang
    assert account.interest_fees == D("100.50") and isinstance(account.interest_fees, Decimal)
    assert account.annual_rate == D("0.08350")
    assert account.contract_maturity == datetime.date(2024, 7, 2)
    assert account.warning_line == D("1.4500")
    assert account.close_out_line is None  # empty: the firm's default applies
    assert account.line("close_out") == D("1.30")
    security = Security.objects.get(symbol="000001")
    assert (security.exchange, security.haircut, security.price) == ("SZSE", D("0.6000"), D("12.3000"))
    short = Position.objects.get(account=account, security=security)
    assert (short.kind, short.quantity) == ("short", 500)


def test_importing_the_same_files_again_changes_nothing(tmp_path, advisor):
    directory = write(tmp_path, GOOD)
    run("import_accounts", directory)
    stamps = {c.client_no: c.updated_at for c in ClientProfile.objects.all()}
    account_stamps = {a.account_no: a.updated_at for a in CreditAccount.objects.all()}
    positions = set(Position.objects.values_list("id", "quantity"))

    out, _err = run("import_accounts", directory)

    for line in out.splitlines():
        assert " 0 created, 0 updated," in line and line.endswith(" 0 deleted")
    assert "clients.csv: 0 created, 0 updated, 2 unchanged, 0 deleted" in out
    assert "positions.csv: 0 created, 0 updated, 3 unchanged, 0 deleted" in out
    assert {c.client_no: c.updated_at for c in ClientProfile.objects.all()} == stamps
    assert {a.account_no: a.updated_at for a in CreditAccount.objects.all()} == account_stamps
    assert set(Position.objects.values_list("id", "quantity")) == positions


def test_a_changed_row_is_updated_and_only_it(tmp_path, advisor):
    run("import_accounts", write(tmp_path / "first", GOOD))
    before = {c.client_no: c.updated_at for c in ClientProfile.objects.all()}

    changed = CLIENTS.replace("13800000002", "13900000002")
    out, _err = run("import_accounts", write(tmp_path / "second", {"clients.csv": changed}))

    assert out.strip() == "clients.csv: 0 created, 1 updated, 1 unchanged, 0 deleted"
    assert ClientProfile.objects.get(client_no="C200").phone == "13900000002"
    assert ClientProfile.objects.get(client_no="C200").updated_at > before["C200"]
    assert ClientProfile.objects.get(client_no="C100").updated_at == before["C100"]


def test_references_may_point_at_rows_already_in_the_database(tmp_path):
    client = ClientProfileFactory(client_no="C900")
    SecurityFactory(symbol="600519")
    files = {
        "credit_accounts.csv": CREDIT_ACCOUNTS.splitlines()[0] + "\nA900,C900,HT900,1000,0,0,0,0.08,2024-01-02,"
                                                                  "2024-07-02,,\n",
        "positions.csv": "account_no,symbol,quantity,kind\nA900,600519,300,long\n",
    }
    out, _err = run("import_accounts", write(tmp_path, files))

    assert "credit_accounts.csv: 1 created" in out and "positions.csv: 1 created" in out
    assert CreditAccount.objects.get(account_no="A900").client == client
    assert Position.objects.get(account__account_no="A900").security.symbol == "600519"


def test_columns_in_any_order_and_unknown_columns_are_ignored(tmp_path):
    files = {"securities.csv": "price,branch,symbol,haircut,exchange,name\n9.99,上海分公司,600036,0.7,sse,招商银行\n"}
    out, _err = run("import_accounts", write(tmp_path, files))

    assert "securities.csv: 1 created" in out
    security = Security.objects.get(symbol="600036")
    assert (security.name, security.exchange, security.price, security.haircut) == ("招商银行", "SSE", D("9.99"),
                                                                                   D("0.70"))


def test_optional_line_columns_left_out_keep_the_accounts_own_lines(tmp_path, client_profile):
    account = CreditAccountFactory(account_no="A300", client=client_profile, warning_line=D("1.50"))
    header = "account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate," \
             "contract_start,contract_maturity,attention_line\n"
    row = f"A300,{client_profile.client_no},HT300,1000,0,0,0,0.08,2024-01-02,2024-07-02,1.6\n"
    run("import_accounts", write(tmp_path, {"credit_accounts.csv": header + row}))

    account.refresh_from_db()
    assert account.warning_line == D("1.5000")
    assert account.attention_line == D("1.6000")


def test_a_blank_line_cell_is_checked_as_the_firms_default_it_writes(tmp_path, client_profile):
    """The account's own attention line was 160 %; tonight's file leaves its cell blank (back to the
    firm's 150 %) and sets the warning line to 155 %. The check read the blank as the stored 160 % and
    let it through: the account was left warned above its attention line, which no door accepts."""
    account = CreditAccountFactory(account_no="A310", client=client_profile, attention_line=D("1.60"),
                                   warning_line=D("1.45"))
    header = "account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate," \
             "contract_start,contract_maturity,attention_line,warning_line\n"
    row = f"A310,{client_profile.client_no},HT310,1000,0,0,0,0.08,2024-01-02,2024-07-02,,1.55\n"

    assert rejected("import_accounts", write(tmp_path, {"credit_accounts.csv": header + row})) == [
        "credit_accounts.csv:2: warning_line: must be below the attention line (150.00%)"]
    account.refresh_from_db()
    assert (account.attention_line, account.warning_line) == (D("1.6000"), D("1.4500"))

    row = f"A310,{client_profile.client_no},HT310,1000,0,0,0,0.08,2024-01-02,2024-07-02,,1.48\n"
    run("import_accounts", write(tmp_path, {"credit_accounts.csv": header + row}))
    account.refresh_from_db()
    assert (account.attention_line, account.warning_line) == (None, D("1.4800"))


def test_a_line_far_above_any_real_one_is_refused_naming_its_cell(tmp_path, client_profile):
    """99 written for 0.99 (a withdrawal line of 9,900 %) was stored; a stress mode then raised it past
    what a line holds and every revaluation failed for every account."""
    header = "account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate," \
             "contract_start,contract_maturity,withdrawal_line\n"
    row = f"A320,{client_profile.client_no},HT320,1000,0,0,0,0.08,2024-01-02,2024-07-02,99\n"

    assert rejected("import_accounts", write(tmp_path, {"credit_accounts.csv": header + row})) == [
        "credit_accounts.csv:2: withdrawal_line: must be at most 1000.00%"]
    assert not CreditAccount.objects.filter(account_no="A320").exists()


def test_a_changed_reference_price_clears_its_time_so_the_next_feed_applies(tmp_path):
    security = SecurityFactory(symbol="600000", price=D("10.50"))
    SecurityFactory(symbol="000001", price=D("11.00"))
    run("import_accounts", write(tmp_path, {"securities.csv": SECURITIES}))

    security.refresh_from_db()
    assert security.price_as_of is not None  # same price: untouched
    changed = Security.objects.get(symbol="000001")
    assert (changed.price, changed.price_as_of) == (D("12.3000"), None)


# --- encodings ----------------------------------------------------------------------------------

def test_gb18030_files_are_read_as_gb18030(tmp_path, advisor):
    out, _err = run("import_accounts", write(tmp_path, GOOD, encoding="gb18030"))

    assert "clients.csv: 2 created" in out
    assert ClientProfile.objects.get(client_no="C100").name == "张三"
    assert Security.objects.get(symbol="600000").name == "浦发银行"


def test_utf8_with_byte_order_mark_is_read(tmp_path, advisor):
    out, _err = run("import_accounts", write(tmp_path, GOOD, encoding="utf-8-sig"))

    assert "clients.csv: 2 created" in out
    assert ClientProfile.objects.get(client_no="C100").name == "张三"  # first column not spoiled by the BOM


def test_a_file_neither_utf8_nor_gb18030_is_rejected(tmp_path):
    write(tmp_path, {"securities.csv": SECURITIES}, encoding="utf-16")

    lines = rejected("import_accounts", tmp_path)

    assert len(lines) == 1
    assert lines[0].startswith("securities.csv:1: -: the file is neither UTF-8 nor GB18030")
    assert nothing_written()


def test_a_utf8_byte_order_mark_before_gb18030_text_is_refused_as_not_utf8(tmp_path):
    """Read as GB18030 the mark became "锘" before the header's first column: the refusal said a required column
    was missing from the header, of a file whose header is right, instead of naming its encoding."""
    (tmp_path / "clients.csv").write_bytes(b"\xef\xbb\xbf" + CLIENTS.encode("gb18030"))

    lines = rejected("import_accounts", tmp_path)

    assert len(lines) == 1
    assert lines[0].startswith("clients.csv:2: -: the file starts with the UTF-8 byte order mark but is not UTF-8")
    assert nothing_written()


# --- bad rows -----------------------------------------------------------------------------------

def with_line(text: str, number: int, replacement: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = replacement
    return "\n".join(lines) + "\n"


BAD = {
    "unknown client": (
        "credit_accounts.csv", with_line(CREDIT_ACCOUNTS, 3, CREDIT_ACCOUNTS.splitlines()[2].replace("C200", "C999")),
        'credit_accounts.csv:3: client_no: unknown client_no "C999"'),
    "unknown advisor": (
        "clients.csv", CLIENTS.replace("advisor1", "nobody"), 'clients.csv:2: advisor: unknown advisor "nobody"'),
    "negative quantity": (
        "positions.csv", with_line(POSITIONS, 4, "A200,600000,-100,long"),
        'positions.csv:4: quantity: "-100" must not be negative'),
    "a position no account holds": (
        "positions.csv", with_line(POSITIONS, 4, "A200,600000,10000000001,long"),
        'positions.csv:4: quantity: "10000000001" must be at most 10000000000'),
    "a quantity of 30 digits": (
        "positions.csv", with_line(POSITIONS, 4, "A200,600000," + "9" * 30 + ",long"),
        f'positions.csv:4: quantity: "{"9" * 30}" must be at most 10000000000'),
    "a price no share has": (
        "securities.csv", SECURITIES.replace("10.50", "100000.01"),
        'securities.csv:2: price: "100000.01" must be at most 100000'),
    "malformed quantity": (
        "positions.csv", with_line(POSITIONS, 2, "A100,600000,10k,long"),
        'positions.csv:2: quantity: "10k" is not a whole number'),
    "malformed number": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("5000.00", '"5,000.00"'),
        'credit_accounts.csv:2: cash: "5,000.00" is not a number'),
    "too many decimals": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("5000.00", "5000.001"),
        'credit_accounts.csv:2: cash: "5000.001" has more than 2 decimal places'),
    "malformed date": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("2024-01-02,2024-07-02,1.45", "2024-01-02,2024/07/02,1.45"),
        'credit_accounts.csv:2: contract_maturity: "2024/07/02" is not a date in the form YYYY-MM-DD'),
    "impossible date": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("2024-01-02,2024-07-02,1.45", "2024-02-30,2024-07-02,1.45"),
        'credit_accounts.csv:2: contract_start: "2024-02-30" is not a date in the form YYYY-MM-DD'),
    "duplicate key": (
        "clients.csv", CLIENTS + CLIENTS.splitlines()[1] + "\n",
        'clients.csv:4: client_no: duplicate value "C100", first on line 2'),
    "duplicate position": (
        "positions.csv", POSITIONS + "A100,600000,1,long\n",
        'positions.csv:5: account_no,symbol,kind: duplicate position "A100 600000 long", first on line 2'),
    "unknown symbol": (
        "positions.csv", POSITIONS.replace("A200,600000", "A200,688999"),
        'positions.csv:4: symbol: unknown symbol "688999"'),
    "unknown account": (
        "positions.csv", POSITIONS.replace("A200,", "A999,"),
        'positions.csv:4: account_no: unknown account_no "A999"'),
    "bad kind": (
        "positions.csv", POSITIONS.replace("500,short", "500,borrowed"),
        'positions.csv:3: kind: "borrowed" is not one of: long, short'),
    "bad tier": (
        "clients.csv", CLIENTS.replace(",vip,", ",gold,"),
        'clients.csv:2: tier: "gold" is not one of: standard, vip, hnw'),
    "bad exchange": (
        "securities.csv", SECURITIES.replace("SZSE", "HKEX"),
        'securities.csv:3: exchange: "HKEX" is not one of: SSE, SZSE, BSE'),
    "missing column": (
        "clients.csv", CLIENTS.replace(",phone,", ",telephone,"),
        "clients.csv:1: phone: a required column is missing from the header"),
    "empty required value": (
        "clients.csv", CLIENTS.replace(",Li Si,", ",,"), "clients.csv:3: name: a value is required"),
    "bad e-mail": (
        "clients.csv", CLIENTS.replace("zs@example.com", "zs-at-example"),
        'clients.csv:2: email: "zs-at-example" is not a valid e-mail address'),
    "truncated row": (
        "positions.csv", with_line(POSITIONS, 3, "A100,000001,500"),
        "positions.csv:3: -: expected 4 fields as in the header, found 3"),
    "garbled text": (
        "positions.csv", POSITIONS.replace("A100,000001", "A100,00\x000001"),
        "positions.csv:3: symbol: contains a control character (a line break, NUL …): the file may be garbled"),
    "empty file": ("clients.csv", "", "clients.csv:1: -: the file is empty: there is no header row"),
    # The account's pages and API (/api/v1/accounts/<no>/, /console/accounts/<no>/) could never open it.
    "account number with a space": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("A200,C200", "A 200,C200"),
        'credit_accounts.csv:3: account_no: "A 200" is not an account number: use only letters A to Z, digits, '
        '“-”, “_” and “.”'),
    "account number in Chinese": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("A200,C200", "信用200,C200"),
        'credit_accounts.csv:3: account_no: "信用200" is not an account number: use only letters A to Z, digits, '
        '“-”, “_” and “.”'),
    "maturity before start": (
        "credit_accounts.csv", CREDIT_ACCOUNTS.replace("2024-01-02,2024-07-02,,", "2024-07-02,2024-01-02,,"),
        "credit_accounts.csv:3: contract_maturity: the contract matures before it starts (2024-07-02)"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_value_rejects_the_whole_import_and_says_where(tmp_path, advisor, case):
    filename, text, expected = case

    lines = rejected("import_accounts", write(tmp_path, {**GOOD, filename: text}))

    assert expected in lines
    assert all(ISSUE_LINE.match(line) for line in lines), lines
    assert nothing_written()


def test_every_problem_is_listed_in_file_order_then_line_order(tmp_path, advisor):
    files = {
        **GOOD,
        "clients.csv": CLIENTS.replace(",vip,", ",gold,").replace("13800000002,,", "13800000002,bad-mail,"),
        "positions.csv": POSITIONS.replace("10000", "-1").replace("A200,", "A999,"),
    }
    lines = rejected("import_accounts", write(tmp_path, files))

    assert lines == [
        'clients.csv:2: tier: "gold" is not one of: standard, vip, hnw',
        'clients.csv:3: email: "bad-mail" is not a valid e-mail address',
        'positions.csv:2: quantity: "-1" must not be negative',
        'positions.csv:4: account_no: unknown account_no "A999"',
    ]


def test_a_position_with_a_bad_kind_still_has_its_references_checked(tmp_path, advisor):
    """Every error at once: the unknown account and symbol of a row whose kind is bad were not listed."""
    files = {**GOOD, "positions.csv": POSITIONS.replace("A200,600000,100,long", "A999,999999,100,sideways")}
    lines = rejected("import_accounts", write(tmp_path, files))

    assert lines == [
        'positions.csv:4: kind: "sideways" is not one of: long, short',
        'positions.csv:4: account_no: unknown account_no "A999"',
        'positions.csv:4: symbol: unknown symbol "999999"',
    ]
    assert nothing_written()


def test_a_clients_advisor_must_be_an_active_advisor(tmp_path, advisor, agent):
    """A client's login, an agent or a departed advisor was taken: the client's cases went to them."""
    UserFactory(username="gone", roles=[Role.ADVISOR], is_active=False)
    clients = CLIENTS.replace(",advisor1,", ",agent1,").replace(",standard,,,", ",standard,,gone,")
    lines = rejected("import_accounts", write(tmp_path, {**GOOD, "clients.csv": clients}))

    assert lines == [
        'clients.csv:2: advisor: "agent1" is not an active advisor',
        'clients.csv:3: advisor: "gone" is not an active advisor',
    ]
    assert nothing_written()


def test_one_bad_position_writes_nothing_from_the_other_files(tmp_path, advisor):
    files = {**GOOD, "positions.csv": POSITIONS.replace("A200,600000,100,long", "A200,600000,-100,long")}

    rejected("import_accounts", write(tmp_path, files))

    assert nothing_written()


def test_line_numbers_are_physical_lines_of_the_file(tmp_path, advisor):
    header, zhang, li = CLIENTS.splitlines()
    text = (f'{header},note\n{zhang},"two\nlines"\n\n{li},\n'
            + li.replace("C200", "C300").replace("standard", "gold") + ",\n")

    lines = rejected("import_accounts", write(tmp_path, {**GOOD, "clients.csv": text}))

    assert lines == ['clients.csv:6: tier: "gold" is not one of: standard, vip, hnw']


def test_a_huge_error_list_is_cut_at_1000_lines_and_says_how_many_more(tmp_path):
    rows = "".join(f"A{n},600000,{n},long\n" for n in range(1005))
    SecurityFactory(symbol="600000")

    lines = rejected("import_accounts", write(tmp_path, {"positions.csv": "account_no,symbol,quantity,kind\n" + rows}))

    assert len(lines) == 1001
    assert lines[0] == 'positions.csv:2: account_no: unknown account_no "A0"'
    assert lines[-1] == "… and 5 more errors"


def test_a_directory_without_import_files_is_refused(tmp_path):
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError) as failure:
        call_command("import_accounts", str(tmp_path), stderr=err)
    assert failure.value.returncode == 1
    assert "none of the import files" in str(failure.value)


# --- positions replace the named accounts' positions --------------------------------------------

def test_positions_file_is_the_whole_set_for_the_accounts_it_names(tmp_path):
    named = CreditAccountFactory(account_no="A500")
    untouched = CreditAccountFactory(account_no="A600")
    kept = PositionFactory(account=named, security=SecurityFactory(symbol="600000"), quantity=100)
    gone = PositionFactory(account=named, security=SecurityFactory(symbol="600036"), quantity=200)
    other = PositionFactory(account=untouched, security=SecurityFactory(symbol="600036"), quantity=300)
    SecurityFactory(symbol="000001")
    files = {"positions.csv": "account_no,symbol,quantity,kind\nA500,600000,150,long\nA500,000001,50,short\n"}

    out, _err = run("import_accounts", write(tmp_path, files))

    assert out.strip() == "positions.csv: 1 created, 1 updated, 0 unchanged, 1 deleted"
    assert set(named.positions.values_list("security__symbol", "kind", "quantity")) == {
        ("600000", "long", 150), ("000001", "short", 50)}
    assert named.positions.get(security__symbol="600000").pk == kept.pk
    assert not Position.objects.filter(pk=gone.pk).exists()
    assert Position.objects.get(pk=other.pk).quantity == 300


def test_an_account_import_revalues_the_accounts_at_once(tmp_path):
    """The core system's evening file raises a debt: the margin call opens now, not at the next
    trading session's scheduled run, and no page shows the new debt beside the old level."""
    from cases.models import Case
    from risk.models import AccountRisk, MonitoringRun
    from risk.monitoring import monitor_accounts

    account = CreditAccountFactory(account_no="A700", financing_debt=D("100000.00"), cash=D("0.00"))
    PositionFactory(account=account, security=SecurityFactory(symbol="600000", price=D("20.00")), quantity=10000)
    monitor_accounts(trigger="test")
    assert AccountRisk.objects.get(account=account).level == "normal"  # 200 %
    row = (f"A700,{account.client.client_no},{account.contract_no},1000000,0.00,160000.00,0,0.0835,"
           f"{account.contract_start},{account.contract_maturity}\n")
    header = ("account_no,client_no,contract_no,credit_limit,cash,financing_debt,interest_fees,annual_rate,"
              "contract_start,contract_maturity\n")

    run("import_accounts", write(tmp_path / "raised", {"credit_accounts.csv": header + row}))

    assert MonitoringRun.objects.filter(trigger="account_import").count() == 1
    risk = AccountRisk.objects.get(account=account)
    assert (risk.maintenance_ratio, risk.level) == (D("1.2500"), "close_out")
    assert Case.objects.filter(credit_account=account, kind="margin_call").exclude(state="closed").exists()

    run("import_accounts", write(tmp_path / "again", {"credit_accounts.csv": header + row}))
    assert MonitoringRun.objects.filter(trigger="account_import").count() == 1  # nothing changed: no run


# --- prices -------------------------------------------------------------------------------------

def prices_file(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text("symbol,price,as_of\n" + text, encoding="utf-8")
    return path


def test_prices_are_applied_and_kept_as_daily_history(tmp_path):
    security = SecurityFactory(symbol="600000", price=D("10.00"),
                               price_as_of=datetime.datetime(2024, 5, 6, 1, 0, tzinfo=datetime.UTC))
    path = prices_file(tmp_path, "600000,10.8800,2024-05-06T15:00:00+08:00\n")

    out, _err = run("import_prices", path)

    assert out.startswith("prices.csv: 1 updated, 0 unchanged, 0 skipped")
    security.refresh_from_db()
    assert security.price == D("10.8800")
    assert security.price_as_of == datetime.datetime(2024, 5, 6, 7, 0, tzinfo=datetime.UTC)
    history = SecurityPrice.objects.get(security=security)
    assert (history.trade_date, history.price) == (datetime.date(2024, 5, 6), D("10.8800"))


def test_prices_import_returns_the_securities_it_updated(tmp_path):
    moved = SecurityFactory(symbol="600000", price_as_of=None)
    SecurityFactory(symbol="600036", price=D("9.00"), price_as_of=datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC))
    path = prices_file(tmp_path, "600000,11,2024-05-06T15:00:00+08:00\n600036,9.5,2024-05-06T15:00:00+08:00\n")

    result = prices_import(path)

    assert result.updated_security_ids == {moved.pk}
    assert (result.files[0].updated, result.files[0].skipped) == (1, 1)


def test_a_price_older_than_the_stored_one_is_skipped_not_an_error(tmp_path):
    stored_at = datetime.datetime(2024, 5, 6, 7, 0, tzinfo=datetime.UTC)
    security = SecurityFactory(symbol="600000", price=D("10.00"), price_as_of=stored_at)

    out, err = run("import_prices", prices_file(tmp_path, "600000,9.00,2024-05-06T14:00:00+08:00\n"))

    assert "0 updated, 0 unchanged, 1 skipped" in out and err == ""
    security.refresh_from_db()
    assert (security.price, security.price_as_of) == (D("10.00"), stored_at)


def test_a_naive_timestamp_is_rejected(tmp_path):
    security = SecurityFactory(symbol="600000", price=D("10.00"))
    SecurityFactory(symbol="600036", price=D("20.00"))
    path = prices_file(tmp_path, "600036,21,2024-05-06T15:00:00+08:00\n600000,11,2024-05-06T15:00:00\n")

    lines = rejected("import_prices", path)

    assert lines == ['prices.csv:3: as_of: "2024-05-06T15:00:00" has no UTC offset (e.g. 2024-05-06T15:00:00+08:00)']
    security.refresh_from_db()
    assert security.price == D("10.00")
    assert Security.objects.get(symbol="600036").price == D("20.00")  # the good row was not applied either
    assert not SecurityPrice.objects.exists()


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+08:00", "9999-12-31T20:00:00+00:00"])
def test_a_time_with_no_date_in_utc_or_shanghai_is_its_line_not_a_traceback(tmp_path, as_of):
    """Year 1 at +08:00 is year 0 in UTC, and the last hours of 9999 in UTC are year 10000 in
    Shanghai: the import died of an OverflowError dating them."""
    SecurityFactory(symbol="600000", price=D("10.00"))

    lines = rejected("import_prices", prices_file(tmp_path, f"600000,11,{as_of}\n"))

    assert lines == [f'prices.csv:2: as_of: "{as_of}" is out of range: before year 1 or after year 9999 in UTC or '
                     'in Shanghai']
    assert Security.objects.get(symbol="600000").price == D("10.00") and not SecurityPrice.objects.exists()


@pytest.mark.parametrize(("row", "expected"), [
    ("688999,11,2024-05-06T15:00:00+08:00", 'prices.csv:3: symbol: unknown symbol "688999"'),
    ("600036,0,2024-05-06T15:00:00+08:00", 'prices.csv:3: price: "0" must be greater than zero'),
    ("600036,-1.5,2024-05-06T15:00:00+08:00", 'prices.csv:3: price: "-1.5" must be greater than zero'),
    ("600036,abc,2024-05-06T15:00:00+08:00", 'prices.csv:3: price: "abc" is not a number'),
    # a slip of the feed: times a large position, it would overflow an account's assets
    ("600036,99999999999999.9999,2024-05-06T15:00:00+08:00",
     'prices.csv:3: price: "99999999999999.9999" must be at most 100000'),
    ("600000,12,2024-05-06T15:00:00+08:00",
     'prices.csv:3: symbol: duplicate price for "600000" at 2024-05-06T15:00:00+08:00, first on line 2'),
])
def test_a_bad_price_row_rejects_the_whole_file(tmp_path, row, expected):
    SecurityFactory(symbol="600000", price=D("10.00"))
    SecurityFactory(symbol="600036", price=D("20.00"))

    lines = rejected("import_prices", prices_file(tmp_path, f"600000,11,2024-05-06T15:00:00+08:00\n{row}\n"))

    assert lines == [expected]
    assert Security.objects.get(symbol="600000").price == D("10.00")
    assert not SecurityPrice.objects.exists()


def test_an_unknown_symbol_is_listed_even_on_a_row_whose_time_is_bad_too(tmp_path):
    """Every error of the file is listed at once: the symbol of a row with a bad time went unchecked."""
    SecurityFactory(symbol="600000", price=D("10.00"))

    path = prices_file(tmp_path, "600000,11,2024-05-06T15:00:00+08:00\n688999,11,yesterday\n")

    lines = rejected("import_prices", path)

    assert lines == ['prices.csv:3: as_of: "yesterday" is not a date and time in the form '
                     '2024-05-06T15:00:00+08:00 (ISO 8601 extended format, with its UTC offset)',
                     'prices.csv:3: symbol: unknown symbol "688999"']
    assert Security.objects.get(symbol="600000").price == D("10.00") and not SecurityPrice.objects.exists()


def test_a_time_in_iso_8601_basic_format_is_refused_with_the_form_it_must_take(tmp_path):
    """20240506T150000+0800 is ISO 8601 (its basic format): the refusal said it was not ISO 8601 at all."""
    SecurityFactory(symbol="600000", price=D("10.00"))

    lines = rejected("import_prices", prices_file(tmp_path, "600000,11,20240506T150000+0800\n"))

    assert lines == ['prices.csv:2: as_of: "20240506T150000+0800" is not a date and time in the form '
                     '2024-05-06T15:00:00+08:00 (ISO 8601 extended format, with its UTC offset)']
    assert Security.objects.get(symbol="600000").price == D("10.00")


def test_a_price_stamped_in_the_future_rejects_the_file_and_later_real_prices_still_apply(tmp_path):
    """A feed stamped years ahead would stand as the latest price and every real one would be
    skipped as older: it is refused, naming the line; a few minutes of clock skew are allowed."""
    security = SecurityFactory(symbol="600519", price=D("1500.00"))
    now = timezone.now()
    later = (now + datetime.timedelta(days=3 * 365)).astimezone(SHANGHAI).isoformat()
    lines = rejected("import_prices", prices_file(tmp_path, f"600519,1400,{later}\n", "ahead.csv"))

    assert len(lines) == 1 and lines[0].startswith(f'ahead.csv:2: as_of: "{later}" is in the future (it is now ')
    security.refresh_from_db()
    assert security.price == D("1500.00") and not SecurityPrice.objects.exists()

    skewed = (now + datetime.timedelta(minutes=2)).astimezone(SHANGHAI).isoformat()
    out, _err = run("import_prices", prices_file(tmp_path, f"600519,1490,{skewed}\n", "skewed.csv"))
    assert "1 updated" in out
    security.refresh_from_db()
    assert security.price == D("1490.00")


def test_history_keeps_one_price_per_shanghai_day_the_latest_wins(tmp_path):
    security = SecurityFactory(symbol="600000", price_as_of=None)
    prices_import(prices_file(tmp_path, "600000,10.10,2024-05-06T10:00:00+08:00\n"
                                        "600000,10.20,2024-05-07T10:00:00+08:00\n", "morning.csv"))
    # 15:00 in Shanghai is 07:00 UTC; 20:00 UTC on the 7th is already the 8th in Shanghai.
    prices_import(prices_file(tmp_path, "600000,10.30,2024-05-07T07:00:00Z\n"
                                        "600000,10.25,2024-05-07T09:00:00+08:00\n"
                                        "600000,10.40,2024-05-07T20:00:00Z\n", "afternoon.csv"))

    history = list(SecurityPrice.objects.filter(security=security).values_list("trade_date", "price"))
    assert history == [(datetime.date(2024, 5, 6), D("10.1000")), (datetime.date(2024, 5, 7), D("10.3000")),
                       (datetime.date(2024, 5, 8), D("10.4000"))]
    security.refresh_from_db()
    assert security.price == D("10.4000")


def test_importing_the_same_prices_again_changes_nothing(tmp_path):
    SecurityFactory(symbol="600000", price_as_of=None)
    path = prices_file(tmp_path, "600000,10.10,2024-05-06T15:00:00+08:00\n")
    prices_import(path)

    out, _err = run("import_prices", path)

    assert out.strip() == ("prices.csv: 0 updated, 1 unchanged, 0 skipped (older than the stored price); "
                           "daily history: 0 created, 0 updated")
    assert prices_import(path).updated_security_ids == set()


def test_a_gb18030_price_file_is_read(tmp_path):
    SecurityFactory(symbol="600000", price_as_of=None)
    path = tmp_path / "行情.csv"
    path.write_bytes("symbol,price,as_of,名称\n600000,10.10,2024-05-06T15:00:00+08:00,浦发银行\n".encode("gb18030"))

    out, _err = run("import_prices", path)

    assert out.startswith("行情.csv: 1 updated")


# --- from the command line ----------------------------------------------------------------------

def manage(*args: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings.test",
           "DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run([sys.executable, "manage.py", *args], check=False, cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=240)


def test_the_command_line_exits_0_on_success_and_1_with_the_problems_on_stderr(tmp_path):
    """A separate process (its own SQLite database: it cannot see the test database)."""
    database = tmp_path / "cli.sqlite3"
    assert manage("migrate", "--noinput", database=database).returncode == 0
    good = write(tmp_path / "good", {"securities.csv": SECURITIES})
    bad = write(tmp_path / "bad", {"securities.csv": SECURITIES.replace("0.65", "-0.65"),
                                   "positions.csv": POSITIONS})

    success = manage("import_accounts", str(good), database=database)
    failure = manage("import_accounts", str(bad), database=database)

    assert success.returncode == 0, success.stderr
    assert success.stdout.startswith("securities.csv")  # the summary itself is translated
    assert failure.returncode == 1
    problems = [line for line in failure.stderr.splitlines() if ISSUE_LINE.match(line)]
    assert problems[0].startswith("securities.csv:2: haircut: ")
    assert [line.split(": ")[0] for line in problems] == [
        "securities.csv:2", "positions.csv:2", "positions.csv:3", "positions.csv:4"]  # accounts A100, A200 unknown


# --- two price imports at once (PostgreSQL) -----------------------------------------------------

def _blocked_on_a_lock(timeout: float = 10) -> bool:
    """Another connection of this test waits for a row lock (the import in the thread)."""
    import time

    from django.db import connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres(reason="two imports at once need PostgreSQL (set DATABASE_URL); SQLite runs one writer at a time")
def test_an_older_price_file_imported_during_a_newer_one_does_not_replace_its_price(tmp_path):
    """Yesterday's close (a backfill) read before today's tick committed, written after it: the
    security kept yesterday's price, and every account was valued on it until the next feed."""
    import threading

    from django.db import connections

    from tests.concurrency import held_open

    security = SecurityFactory(symbol="600000", price=D("10.00"),
                               price_as_of=datetime.datetime(2024, 5, 5, 1, 0, tzinfo=datetime.UTC))
    today = prices_file(tmp_path, "600000,10.50,2024-05-06T14:00:00+08:00\n", "today.csv")
    yesterday = prices_file(tmp_path, "600000,10.20,2024-05-05T15:00:00+08:00\n", "yesterday.csv")
    results = []

    def backfill():
        try:
            results.append(prices_import(yesterday))
        except Exception as error:  # asserted below
            results.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=backfill)
    with held_open(lambda: prices_import(today)):
        thread.start()
        assert _blocked_on_a_lock(), "the backfill did not wait for today's import"
    thread.join(30)

    assert len(results) == 1 and not isinstance(results[0], Exception), results
    assert (results[0].files[0].updated, results[0].files[0].skipped) == (0, 1)  # as it says of older prices
    assert results[0].updated_security_ids == set()
    security.refresh_from_db()
    assert (security.price, security.price_as_of) == (D("10.5000"), datetime.datetime(2024, 5, 6, 6, 0,
                                                                                      tzinfo=datetime.UTC))
    history = dict(SecurityPrice.objects.filter(security=security).values_list("trade_date", "price"))
    assert history == {datetime.date(2024, 5, 5): D("10.2000"), datetime.date(2024, 5, 6): D("10.5000")}
