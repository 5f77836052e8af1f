"""The case timeline says what happened in words, never by the codes the audit trail records:
every notification event and every event name the code base writes has a label (found by reading
the sources, so a new one without a label fails here), an SLA policy's reason is translated, and a
step refused in the case's state names the step and the state."""

import pathlib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.reminders import EVENTS as REMINDER_EVENTS
from cases.models import CaseEvent, EventKind
from cases.models.workflows import state_label
from cases.services import case_create, case_transition, case_update
from cases.services.events import event_record
from cases.web.case_page.panels import SLA_REASONS, event_comment, event_text
from notifications.defaults import DEFAULT_TEMPLATES
from notifications.events import EVENT_LABELS
from servicedesk.errors import Conflict

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(settings.BASE_DIR)
APPS = ("accounts", "cases", "risk", "notifications", "knowledge", "servicedesk")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}

#: A notice's event code as the code base queues it: event="x" (or "x" if … else "y"), EVENT = "x",
#: _tell_client(case, "x", …), and the SLA warnings' SQL ('in_app', 'sla_warning').
NOTICE_EVENT = re.compile(r'\bevent=\s*"(\w+)"(?:\s+if\b[^\n]*?\belse\s+"(\w+)")?|^EVENT = "(\w+)"'
                          r"|_tell_client\(\s*case,\s*\"(\w+)\"|'in_app', '(\w+)'", re.M)
#: An audit event written with a literal name: event_record(… kind=…, name="x") and risk's _events(…).
EVENT_NAME = re.compile(r'\b(?:event_record|_events)\((?P<args>[^()]*?)\bname="(?P<name>\w+)"')
EVENT_KIND = re.compile(r'\bkind=(?:EventKind\.(\w+)|"(\w+)")')
#: The reasons the SLA targets are applied again for: sla_policy_apply(…, reason="x").
SLA_REASON = re.compile(r'\bsla_policy_(?:re)?apply\([^()]*?reason="([^"]+)"')


def _sources() -> str:
    texts = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def notice_events() -> set[str]:
    found = {code for match in NOTICE_EVENT.finditer(_sources()) for code in match.groups() if code}
    return found | set(DEFAULT_TEMPLATES) | set(REMINDER_EVENTS.values())


def event_names() -> set[tuple[str, str]]:
    names = set()
    for match in EVENT_NAME.finditer(_sources()):
        kind = EVENT_KIND.search(match["args"])
        assert kind, match.group(0)
        names.add((getattr(EventKind, kind[1]).value if kind[1] else kind[2], match["name"]))
    return names


def test_the_sources_are_read():
    """The scans find what is known to exist (else they would pass by finding nothing)."""
    assert {"rating_request", "request_approved", "request_declined", "case_client_reply", "margin_call",
            "sla_warning", "contract_maturity_reminder"} <= notice_events()
    assert {("update", "email_attached"), ("update", "call_logged"), ("sla", "policy_applied"),
            ("update", "margin_call_raised")} <= event_names()
    assert {"priority", "tier changed", "policy changed"} <= set(sla_reasons())


def sla_reasons() -> list[str]:
    return SLA_REASON.findall(_sources())


@pytest.fixture
def ticket(client_profile, agent):
    return case_create(created_by=agent, client=client_profile, kind="ticket", subject="开户", category="account")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_notice_event_has_a_label(ticket, language):
    missing = sorted(notice_events() - set(EVENT_LABELS))
    assert missing == []
    with translation.override(language):
        for code in sorted(notice_events()):
            event = CaseEvent(case=ticket, kind=EventKind.NOTIFICATION, name=code, to_value="sent",
                              data={"channel": "email"})
            assert code not in event_text(ticket, event), code


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_event_name_reads_as_words(ticket, language):
    with translation.override(language):
        for kind, name in sorted(event_names()):
            text = event_text(ticket, CaseEvent(case=ticket, kind=kind, name=name, from_value="", to_value="1"))
            # A code is never shown; an English word ("rated") may be, but not as the fallback's "rated: … → …".
            assert name not in text if "_" in name else text != name and not text.startswith(f"{name}:"), text


def test_every_sla_reason_is_translated_and_not_shown_as_its_code(ticket):
    for reason in sla_reasons():
        assert reason in SLA_REASONS, reason
        event = CaseEvent(case=ticket, kind=EventKind.SLA, name="policy_applied", comment=reason)
        assert event_comment(event) == ""  # the reason is in the text, in words
        for language in ("en", "zh-hans"):
            with translation.override(language):
                assert event_text(ticket, event) == gettext("SLA policy applied: %(reason)s") % {
                    "reason": SLA_REASONS[reason]}
    with translation.override("en"):
        event = CaseEvent(case=ticket, kind=EventKind.SLA, name="policy_applied", comment="priority")
        assert event_text(ticket, event) == "SLA policy applied: the priority changed"
        event = CaseEvent(case=ticket, kind=EventKind.SLA, name="policy_applied")
        assert event_text(ticket, event) == "SLA policy applied"


def _timeline(client, case, **headers) -> str:
    response = client.get(reverse("console:case_part", kwargs={"number": case.number, "part": "timeline"}),
                          **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_the_timeline_names_a_notice_and_the_reason_for_new_sla_targets(client, ticket, agent):
    for code in ("rating_request", "request_approved", "request_declined"):
        event_record(case=ticket, kind=EventKind.NOTIFICATION, name=code, to_value="sent",
                     data={"channel": "email", "event": code, "status": "sent"})
    case_update(case=ticket, user=agent, priority="urgent")
    assert ticket.events.filter(kind=EventKind.SLA, comment="priority").exists()
    client.force_login(agent)
    english = _timeline(client, ticket, **EN)
    assert "Notice request to rate the service (E-mail): Sent" in english
    assert "Notice request approved (E-mail): Sent" in english
    assert "Notice request declined (E-mail): Sent" in english
    assert "SLA policy applied: the priority changed" in english
    chinese = _timeline(client, ticket, **ZH)
    for code in ("rating_request", "request_approved", "request_declined"):
        assert code not in english and code not in chinese
    for body in (english, chinese):
        assert '<div class="comment">priority' not in body  # the reason's code under the event


def test_a_step_refused_in_this_state_names_the_step_and_the_state(client, ticket, agent):
    with translation.override("en"):
        with pytest.raises(Conflict) as refused:
            case_transition(case=ticket, user=agent, name="resolve", comment="done")
        assert str(refused.value.message) == "“Resolve” is not possible while the case is “New”."
        with pytest.raises(Conflict) as refused:
            case_transition(case=ticket, user=agent, name="bogus_transition")
        assert str(refused.value.message) == "“bogus_transition” is not possible while the case is “New”."
    client.force_login(agent)
    url = reverse("console:case_transition", kwargs={"number": ticket.number, "name": "bogus_transition"})
    for headers in (EN, ZH):
        response = client.post(url, {"comment": "x"}, **headers)
        assert response.status_code == 409
        assert "“new”" not in response.content.decode()
    assert "“New”" in client.post(url, {"comment": "x"}, **EN).content.decode()


def test_a_margin_calls_former_state_has_a_label():
    with translation.override("en"):
        assert state_label("margin_call", "deadline_passed") == "Deadline passed"
        assert state_label("margin_call", "liquidation_pending") == "Liquidation pending"


def test_a_step_that_keeps_the_state_is_named_in_the_timeline(client, client_profile, agent, supervisor):
    """A supervisor's approval of a dispute's resolution leaves the state as it is: the timeline says
    that it was approved, not "Resolution proposed → Resolution proposed"."""
    dispute = case_create(created_by=agent, client=client_profile, kind="dispute", subject="利息争议",
                          category="interest_fee")
    for user, name, comment in ((agent, "acknowledge", ""), (agent, "investigate", ""),
                                (agent, "propose_resolution", "Refund one day of interest."),
                                (supervisor, "approve_resolution", "")):
        dispute.refresh_from_db()
        case_transition(case=dispute, user=user, name=name, comment=comment)
    client.force_login(agent)
    english = _timeline(client, dispute, **EN)
    assert "Approve resolution: Resolution proposed → Resolution proposed" in english
    assert "State: Resolution proposed → Resolution proposed" not in english
    assert "State: Investigating → Resolution proposed" in english
    with translation.override("zh-hans"):
        approved = gettext("%(name)s: %(from)s → %(to)s") % {
            "name": gettext("Approve resolution"), "from": state_label("dispute", "resolution_proposed"),
            "to": state_label("dispute", "resolution_proposed")}
    assert approved in _timeline(client, dispute, **ZH)
