"""Tables shown on a page and exported as CSV from the same rows and the same formatting, so a
spreadsheet holds exactly the figures the page shows."""

import csv
import io
from urllib.parse import quote
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from servicedesk import formats
from servicedesk.csv_export import csv_safe

#: Column kinds: how a value is written (the template adds links, badges and countdowns).
TEXT, NUMBER, PERCENT, CASE, DATETIME, SLA = "text", "number", "percent", "case", "datetime", "sla"


def case_url(number: str) -> str:
    """The console's case page (console:case), or its path if that page is not installed."""
    for arguments in ({"kwargs": {"number": number}}, {"args": [number]}):
        try:
            return reverse("console:case", **arguments)
        except NoReverseMatch:
            continue
    return f"/console/cases/{number}/"


PLACEHOLDER = "CS-0000-000000"


def case_url_maker():
    """case_url for many rows: the URL reversed once, each case's number put in its place."""
    before, _found, after = case_url(PLACEHOLDER).partition(PLACEHOLDER)
    return lambda number: f"{before}{quote(number)}{after}"


def formatted(kind: str, value) -> str:
    """A value as the page shows it and the CSV holds it."""
    if value is None or value == "":
        return ""
    if kind == PERCENT:
        return f"{value:.1f}%"
    if kind == DATETIME:
        return formats.moment(value)
    return str(value)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = TEXT

    def csv_headers(self) -> list[str]:
        if self.kind == SLA:  # one cell on the page: compliance and its counts
            return [_("%(metric)s compliance") % {"metric": self.label}, _("%(metric)s met") % {"metric": self.label},
                    _("%(metric)s breached") % {"metric": self.label},
                    _("%(metric)s running") % {"metric": self.label}]
        return [self.label]

    def csv_cells(self, value) -> list[str]:
        if self.kind == SLA:
            value = value or {}
            return [formatted(PERCENT, value.get("compliance")), formatted(NUMBER, value.get("met", 0)),
                    formatted(NUMBER, value.get("breached", 0)), formatted(NUMBER, value.get("running", 0))]
        return [formatted(self.kind, value)]


@dataclass(frozen=True)
class Cell:
    key: str
    kind: str
    value: object
    text: str
    url: str = ""
    #: Under an SLA cell's compliance: its counts.
    detail: str = ""

    @property
    def html(self) -> str:
        """The cell's <td> (built here, not in the template: a table of agents has thousands)."""
        if self.kind == SLA:
            inner = (format_html('<strong>{}</strong><br><span class="muted small">{}</span>', self.text or "—",
                                 self.detail) if self.value else mark_safe('<span class="muted">—</span>'))
            return format_html('<td class="num" data-key="{}" data-value="{}">{}</td>', self.key, self.text, inner)
        if self.kind == CASE and self.url:
            return format_html('<td data-key="{}" data-value="{}" class="nowrap"><a href="{}">{}</a></td>', self.key,
                               self.text, self.url, self.text)  # a case number on one line
        if self.kind in (TEXT, CASE):  # nobody, no queue: a dash as in the number cells, not a blank
            return format_html('<td data-key="{}" data-value="{}">{}</td>', self.key, self.text, self.text or "—")
        return format_html('<td class="num" data-key="{}" data-value="{}">{}</td>', self.key, self.text,
                           self.text or "—")


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict]
    #: Rows under the body (totals), exported after the rows.
    footer: list[dict] = field(default_factory=list)
    note: str = ""

    def _cells(self, row: dict, case_url) -> list[Cell]:
        sla_detail = _("%(met)s met · %(breached)s breached · %(running)s running")
        cells = []
        for column in self.columns:
            value = row.get(column.key)
            url = case_url(value) if column.kind == CASE and value else ""
            if column.kind == SLA:
                cells.append(Cell(column.key, SLA, value, formatted(PERCENT, (value or {}).get("compliance")),
                                  detail=sla_detail % value if value else ""))
            else:
                cells.append(Cell(column.key, column.kind, value, formatted(column.kind, value), url))
        return cells

    @property
    def body(self) -> list[list[Cell]]:
        case_url = case_url_maker()
        return [self._cells(row, case_url) for row in self.rows]

    @property
    def foot(self) -> list[list[Cell]]:
        case_url = case_url_maker()
        return [self._cells(row, case_url) for row in self.footer]

    @property
    def sections(self) -> list[tuple[str, list[str]]]:
        """(tag, rows as <td> markup) for the template: the body, then the totals if there is a body."""
        body = [mark_safe("".join(cell.html for cell in cells)) for cells in self.body]
        foot = [mark_safe("".join(cell.html for cell in cells)) for cells in self.foot] if body else []
        return [("tbody", body), *([("tfoot", foot)] if foot else [])]

    def csv_response(self, filename: str) -> HttpResponse:
        """UTF-8 with a byte-order mark (Excel then reads Chinese right), formulas neutralised."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([csv_safe(header) for column in self.columns for header in column.csv_headers()])
        for row in [*self.rows, *self.footer]:
            writer.writerow([csv_safe(cell) for column in self.columns
                             for cell in column.csv_cells(row.get(column.key))])
        response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
