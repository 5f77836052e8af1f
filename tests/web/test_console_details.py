"""What staff saw in daily use of the console, the approvals and the risk pages: each
test is a fault a user met, kept from coming back."""

import re

import pytest
from django.urls import reverse

from cases.models import MarginCallCase
from cases.services import case_transition
from risk.models import MarginCallContact
from tests.web.margin import open_margin_call

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def liquidated_call(client_profile, agent, risk_officer, other_risk_officer):
    """A margin call past its deadline, liquidated by two risk officers."""
    call = open_margin_call(client_profile, agent)
    call = case_transition(case=call, user=None, name="pass_deadline")
    call = case_transition(case=call, user=risk_officer, name="propose_liquidation", comment="逾期未补足")
    call = case_transition(case=call, user=other_risk_officer, name="approve_liquidation")
    assert call.state == MarginCallCase.State.LIQUIDATED
    return call


@pytest.mark.parametrize("last_step", [None, "schedule_return_visit"])
def test_a_liquidated_margin_call_counts_no_deadline_down(client, liquidated_call, risk_officer, last_step):
    """Once liquidated (and on its return visit) the call's deadline is history: the case page went
    on ticking "overdue by …" and the list showed the deadline in red, as if a decision were due."""
    if last_step:
        case_transition(case=liquidated_call, user=risk_officer, name=last_step, comment="已平仓")
    login(client, risk_officer)
    for url in (reverse("console:case", kwargs={"number": liquidated_call.number}),
                reverse("console:case_part", kwargs={"number": liquidated_call.number, "part": "margin_call"})):
        body = client.get(url).content.decode()
        assert "data-deadline-at=" in body  # the deadline it had, still shown
        assert "data-deadline=" not in body  # but no countdown to it
    listing = client.get(reverse("console:cases"), {"tab": "all"}).content.decode()
    row = re.search(rf'<tr data-case="{liquidated_call.number}".*?</tr>', listing, re.DOTALL).group(0)
    assert "sla-deadline" not in row and "sla-100" not in row


def test_the_approvals_inbox_shows_a_liquidations_subject_in_the_readers_language(
        client, client_profile, agent, risk_officer, supervisor):
    """A liquidation proposal's margin call was listed under its stored Chinese subject in English."""
    call = open_margin_call(client_profile, agent)
    call = case_transition(case=call, user=None, name="pass_deadline")
    case_transition(case=call, user=risk_officer, name="propose_liquidation", comment="overdue")
    account_no = call.credit_account.account_no
    page = login(client, supervisor).get(reverse("supervisor:approvals"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="approval-{call.number}"' in page
    assert f"Margin call: credit account {account_no} is below the close-out line" in page
    assert "追保" not in page
    chinese = client.get(reverse("supervisor:approvals"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"追保：信用账户 {account_no} 低于平仓线" in chinese


def test_the_proposer_is_told_a_second_person_decides_not_that_no_step_is_possible(
        client, client_profile, agent, risk_officer, other_risk_officer):
    """After proposing a liquidation the risk officer's case page said only "No step is possible for you
    in this state", a dead end; the approvals inbox says why (four eyes), and so does the case page now."""
    call = open_margin_call(client_profile, agent)
    call = case_transition(case=call, user=None, name="pass_deadline")
    case_transition(case=call, user=risk_officer, name="propose_liquidation", comment="overdue")
    url = reverse("console:case", kwargs={"number": call.number})
    page = login(client, risk_officer).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You proposed this liquidation: a second risk officer must approve it (four eyes)." in page
    assert "No step is possible for you in this state." not in page
    second = login(client, other_risk_officer).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-transition="approve_liquidation"' in second and "four eyes" not in second


def test_a_too_long_call_note_is_refused_once_not_twice_in_other_words(client, client_profile, agent):
    """The form's length check and the API serializer's both answered, two lines for one fault."""
    call = open_margin_call(client_profile, agent)
    response = login(client, agent).post(reverse("console:case_call", kwargs={"number": call.number}),
                                         {"outcome": "reached", "note": "x" * 2500}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    errors = re.findall(r'<div class="error" role="alert">([^<]*)</div>', body)
    assert len([error for error in errors if "2000" in error]) == 1, errors
    assert not MarginCallContact.objects.filter(case=call).exists()


def test_the_case_admin_shows_the_proposed_outcome_by_its_label(
        client, client_profile, agent, risk_officer, supervisor):
    """The admin's four-eyes section showed the raw code ("liquidate", "resolve") in both languages."""
    call = open_margin_call(client_profile, agent)
    call = case_transition(case=call, user=None, name="pass_deadline")
    case_transition(case=call, user=risk_officer, name="propose_liquidation", comment="overdue")
    url = reverse("admin:cases_case_change", args=[call.pk])
    english = login(client, supervisor).get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert re.search(r'<div class="readonly">forced liquidation</div>', english), english
    assert '<div class="readonly">liquidate</div>' not in english
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<div class="readonly">liquidate</div>' not in chinese
