from cases.models.case import (
    Attachment,
    Case,
    CaseEvent,
    CaseKind,
    CaseMessage,
    CaseNumberSequence,
    Channel,
    EventKind,
    Priority,
)
from cases.models.workflows import (
    WORKFLOWS,
    DisputeCase,
    ExtensionCase,
    MarginCallCase,
    ReliefCase,
    TicketCase,
)

__all__ = [
    "Attachment", "Case", "CaseEvent", "CaseKind", "CaseMessage", "CaseNumberSequence", "Channel",
    "EventKind", "Priority", "WORKFLOWS", "DisputeCase", "ExtensionCase", "MarginCallCase",
    "ReliefCase", "TicketCase",
]
