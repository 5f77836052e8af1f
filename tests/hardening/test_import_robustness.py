"""Imports facing bad input: truncated files, wrong or damaged encodings, binary garbage, missing
columns — a clear `file:line: column: reason` and nothing written — and a price file of a million
rows read in one streaming pass with memory bounded by the securities, not the rows.

IMPORT_ROWS sets the size of the big price file (default 200,000 here; `IMPORT_ROWS=1000000`
runs the full million, about a minute on a quiet 2-core machine with PostgreSQL)."""

import datetime
import io
import os
import random
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts.importers import prices_import
from accounts.importers.base import ImportRejected
from accounts.importers.prices import parse_prices
from accounts.importers.reading import Issues
from accounts.models import ClientProfile, Security, SecurityPrice
from tests.factories import SecurityFactory
from tests.import_commands import rejected

pytestmark = pytest.mark.django_db
CLIENTS = ("client_no,name,id_number,phone,email,tier,risk_rating,advisor,language\n"
           "C100,张三丰,110101198001010011,13800000001,zs@example.com,standard,,,zh-hans\n"
           "C200,李四,110101198001010022,13800000002,,standard,,,en\n")


def clients_dir(tmp_path: Path, content: bytes) -> Path:
    (tmp_path / "clients.csv").write_bytes(content)
    return tmp_path


@pytest.mark.parametrize("label, content, expected", [
    ("cut in a row", CLIENTS.encode()[:-40], "clients.csv:3: -: expected 9 fields as in the header, found"),
    ("cut in a quoted field", (CLIENTS + 'C300,"王五').encode(), "clients.csv:4:"),
    ("cut in a character", CLIENTS.encode()[:84] + CLIENTS.encode()[85:],
     "clients.csv:2: -: the file is UTF-8 but has bytes that are not"),
    ("binary garbage", random.Random(7).randbytes(4096), "clients.csv:1: -: the file is neither UTF-8 nor GB18030"),
    ("a picture", b"\x89PNG\r\n\x1a\n" + random.Random(8).randbytes(2000), "clients.csv:1: -: the file is neither"),
    ("UTF-16", CLIENTS.encode("utf-16"), "clients.csv:1: -: the file is neither UTF-8 nor GB18030"),
    ("header only, columns missing", b"client_no,name\n", "clients.csv:1: id_number: a required column is missing"),
    ("not CSV at all", "<html><body>导出失败</body></html>\n".encode(), "clients.csv:1:"),
])
def test_bad_account_files_are_refused_clearly_and_nothing_is_written(tmp_path, label, content, expected):
    lines = rejected("import_accounts", clients_dir(tmp_path, content))
    assert any(line.startswith(expected) for line in lines), lines
    assert not ClientProfile.objects.exists()


def test_a_gb18030_file_is_read_as_chinese_not_garbled(tmp_path):
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_accounts", str(clients_dir(tmp_path, CLIENTS.encode("gb18030"))), stdout=out)
    assert sorted(ClientProfile.objects.values_list("name", flat=True)) == ["张三丰", "李四"]


@pytest.mark.parametrize("content, expected", [
    (b"symbol,price,as_of\n600000,10.5,2024-05-06T15:0", 'prices.csv:2: as_of: "2024-05-06T15:0" is not'),
    (b"symbol,price,as_of\n600000,10.5", "prices.csv:2: -: expected 3 fields as in the header, found 2"),
    (b"symbol,price\n600000,10.5\n", "prices.csv:1: as_of: a required column is missing from the header"),
    (b"", "prices.csv:1: -: the file is empty"),
    (b"\x00" * 100, "prices.csv:1:"),
])
def test_bad_price_files_are_refused_clearly(tmp_path, content, expected):
    security = SecurityFactory(symbol="600000", price=Decimal("10.00"))
    path = tmp_path / "prices.csv"
    path.write_bytes(content)
    lines = rejected("import_prices", path)
    assert any(line.startswith(expected) for line in lines), lines
    security.refresh_from_db()
    assert security.price == Decimal("10.00") and not SecurityPrice.objects.exists()


SYMBOLS = 2000


def big_price_file(path: Path, rows: int, duplicate_at: int | None = None) -> Path:
    """`rows` prices of SYMBOLS securities, a tick a minute from 09:30 Shanghai time on 2026-11-23."""
    with open(path, "w", encoding="utf-8", newline="") as stream:
        stream.write("symbol,price,as_of\n")
        for row in range(rows):
            minute = row // SYMBOLS if row != duplicate_at else (row - SYMBOLS) // SYMBOLS
            day, minute = divmod(minute, 240)
            hour, minute = divmod(30 + minute, 60)
            stream.write(f"{600000 + row % SYMBOLS},{10 + (row % 997) / 100:.2f},"
                         f"2026-11-{23 + day % 5:02d}T{9 + hour:02d}:{minute:02d}:00+08:00\n")
    return path


NO_LATER_THAN = datetime.datetime.max.replace(tzinfo=datetime.UTC)  # the file's dates are not the point here


def test_parsing_keeps_memory_bounded_by_the_securities_not_the_rows(tmp_path):
    path = big_price_file(tmp_path / "prices.csv", 100_000)
    tracemalloc.start()
    try:
        parsed = parse_prices(path, "prices.csv", Issues(), latest_allowed=NO_LATER_THAN)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.rows == 100_000 and len(parsed.latest) == SYMBOLS
    assert peak < 8 * 1024 * 1024, f"{peak / 1e6:.1f} MB"  # a dict entry per row would take about 45 MB


def test_a_big_price_file_is_imported_in_one_go(tmp_path):
    rows = int(os.environ.get("IMPORT_ROWS", 200_000))
    Security.objects.bulk_create([Security(symbol=str(600000 + n), name=f"证券{n}", exchange="SSE",
                                           haircut=Decimal("0.6"), price=Decimal("1")) for n in range(SYMBOLS)])
    path = big_price_file(tmp_path / "prices.csv", rows)
    started = time.monotonic()
    result = prices_import(path)
    elapsed = time.monotonic() - started
    print(f"\n{rows:,} price rows imported in {elapsed:.1f} s")
    assert result.files[0].updated == SYMBOLS
    last = Security.objects.get(symbol=str(600000 + (rows - 1) % SYMBOLS))
    assert last.price == Decimal(f"{10 + ((rows - 1) % 997) / 100:.2f}")
    days = len({(row // SYMBOLS) // 240 % 5 for row in range(0, rows, SYMBOLS)})
    assert SecurityPrice.objects.count() == SYMBOLS * days


def test_a_duplicate_deep_in_a_big_file_is_named_and_nothing_is_written(tmp_path):
    SecurityFactory(symbol="600000", price=Decimal("1"))
    Security.objects.bulk_create([Security(symbol=str(600000 + n), name=f"证券{n}", exchange="SSE",
                                           haircut=Decimal("0.6"), price=Decimal("1")) for n in range(1, SYMBOLS)])
    path = big_price_file(tmp_path / "prices.csv", 50_000, duplicate_at=45_001)
    with translation.override("en"), pytest.raises(ImportRejected) as rejection:
        prices_import(path)
    issues = [str(issue) for issue in rejection.value.issues]
    assert issues == [f'prices.csv:{45_001 + 2}: symbol: duplicate price for "{600000 + 45_001 % SYMBOLS}" at '
                      f'2026-11-23T09:51:00+08:00, first on line {45_001 - SYMBOLS + 2}']
    assert not SecurityPrice.objects.exists()
