"""Keyset pages over a list of cases at a million rows: no COUNT, no OFFSET.

An order is a list of segments, each a queryset with an order an index can serve; the list is
segment 0's rows, then segment 1's, and so on (by SLA urgency: the cases with a running timer
and the margin calls with a deadline, most urgent first, then the others newest first; by
priority: urgent, high, normal and low cases, each newest first). A page reads the keys of
size + 1 rows (the extra one tells that a next page exists) after (or before) a cursor, the key of the row it starts from, and moves on to
the next segment when one runs out: a few queries, whatever the page size and however deep the
page. It returns the primary keys of its rows: the caller reads the rows themselves by primary
key (a query the database plans at once, however many tables the rows show)."""

import datetime
import operator
import re
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q, QuerySet

UTC = datetime.UTC
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
BIGINT = 2**63
CURSOR = re.compile(r"^(\d{1,2})((?:\.-?\d{1,20}){1,3})$")


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Key:
    """One ordering column of a segment: a field or an annotation of its rows."""

    field: str
    descending: bool = False
    is_datetime: bool = False
    #: A text column with a known set of values (the cursor carries the value's position).
    values: tuple[str, ...] = ()

    def encode(self, value) -> str:
        if self.values:
            return str(self.values.index(value))
        if self.is_datetime:
            delta = value - EPOCH
            return str((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)
        return str(int(value))

    def decode(self, text: str):
        number = int(text)
        if not -BIGINT < number < BIGINT:  # beyond any database integer
            raise InvalidCursor(text)
        if self.values:
            if not 0 <= number < len(self.values):
                raise InvalidCursor(text)
            return self.values[number]
        if self.is_datetime:
            try:
                return EPOCH + datetime.timedelta(microseconds=number)
            except OverflowError:
                raise InvalidCursor(text) from None
        return number


@dataclass(frozen=True)
class Segment:
    queryset: QuerySet
    keys: tuple[Key, ...]
    #: Other querysets whose rows interleave with the queryset's in the same order (each annotated
    #: with the keys' fields; no row in two of them): each is read in its own index order and the
    #: rows merged, as one ordered list.
    merged: tuple[QuerySet, ...] = ()

    def ordered(self, *, backwards: bool = False, queryset: QuerySet | None = None) -> QuerySet:
        return (self.queryset if queryset is None else queryset).order_by(*(
            f"{'-' if key.descending != backwards else ''}{key.field}" for key in self.keys))

    def rows(self, values: list | None, limit: int, *, backwards: bool) -> list[tuple]:
        """Up to `limit` rows (primary key, *key values) in this order, past `values` if given."""
        found = []
        for queryset in (self.queryset, *self.merged):
            queryset = self.ordered(backwards=backwards, queryset=queryset)
            if values is not None:
                queryset = queryset.filter(self.beyond(values, backwards=backwards))
            found += queryset.values_list("pk", *(key.field for key in self.keys))[:limit]
        if self.merged:
            for position in reversed(range(len(self.keys))):  # stable sorts, the last key first
                found.sort(key=lambda row: row[1 + position], reverse=self.keys[position].descending != backwards)
        return found[:limit]

    def beyond(self, values: list, *, backwards: bool = False) -> Q:
        """Rows strictly after `values` in this order (before them when `backwards`); the first
        key also bounds the range on its own, so that an index scan starts there."""
        def lookup(key: Key, inclusive: bool) -> str:
            later = key.descending == backwards  # "later" in the walking direction: a greater value
            return f"{key.field}__{'g' if later else 'l'}t{'e' if inclusive else ''}"

        alternatives, equal = [], Q()
        for key, value in zip(self.keys, values, strict=True):
            alternatives.append(equal & Q(**{lookup(key, False): value}))
            equal &= Q(**{key.field: value})
        return Q(**{lookup(self.keys[0], True): values[0]}) & reduce(operator.or_, alternatives)

    def cursor(self, index: int, values: tuple) -> str:
        return ".".join([str(index), *(key.encode(value) for key, value in zip(self.keys, values, strict=True))])


@dataclass
class Page:
    ids: list  # primary keys of the rows, in order
    next_cursor: str | None  # rows after it make the next page
    previous_cursor: str | None  # rows before it make the previous page
    has_previous: bool  # the previous page may be the first one (no cursor)


def parse_cursor(segments: list[Segment], cursor: str) -> tuple[int, list]:
    match = CURSOR.match(cursor or "")
    if not match:
        raise InvalidCursor(cursor)
    index = int(match.group(1))
    if index >= len(segments):
        raise InvalidCursor(cursor)
    texts = match.group(2)[1:].split(".")
    keys = segments[index].keys
    if len(texts) != len(keys):
        raise InvalidCursor(cursor)
    return index, [key.decode(text) for key, text in zip(keys, texts, strict=True)]


def _walk(segments: list[Segment], start: int, values: list | None, limit: int, *, backwards: bool) -> list:
    """Up to `limit` (segment index, primary key, key values) from segment `start` on, past
    `values` there."""
    found: list = []
    indexes = range(start, -1, -1) if backwards else range(start, len(segments))
    for index in indexes:
        rows = segments[index].rows(values if index == start else None, limit - len(found), backwards=backwards)
        found += [(index, row[0], row[1:]) for row in rows]
        if len(found) >= limit:
            break
    return found


def keyset_page(segments: list[Segment], size: int, *, after: str | None = None,
                before: str | None = None) -> Page:
    """The page after the cursor `after`, before the cursor `before`, or the first one."""
    if before:
        start, values = parse_cursor(segments, before)
        found = _walk(segments, start, values, size + 1, backwards=True)
        if len(found) > size:
            found = found[:size][::-1]
            return Page([pk for _index, pk, _values in found], _cursor(segments, found[-1]),
                        _cursor(segments, found[0]), has_previous=True)
        # What is before fits in one page: that is the first page (read afresh, full).
        return keyset_page(segments, size)
    start, values = parse_cursor(segments, after) if after else (0, None)
    found = _walk(segments, start, values, size + 1, backwards=False)
    has_next = len(found) > size
    found = found[:size]
    return Page(
        [pk for _index, pk, _values in found],
        next_cursor=_cursor(segments, found[-1]) if has_next else None,
        previous_cursor=_cursor(segments, found[0]) if after and found else None,
        has_previous=bool(after),
    )


def _cursor(segments: list[Segment], found: tuple) -> str:
    index, _pk, values = found
    return segments[index].cursor(index, values)
