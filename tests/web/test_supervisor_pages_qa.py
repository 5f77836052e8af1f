"""What a supervisor found wrong on the supervisor pages (QA by the supervisor's role), each with the
test that would have caught it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases.models import CaseKind, SatisfactionRating
from cases.services import case_create
from tests.web.test_supervisor_pages import csv_rows, tables_of

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 25, 16, 30, tzinfo=SH)


@pytest.fixture
def one_case_per_priority(client_profile, agent):
    """A ticket of each priority, opened Wed 25 Nov 2026 10:00, the urgent one first, each rated."""
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=SH), tick=False):
        for priority in ("urgent", "high", "normal", "low"):
            case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject=priority,
                               priority=priority)
            SatisfactionRating.objects.create(case=case, score=4)
    with time_machine.travel(NOW, tick=False):
        yield


def _groups(client, table: str, **params) -> list[str]:
    response = client.get(reverse("supervisor:dashboard"), params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return [row["group"] for row in tables_of(response)[table]["body"]]


def test_groups_of_a_choice_are_in_its_order_not_by_code(client, supervisor, one_case_per_priority):
    """Grouped by priority the compliance and satisfaction tables read High, Low, Normal, Urgent (the
    codes' alphabetical order): the supervisor looks for Low first and Urgent last, as everywhere else."""
    client.force_login(supervisor)
    params = {"group_by": "priority", "from": "2026-11-25", "to": "2026-11-25"}
    assert _groups(client, "compliance", **params) == ["Low", "Normal", "High", "Urgent"]
    assert _groups(client, "csat", **params) == ["Low", "Normal", "High", "Urgent"]
    exported = csv_rows(client.get(reverse("supervisor:export", args=["compliance"]), params,
                                   HTTP_ACCEPT_LANGUAGE="en"))
    assert [row[0] for row in exported[1:5]] == ["Low", "Normal", "High", "Urgent"]


def test_a_case_no_policy_matches_any_more_says_so_on_its_timeline(client, supervisor, client_profile, agent):
    """A policy deactivated (or edited to match other cases) left its cases with no targets: the
    timeline said "SLA policy applied: the SLA policy was edited", as if new targets were in force."""
    from cases.models import SlaPolicy
    from cases.tasks import sla_reapply_task

    case = case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="no policy")
    SlaPolicy.objects.filter(kind="ticket", priority="normal").update(is_active=False)
    assert sla_reapply_task() == 1
    client.force_login(supervisor)
    page = client.get(reverse("console:case", args=[case.number]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert ("No SLA policy applies any more (the SLA policy was edited): the clocks already running keep their "
            "targets, no new one starts") in page
    assert "SLA policy applied: the SLA policy was edited" not in page
