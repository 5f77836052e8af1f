"""A relief request approved while a monitoring run moves the margin call it relieves (PostgreSQL,
real concurrent transactions): the approval waits for the run or the run for it, never a deadlock,
and an approval that has nothing left to relieve is refused, not approved for nothing."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from cases.models import Case
from cases.models.request_conditions import margin_call_to_relieve
from cases.models.workflows import CONDITION_REASONS
from cases.services import case_transition
from cases.services.requests import request_create
from notifications.models import Notification
from risk.models import MarginCall
from servicedesk.errors import Conflict
from tests.concurrency import holding_then
from tests.risk.test_margin_call_races import (  # noqa: F401 - fixtures
    AFTER_DEADLINE, SH, THU, account, first_then_second, monitor, price, security,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def holding_the_case_then(case_id, then, other):
    """A person's step on a margin call: its case locked (as call_locked takes it first), then, once
    `other` waits for a lock, `then()` in the same transaction (tests.concurrency.holding_then)."""
    return holding_then(
        lambda: list(Case.objects.select_for_update(of=("self",)).filter(pk=case_id).values_list("pk", flat=True)),
        then, other)


def relief_proposed(account, client_profile, agent):
    """The client's request for more time, reviewed and proposed for approval on Thursday."""
    with time_machine.travel(THU, tick=False):
        relief = request_create(created_by=client_profile.user, client=client_profile, kind="relief",
                                category="more_time", subject="延期补仓", credit_account=account)
        for name in ("start_review", "propose_approval"):
            relief = case_transition(case=relief, user=agent, name=name, comment="客户申请")
    return relief


def approving(relief, supervisor, at, *, state=True):
    """The supervisor's approval of `relief` at `at`, to run in a thread: the request's state (or the
    request)."""
    def approve():
        with time_machine.travel(at, tick=False):
            approved = case_transition(case=relief, user=supervisor, name="approve")
        return approved.state if state else approved
    return approve


def test_a_relief_approved_while_the_monitoring_passes_the_deadline(account, security, client_profile, agent,
                                                                     supervisor):
    """The run locks the call's case and writes the client's notices (rows that name the client); the
    approval locks the relief request, then waits for the call. Locking the request also locked its
    client's profile (FOR UPDATE through select_related), which the run's notices need at commit (the
    foreign key's check takes a KEY SHARE lock on the profile): each waited for the other, and
    PostgreSQL aborted the supervisor's approval as a deadlock."""
    price(security, "12.00")  # below close-out: a margin call due Tue 24 Feb 15:00
    monitor(THU)
    call = MarginCall.objects.get(account=account)
    relief = relief_proposed(account, client_profile, agent)

    outcome, state = first_then_second(lambda: monitor(AFTER_DEADLINE), approving(relief, supervisor, AFTER_DEADLINE))
    assert outcome.deadlines_passed == 1 and state == "approved", (outcome, state)
    call.refresh_from_db()
    assert Case.objects.get(pk=call.case_id).state == "client_notified"  # given the time back
    assert call.deadline == datetime.datetime(2026, 2, 27, 15, tzinfo=SH)


def test_a_relief_approved_while_the_monitoring_revalues_the_call_is_no_deadlock(account, security, client_profile,
                                                                                   agent, supervisor):
    """The run revalues the call (new amounts) and then passes its deadline. It moved the call before
    locking its case, the other way round from a person (call_locked: the case, then the call): the
    approval, holding the case, waited for the call; the run, holding the call, for the case."""
    price(security, "12.00")
    monitor(THU)
    call = MarginCall.objects.get(account=account)
    relief = relief_proposed(account, client_profile, agent)
    price(security, "12.50")  # still below close-out, the amounts move

    state, outcome = holding_the_case_then(call.case_id, approving(relief, supervisor, AFTER_DEADLINE),
                                           lambda: monitor(AFTER_DEADLINE))
    assert state == "approved" and not isinstance(outcome, Exception), (state, outcome)
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 27, 15, tzinfo=SH)
    assert call.top_up_cash == 15000  # 1.4 × 100,000 − 125,000: the run's amounts kept too
    assert Case.objects.get(pk=call.case_id).state == "client_notified"


def test_a_relief_approved_while_the_monitoring_restores_the_call_is_refused(account, security, client_profile,
                                                                             agent, supervisor):
    """The approval's conditions saw a call to relieve; the run restored it meanwhile. Approved, the
    request changed nothing and the client was told of more time on a call that was over: it is
    refused, as it is when the call was restored before (the reason says why)."""
    price(security, "12.00")
    monitor(THU)
    relief = relief_proposed(account, client_profile, agent)
    price(security, "16.00")  # back above the warning line by the band: restored

    outcome, refused = first_then_second(lambda: monitor(THU), approving(relief, supervisor, THU, state=False))
    assert outcome.cases_restored == 1 and isinstance(refused, Conflict), (outcome, refused)
    with translation.override(settings.LANGUAGE_CODE):  # the approval's thread speaks the site's language
        assert str(CONDITION_REASONS[margin_call_to_relieve]) in str(refused.message)
    assert Case.objects.get(pk=relief.pk).state == "under_review"
    assert not Notification.objects.filter(case_id=relief.pk, event="request_approved").exists()


def test_a_relief_approved_while_the_monitoring_moves_the_calls_restore_to_line_is_no_deadlock(
        account, security, client_profile, agent, supervisor):
    """The contract's restore-to line changed (an import), the valuation did not: the run moves the
    call's line and amounts, then passes its deadline. It moved the call before locking its case."""
    price(security, "12.00")
    monitor(THU)
    call = MarginCall.objects.get(account=account)
    relief = relief_proposed(account, client_profile, agent)
    account.restore_to_line = Decimal("1.5000")  # as import_accounts writes it
    account.save(update_fields=["restore_to_line"])

    state, outcome = holding_the_case_then(call.case_id, approving(relief, supervisor, AFTER_DEADLINE),
                                           lambda: monitor(AFTER_DEADLINE))
    assert state == "approved" and not isinstance(outcome, Exception), (state, outcome)
    call.refresh_from_db()
    assert call.deadline == datetime.datetime(2026, 2, 27, 15, tzinfo=SH)
    assert call.restore_to == Decimal("1.5000") and call.top_up_cash == 30000  # 1.5 × 100,000 − 120,000
