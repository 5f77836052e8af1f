"""`accounts_import`: clients, securities, credit accounts and positions from the core system.

Every file is read and checked first (values, duplicates, references to rows in this import
or already in the database); only when nothing is wrong is anything written, in one
transaction, in the order clients → securities → credit accounts → positions.
"""

import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.importers import values as v
from accounts.importers.base import (
    FileSummary, ImportRejected, ImportResult, refused_by_database, rejected_for, rows_by_key, unknown_reference,
    upsert,
)
from accounts.importers.positions import (
    POSITIONS, PositionFile, check_position_references, parse_positions, replace_positions,
)
from accounts.importers.reading import Column, Issues, read_rows
from accounts.models import (
    ANNUAL_RATE_ABOVE_MAX, ANNUAL_RATE_MAX, PRICE_MAX, ClientProfile, CreditAccount, Security, Tier, User,
)
from accounts.ratio import line_problems
from accounts.roles import Role
from accounts.selectors import users_with_roles
from cases.services.sla import sla_clients_tier_changed_on_commit
from servicedesk.i18n import language_codes

CLIENTS, SECURITIES, CREDIT_ACCOUNTS = "clients.csv", "securities.csv", "credit_accounts.csv"
#: The files of an account import, in the order they are checked and written.
ACCOUNT_FILES = (CLIENTS, SECURITIES, CREDIT_ACCOUNTS, POSITIONS)

_money = {"max_digits": 20, "decimal_places": 2}
_not_negative_money = v.decimal(**_money, minimum=Decimal(0))
_line = v.decimal(max_digits=6, decimal_places=4, positive=True)
LINE_COLUMNS = ("attention_line", "warning_line", "close_out_line", "restore_to_line", "withdrawal_line",
                "immediate_line")

CLIENT_COLUMNS = [
    Column("client_no", v.text(32)),
    Column("name", v.text(100)),
    Column("id_number", v.text(32)),
    Column("phone", v.text(32)),
    Column("email", v.email, required=False, default=""),
    Column("tier", v.choice(Tier.values)),
    Column("risk_rating", v.text(16), required=False, default=""),
    Column("advisor", v.text(150), required=False),
    # Blank: the client's own choice (portal's message settings) stays; a new client gets the firm's language.
    Column("language", v.choice(language_codes()), required=False),
]
SECURITY_COLUMNS = [
    Column("symbol", v.text(16)),
    Column("name", v.text(100)),
    Column("exchange", v.choice(Security.Exchange.values, normalize=str.upper)),
    Column("haircut", v.decimal(max_digits=5, decimal_places=4, minimum=Decimal(0), maximum=Decimal(1))),
    Column("price", v.decimal(max_digits=18, decimal_places=4, positive=True, maximum=PRICE_MAX)),
]
CREDIT_ACCOUNT_COLUMNS = [
    Column("account_no", v.account_no),
    Column("client_no", v.text(32)),
    Column("contract_no", v.text(32)),
    Column("credit_limit", _not_negative_money),
    Column("cash", v.decimal(**_money)),
    Column("financing_debt", _not_negative_money),
    Column("interest_fees", _not_negative_money),
    Column("annual_rate", v.decimal(max_digits=7, decimal_places=5, minimum=Decimal(0), maximum=ANNUAL_RATE_MAX,
                                    above_maximum=ANNUAL_RATE_ABOVE_MAX)),
    Column("contract_start", v.date),
    Column("contract_maturity", v.date),
    Column("other_collateral", _not_negative_money, required=False, in_header=False, default=Decimal("0.00")),
    *(Column(name, _line, required=False, in_header=False) for name in LINE_COLUMNS),
]
#: What is compared with (and written to) an existing row.
CLIENT_FIELDS = ["name", "id_number", "phone", "email", "tier", "risk_rating", "advisor_id", "language"]
SECURITY_FIELDS = ["name", "exchange", "haircut", "price", "price_as_of"]
CREDIT_ACCOUNT_FIELDS = ["client_id", "contract_no", "credit_limit", "cash", "financing_debt", "interest_fees",
                         "annual_rate", "contract_start", "contract_maturity", "other_collateral", *LINE_COLUMNS]


@dataclass
class KeyedFile:
    """One file's rows by key: {key: {column: value}} and the line each key is on."""

    records: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)


def parse_keyed(path: Path, filename: str, columns: list[Column], key: str, issues: Issues) -> KeyedFile:
    """Clients, securities or credit accounts: values checked, duplicate keys refused."""
    parsed = KeyedFile()
    for row in read_rows(path, filename, columns, issues):
        key_value = row.values.pop(key, None)
        if key_value is None:
            continue
        if key_value in parsed.lines:
            issues.add(filename, row.line, key, _('duplicate value "%(value)s", first on line %(line)d')
                       % {"value": key_value, "line": parsed.lines[key_value]})
            continue
        parsed.lines[key_value] = row.line
        parsed.records[key_value] = row.values
    return parsed


def _check_advisors(issues: Issues, clients: KeyedFile, users: dict) -> None:
    """A client's advisor is an active login holding the advisor role, as the admin offers: any
    other login (a client's, an agent's) would be handed the client's cases."""
    advisors = set(users_with_roles(Role.ADVISOR).filter(is_active=True, pk__in=[row.id for row in users.values()])
                   .values_list("username", flat=True))
    for client_no, values in clients.records.items():
        username = values.get("advisor")
        if username in users and username not in advisors:
            issues.add(CLIENTS, clients.lines[client_no], "advisor",
                       _('"%(value)s" is not an active advisor') % {"value": username})


def _check_references(issues: Issues, filename: str, parsed: KeyedFile, column: str, known) -> None:
    """Each row's `column` (when given) must name a row in `known`."""
    for key_value, values in parsed.records.items():
        target = values.get(column)
        if target is not None and target not in known:
            issues.add(filename, parsed.lines[key_value], column, unknown_reference(column, target))


@dataclass
class Checked:
    """An import that passed every check: the parsed files and the database rows they touch."""

    present: set[str]
    clients: KeyedFile
    securities: KeyedFile
    accounts: KeyedFile
    positions: PositionFile
    advisors: dict
    existing_clients: dict
    existing_securities: dict
    existing_accounts: dict


def accounts_import(directory) -> ImportResult:
    """Import whichever of the four files `directory` holds (at least one). Raises
    ImportRejected, having written nothing, if anything in any file is wrong."""
    directory = Path(directory)
    if not os.path.lexists(directory):  # a name mistyped, or tonight's export not delivered yet
        raise ImportRejected(_("%(path)s does not exist") % {"path": directory})
    if not directory.is_dir():
        raise ImportRejected(_("%(directory)s is not a directory") % {"directory": directory})
    # A directory, a dangling link or a pipe under a file's name is refused, not passed over as absent,
    # and so is a file named in other letters (Positions.csv from a Windows export).
    for name in ACCOUNT_FILES:
        path = directory / name
        if os.path.lexists(path) and not path.is_file():
            raise ImportRejected(_("%(path)s is not a file") % {"path": path})
    for path in sorted(directory.iterdir()):
        if path.name.lower() in ACCOUNT_FILES and path.name not in ACCOUNT_FILES:
            raise ImportRejected(_("%(path)s would not be imported under that name: rename it %(name)s")
                                 % {"path": path, "name": path.name.lower()})
    present = {name: directory / name for name in ACCOUNT_FILES if (directory / name).is_file()}
    if not present:
        raise ImportRejected(_("%(directory)s holds none of the import files (%(files)s)")
                             % {"directory": directory, "files": ", ".join(ACCOUNT_FILES)})
    checked = check_account_files(present)
    try:
        with transaction.atomic():
            return _write(checked)
    except IntegrityError as error:
        raise refused_by_database(error) from error


def _check_lines(issues: Issues, accounts: KeyedFile, existing: dict) -> None:
    """The lines the file sets, above zero and in order with the account's others as they will stand
    (a line the file leaves out: stored, else the firm's default; a blank cell: the firm's default,
    which is what it writes): accounts.ratio.line_problems, the problems named on the file's columns."""
    for account_no, values in accounts.records.items():
        stored = existing.get(account_no)
        own = {column.removesuffix("_line"): values[column] for column in LINE_COLUMNS if column in values}
        standing = {**settings.MARGIN_DEFAULT_LINES, **{
            column.removesuffix("_line"): getattr(stored, column) for column in LINE_COLUMNS
            if column not in values and getattr(stored, column, None) is not None}}
        for name, message in line_problems(own, standing).items():
            issues.add(CREDIT_ACCOUNTS, accounts.lines[account_no], f"{name}_line", message)


def check_account_files(present: dict[str, Path]) -> Checked:
    """Read every file given ({file name: path}) and check values, duplicates and references,
    with one query per table; raise ImportRejected listing every problem."""
    issues = Issues(ACCOUNT_FILES)

    def keyed(name, columns, key):
        return parse_keyed(present[name], name, columns, key, issues) if name in present else KeyedFile()

    clients = keyed(CLIENTS, CLIENT_COLUMNS, "client_no")
    securities = keyed(SECURITIES, SECURITY_COLUMNS, "symbol")
    accounts = keyed(CREDIT_ACCOUNTS, CREDIT_ACCOUNT_COLUMNS, "account_no")
    positions = parse_positions(present[POSITIONS], issues) if POSITIONS in present else PositionFile()

    for account_no, values in accounts.records.items():
        start, maturity = values.get("contract_start"), values.get("contract_maturity")
        if start and maturity and maturity < start:
            issues.add(CREDIT_ACCOUNTS, accounts.lines[account_no], "contract_maturity",
                       _("the contract matures before it starts (%(start)s)") % {"start": start})

    advisors = rows_by_key(User, "username", {values.get("advisor") for values in clients.records.values()} - {None},
                           ())
    referred_clients = {values.get("client_no") for values in accounts.records.values()} - {None}
    existing_clients = rows_by_key(ClientProfile, "client_no", {*clients.records, *referred_clients}, CLIENT_FIELDS)
    existing_securities = rows_by_key(Security, "symbol", {*securities.records, *positions.symbols}, SECURITY_FIELDS)
    existing_accounts = rows_by_key(CreditAccount, "account_no", {*accounts.records, *positions.account_nos},
                                    CREDIT_ACCOUNT_FIELDS)

    _check_lines(issues, accounts, existing_accounts)
    _check_references(issues, CLIENTS, clients, "advisor", advisors)
    _check_advisors(issues, clients, advisors)
    _check_references(issues, CREDIT_ACCOUNTS, accounts, "client_no", {*clients.records, *existing_clients})
    check_position_references(positions, {*accounts.records, *existing_accounts},
                              {*securities.records, *existing_securities}, issues)
    if issues:
        raise rejected_for(issues)
    return Checked(set(present), clients, securities, accounts, positions, advisors, existing_clients,
                   existing_securities, existing_accounts)


def _write(checked: Checked) -> ImportResult:
    result = ImportResult()

    def ids(existing):
        return {key: row.id for key, row in existing.items()}

    client_ids = ids(checked.existing_clients)
    if CLIENTS in checked.present:
        summary = FileSummary(CLIENTS)
        for client_no, values in checked.clients.records.items():
            username = values.pop("advisor")
            values["advisor_id"] = checked.advisors[username].id if username else None
            if values.get("language") is None:
                old = checked.existing_clients.get(client_no)
                values["language"] = old.language if old else settings.LANGUAGE_CODE
        tier_changed = [old.id for client_no, values in checked.clients.records.items()
                        if (old := checked.existing_clients.get(client_no)) and old.tier != values["tier"]]
        client_ids.update(upsert(ClientProfile, "client_no", checked.clients.records, checked.existing_clients,
                                 summary))
        sla_clients_tier_changed_on_commit(tier_changed)  # their open cases take the tier's targets
        result.files.append(summary)

    security_ids = ids(checked.existing_securities)
    if SECURITIES in checked.present:
        summary = FileSummary(SECURITIES)
        for symbol, values in checked.securities.records.items():
            old = checked.existing_securities.get(symbol)
            # The core system's price has no time: it keeps the stored time only if unchanged,
            # else has none and the next price feed applies over it.
            values["price_as_of"] = old.price_as_of if old and old.price == values["price"] else None
        security_ids.update(upsert(Security, "symbol", checked.securities.records, checked.existing_securities,
                                   summary))
        result.files.append(summary)

    account_ids = ids(checked.existing_accounts)
    if CREDIT_ACCOUNTS in checked.present:
        summary = FileSummary(CREDIT_ACCOUNTS)
        for values in checked.accounts.records.values():
            values["client_id"] = client_ids[values.pop("client_no")]
        account_ids.update(upsert(CreditAccount, "account_no", checked.accounts.records, checked.existing_accounts,
                                  summary))
        result.files.append(summary)

    if POSITIONS in checked.present:
        result.files.append(replace_positions(checked.positions, account_ids, security_ids))
    return result
