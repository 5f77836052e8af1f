"""What every import shares: its result, its rejection, and set-based lookups and writes."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.importers.reading import Issues

#: Rows per INSERT / UPDATE statement.
BATCH_SIZE = 1000
#: Up to this many keys a lookup filters with IN (...); beyond it, one pass over the table is
#: cheaper than a huge parameter list (and SQLite limits parameters per statement).
IN_LIMIT = 500


@dataclass
class FileSummary:
    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    history_created: int = 0
    history_updated: int = 0

    def describe(self) -> str:
        return _("%(file)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                 "%(deleted)d deleted") % self.__dict__


@dataclass
class PriceFileSummary(FileSummary):
    def describe(self) -> str:
        return _("%(file)s: %(updated)d updated, %(unchanged)d unchanged, %(skipped)d skipped (older than "
                 "the stored price); daily history: %(history_created)d created, %(history_updated)d updated"
                 ) % self.__dict__


@dataclass
class ImportResult:
    files: list[FileSummary] = field(default_factory=list)
    #: Securities whose price (or its time) was written: their accounts need revaluing.
    updated_security_ids: set[int] = field(default_factory=set)


class ImportRejected(Exception):
    """Nothing was written. `issues` lists every problem found (may be empty when the reason
    is the message itself, e.g. no files to import)."""

    def __init__(self, message: str, issues: Issues | None = None):
        super().__init__(message)
        self.message = message
        self.issues = issues if issues is not None else Issues()


def rejected_for(issues: Issues) -> ImportRejected:
    return ImportRejected(
        ngettext("The import was rejected with %(count)d error; nothing was written.",
                 "The import was rejected with %(count)d errors; nothing was written.",
                 issues.total) % {"count": issues.total},
        issues,
    )


def refused_by_database(error: Exception) -> ImportRejected:
    """A constraint the checks could not foresee, e.g. another import writing the same rows."""
    return ImportRejected(_("The database refused the import (%(error)s); nothing was written. Another "
                            "import may have run at the same time: try again.") % {"error": error})


def unknown_reference(column: str, value: str) -> str:
    return _('unknown %(column)s "%(value)s"') % {"column": column, "value": value}


def rows_by_key(model: type[models.Model], key: str, keys: Iterable, fields: Iterable[str]) -> dict:
    """{key value: row (a named tuple of key, id and `fields`)} for the rows whose `key` is in
    `keys`, in one query."""
    wanted = set(keys)
    if not wanted:
        return {}
    queryset = model.objects.order_by().values_list(key, "id", *fields, named=True)
    if len(wanted) <= IN_LIMIT:
        return {row[0]: row for row in queryset.filter(**{f"{key}__in": wanted})}
    return {row[0]: row for row in queryset.iterator(chunk_size=5000) if row[0] in wanted}


def upsert(model: type[models.Model], key: str, records: dict, existing: dict, summary: FileSummary) -> dict:
    """Create the records not in `existing`, update those that differ, leave equal ones alone
    (their updated_at too), in batches. `records` maps key → {field: value}; returns key → id
    for every record.

    The rows are updated in the order of their ids, not of the file: whoever else locks several of
    them (a stress test's outreach locks accounts one by one in that order) then waits for the import
    or the import for them, where in the file's order each could hold a row the other waits for, and
    PostgreSQL would abort one of them as a deadlock."""
    ids, creates, updates = {}, [], []
    stamp = {"updated_at": timezone.now()} if any(f.name == "updated_at" for f in model._meta.concrete_fields) else {}

    def write_creates():
        model.objects.bulk_create(creates, batch_size=BATCH_SIZE)
        ids.update({getattr(obj, key): obj.pk for obj in creates})
        creates.clear()

    for key_value, values in records.items():
        old = existing.get(key_value)
        if old is None:
            creates.append(model(**{key: key_value}, **values))
            summary.created += 1
            if len(creates) >= BATCH_SIZE:
                write_creates()
            continue
        ids[key_value] = old.id
        changed = [name for name, value in values.items() if getattr(old, name) != value]
        if not changed:
            summary.unchanged += 1
            continue
        updates.append((old.id, key_value, values, changed))
        summary.updated += 1
    write_creates()
    updates.sort(key=lambda update: update[0])
    for start in range(0, len(updates), BATCH_SIZE):
        batch = updates[start:start + BATCH_SIZE]
        fields = sorted({name for *_row, changed in batch for name in changed} | stamp.keys())
        model.objects.bulk_update([model(id=pk, **{key: key_value}, **values, **stamp)
                                   for pk, key_value, values, _changed in batch], fields, batch_size=BATCH_SIZE)
    missing = [key_value for key_value, pk in ids.items() if pk is None]
    if missing:  # a database that does not return ids from a bulk insert
        ids.update({k: row.id for k, row in rows_by_key(model, key, missing, ()).items()})
    return ids
