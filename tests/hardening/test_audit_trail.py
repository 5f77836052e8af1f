"""The audit trail (cases_caseevent) is append-only at the database level: on PostgreSQL a trigger
(cases/migrations/0002_append_only_events.py) refuses UPDATE and DELETE, whoever sends them — the
ORM, raw SQL, a bulk update. Inserting stays possible."""

import pytest
from django.db import DatabaseError, connection, transaction

from cases.models import CaseEvent
from cases.services import case_create

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (set DATABASE_URL)")


@pytest.fixture
def event(client_profile, agent):
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="审计")
    return CaseEvent.objects.filter(case=case).first()


def refused(run) -> str:
    with pytest.raises(DatabaseError) as error:
        with transaction.atomic():
            run()
    return str(error.value)


def test_update_is_refused(event):
    message = refused(lambda: CaseEvent.objects.filter(pk=event.pk).update(comment="rewritten"))
    assert "append-only" in message and "UPDATE" in message
    event.refresh_from_db()
    assert event.comment != "rewritten"


def test_saving_a_changed_event_is_refused(event):
    event.to_value = "closed"
    assert "append-only" in refused(event.save)


def test_delete_is_refused(event):
    assert "DELETE" in refused(lambda: CaseEvent.objects.filter(pk=event.pk).delete())
    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_is_refused_too(event):
    def raw_update():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_caseevent SET actor_id = NULL WHERE id = %s", [event.pk])

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])

    assert "append-only" in refused(raw_update)
    assert "append-only" in refused(raw_delete)


def test_appending_still_works(event):
    CaseEvent.objects.create(case_id=event.case_id, kind="update", name="test")
    assert CaseEvent.objects.filter(case_id=event.case_id).count() >= 2
