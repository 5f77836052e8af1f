"""An audit event's case is kept from the cases' side (cases.event_keys): a case with events is
not deleted behind the ORM's back, one without is, and deleting a case waits for a transaction
writing events (PostgreSQL) instead of leaving an event without its case."""

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import ProtectedError

from cases.models import Case, CaseEvent, CaseKind, EventKind
from cases.services import case_create
from cases.services.events import event_record
from tests.concurrency import held_open


def orphan_events() -> int:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT COUNT(*) FROM cases_caseevent e
                          WHERE NOT EXISTS (SELECT 1 FROM cases_case c WHERE c.id = e.case_id)""")
        return cursor.fetchone()[0]


def delete_case_by_sql(case_id: int, *, keep_events: bool = True) -> None:
    """DELETE the case in SQL, what refers to it first (its timers, notices...), its events only
    when `keep_events` is false; the keys are checked as a commit would."""
    with connection.cursor() as cursor:
        for relation in Case._meta.related_objects:
            model = relation.related_model
            if model is CaseEvent and keep_events:
                continue
            if relation.many_to_many or not hasattr(model, "_meta"):
                continue
            table, column = model._meta.db_table, relation.field.column
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %s", [case_id])  # noqa: S608 (model names)
        cursor.execute("DELETE FROM cases_case WHERE id = %s", [case_id])
    connection.check_constraints()  # PostgreSQL checks at commit, as a key would


def new_ticket(client_profile, agent):
    return case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="Statement missing")


@pytest.mark.django_db
@pytest.mark.postgres(
    reason="on SQLite (the single-user demo) the ORM's on_delete alone keeps the key "
           '(servicedesk.kept_keys)')
def test_a_case_with_events_is_not_deleted_behind_the_orms_back(client_profile, agent):
    case = new_ticket(client_profile, agent)
    assert CaseEvent.objects.filter(case=case).exists()
    with pytest.raises(IntegrityError, match="audit trail"), transaction.atomic():
        delete_case_by_sql(case.pk)
    assert Case.objects.filter(pk=case.pk).exists()
    assert orphan_events() == 0


@pytest.mark.django_db
def test_the_orm_still_refuses_to_delete_a_case_with_events(client_profile, agent):
    case = new_ticket(client_profile, agent)
    with pytest.raises(ProtectedError), transaction.atomic():
        case.delete()
    assert Case.objects.filter(pk=case.pk).exists()


@pytest.mark.django_db
def test_a_case_without_events_is_deleted_and_the_others_keep_theirs(client_profile, agent):
    kept = new_ticket(client_profile, agent)
    case = new_ticket(client_profile, agent)
    if connection.vendor == "postgresql":  # the audit trail refuses DELETE there: take the trigger off
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses to run with checks pending
            cursor.execute("ALTER TABLE cases_caseevent DISABLE TRIGGER cases_caseevent_append_only")
    with transaction.atomic():
        delete_case_by_sql(case.pk, keep_events=False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE cases_caseevent ENABLE TRIGGER cases_caseevent_append_only")
    assert not Case.objects.filter(pk=case.pk).exists()
    assert CaseEvent.objects.filter(case=kept).exists() and orphan_events() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_deleting_a_case_waits_for_a_transaction_writing_its_events(client_profile, agent):
    case = new_ticket(client_profile, agent)

    def write_event():
        # An assignment: the SLA engine passes it by and locks no timer (the delete below meets
        # the audit trail's lock, nothing else).
        event_record(case=Case.objects.get(pk=case.pk), kind=EventKind.ASSIGNMENT, name="note",
                     comment="called back", is_internal=True)

    with held_open(write_event):
        # An event is written and not committed: the delete has to wait for it.
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '300ms'")
            delete_case_by_sql(case.pk)
    # Once it committed, the delete meets the events and is refused.
    with pytest.raises(IntegrityError, match="audit trail"), transaction.atomic():
        delete_case_by_sql(case.pk)
    assert Case.objects.filter(pk=case.pk).exists() and orphan_events() == 0
    assert CaseEvent.objects.filter(case=case, comment="called back").exists()
