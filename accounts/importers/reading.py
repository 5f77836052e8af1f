"""Reading the core system's CSV files: encoding detection, header checks, physical line
numbers, and the list of problems found (`file:line: column: reason`)."""

import codecs
import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

#: Tried in this order, strictly; a file that is neither is rejected.
ENCODINGS = ("utf-8-sig", "gb18030")
#: The column shown for a problem that is not about one column (an empty file, a short row).
NO_COLUMN = "-"
#: Problems kept in memory per import; beyond this only the count grows.
ISSUES_KEPT = 10_000
#: Problems printed by the commands; the rest are counted.
ISSUES_PRINTED = 1000
_CHUNK = 1 << 20


class Issue(NamedTuple):
    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.reason}"


class Issues:
    """Every problem an import found, in file order (the import's order) then line order."""

    def __init__(self, file_order: tuple[str, ...] = ()):
        self._file_rank = {name: rank for rank, name in enumerate(file_order)}
        self._kept: list[Issue] = []
        self.total = 0

    def add(self, file: str, line: int, column: str, reason: str) -> None:
        self.total += 1
        if len(self._kept) < ISSUES_KEPT:
            self._kept.append(Issue(file, line, column, reason))

    def __bool__(self) -> bool:
        return self.total > 0

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[Issue]:
        rank = self._file_rank
        return iter(sorted(self._kept, key=lambda issue: (rank.get(issue.file, len(rank)), issue.line)))

    def formatted(self, limit: int = ISSUES_PRINTED) -> list[str]:
        """At most `limit` lines, then one saying how many more there are."""
        lines = []
        for issue in self:
            if len(lines) == limit:
                break
            lines.append(str(issue))
        if self.total > len(lines):
            lines.append(_("… and %(count)d more errors") % {"count": self.total - len(lines)})
        return lines


@dataclass(frozen=True)
class Column:
    """A column of an import file. `parse` turns the stripped text into a value or raises
    ValueError with the reason; an empty value is an error when `required`, else `default`."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True
    in_header: bool = True
    default: Any = None


class Row(NamedTuple):
    line: int
    values: dict[str, Any]  # only the columns the file has, parsed
    ok: bool  # False when a value of this row was bad (the row's issues are already listed)


class EncodingRejected(ValueError):
    def __init__(self, reason: str, line: int = 1):
        super().__init__(reason)
        self.reason = reason
        self.line = line


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes strictly as UTF-8, else GB18030 if it
    decodes strictly as that; anything else is rejected, naming what it looks like."""
    first_error_line = 1
    with open(path, "rb") as stream:
        marked_utf8 = stream.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        lines_before = 0
        try:
            with open(path, "rb") as stream:
                while chunk := stream.read(_CHUNK):
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError as error:
                        if encoding == ENCODINGS[0]:
                            first_error_line = lines_before + chunk[: max(error.start, 0)].count(b"\n") + 1
                        raise
                    lines_before += chunk.count(b"\n")
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if encoding == ENCODINGS[0] and _looks_like_damaged_utf8(path):
                raise EncodingRejected(_("the file is UTF-8 but has bytes that are not (it is damaged or was cut off "
                                         "in the middle of a character); export it again"),
                                       line=first_error_line) from None
            if marked_utf8:  # read as GB18030, the mark would become "锘" and spoil the header's first column
                raise EncodingRejected(_("the file starts with the UTF-8 byte order mark but is not UTF-8 after it; "
                                         "save it as UTF-8 and import it again"), line=first_error_line) from None
            continue
        return encoding
    raise EncodingRejected(_encoding_reason(path), line=first_error_line)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _looks_like_damaged_utf8(path: Path) -> bool:
    """Most (two thirds or more) of the file's non-ASCII text is valid UTF-8: a UTF-8 file with
    a damaged or cut-off character, which GB18030 would otherwise "read" as garbled Chinese
    (GB18030 text read as UTF-8 is mostly invalid)."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    valid = invalid = 0
    with open(path, "rb") as stream:
        while True:
            chunk = stream.read(_CHUNK)
            text = decoder.decode(chunk, final=not chunk)
            if not text.isascii():
                bad = text.count("\ufffd")
                invalid += bad
                valid += len(_NON_ASCII.findall(text)) - bad
            if not chunk:
                break
    return valid > 0 and valid >= 2 * invalid


def _encoding_reason(path: Path) -> str:
    from charset_normalizer import from_path

    best = from_path(path).best()
    if best is not None and best.encoding:
        return _("the file is neither UTF-8 nor GB18030 (it looks like %(encoding)s); "
                 "save it as UTF-8 and import it again") % {"encoding": best.encoding}
    return _("the file is neither UTF-8 nor GB18030 text; save it as UTF-8 and import it again")


def read_rows(path: Path, filename: str, columns: list[Column], issues: Issues) -> Iterator[Row]:
    """Stream the rows of one file, parsed per `columns`, listing every problem in `issues`.
    Rows whose values are bad are still yielded (ok=False) so their keys can be recognised;
    rows with the wrong number of fields are not. Unknown columns are ignored."""
    try:
        encoding = detect_encoding(path)
    except EncodingRejected as rejected:
        issues.add(filename, rejected.line, NO_COLUMN, rejected.reason)
        return
    with open(path, encoding=encoding, newline="") as stream:
        reader = csv.reader(stream)
        header = _next_record(reader, filename, issues)
        while header is not None and not any(field.strip() for field in header):
            header = _next_record(reader, filename, issues)
        if header is None:
            issues.add(filename, 1, NO_COLUMN, _("the file is empty: there is no header row"))
            return
        header_line = reader.line_num
        positions = _header_positions(header, header_line, filename, columns, issues)
        width = len(header)
        line_before = reader.line_num
        while (record := _next_record(reader, filename, issues)) is not None:
            line, line_before = line_before + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue  # blank lines and rows of empty cells (as spreadsheets leave them)
            if len(record) != width:
                issues.add(filename, line, NO_COLUMN,
                           _("expected %(expected)d fields as in the header, found %(found)d")
                           % {"expected": width, "found": len(record)})
                continue
            values, ok = {}, True
            for column, index in positions:
                raw = record[index].strip()
                if raw == "":
                    if column.required:
                        issues.add(filename, line, column.name, _("a value is required"))
                        ok = False
                    values[column.name] = column.default
                    continue
                try:
                    values[column.name] = column.parse(raw)
                except ValueError as error:
                    issues.add(filename, line, column.name, str(error))
                    ok = False
            yield Row(line, values, ok)


def _next_record(reader, filename: str, issues: Issues) -> list[str] | None:
    while True:
        try:
            return next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            issues.add(filename, reader.line_num, NO_COLUMN,
                       _("the row cannot be read as CSV: %(error)s") % {"error": error})


def _header_positions(header: list[str], line: int, filename: str, columns: list[Column],
                      issues: Issues) -> list[tuple[Column, int]]:
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    seen: dict[str, int] = {}
    for index, name in enumerate(names):
        if name and name in seen:
            issues.add(filename, line, name, _("the column appears twice in the header"))
        seen.setdefault(name, index)
    positions = []
    for column in columns:
        if column.name in seen:
            positions.append((column, seen[column.name]))
        elif column.in_header:
            issues.add(filename, line, column.name, _("a required column is missing from the header"))
    return positions
