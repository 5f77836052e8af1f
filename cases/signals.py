"""Sent after the transaction that wrote a case event commits (never for a rolled-back change).
SLA timers and notifications listen here."""

from django.dispatch import Signal

#: kwargs: event (CaseEvent)
case_event_committed = Signal()
