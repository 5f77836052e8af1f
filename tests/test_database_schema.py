"""The migrated database holds every index and constraint the models declare, on PostgreSQL and on
SQLite alike: the guarantees the code leans on ("at most one open margin call per account", "one
running clock per case and metric") live there, and a migration can lose one without a word
(cases/0018's AlterField dropped the first on PostgreSQL; Django left the second out on SQLite
once it carried covering columns; cases/0021 restored both)."""

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cases.models import Case, CaseKind, SlaTimer
from cases.models.case import MARGIN_CALL_CLOSED_STATES

pytestmark = pytest.mark.django_db


def test_every_declared_index_and_constraint_is_in_the_migrated_database():
    missing = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in apps.get_models():
            meta = model._meta
            if not meta.managed or meta.proxy or not meta.can_migrate(connection) or meta.db_table not in tables:
                continue
            present = connection.introspection.get_constraints(cursor, meta.db_table)
            missing += [f"{meta.db_table}.{item.name}" for item in [*meta.indexes, *meta.constraints]
                        if item.name not in present]

    assert missing == []


def _margin_call(client_profile, credit_account, number: str, state: str) -> Case:
    return Case.objects.create(number=number, kind=CaseKind.MARGIN_CALL, state=state, subject="追加担保",
                               client=client_profile, credit_account=credit_account)


def test_the_database_refuses_a_second_open_margin_call_for_an_account(client_profile, credit_account):
    _margin_call(client_profile, credit_account, "CS-2026-900001", "client_notified")
    closed = sorted(MARGIN_CALL_CLOSED_STATES)[0]
    _margin_call(client_profile, credit_account, "CS-2026-900002", closed)  # a closed one does not count

    with pytest.raises(IntegrityError), transaction.atomic():
        _margin_call(client_profile, credit_account, "CS-2026-900003", "open")

    assert Case.objects.filter(credit_account=credit_account, kind=CaseKind.MARGIN_CALL).count() == 2


def test_the_database_refuses_a_second_running_clock_for_a_case_and_metric(client_profile):
    case = Case.objects.create(number="CS-2026-900010", kind=CaseKind.TICKET, state="open", subject="咨询",
                               client=client_profile)
    now = timezone.now()
    clock = {"case": case, "metric": "resolution", "calendar_code": "working", "target_seconds": 3600,
             "started_at": now, "resumed_at": now}
    SlaTimer.objects.create(cycle=0, **clock)

    with pytest.raises(IntegrityError), transaction.atomic():
        SlaTimer.objects.create(cycle=1, **clock)

    SlaTimer.objects.filter(case=case).update(stopped_at=now, state="met")
    SlaTimer.objects.create(cycle=1, **clock)  # once the first has stopped, a new cycle may run
    assert SlaTimer.objects.filter(case=case, stopped_at=None).count() == 1


@pytest.mark.postgres(reason="the index went missing on PostgreSQL; SQLite's schema editor needs no open transaction")
def test_the_restoring_migration_creates_a_missing_index_and_names_the_rows_that_break_it(
        client_profile, credit_account):
    """cases/0021 on a database that lost the one-open-margin-call index: with two open calls for
    one account it stops and names the account; once they are resolved it creates the index."""
    import importlib

    restoring = importlib.import_module("cases.migrations.0021_unique_indexes_restored")
    constraint = next(c for c in Case._meta.constraints if c.name == "case_one_open_margin_call")
    with connection.schema_editor() as editor:
        editor.remove_constraint(Case, constraint)
    first = _margin_call(client_profile, credit_account, "CS-2026-900021", "open")
    _margin_call(client_profile, credit_account, "CS-2026-900022", "client_notified")

    with pytest.raises(RuntimeError, match=f"'credit_account': {credit_account.pk}, 'rows': 2"):
        with connection.schema_editor() as editor:
            restoring.restore(apps, editor)

    Case.objects.filter(pk=first.pk).update(state=sorted(MARGIN_CALL_CLOSED_STATES)[0])
    with connection.cursor() as cursor:  # the rows' key checks done, as a migration's transaction has none pending
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        restoring.restore(apps, editor)
    with connection.cursor() as cursor:
        assert "case_one_open_margin_call" in connection.introspection.get_constraints(cursor, "cases_case")
    with pytest.raises(IntegrityError), transaction.atomic():
        _margin_call(client_profile, credit_account, "CS-2026-900023", "open")
