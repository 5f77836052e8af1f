"""Stress tests and stress-mode changes at the same moment (PostgreSQL)."""

from decimal import Decimal

import pytest

from cases.models import Case, CaseKind
from risk import stress
from risk.models import StressMode
from risk.monitoring import monitor_accounts
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
D = Decimal


def test_two_officers_setting_stress_mode_at_once_leave_one_active(risk_officer, other_risk_officer):
    for _ in range(5):
        results = run_together(
            lambda: stress.stress_mode_set(user=risk_officer, points=D("3.00"), reason="a"),
            lambda: stress.stress_mode_set(user=other_risk_officer, points=D("6.00"), reason="b"),
        )
        assert all(isinstance(result, StressMode) for result in results), results
        assert StressMode.objects.filter(lifted_at__isnull=True).count() == 1


def test_two_stress_tests_opening_cases_at_once_open_one_per_account(risk_officer, other_risk_officer):
    security = SecurityFactory(price=D("10.00"))
    for _ in range(5):
        account = CreditAccountFactory(financing_debt=D("100000.00"))
        PositionFactory(account=account, security=security, quantity=15_000)  # 1.50, 1.35 at −10 %
    monitor_accounts(trigger="test")  # valued, as every account is (healthy: no margin call)

    def run_as(user):
        return lambda: stress.stress_test_run(user=user, market_shock=D("-0.10"), open_cases=True)

    first, second = run_together(run_as(risk_officer), run_as(other_risk_officer))
    assert first.cases_opened + second.cases_opened == 5, (first, second)
    assert Case.objects.filter(kind=CaseKind.MARGIN_CALL).count() == 5
