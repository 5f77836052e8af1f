"""The audit trail (cases_caseevent) is append-only at the database level: on PostgreSQL a trigger
(cases/migrations/0002_append_only_events.py) refuses UPDATE and DELETE, whoever sends them — the
ORM, raw SQL, a bulk update. Inserting stays possible. So are the other audit records, contract
changes and the margin-call call log (servicedesk/append_only.py)."""

import pytest
from django.db import DatabaseError, connection, transaction

from cases.models import CaseEvent
from cases.services import case_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres(reason="the append-only trigger is PostgreSQL's (set DATABASE_URL)"),
]


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


# --- the other audit records: contract changes and the margin-call call log -----------------------

@pytest.fixture
def contract_change(client_profile, agent):
    from cases.models import ContractChange
    from tests.factories import CreditAccountFactory

    account = CreditAccountFactory(client=client_profile)
    case = case_create(created_by=agent, client=client_profile, kind="ticket", subject="展期")
    return ContractChange.objects.create(account=account, field="contract_maturity", old_value="2026-12-01",
                                         new_value="2027-06-01", case=case, changed_by=agent)


@pytest.fixture
def call_logged(client_profile, agent):
    from django.utils import timezone

    from risk.models import MarginCallContact

    from tests.web.margin import open_margin_call

    case = open_margin_call(client_profile, agent)
    return MarginCallContact.objects.create(case=case, called_at=timezone.now(), outcome="reached",
                                            note="客户已接听", recorded_by=agent)


@pytest.mark.parametrize(("record", "text_field"), [("contract_change", "new_value"), ("call_logged", "note")])
def test_contract_changes_and_call_logs_cannot_be_rewritten_or_deleted(record, text_field, request):
    row = request.getfixturevalue(record)
    table = type(row)._meta.db_table
    rows = type(row).objects.filter(pk=row.pk)
    update = refused(lambda: rows.update(**{text_field: "rewritten"}))
    assert f"{table} is append-only: UPDATE refused" in update
    assert f"{table} is append-only: DELETE refused" in refused(rows.delete)

    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [row.pk])  # noqa: S608 - our own table name

    assert "append-only" in refused(raw_delete)
    assert getattr(type(row).objects.get(pk=row.pk), text_field) == getattr(row, text_field)
    type(row).objects.create(**{field.attname: getattr(row, field.attname)
                                for field in row._meta.concrete_fields if not field.primary_key})
    assert rows.model.objects.count() == 2  # appending still works
