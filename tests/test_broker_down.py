"""Redis (the broker) down: a change that commits is never turned into an error page by the task
it publishes afterwards (servicedesk/broker.py); what could not be queued is done another way or
later. The outbox's side is tests/notifications/test_outbox.py; the real outage, a Redis stopped
under a running web app, worker and beat, is tests/faults/test_redis_down.py."""

import datetime
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import translation

from accounts.models import Security
from cases.models import SlaEscalation, SlaPolicy
from cases.services import case_create
from cases.sla_sweep import sla_sweep
from notifications.models import Notification
from risk.models import MonitoringRun, StressMode
from servicedesk.celery import app
from tests.factories import CreditAccountFactory, PositionFactory, SecurityFactory

SH = ZoneInfo("Asia/Shanghai")
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    """Publishing goes to a broker that is not there (a closed port). Celery reads the
    CELERY_BROKER_URL environment variable before its configuration, so both are set."""
    monkeypatch.setenv("CELERY_BROKER_URL", CLOSED_PORT_BROKER)
    conf = app.conf
    saved = conf.task_always_eager, conf.broker_url
    app._pool = None
    app.amqp._producer_pool = None
    conf.task_always_eager, conf.broker_url = False, CLOSED_PORT_BROKER
    yield
    conf.task_always_eager, conf.broker_url = saved
    app._pool = None
    app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_a_case_opened_over_the_api_while_the_broker_is_down(broker_down, api, agent, client_profile):
    response = api.as_user(agent).post("/api/v1/cases/", {"client": client_profile.client_no, "kind": "ticket",
                                                          "subject": "咨询利率"}, format="json")
    assert response.status_code == 201, response.content
    notice = Notification.objects.get(case__number=response.json()["number"], event="case_created")
    assert notice.status == "pending" and notice.queued_at is None  # the resend task's, at once


@pytest.mark.django_db(transaction=True)
def test_stress_mode_set_while_the_broker_is_down_revalues_at_once(broker_down, api, risk_officer):
    account = CreditAccountFactory(financing_debt=Decimal("100000.00"))
    PositionFactory(account=account, security=SecurityFactory(price=Decimal("14.50")), quantity=10000)
    response = api.as_user(risk_officer).post("/api/v1/risk/stress-mode/", {"points": "5.00", "reason": "演练"},
                                              format="json")
    assert response.status_code == 200, response.content
    assert StressMode.objects.filter(lifted_at__isnull=True).count() == 1
    run = MonitoringRun.objects.get()  # not queued (no broker): run in the request instead
    assert run.trigger == "stress_mode" and run.stress_points == Decimal("5.00")


@pytest.mark.django_db(transaction=True)
def test_a_sweep_while_the_broker_is_down_leaves_its_warnings_to_the_next(broker_down, client_profile, agent,
                                                                          supervisor):
    from cases.services.escalations import escalations_notify

    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, tzinfo=SH), tick=False):
        case_create(created_by=agent, client=client_profile, kind="ticket", subject="超时", priority="urgent")
    fired = sla_sweep(now=datetime.datetime(2026, 11, 26, 9, tzinfo=SH))
    assert fired == 6 and SlaEscalation.objects.filter(notified_at__isnull=True).count() == 6
    assert escalations_notify() == 6  # what the next sweep does first
    assert SlaEscalation.objects.filter(notified_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_import_prices_while_the_broker_is_down(broker_down, tmp_path, capsys):
    security = SecurityFactory(symbol="600519", price=Decimal("10.00"))
    as_of = (security.price_as_of + datetime.timedelta(minutes=1)).isoformat()
    feed = tmp_path / "prices.csv"
    feed.write_text(f"symbol,price,as_of\n600519,11.00,{as_of}\n", encoding="utf-8")
    account = CreditAccountFactory(financing_debt=Decimal("1000.00"))
    PositionFactory(account=account, security=security, quantity=200)
    runs = MonitoringRun.objects.count()
    call_command("import_prices", str(feed))
    assert Security.objects.get(symbol="600519").price == Decimal("11.00")
    printed = capsys.readouterr()
    assert "任务队列不可用：现在就在此处重新估值全部信用账户。" in printed.err
    # not left to an operator who may never read the line: the accounts are revalued at once
    assert MonitoringRun.objects.filter(trigger="price_import").count() == runs + 1
    assert "1 个账户有变化" in printed.out


@pytest.mark.django_db
def test_an_sla_policy_saved_while_the_broker_is_down(broker_down, supervisor, django_capture_on_commit_callbacks):
    from django.contrib import admin

    request = RequestFactory().post("/admin/cases/slapolicy/1/change/")
    request.user = supervisor
    request.session = {}
    request._messages = FallbackStorage(request)
    policy_admin = admin.site._registry[SlaPolicy]
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        policy_admin.save_related(request, mock.Mock(), formsets=[], change=True)
    [message] = list(get_messages(request))
    with translation.override("en"):
        assert message.level_tag == "error" and "save the policy again" in str(message)
