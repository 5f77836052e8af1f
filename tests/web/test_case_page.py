"""The console's case page: who sees it, what it shows, and every write going through the same
services (and errors) as the API."""

import datetime
import pathlib
import re
from decimal import Decimal as D
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django_fsm import ConcurrentTransition

from cases.models import Case, CaseEvent, CaseMessage
from cases.selectors import messages_for
from cases.services import (
    available_transitions, case_assign, case_create, case_transition, case_update, message_create)
from notifications.models import Notification
from risk.models import MarginCallContact
from risk.monitoring import monitor_accounts
from tests.factories import ClientProfileFactory, PositionFactory, SecurityFactory
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db
ROOT = pathlib.Path(settings.BASE_DIR)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def page_url(case, url_name="console:case", **kwargs):
    return reverse(url_name, kwargs={"number": case.number, **kwargs})


def login(client, user):
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


class _Forms(HTMLParser):
    """Every POST form of a page with the hx-trigger of each element around it."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "base", "wbr", "embed", "track"}

    def __init__(self):
        super().__init__()
        self.stack, self.forms = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method") == "post":
            self.forms.append((attrs.get("action"), [a.get("hx-trigger") for _t, a in self.stack if "hx-trigger" in a]))
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


@pytest.fixture
def ticket(client_profile, credit_account):
    return case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="无法登录",
                       description="密码错误", category="technical", credit_account=credit_account)


@pytest.fixture
def security():
    return SecurityFactory(price=D("16.00"))


@pytest.fixture
def margin_call(client_profile, security, agent):
    return open_margin_call(client_profile, agent, security)


# --- who sees the page ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["agent", "team_lead", "supervisor", "risk_officer", "auditor", "advisor"])
def test_renders_for_each_staff_role(client, request, ticket, client_profile, role):
    user = request.getfixturevalue(role)
    if role == "advisor":
        client_profile.advisor = user
        client_profile.save()
    response = login(client, user).get(page_url(ticket))
    assert response.status_code == 200
    body = html(response)
    assert ticket.number in body and 'data-state="new"' in body
    assert client_profile.name in body
    assert 'id="case-timeline"' in body and 'id="case-timers"' in body


def test_out_of_scope_is_404(client, ticket, outsider_agent):
    assert login(client, outsider_agent).get(page_url(ticket)).status_code == 404
    assert client.get(reverse("console:case", kwargs={"number": "CS-1999-000001"})).status_code == 404


@pytest.mark.parametrize("number", ["%00", "CS-2026-%00", "x" * 300, "%E4%B8%AD"])
def test_odd_case_numbers_are_404(client, agent, number):
    login(client, agent)
    assert client.get(f"/console/cases/{number}/").status_code == 404
    assert client.get(f"/console/cases/{number}/version/").status_code == 404
    assert client.post(f"/console/cases/{number}/messages/", {"reply-body": "x"}).status_code == 404


def test_clients_are_refused(client, ticket, client_profile):
    login(client, client_profile.user)
    assert client.get(page_url(ticket)).status_code in (403, 404)
    assert client.get(page_url(ticket, "console:case_part", part="timeline")).status_code in (403, 404)
    response = client.post(page_url(ticket, "console:case_message"), {"visibility": "public", "reply-body": "hi"})
    assert response.status_code in (403, 404)
    assert not CaseMessage.objects.filter(case=ticket).exists()


def test_anonymous_is_sent_to_login(client, ticket):
    response = client.get(page_url(ticket))
    assert response.status_code == 302 and reverse("login") in response.url


def test_auditor_sees_no_forms_and_may_not_post(client, ticket, auditor):
    login(client, auditor)
    parser = _Forms()
    parser.feed(html(client.get(page_url(ticket))))
    assert {action for action, _triggers in parser.forms} == {reverse("set_language"), reverse("logout")}
    posts = [
        (page_url(ticket, "console:case_transition", name="open"), {}),
        (page_url(ticket, "console:case_message"), {"visibility": "internal", "note-body": "看看"}),
        (page_url(ticket, "console:case_assign"), {"take": "1"}),
        (page_url(ticket, "console:case_priority"), {"priority": "high"}),
        (page_url(ticket, "console:case_call"), {"outcome": "reached"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403
    ticket.refresh_from_db()
    assert (ticket.state, ticket.priority, ticket.assignee_id) == ("new", "normal", None)
    assert not CaseMessage.objects.filter(case=ticket).exists()


# --- state and transitions ----------------------------------------------------------------------

def _buttons(body: str) -> set[str]:
    return set(re.findall(r'data-transition="([a-z_]+)"', body))


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_transition_buttons_match_available_transitions(client, request, ticket, role):
    user = request.getfixturevalue(role)
    body = html(login(client, user).get(page_url(ticket)))
    assert _buttons(body) == {t.name for t in available_transitions(case=ticket, user=user)} == {"open", "cancel"}
    # the cancel button asks for a reason (comment_required), open does not
    assert 'name="t-cancel-comment"' in body and 'name="t-open-comment"' not in body
    # cancelling is red, never the blue of the way forward (it was primary for asking a reason)
    assert re.search(r'<button type="submit" class="danger" name="transition" value="cancel"[ >]', body)
    assert re.search(r'<button type="submit" class="" name="transition" value="open">', body)


def test_transition_buttons_of_a_dispute_for_maker_and_checker(client, client_profile, agent, supervisor):
    dispute = case_create(created_by=client_profile.user, client=client_profile, kind="dispute", subject="利息计算")
    for name in ("acknowledge", "investigate", "propose_resolution"):
        dispute = case_transition(case=dispute, user=agent, name=name, comment="退还多收利息 120 元")
    body = html(login(client, agent).get(page_url(dispute)))
    assert _buttons(body) == {t.name for t in available_transitions(case=dispute, user=agent)}
    assert "approve_resolution" not in _buttons(body)  # four eyes: not the proposer, and not an agent
    body = html(login(client, supervisor).get(page_url(dispute)))
    assert {"approve_resolution", "return_for_rework"} <= _buttons(body)
    assert "退还多收利息 120 元" in body  # the proposal is shown


def _drawn_fields(body: str, step: str) -> dict:
    return dict(re.findall(rf'<input type="hidden" name="(t-{step}-[a-z_]+)" value="([^"]*)"', body))


def test_an_approval_on_a_page_drawn_before_the_proposal_was_returned_and_replaced_is_409(
        client, client_profile, agent, supervisor, other_supervisor):
    """The page showed "refund 120"; another supervisor returned it and the agent proposed "refund 12": the state
    is resolution_proposed again, but what the page showed is not what would be approved."""
    dispute = case_create(created_by=client_profile.user, client=client_profile, kind="dispute", subject="利息计算")
    for name, comment in (("acknowledge", ""), ("investigate", ""), ("propose_resolution", "退还多收利息 120 元")):
        dispute = case_transition(case=dispute, user=agent, name=name, comment=comment)
    drawn = _drawn_fields(html(login(client, supervisor).get(page_url(dispute))), "approve_resolution")
    assert drawn["t-approve_resolution-state"] == "resolution_proposed"
    dispute = case_transition(case=dispute, user=other_supervisor, name="return_for_rework", comment="金额有误")
    dispute = case_transition(case=dispute, user=agent, name="propose_resolution", comment="退还多收利息 12 元")
    url = page_url(dispute, "console:case_transition", name="approve_resolution")
    refused = client.post(url, drawn, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "changed by someone else" in html(refused)
    dispute.refresh_from_db()
    assert (dispute.state, dispute.approved_by) == ("resolution_proposed", None)
    assert client.post(url, _drawn_fields(html(refused), "approve_resolution")).status_code == 302
    dispute.refresh_from_db()
    assert (dispute.approved_by, dispute.proposal) == (supervisor, "退还多收利息 12 元")


def test_a_step_the_request_does_not_qualify_for_says_why(client, client_profile, credit_account, agent):
    """More time to top up with no margin call on the account: "Propose approval" was simply missing."""
    relief = case_create(created_by=client_profile.user, client=client_profile, kind="relief", subject="宽限",
                         credit_account=credit_account)
    relief = case_transition(case=relief, user=agent, name="start_review")
    body = html(login(client, agent).get(page_url(relief), HTTP_ACCEPT_LANGUAGE="en"))
    assert "propose_approval" not in _buttons(body) and 'data-blocked-step="propose_approval"' in body
    assert "propose_decline" in _buttons(body)
    assert ("“Propose approval” is not possible now: More time to top up needs an open margin call with a "
            "deadline on the account.") in body
    assert "“Approve” is not possible now" not in body  # nothing proposed yet: not a matter of eligibility


def test_a_transition_changes_the_state_and_records_the_event(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_transition", name="open"),
                                         {"t-open-state": "new"})
    assert response.status_code == 302 and response.url == page_url(ticket)
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee) == ("open", agent)
    event = CaseEvent.objects.get(case=ticket, kind="transition")
    assert (event.actor, event.from_value, event.to_value, event.name) == (agent, "new", "open", "open")
    body = html(client.get(page_url(ticket)))
    assert 'data-state="open"' in body and f'data-event="{event.pk}"' in body


def test_a_comment_is_saved_with_the_transition(client, ticket, agent):
    login(client, agent).post(page_url(ticket, "console:case_transition", name="cancel"),
                              {"t-cancel-comment": "客户撤回"})
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"
    assert CaseEvent.objects.get(case=ticket, kind="transition").comment == "客户撤回"


def test_a_disallowed_transition_is_409_and_changes_nothing(client, ticket, agent):
    login(client, agent)
    events = CaseEvent.objects.filter(case=ticket).count()
    response = client.post(page_url(ticket, "console:case_transition", name="resolve"),
                           {"t-resolve-comment": "已处理"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    body = html(response)
    assert "is not possible" in body and "Possible now:" in body and "Open" in body and "Cancel" in body
    ticket.refresh_from_db()
    assert ticket.state == "new" and CaseEvent.objects.filter(case=ticket).count() == events


def test_a_missing_permission_is_403(client, client_profile, agent):
    dispute = case_create(created_by=client_profile.user, client=client_profile, kind="dispute", subject="利息计算")
    for name in ("acknowledge", "investigate", "propose_resolution"):
        dispute = case_transition(case=dispute, user=agent, name=name, comment="退还")
    response = login(client, agent).post(page_url(dispute, "console:case_transition", name="approve_resolution"))
    assert response.status_code == 403
    dispute.refresh_from_db()
    assert dispute.approved_by is None


def test_a_required_comment_is_400_with_the_field_error(client, ticket, agent):
    login(client, agent)
    response = client.post(page_url(ticket, "console:case_transition", name="cancel"), {"t-cancel-comment": "  "},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = html(response)
    assert "A comment is required" in body and 'class="field has-error"' in body
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_a_comment_too_long_for_the_api_is_400(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_transition", name="cancel"),
                                         {"t-cancel-comment": "x" * 10001})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.state == "new"


@pytest.mark.parametrize("url_name, data", [
    ("console:case_message", {"visibility": "public", "reply-body": "a\x00b"}),
    ("console:case_message", {"visibility": "internal", "note-body": "a\x00b"}),
    ("console:case_assign", {"assignee": "agent\x001"}),
    ("console:case_priority", {"priority": "high\x00"}),
])
def test_nul_characters_are_400_not_500(client, ticket, agent, url_name, data):
    response = login(client, agent).post(page_url(ticket, url_name), data)
    assert response.status_code == 400
    response = client.post(page_url(ticket, "console:case_transition", name="cancel"), {"t-cancel-comment": "a\x00b"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.priority) == ("new", None, "normal")


def test_a_page_drawn_before_someone_else_moved_the_case_is_409(client, ticket, agent, other_agent):
    case_transition(case=ticket, user=other_agent, name="open")
    response = login(client, agent).post(page_url(ticket, "console:case_transition", name="cancel"),
                                         {"t-cancel-state": "new", "t-cancel-comment": "重复"})
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.state == "open"


def test_the_step_retried_from_the_page_that_said_409_is_taken(client, ticket, agent, other_agent):
    """The refusing page shows the case as it is now, with the comment typed: sending the step again
    from it goes through (it was refused again and again for the state the first page was drawn in)."""
    case_transition(case=ticket, user=other_agent, name="open")
    login(client, agent)
    refused = client.post(page_url(ticket, "console:case_transition", name="cancel"),
                          {"t-cancel-state": "new", "t-cancel-comment": "客户撤回"})
    assert refused.status_code == 409
    drawn = re.search(r'<form[^>]*data-transition="cancel".*?</form>', html(refused), re.S).group(0)
    retry = dict(re.findall(r'name="(t-cancel-state)" value="([^"]*)"', drawn))
    assert retry == {"t-cancel-state": "open"}
    assert "客户撤回" in drawn
    response = client.post(page_url(ticket, "console:case_transition", name="cancel"),
                           {**retry, "t-cancel-comment": "客户撤回"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"


def test_a_lost_race_is_409_with_the_reason(client, ticket, agent, monkeypatch):
    def lose(**kwargs):
        raise ConcurrentTransition("changed meanwhile")

    monkeypatch.setattr("cases.web.case_page.actions.case_transition", lose)
    response = login(client, agent).post(page_url(ticket, "console:case_transition", name="open"),
                                         HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "changed by someone else" in html(response)
    ticket.refresh_from_db()
    assert ticket.state == "new"


# --- messages -------------------------------------------------------------------------------------

def test_reply_and_internal_note_with_attachments(client, ticket, agent, client_profile, api):
    login(client, agent)
    reply = client.post(page_url(ticket, "console:case_message"), {
        "visibility": "public", "reply-body": "请重置密码后再试",
        "reply-attachments": [SimpleUploadedFile("steps.txt", "第一步：重置".encode(), "text/plain")],
    })
    assert reply.status_code == 302
    note = client.post(page_url(ticket, "console:case_message"), {
        "visibility": "internal", "note-body": "客户语气不满，注意安抚",
        "note-attachments": [SimpleUploadedFile("screen.png", PNG, "image/png")],
    })
    assert note.status_code == 302
    public, internal = CaseMessage.objects.filter(case=ticket).order_by("id")
    assert (public.visibility, public.author, public.attachments.get().original_name) == ("public", agent, "steps.txt")
    assert (internal.visibility, internal.attachments.get().original_name) == ("internal", "screen.png")

    body = html(client.get(page_url(ticket)))
    assert re.search(rf'<li class="message internal" data-message="{internal.pk}"', body)
    assert re.search(rf'<li class="message public" data-message="{public.pk}"', body)
    internal_file, public_file = internal.attachments.get(), public.attachments.get()
    assert reverse("attachment-download", args=[internal_file.pk]) in body
    download = client.get(reverse("attachment-download", args=[internal_file.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")

    # The portal side never sees the note: not through the selectors, not through the API.
    assert list(messages_for(client_profile.user, ticket)) == [public]
    api_messages = api.as_user(client_profile.user).get(f"/api/v1/cases/{ticket.number}/messages/").data
    assert [m["id"] for m in api_messages] == [public.pk]
    assert all("注意安抚" not in m["body"] for m in api_messages)
    login(client, client_profile.user)
    assert client.get(reverse("attachment-download", args=[internal_file.pk])).status_code == 404
    assert client.get(reverse("attachment-download", args=[public_file.pk])).status_code == 200


def test_a_reply_from_the_console_may_be_files_alone(client, ticket, agent):
    """The statement the client asked for, sent without a word: refused as a blank reply before."""
    login(client, agent)
    reply = client.post(page_url(ticket, "console:case_message"), {
        "visibility": "public", "reply-body": "",
        "reply-attachments": [SimpleUploadedFile("statement.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")],
    })
    assert reply.status_code == 302
    message = CaseMessage.objects.get(case=ticket)
    assert message.body == "已附上文件。" and message.attachments.get().original_name == "statement.pdf"
    blank = client.post(page_url(ticket, "console:case_message"), {"visibility": "public", "reply-body": " "},
                        HTTP_ACCEPT_LANGUAGE="en")
    assert blank.status_code == 400 and "Write a reply or attach a file." in html(blank)
    assert CaseMessage.objects.filter(case=ticket).count() == 1


def test_an_empty_reply_is_400_and_nothing_is_saved(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_message"),
                                         {"visibility": "public", "reply-body": "  "})
    assert response.status_code == 400
    assert 'class="field has-error"' in html(response)
    assert not CaseMessage.objects.filter(case=ticket).exists()


def test_an_empty_attachment_is_400_and_nothing_is_saved(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_message"), {
        "visibility": "internal", "note-body": "见附件", "note-attachments": [SimpleUploadedFile("empty.pdf", b"")],
    })
    assert response.status_code == 400
    assert not CaseMessage.objects.filter(case=ticket).exists()


def test_an_attachment_whose_content_does_not_fit_its_name_is_400(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_message"), {
        "visibility": "public", "reply-body": "见附件",
        "reply-attachments": [SimpleUploadedFile("statement.pdf", b"<html><script>alert(1)</script></html>",
                                                 "application/pdf")],
    })
    assert response.status_code == 400
    assert "statement.pdf" in html(response)
    assert not CaseMessage.objects.filter(case=ticket).exists()


def _drawn_key(response, name: str) -> str:
    """The key a form was drawn with (its hidden field)."""
    return re.search(rf'name="{name}" value="([0-9a-f]+)"', html(response)).group(1)


def test_a_reply_sent_twice_is_sent_once(client, ticket, agent):
    """A double click on "Send reply" posted the form twice: the client had the same reply twice, on the
    case and by e-mail and SMS."""
    login(client, agent)
    url = page_url(ticket, "console:case_message")
    key = _drawn_key(client.get(page_url(ticket)), "reply-submission")
    form = {"visibility": "public", "reply-body": "请重置密码后再试",
            "reply-attachments": [SimpleUploadedFile("steps.txt", "第一步：重置".encode(), "text/plain")],
            "reply-submission": key}
    first = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    ticket.refresh_from_db()
    after_first = (ticket.updated_at, ticket.events.count(), Notification.objects.filter(case=ticket).count())
    form["reply-attachments"] = [SimpleUploadedFile("steps.txt", "第一步：重置".encode(), "text/plain")]
    again = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert first.status_code == 302 and again.redirect_chain[0] == (first.url, 302)
    assert "This reply had already been sent to the client." in html(again)
    ticket.refresh_from_db()
    assert (ticket.updated_at, ticket.events.count(), Notification.objects.filter(case=ticket).count()) == after_first
    assert CaseMessage.objects.filter(case=ticket).count() == 1
    assert Notification.objects.filter(case=ticket, event="case_reply").exists()
    # the same form with other content (back, edit, send; a corrected file of the same name): another reply
    corrected = [SimpleUploadedFile("steps.txt", "第一步：重置密码".encode(), "text/plain")]
    assert client.post(url, {**form, "reply-attachments": corrected}).status_code == 302
    assert client.post(url, {**form, "reply-attachments": [], "reply-body": "另外请清除缓存"}).status_code == 302
    assert CaseMessage.objects.filter(case=ticket).count() == 3
    # the note beside it has a key of its own; a page drawn again has new ones
    page = client.get(page_url(ticket))
    assert _drawn_key(page, "note-submission") not in (key, _drawn_key(page, "reply-submission"))
    assert key not in html(page)


def test_a_note_sent_twice_is_saved_once(client, ticket, agent):
    login(client, agent)
    url = page_url(ticket, "console:case_message")
    form = {"visibility": "internal", "note-body": "客户语气不满，注意安抚",
            "note-submission": _drawn_key(client.get(page_url(ticket)), "note-submission")}
    assert client.post(url, form).status_code == 302
    again = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This internal note had already been saved." in html(again)
    assert CaseMessage.objects.filter(case=ticket, visibility="internal").count() == 1


def test_a_reply_refused_and_sent_again_from_the_redrawn_form_is_sent_once(client, ticket, agent):
    """The 400 page draws the form again with the key it came with: sent from there twice, one reply."""
    login(client, agent)
    url = page_url(ticket, "console:case_message")
    key = _drawn_key(client.get(page_url(ticket)), "reply-submission")
    refused = client.post(url, {"visibility": "public", "reply-body": " ", "reply-submission": key})
    assert refused.status_code == 400 and _drawn_key(refused, "reply-submission") == key
    form = {"visibility": "public", "reply-body": "请重置密码后再试", "reply-submission": key}
    assert client.post(url, form).status_code == client.post(url, form).status_code == 302
    assert CaseMessage.objects.filter(case=ticket).count() == 1


# --- assignment and priority ----------------------------------------------------------------------

def test_take_it_myself_and_assign_to_someone(client, ticket, agent, other_agent):
    login(client, agent)
    assert client.post(page_url(ticket, "console:case_assign"), {"take": "1"}).status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.state) == (agent, "open")  # assigning a new ticket opens it
    assert client.post(page_url(ticket, "console:case_assign"), {"assignee": "agent2"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    assert list(CaseEvent.objects.filter(case=ticket, kind="assignment").values_list("to_value", flat=True)) == [
        "agent1", "agent2"]


def _drawn_assignee(body: str) -> str:
    field = re.search(r'<input type="hidden" name="assigned"[^>]*>', body).group(0)
    value = re.search(r'value="([^"]*)"', field)
    return value.group(1) if value else ""


def test_take_it_myself_on_a_page_drawn_before_a_colleague_took_the_case_is_409(client, ticket, agent, other_agent):
    """Both saw the case unassigned; the colleague took it first: the second "Take it myself" does not
    silently take it from them. The refusing page shows who has it, and a retry from it is taken."""
    login(client, agent)
    drawn = _drawn_assignee(html(client.get(page_url(ticket))))
    assert drawn == ""
    case_assign(case=ticket, user=other_agent, assignee=other_agent)
    refused = client.post(page_url(ticket, "console:case_assign"), {"take": "1", "assigned": drawn},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "changed by someone else" in html(refused)
    assert "Possible now" not in html(refused)  # the steps are not what was refused
    ticket.refresh_from_db()
    assert ticket.assignee == other_agent
    assert list(CaseEvent.objects.filter(case=ticket, kind="assignment").values_list("to_value", flat=True)) == [
        "agent2"]
    retry = _drawn_assignee(html(refused))
    assert retry == "agent2"
    assert client.post(page_url(ticket, "console:case_assign"), {"take": "1", "assigned": retry}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_the_assignment_and_priority_selects_show_the_case_as_it_is(client, ticket, agent, other_agent):
    other_agent.first_name, other_agent.last_name = "<b>Li", "Na</b>"
    other_agent.save()
    login(client, agent)
    client.post(page_url(ticket, "console:case_assign"), {"assignee": "agent2"})
    client.post(page_url(ticket, "console:case_priority"), {"priority": "high"})
    body = html(client.get(page_url(ticket)))
    assign = re.search(r'<select name="assignee"[^>]*>(.*?)</select>', body, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', assign)
    assert options == [("", "", "— 不分派 —"), ("agent1", "", "agent1"),
                       ("agent2", " selected", "&lt;b&gt;Li Na&lt;/b&gt;")]  # the worker's name escaped
    priority = re.search(r'<select name="priority"[^>]*>(.*?)</select>', body, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)" selected>', priority) == ["high"]


def test_assigning_to_someone_unknown_or_not_working_cases_is_400(client, ticket, agent, client_profile):
    login(client, agent)
    assert client.post(page_url(ticket, "console:case_assign"), {"assignee": "nobody-here"}).status_code == 400
    response = client.post(page_url(ticket, "console:case_assign"), {"assignee": client_profile.user.username})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_priority_change(client, ticket, agent):
    login(client, agent)
    assert client.post(page_url(ticket, "console:case_priority"), {"priority": "urgent"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    event = CaseEvent.objects.get(case=ticket, kind="priority")
    assert (event.from_value, event.to_value, event.actor) == ("normal", "urgent", agent)
    assert client.post(page_url(ticket, "console:case_priority"), {"priority": "extreme"}).status_code == 400
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"


def _drawn_priority(body: str) -> str:
    field = re.search(r'<input type="hidden" name="drawn_priority"[^>]*>', body).group(0)
    return re.search(r'value="([^"]*)"', field).group(1)


def test_a_priority_changed_on_a_page_drawn_before_a_colleague_changed_it_is_409(client, ticket, agent, other_agent):
    """Both saw the case at normal priority; the colleague raised it to urgent first: the second change
    does not silently overwrite theirs. The refusing page shows the priority as it is, and a retry from
    it is taken."""
    login(client, agent)
    drawn = _drawn_priority(html(client.get(page_url(ticket))))
    assert drawn == "normal"
    case_update(case=ticket, user=other_agent, priority="urgent")
    refused = client.post(page_url(ticket, "console:case_priority"), {"priority": "low", "drawn_priority": drawn},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "changed by someone else" in html(refused)
    ticket.refresh_from_db()
    assert ticket.priority == "urgent"
    assert list(CaseEvent.objects.filter(case=ticket, kind="priority").values_list("to_value", flat=True)) == [
        "urgent"]
    retry = _drawn_priority(html(refused))
    assert retry == "urgent"
    assert client.post(page_url(ticket, "console:case_priority"),
                       {"priority": "low", "drawn_priority": retry}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.priority == "low"


# --- client panel ---------------------------------------------------------------------------------

def test_personal_data_masked_for_an_agent_unmasked_for_a_supervisor(client, ticket, client_profile, agent, supervisor):
    id_number, phone = client_profile.id_number, client_profile.phone
    body = html(login(client, agent).get(page_url(ticket)))
    assert id_number not in body and phone not in body
    assert f"{id_number[:4]}{'*' * (len(id_number) - 8)}{id_number[-4:]}" in body
    assert f"{phone[:3]}****{phone[-4:]}" in body
    body = html(login(client, supervisor).get(page_url(ticket)))
    assert id_number in body and phone in body


def test_the_agent_who_calls_about_a_margin_call_sees_the_phone_whole_not_the_id_number(
        client, margin_call, client_profile, agent):
    """The risk queue's agents call the client about an open margin call: the phone is shown whole
    to dial, the ID number stays masked; once the call is closed the phone is masked again."""
    id_number, phone = client_profile.id_number, client_profile.phone
    body = html(login(client, agent).get(page_url(margin_call)))
    assert f'<dd class="client-phone">{phone}</dd>' in body
    assert id_number not in body and f"{id_number[:4]}{'*' * (len(id_number) - 8)}{id_number[-4:]}" in body
    Case.objects.filter(pk=margin_call.pk).update(state="restored")
    body = html(client.get(page_url(margin_call)))
    assert phone not in body and f"{phone[:3]}****{phone[-4:]}" in body


def test_the_client_s_own_advisor_sees_personal_data(client, ticket, client_profile, advisor):
    client_profile.advisor = advisor
    client_profile.save()
    body = html(login(client, advisor).get(page_url(ticket)))
    assert client_profile.id_number in body


# --- SLA timers -----------------------------------------------------------------------------------

def test_timers_show_countdown_target_and_deadline(client, ticket, agent):
    timers = list(ticket.sla_timers.all())
    assert timers, "the default SLA policy starts timers on a new ticket"
    body = html(login(client, agent).get(page_url(ticket, "console:case_part", part="timers")))
    for timer in timers:
        assert f'data-metric="{timer.metric}"' in body
    assert re.search(r'class="sla sla-(ok|50|75|100|paused)"', body)


def test_timers_show_the_business_time_left_as_the_footnote_says(client, ticket, agent):
    """CS-2026-000151 of the demo: 88 of 120 business hours left, due in 14 days 8 hours 10 minutes
    of wall-clock time. The figure is the business time (as its header and the footnote say), the
    same figure as data-remaining, and no script ticks it on as wall-clock time."""
    from zoneinfo import ZoneInfo

    import time_machine

    from cases.models import SlaTimer

    now = datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday, in service hours
    timer = ticket.sla_timers.filter(stopped_at__isnull=True, due_at__isnull=False).first()
    ticket.sla_timers.exclude(pk=timer.pk).delete()
    SlaTimer.objects.filter(pk=timer.pk).update(
        metric="regulatory_final", calendar_code="working", target_seconds=120 * 3600, elapsed_seconds=32 * 3600,
        resumed_at=now, due_at=now + datetime.timedelta(days=14, hours=8, minutes=10), breached=False)
    login(client, agent)
    with time_machine.travel(now, tick=False):
        english = html(client.get(page_url(ticket, "console:case_part", part="timers"), HTTP_ACCEPT_LANGUAGE="en"))
        chinese = html(client.get(page_url(ticket), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    span = re.search(r'<span class="sla [^"]*" data-remaining="316800"[^>]*>([^<]+)</span>', english)
    assert span and span.group(1) == "88h 00m", english
    assert "data-live" not in span.group(0) and "14 d" not in english
    assert '<th scope="col">Business time left</th>' in english and "Business time on the policy's calendar." in english
    assert "2026-12-09" in english and "18:10" in english  # the due moment stays beside it
    timers = chinese.split('id="case-timers"')[1].split("</table>")[0]
    assert "88 小时 00 分" in timers and "14 天" not in timers


def test_timer_colours_follow_the_share_of_the_target_used():
    from cases.web.case_page.panels import sla_css

    assert sla_css(state="running", breached=False, share_used=D("0.2")) == "sla-ok"
    assert sla_css(state="running", breached=False, share_used=D("0.5")) == "sla-50"
    assert sla_css(state="running", breached=False, share_used=D("0.8")) == "sla-75"
    assert sla_css(state="running", breached=False, share_used=D("1.2")) == "sla-100"
    assert sla_css(state="met", breached=True, share_used=D("0.1")) == "sla-100"
    assert sla_css(state="paused", breached=False, share_used=D("0.9")) == "sla-paused"


def test_a_paused_timer_is_shown_paused(client, ticket, agent):
    ticket = case_transition(case=ticket, user=agent, name="open")
    ticket = case_transition(case=ticket, user=agent, name="wait_on_client", comment="请提供截图")
    if not ticket.sla_timers.filter(state="paused").exists():
        pytest.skip("the default policy pauses nothing while waiting on the client")
    body = html(login(client, agent).get(page_url(ticket, "console:case_part", part="timers")))
    assert 'class="sla sla-paused"' in body


def test_sla_escalations_are_in_the_timeline(client, ticket, agent):
    from cases.sla_sweep import sla_sweep

    assert sla_sweep(now=timezone.now() + datetime.timedelta(days=30)) > 0  # every running timer breached
    escalations = CaseEvent.objects.filter(case=ticket, kind="escalation")
    assert escalations.exists()
    body = html(login(client, agent).get(page_url(ticket, "console:case_part", part="timeline")))
    for event in escalations:
        assert re.search(rf'<li class="escalation" data-event="{event.pk}"', body)
    timers = html(client.get(page_url(ticket, "console:case_part", part="timers")))
    assert 'class="sla sla-100"' in timers


def test_a_step_the_system_took_says_why_in_the_readers_language(client, ticket, agent, client_profile):
    """The client's reply put the ticket back to open, the reason written in the client's language: an
    agent reading the timeline in English read 客户已回复。, one reading it in Chinese the English text."""
    ticket = case_transition(case=ticket, user=agent, name="open")
    ticket = case_transition(case=ticket, user=agent, name="wait_on_client", comment="请上传截图")
    with translation.override("zh-hans"):
        message_create(case=ticket, author=client_profile.user, body="已上传")
    ticket.refresh_from_db()
    assert ticket.state == "open"
    login(client, agent)
    english = html(client.get(page_url(ticket, "console:case_part", part="timeline"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "The client replied." in english and "客户已回复" not in english
    assert "请上传截图" in english  # what a person wrote stays as written
    ticket = case_transition(case=ticket, user=agent, name="wait_on_client", comment="Please upload it again")
    with translation.override("en"):
        message_create(case=ticket, author=client_profile.user, body="Uploaded")
    chinese = html(client.get(page_url(ticket, "console:case_part", part="timeline"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert chinese.count("客户已回复。") == 2 and "The client replied." not in chinese


# --- margin calls ---------------------------------------------------------------------------------

def test_a_margin_calls_subject_is_in_the_readers_language(client, margin_call, agent):
    account_no = margin_call.credit_account.account_no
    login(client, agent)
    english = html(client.get(page_url(margin_call), HTTP_ACCEPT_LANGUAGE="en"))
    assert f"Margin call: credit account {account_no} is below the close-out line" in english
    assert "追保" not in english
    assert f"追保：信用账户 {account_no} 低于平仓线" in html(client.get(page_url(margin_call)))


def test_margin_call_top_up_deadline_and_a_call_logged(client, margin_call, agent):
    details = margin_call.margin_call
    assert (details.top_up_cash, details.top_up_sell) == (D("15000.00"), D("37500.00"))
    login(client, agent)
    body = html(client.get(page_url(margin_call)))
    assert 'data-amount="15000.00"' in body and 'data-amount="37500.00"' in body
    deadline = timezone.localtime(details.deadline)
    assert deadline.hour == 15 and deadline.strftime("%Y-%m-%d %H:%M") in body
    assert f'data-deadline-at="{deadline.isoformat()}"' in body
    assert "ratio-gauge" in body and "positions" in body

    response = client.post(page_url(margin_call, "console:case_call"),
                           {"outcome": "promised", "note": "客户承诺明天转入资金"})
    assert response.status_code == 302
    contact = MarginCallContact.objects.get(case=margin_call)
    assert (contact.outcome, contact.recorded_by, contact.note) == ("promised", agent, "客户承诺明天转入资金")
    assert CaseEvent.objects.filter(case=margin_call, name="call_logged").exists()
    body = html(client.get(page_url(margin_call, "console:case_part", part="margin_call")))
    assert 'data-outcome="promised"' in body and "客户承诺明天转入资金" in body


def test_a_restored_margin_call_shows_its_deadline_without_a_countdown(client, margin_call, security, agent):
    security.price = D("16.00")  # back to 160 %: restored, the case is over
    security.save()
    monitor_accounts(trigger="test")
    margin_call.refresh_from_db()
    assert margin_call.state == "restored"
    deadline = timezone.localtime(margin_call.margin_call.deadline)
    for url in (page_url(margin_call), page_url(margin_call, "console:case_part", part="margin_call")):
        body = html(login(client, agent).get(url))
        assert f'data-deadline-at="{deadline.isoformat()}"' in body  # the deadline it had, still shown
        assert "data-deadline=" not in body  # but no countdown ticking towards it


def test_the_margin_call_says_where_its_deadline_comes_from(client, client_profile, margin_call, agent,
                                                             supervisor, security):
    """The deadline was labelled "close of T+2" also when a relief had moved it or the account was
    below the immediate close-out line (due at once)."""
    from cases.services import case_create, case_transition

    part = page_url(margin_call, "console:case_part", part="margin_call")
    body = html(login(client, agent).get(part))
    assert '<div class="muted deadline-note">追保后第二个交易日收市（T+2）</div>' in body
    relief = case_create(created_by=client_profile.user, client=client_profile, kind="relief", subject="宽限",
                         credit_account=margin_call.credit_account)
    for name, user in (("start_review", agent), ("propose_approval", agent), ("approve", supervisor)):
        relief = case_transition(case=relief, user=user, name=name, comment="筹款中")
    body = html(client.get(part))
    assert f"已因纾困申请 {relief.number} 顺延" in body
    immediate = open_margin_call(ClientProfileFactory(), agent, SecurityFactory(price=D("16.00")),
                                 immediate_line=D("1.2600"))  # 125 % is below it: due at once
    body = html(client.get(page_url(immediate, "console:case_part", part="margin_call")))
    assert "即时到期：低于即时平仓线" in body


def test_a_bad_call_is_400_and_nothing_is_logged(client, margin_call, agent):
    login(client, agent)
    assert client.post(page_url(margin_call, "console:case_call"), {"outcome": "maybe"}).status_code == 400
    future = (timezone.localtime() + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(page_url(margin_call, "console:case_call"), {"outcome": "reached", "called_at": future})
    assert response.status_code == 400
    for year_one in ("0001-01-01T00:00", "0001-01-01T07:59"):  # no UTC moment (it was a 500)
        response = client.post(page_url(margin_call, "console:case_call"),
                               {"outcome": "reached", "called_at": year_one}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400 and "Enter a valid date/time." in html(response)
    assert not MarginCallContact.objects.filter(case=margin_call).exists()


def test_a_reply_with_a_tampered_visibility_is_400_not_a_public_reply(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_message"),
                                         {"visibility": "bogus", "reply-body": "给客户的话"})
    assert response.status_code == 400
    assert not CaseMessage.objects.filter(case=ticket).exists()


def test_a_call_note_longer_than_2000_characters_is_refused_and_kept_in_the_form(client, margin_call, agent):
    note = "x" * 2001  # one unbroken word, as pasted
    response = login(client, agent).post(page_url(margin_call, "console:case_call"),
                                         {"outcome": "reached", "note": note}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = html(response)
    field = re.search(r'<div class="field has-error">\s*<label for="id_note".*?</textarea>(.*?)(?=<div class="field|'
                      r'<button)', body, re.S)
    assert field and "Ensure this value has at most 2000 characters (it has 2001)." in field.group(1)
    assert f">\n{note}</textarea>" in field.group()
    assert not MarginCallContact.objects.filter(case=margin_call).exists()
    assert not CaseEvent.objects.filter(case=margin_call, name="call_logged").exists()

    response = client.post(page_url(margin_call, "console:case_call"), {"outcome": "reached", "note": "x" * 2000})
    assert response.status_code == 302 and MarginCallContact.objects.get(case=margin_call).note == "x" * 2000


def test_the_call_log_wraps_a_long_unbroken_note_in_its_column(client, margin_call, agent):
    login(client, agent).post(page_url(margin_call, "console:case_call"), {"outcome": "reached", "note": "y" * 300})
    body = html(client.get(page_url(margin_call, "console:case_part", part="margin_call")))
    assert f'<td class="note">{"y" * 300}</td>' in body
    css = (ROOT / "static" / "css" / "app.css").read_text(encoding="utf-8")
    assert re.search(r"\.margin-call-contacts td\.note[^{]*\{[^}]*overflow-wrap: anywhere", css)


def test_calls_are_logged_on_margin_calls_only(client, ticket, agent):
    response = login(client, agent).post(page_url(ticket, "console:case_call"), {"outcome": "reached"})
    assert response.status_code == 400
    assert not MarginCallContact.objects.exists()


def test_account_panel_gauge_history_and_alerts(client, margin_call, risk_officer):
    body = html(login(client, risk_officer).get(page_url(margin_call, "console:case_part", part="account")))
    assert re.search(r'data-ratio="1\.25(00)?">125\.00%<', body)
    assert "ratio-sparkline" in body and "<polyline" in body  # two valuations: 160 %, then 125 %
    assert 'data-line="close_out"' in body and 'data-level="close_out"' in body
    assert 'class="num total-assets">¥125,000.00<' in body  # in Chinese too: grouped, with the currency
    assert 'class="num total-liabilities">¥100,000.00<' in body
    assert "immediate-line" not in body  # the contract has none
    margin_call.credit_account.immediate_line = D("1.1000")
    margin_call.credit_account.save()
    body = html(client.get(page_url(margin_call, "console:case_part", part="account")))
    assert '<dt>即时平仓线</dt><dd class="immediate-line">110.00%</dd>' in body


# --- live refresh ---------------------------------------------------------------------------------

@pytest.mark.parametrize("part", ["header", "timers", "timeline", "account", "margin_call", "transitions"])
def test_htmx_partials_are_fragments(client, margin_call, agent, part):
    response = login(client, agent).get(page_url(margin_call, "console:case_part", part=part), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = html(response)
    assert "<html" not in body and "<form" not in body or part == "transitions"


def test_an_unknown_part_is_404(client, ticket, agent):
    assert login(client, agent).get(page_url(ticket, "console:case_part", part="secrets")).status_code == 404


def test_the_version_poll_says_when_the_case_changed(client, ticket, agent, other_agent):
    login(client, agent)
    body = html(client.get(page_url(ticket)))
    version = re.search(r'data-version="([0-9a-f]+)"', body).group(1)
    poll = page_url(ticket, "console:case_version")
    assert client.get(poll, {"v": version}, HTTP_HX_REQUEST="true").status_code == 204
    message_create(case=ticket, author=other_agent, body="我来看看", internal=True)
    response = client.get(poll, {"v": version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Trigger"] == "case-changed"
    new_version = re.search(r'data-version="([0-9a-f]+)"', html(response)).group(1)
    assert new_version != version
    assert client.get(poll, {"v": new_version}, HTTP_HX_REQUEST="true").status_code == 204


def test_the_page_polls_only_read_only_parts(client, margin_call, ticket, agent):
    body = html(login(client, agent).get(page_url(margin_call)))
    assert 'hx-trigger="every 15s"' in body
    parser = _Forms()
    parser.feed(body)
    actions = {action: triggers for action, triggers in parser.forms}
    for name in ("case_message", "case_assign", "case_priority", "case_call"):
        assert actions[page_url(margin_call, "console:" + name)] == [], name  # never inside a refreshed element
    # The transition buttons reload only on "refresh", which case_page.js sends while no comment is typed.
    parser = _Forms()
    parser.feed(html(client.get(page_url(ticket))))
    transitions = [triggers for action, triggers in parser.forms if "/transitions/" in action]
    assert len(transitions) == 2 and all(triggers == ["refresh"] for triggers in transitions)


def test_a_poll_after_the_session_ended_reloads_the_page(client, ticket):
    response = client.get(page_url(ticket, "console:case_version"), {"v": "x"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert client.get(page_url(ticket, "console:case_part", part="timeline")).status_code == 302


def test_the_version_poll_is_scoped(client, ticket, outsider_agent, client_profile):
    poll = page_url(ticket, "console:case_version")
    assert login(client, outsider_agent).get(poll).status_code == 404
    assert login(client, client_profile.user).get(poll).status_code == 403


# --- queries --------------------------------------------------------------------------------------

def _grow(case, agent, other_agent, n):
    for index in range(n):
        message_create(case=case, author=agent, body=f"回复 {index}", attachments=[
            SimpleUploadedFile(f"f{index}.txt", b"abc", "text/plain")])
        message_create(case=case, author=other_agent, body=f"备注 {index}", internal=True)
    for index in range(n):
        PositionFactory(account=case.credit_account, security=SecurityFactory(), quantity=100 + index)


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_is_constant(client, margin_call, agent, other_agent, django_assert_max_num_queries):
    login(client, agent)
    url = page_url(margin_call)
    _grow(margin_call, agent, other_agent, 2)
    small = _count(client, url)
    _grow(margin_call, agent, other_agent, 30)
    large = _count(client, url)
    assert large == small
    with django_assert_max_num_queries(small):
        client.get(url)
    for part in ("timeline", "account", "margin_call", "timers", "header"):
        part_url = page_url(margin_call, "console:case_part", part=part)
        assert _count(client, part_url) <= 15


# --- help articles for the client -----------------------------------------------------------------

def test_help_articles_for_the_client_in_their_language(client, agent, client_profile, settings):
    from knowledge.models import Article, Category

    settings.SITE_URL = "https://desk.example.com/"
    category = Category.objects.create(code="interest-help", name="利息", name_en="Interest", case_categories="interest")
    Article.objects.create(slug="how-interest-is-computed", category=category, title_zh="利息如何计算",
                           body_zh="按日计息，年利率除以360。", title_en="How interest is computed",
                           body_en="Daily, the annual rate over 360.", keywords="interest, 利息", audience="clients")
    Article.objects.create(slug="draft", category=category, title_zh="草稿", body_zh="草稿", title_en="Draft",
                           body_en="Draft", keywords="interest", is_published=False)
    dispute = case_create(created_by=agent, kind="dispute", client=client_profile, subject="利息算错了",
                          description="请核对", category="interest")
    login(client, agent)
    url = reverse("console:case_articles", args=[dispute.number])
    assert f'hx-get="{url}"' in html(client.get(page_url(dispute)))
    panel = html(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))
    assert "利息如何计算" in panel and "Draft" not in panel and "草稿" not in panel  # the client reads Chinese
    assert 'value="https://desk.example.com/portal/knowledge/how-interest-is-computed/"' in panel

    client_profile.language = "en"
    client_profile.save()
    assert "How interest is computed" in html(client.get(url))
    ticket = case_create(created_by=agent, kind="ticket", client=client_profile, subject="其他", category="technical")
    assert "No article matches" in html(client.get(reverse("console:case_articles", args=[ticket.number]),
                                                   HTTP_ACCEPT_LANGUAGE="en"))


def test_help_articles_are_for_staff_in_scope(client, ticket, client_profile, outsider_agent):
    url = reverse("console:case_articles", args=[ticket.number])
    login(client, client_profile.user)
    assert client.get(url).status_code == 403
    login(client, outsider_agent)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"


# --- saved replies ---------------------------------------------------------------------------------

@pytest.fixture
def saved_replies():
    from cases.models import SavedReply

    return [
        SavedReply.objects.create(title="补充材料", title_en="More documents", case_kinds="ticket,dispute",
                                  body_zh="{client_name}您好，关于{case_number}，请补充材料。",
                                  body_en="Dear {client_name}, about {case_number} ({account_no}), please send "
                                          "the documents. {agent_name} {unknown}"),
        SavedReply.objects.create(title="追保提醒", title_en="Top-up reminder", case_kinds="margin_call",
                                  body_zh="请补足保证金。", body_en="Please top up."),
        SavedReply.objects.create(title="停用", title_en="Retired", body_zh="旧", body_en="old", is_active=False),
    ]


def test_saved_replies_are_offered_for_the_kind_in_the_clients_language(client, ticket, agent, client_profile,
                                                                         credit_account, saved_replies):
    from cases.saved_replies import replies_for

    replies = replies_for(ticket, agent)
    assert [reply["id"] for reply in replies] == [saved_replies[0].pk]  # not the margin call's, not the retired
    assert replies[0]["body"] == f"{client_profile.name}您好，关于{ticket.number}，请补充材料。"
    client_profile.language = "en"
    client_profile.save()
    ticket.refresh_from_db()
    body = replies_for(ticket, agent)[0]["body"]
    assert body == (f"Dear {client_profile.name}, about {ticket.number} ({credit_account.account_no}), please "
                    f"send the documents. {agent.display_name} {{unknown}}")  # only the four names are filled

    login(client, agent)
    page = html(client.get(page_url(ticket), HTTP_ACCEPT_LANGUAGE="en"))
    assert "data-saved-reply" in page and ">More documents</option>" in page and "Top-up reminder" not in page


def test_saved_replies_are_not_offered_to_readers(client, ticket, auditor, saved_replies):
    login(client, auditor)
    assert "data-saved-reply" not in html(client.get(page_url(ticket)))
