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
from cases.models.calendar import BusinessCalendar, CalendarChange, CalendarDay, CalendarYear
from cases.models.jobs import PeriodicJobRun
from cases.models.ratings import SatisfactionRating
from cases.models.requests import ContractChange, RequestDetails
from cases.models.sla import ESCALATION_LEVELS, REGULATORY_METRICS, Metric, SlaEscalation, SlaPolicy, SlaTarget, SlaTimer
from cases.models.workflows import (
    WORKFLOWS,
    DisputeCase,
    ExtensionCase,
    MarginCallCase,
    ReliefCase,
    TicketCase,
)
from cases.models.saved_replies import SavedReply
from cases.models.submissions import CaseSubmission
from cases.models.sla_tally import SlaTally, SlaTallyChange, SlaTallyMonth
from cases.models.visits import ReturnVisit

__all__ = [
    "CaseSubmission", "SavedReply", "SlaTally", "SlaTallyChange", "SlaTallyMonth",
    "ESCALATION_LEVELS", "REGULATORY_METRICS", "Metric", "SlaEscalation", "SlaPolicy", "SlaTarget", "SlaTimer",
    "BusinessCalendar", "CalendarChange", "CalendarDay", "CalendarYear",
    "Attachment", "Case", "CaseEvent", "CaseKind", "CaseMessage", "CaseNumberSequence", "Channel",
    "EventKind", "Priority", "WORKFLOWS", "DisputeCase", "ExtensionCase", "MarginCallCase",
    "ReliefCase", "TicketCase",
    "ContractChange", "RequestDetails", "ReturnVisit", "SatisfactionRating", "PeriodicJobRun",
]
