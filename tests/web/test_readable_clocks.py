"""What a reader sees where a clock has run out, and in the console's filters: an overdue SLA timer
or margin-call deadline reads "overdue by …" in the reader's language, never a minus sign before a
large figure ("−248h 00m"); a queue is offered by its name, not its code beside it."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import SlaTimer
from cases.services import case_transition
from servicedesk import formats
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
MINUS = "\u2212"


def _part(client, case, part, **headers):
    response = client.get(reverse("console:case_part", kwargs={"number": case.number, "part": part}), **headers)
    assert response.status_code == 200
    return response.content.decode()


def _sla_text(page: str) -> str:
    return re.sub(r"[ \t\n]+", " ", re.search(r'<span class="sla [^>]*>(.+?)</span>', page, re.DOTALL).group(1)).strip()


def _late_ticket(ticket_with_account, agent, *, paused=False):
    """One timer, 248 business hours past its target (as CS-2026-000015 of the demo)."""
    case = case_transition(case=ticket_with_account, user=agent, name="open")
    timer = SlaTimer.objects.filter(case=case, stopped_at__isnull=True).order_by("pk").first()
    SlaTimer.objects.filter(case=case).exclude(pk=timer.pk).delete()
    now = timezone.now()
    SlaTimer.objects.filter(pk=timer.pk).update(
        target_seconds=3600, elapsed_seconds=249 * 3600, breached=True,
        resumed_at=None if paused else now, due_at=None if paused else now - datetime.timedelta(days=40))
    return case


@pytest.fixture
def ticket_with_account(client_profile, credit_account, agent):
    from cases.services import case_create
    from tests.factories import queue

    queue("general").members.add(agent)
    case = case_create(created_by=client_profile.user, client=client_profile, kind="ticket", subject="融资利息疑问",
                       credit_account=credit_account)
    case.assignee = agent
    case.save(update_fields=["assignee"])
    return case


def test_an_overdue_sla_timer_reads_overdue_by_on_the_list_and_the_case_page(client, ticket_with_account, agent,
                                                                          supervisor):
    case = _late_ticket(ticket_with_account, agent)
    client.force_login(supervisor)
    for headers, language in ((EN, "en"), (ZH, "zh-hans")):
        with translation.override(language):
            expected = formats.overdue(formats.business_time(248 * 3600))
        listed = client.get(reverse("console:cases"), **headers).content.decode().split(f'data-case="{case.number}"')[1]
        for page in (listed, _part(client, case, "timers", **headers)):
            text = _sla_text(page)
            assert text == expected and MINUS not in text and "-248" not in text, text
    with translation.override("en"):
        assert formats.business_time(-248 * 3600) == "overdue by 248h\u00a000m"  # the figure never broken


def test_a_paused_timer_past_its_target_reads_paused_then_overdue_by(client, ticket_with_account, agent, supervisor):
    case = _late_ticket(ticket_with_account, agent, paused=True)
    client.force_login(supervisor)
    listed = client.get(reverse("console:cases"), **EN).content.decode().split(f'data-case="{case.number}"')[1]
    assert _sla_text(listed) == "paused · overdue by 248h\u00a000m"


def test_a_margin_call_past_its_deadline_reads_overdue_by_without_time_left(client, client_profile, agent,
                                                                          risk_officer):
    call = open_margin_call(client_profile, agent)
    deadline = call.margin_call.deadline
    client.force_login(risk_officer)
    before = _part(client, call, "margin_call", **EN)
    assert "left:" in before and re.search(r"<span data-deadline=[^>]*>(\d+ d )?\d\d:\d\d</span>", before)
    with time_machine.travel(deadline + datetime.timedelta(days=2, hours=3, minutes=5), tick=False):
        after = _part(client, call, "margin_call", **EN)
    shown = re.search(r"<span data-deadline=[^>]*>([^<]+)</span>", after).group(1)
    assert shown == "overdue by 2\u00a0d\u00a003:05"
    assert 'class="countdown-label"' in before and 'class="countdown-label"' not in after  # no "left:" before it
    assert 'data-overdue-format="overdue by %(time)s"' in after  # the page's script ticks it on alike


def test_the_queue_filter_offers_queue_names_without_their_codes(client, agent):
    from tests.factories import queue

    hnw = queue("hnw")
    client.force_login(agent)
    for headers, language in ((EN, "en"), (ZH, "zh-hans")):
        page = client.get(reverse("console:cases"), **headers).content.decode()
        select = re.search(r'<select name="queue".*?</select>', page, re.DOTALL).group(0)
        options = dict(re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select))
        with translation.override(language):
            assert options["hnw"] == hnw.localized_name, options
        assert not [label for code, label in options.items() if f"({code})" in label], options
