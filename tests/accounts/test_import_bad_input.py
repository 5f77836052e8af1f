"""Operators' imports facing odd but readable input: the file is imported, or refused naming its
line and column; never a traceback."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.models import SecurityPrice
from tests.factories import SecurityFactory
from tests.import_commands import rejected

pytestmark = pytest.mark.django_db


def test_a_price_stamped_with_an_offset_postgresql_has_no_room_for_is_imported_at_its_moment(tmp_path):
    """Python reads offsets up to ±23:59, PostgreSQL stores at most ±15:59: a price stamped +23:59
    was a DataError traceback. The moment is the same whatever its offset: it is stored as such."""
    security = SecurityFactory(symbol="600000", price=Decimal("10.00"),
                               price_as_of=datetime.datetime(2024, 5, 6, 1, 0, tzinfo=datetime.UTC))
    path = tmp_path / "prices.csv"
    path.write_text("symbol,price,as_of\n600000,10.88,2024-05-07T07:00:00+23:59\n", encoding="utf-8")

    out = io.StringIO()
    with translation.override("en"):
        call_command("import_prices", str(path), stdout=out, stderr=io.StringIO())

    moment = datetime.datetime(2024, 5, 6, 7, 1, tzinfo=datetime.UTC)
    security.refresh_from_db()
    assert (security.price, security.price_as_of) == (Decimal("10.88"), moment)
    history = SecurityPrice.objects.get(security=security)
    assert (history.trade_date, history.as_of) == (datetime.date(2024, 5, 6), moment)
    assert "1 updated" in out.getvalue()


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+00:00", "1990-12-18T15:00:00+08:00"])
def test_a_price_dated_before_the_exchange_opened_is_refused_with_its_line(tmp_path, as_of):
    """A year typed wrong would have written a price history nobody had (into the daily prices too)."""
    SecurityFactory(symbol="600000", price=Decimal("10.00"))
    path = tmp_path / "prices.csv"
    path.write_text(f"symbol,price,as_of\n600000,10.88,2026-11-27T10:00:00+08:00\n600000,9.99,{as_of}\n",
                    encoding="utf-8")
    errors = rejected("import_prices", path)
    assert errors == [f'prices.csv:3: as_of: "{datetime.datetime.fromisoformat(as_of).isoformat()}" is before the '
                      "exchange opened (1990-12-19)"]
    assert not SecurityPrice.objects.exists()


def test_the_refusal_counts_its_errors_in_good_english(tmp_path):
    """One error was "rejected with 1 errors"."""
    SecurityFactory(symbol="600000", price=Decimal("10.00"))
    path = tmp_path / "prices.csv"
    for rows, count in (("600000,abc,2026-11-27T10:00:00+08:00\n", "1 error;"),
                        ("600000,abc,2026-11-27T10:00:00+08:00\n600000,0,2026-11-27T10:01:00+08:00\n", "2 errors;")):
        path.write_text("symbol,price,as_of\n" + rows, encoding="utf-8")
        with translation.override("en"), pytest.raises(CommandError) as failure:
            call_command("import_prices", str(path), stdout=io.StringIO(), stderr=io.StringIO())
        assert f"The import was rejected with {count} nothing was written." in str(failure.value)
