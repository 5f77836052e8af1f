from django.db import transaction

from cases.models import Case, CaseEvent
from cases.services.sla import sla_on_event
from cases.signals import case_event_committed


def event_record(*, case: Case, kind: str, actor=None, name: str = "", from_value: str = "", to_value: str = "",
                 comment: str = "", is_internal: bool = False, data: dict | None = None) -> CaseEvent:
    """Append one row to the case's audit trail and announce it once the transaction commits."""
    event = CaseEvent.objects.create(
        case=case, kind=kind, actor=actor, name=name, from_value=str(from_value or ""),
        to_value=str(to_value or ""), comment=comment, is_internal=is_internal, data=data or {},
    )
    sla_on_event(event)
    transaction.on_commit(lambda: case_event_committed.send(sender=CaseEvent, event=event))
    return event
