"""What each notification event is called on the pages (the codes and their texts are in
notifications.defaults; rating_request is written by cases.services.ratings, request_approved and
request_declined by cases.services.requests)."""

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "case_created": _("case acknowledgement"),
    "case_reply": _("reply to the client"),
    "case_state_changed": _("case status change"),
    "case_client_reply": _("client reply"),
    "sla_warning": _("SLA warning"),
    "liquidation_decision_due": _("liquidation to decide"),
    "margin_alert": _("margin alert"),
    "margin_call": _("margin call"),
    "margin_call_restored": _("ratio restored after a margin call"),
    "margin_call_deadline_passed": _("margin call past its deadline"),
    "margin_call_deadline_moved": _("margin call deadline moved by the trading calendar"),
    "contract_maturity_reminder": _("contract maturity reminder"),
    "interest_settlement_reminder": _("interest settlement reminder"),
    "rating_request": _("request to rate the service"),
    "request_approved": _("request approved"),
    "request_declined": _("request declined"),
    "notice_bounced": _("e-mail to the client bounced"),
}


def event_label(code: str) -> str:
    """The event's name in the active language (the code itself for an event not listed here)."""
    return str(EVENT_LABELS.get(code, code))
