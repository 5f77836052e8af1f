from cases.services.cases import case_assign, case_create, case_update
from cases.services.events import event_record
from cases.services.messages import ensure_client_may_reply, ensure_may_write, message_create, message_create_once
from cases.services.transitions import available_transitions, case_transition, ensure_may_take_steps

__all__ = [
    "available_transitions", "case_assign", "case_create", "case_transition", "case_update",
    "ensure_client_may_reply", "ensure_may_take_steps", "ensure_may_write", "event_record", "message_create",
    "message_create_once",
]
