"""The SLA report's tally (PostgreSQL): whatever happens to the timers, the cases and the clients,
the report read from the tally gives the figures read from the timers themselves, for every
group, range and period, before and after the fold."""

import datetime
import io
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction

from accounts.models import ClientProfile, Tier
from cases import reports, sla_tally
from cases.models import Case, CaseKind, SlaTally, SlaTallyChange, SlaTallyMonth, SlaTimer
from cases.services import case_create, case_transition, case_update, message_create
from cases.sla_sweep import sla_sweep
from tests.factories import ClientProfileFactory, queue

pytestmark = pytest.mark.postgres(reason="the tally is kept by PostgreSQL triggers (set DATABASE_URL)")

SH = ZoneInfo("Asia/Shanghai")
GROUPS = (None, "queue", "assignee", "kind", "tier", "priority")
RANGES = [
    (None, None),
    (datetime.datetime(2026, 11, 24, tzinfo=SH), None),                       # from a midnight on
    (None, datetime.datetime(2026, 11, 25, tzinfo=SH)),                       # until a midnight
    (datetime.datetime(2026, 11, 23, 23, tzinfo=SH), datetime.datetime(2026, 11, 25, 10, 30, tzinfo=SH)),
    (datetime.datetime(2026, 11, 24, 0, 5, tzinfo=SH), datetime.datetime(2026, 11, 24, 18, tzinfo=SH)),  # no whole day
    (datetime.datetime(2026, 11, 22, 16, tzinfo=datetime.UTC), datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)),
    # Whole months read by month, the days around them by day, the hours around those from the timers.
    (datetime.datetime(2026, 10, 1, tzinfo=SH), datetime.datetime(2026, 12, 1, tzinfo=SH)),
    (datetime.datetime(2026, 10, 15, 10, tzinfo=SH), datetime.datetime(2026, 12, 2, tzinfo=SH)),
    (None, datetime.datetime(2026, 11, 1, tzinfo=SH)),
    (datetime.datetime(2026, 11, 1, tzinfo=SH), None),
    (None, datetime.datetime(2026, 11, 24, 15, tzinfo=SH)),
    (datetime.datetime(2026, 10, 31, 23, tzinfo=SH), datetime.datetime(2026, 11, 30, 12, tzinfo=SH)),
]


def at(*args):
    return datetime.datetime(*args, tzinfo=SH)


def tally_rows():
    return sorted((model.__name__, *row) for model in (SlaTally, SlaTallyMonth)
                  for row in model.objects.values_list("dimension", "value", "day", "metric", "timers", "met",
                                                       "breached", "running"))


def fresh(case):
    return Case.objects.get(pk=case.pk).as_workflow()


def from_timers(monkeypatch, **query):
    """The report as it reads without the tally: every timer counted."""
    with monkeypatch.context() as patch:
        patch.setattr(sla_tally, "in_use", lambda using="default": False)
        return reports.sla_compliance(**query)


def assert_tally_matches_timers(monkeypatch):
    for group_by in GROUPS:
        for start, end in RANGES:
            for period in (None, "day", "week"):
                query = {"start": start, "end": end, "group_by": group_by, "period": period}
                assert reports.sla_compliance(**query) == from_timers(monkeypatch, **query), query


def busy_week(agent, other_agent, client_profile):
    """Cases on three days (one at 23:30 local, already the next day in UTC... and the reverse),
    answered, late, breached by the sweep, resolved, moved between queues, assignees and
    priorities, and a client made vip."""
    vip = ClientProfileFactory(tier=Tier.VIP)
    opened = []
    for moment, client, kind, priority in [
        (at(2026, 11, 23, 7, 30), client_profile, CaseKind.TICKET, "normal"),   # Sunday 23:30 UTC
        (at(2026, 11, 23, 23, 30), vip, CaseKind.TICKET, "urgent"),
        (at(2026, 11, 24, 0, 10), client_profile, CaseKind.DISPUTE, "normal"),
        (at(2026, 11, 24, 10), vip, CaseKind.TICKET, "low"),
        (at(2026, 11, 25, 10), client_profile, CaseKind.TICKET, "high"),
        (at(2026, 11, 25, 11), client_profile, CaseKind.DISPUTE, "normal"),
    ]:
        with time_machine.travel(moment, tick=False):
            case = case_create(created_by=agent, client=client, kind=kind, subject="s", priority=priority)
            case_update(case=case, user=agent, assignee=agent if len(opened) % 2 else other_agent)
            opened.append(case)
    with time_machine.travel(at(2026, 11, 24, 9, 15), tick=False):
        message_create(case=fresh(opened[0]), author=agent, body="on it")
    with time_machine.travel(at(2026, 11, 25, 16), tick=False):
        message_create(case=fresh(opened[2]), author=agent, body="late")
        case_transition(case=fresh(opened[0]), user=agent, name="resolve", comment="done")
    sla_sweep(now=at(2026, 11, 26, 9))
    with time_machine.travel(at(2026, 11, 26, 9, 30), tick=False):
        case_update(case=fresh(opened[3]), user=agent, priority="urgent")
        case_update(case=fresh(opened[4]), user=agent, queue=queue("disputes"))
        case_update(case=fresh(opened[5]), user=agent, assignee=other_agent)
    client = ClientProfile.objects.get(pk=client_profile.pk)
    client.tier = Tier.HNW
    client.save()
    Case.objects.filter(pk=opened[1].pk).update(created_at=at(2026, 10, 31, 23, 30))  # the month before
    return opened


@pytest.mark.django_db
def test_the_tally_gives_the_timers_figures(monkeypatch, agent, other_agent, client_profile):
    busy_week(agent, other_agent, client_profile)
    assert SlaTallyChange.objects.exists()
    assert_tally_matches_timers(monkeypatch)

    assert sla_tally.fold() > 0
    assert not SlaTallyChange.objects.exists()
    assert SlaTally.objects.filter(dimension="assignee").exists()
    assert set(SlaTallyMonth.objects.values_list("day", flat=True)) == {datetime.date(2026, 10, 1),
                                                                        datetime.date(2026, 11, 1)}
    assert_tally_matches_timers(monkeypatch)

    # After the fold, more changes: a case opened on a counted day moves, a timer is removed.
    moved = Case.objects.order_by("id").first()
    Case.objects.filter(pk=moved.pk).update(created_at=at(2026, 11, 20, 12))
    SlaTimer.objects.filter(case=moved, metric="resolution").delete()
    assert_tally_matches_timers(monkeypatch)
    sla_tally.fold()
    assert_tally_matches_timers(monkeypatch)


@pytest.mark.django_db
def test_rebuild_reproduces_the_tally(monkeypatch, agent, other_agent, client_profile):
    busy_week(agent, other_agent, client_profile)
    sla_tally.fold()
    kept = tally_rows()
    assert any(day.month == 10 for _model, _dimension, _value, day, *_rest in kept)
    sla_tally.rebuild()
    assert tally_rows() == kept
    SlaTally.objects.filter(dimension="queue").update(met=99)  # a tally gone wrong (a restore, say)
    out = io.StringIO()
    call_command("sla_rebuild", stdout=out)  # the timers replayed from the event log, the tally recounted
    assert_tally_matches_timers(monkeypatch)


@pytest.mark.django_db
def test_the_day_is_the_local_day(agent, client_profile):
    with time_machine.travel(at(2026, 11, 24, 0, 30), tick=False):  # 23 Nov 16:30 UTC
        case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="night")
    days = set(SlaTallyChange.objects.filter(dimension="kind").values_list("day", flat=True))
    assert days == {datetime.date(2026, 11, 24)}
    rows = reports.sla_compliance(start=at(2026, 11, 24), end=at(2026, 11, 25), group_by="kind",
                                  now=at(2026, 11, 24, 9))  # before any clock is due
    assert {(row["group"], row["metric"], row["running"]) for row in rows} == {
        ("ticket", "first_response", 1), ("ticket", "resolution", 1)}
    assert reports.sla_compliance(start=at(2026, 11, 23), end=at(2026, 11, 24), group_by="kind") == []


@pytest.mark.django_db(transaction=True)
def test_a_fold_leaves_uncommitted_changes_for_later(monkeypatch, agent, client_profile):
    """A case opened in a transaction still open while the fold runs is counted once it commits."""
    written, release, failures = threading.Event(), threading.Event(), []

    def open_case():
        try:
            with transaction.atomic(), time_machine.travel(at(2026, 11, 25, 10), tick=False):
                case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="slow")
                written.set()
                release.wait(10)
        except Exception as error:  # reported below
            failures.append(error)
            written.set()
        finally:
            connections.close_all()

    with time_machine.travel(at(2026, 11, 25, 9), tick=False):
        case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="first")
    worker = threading.Thread(target=open_case)
    worker.start()
    assert written.wait(10)
    sla_tally.fold()
    release.set()
    worker.join(10)
    assert not failures
    assert SlaTallyChange.objects.exists()  # the slow case's counts, committed after the fold
    before_due = at(2026, 11, 25, 10, 30)
    rows = reports.sla_compliance(start=None, end=None, group_by="kind", now=before_due)
    assert rows == from_timers(monkeypatch, start=None, end=None, group_by="kind", period=None, now=before_due)
    assert {row["running"] for row in rows} == {2}
    sla_tally.fold()
    assert not SlaTallyChange.objects.exists()
    assert reports.sla_compliance(start=None, end=None, group_by="kind", now=before_due) == rows


@pytest.mark.django_db
def test_beat_folds_the_tally_every_minute(settings, agent, client_profile):
    from cases.tasks import sla_fold_report_tally_task

    job = settings.CELERY_BEAT_SCHEDULE["sla-fold-report-tally"]
    assert (job["task"], job["schedule"]) == ("sla.fold_report_tally", 60.0)
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="t")
    assert sla_fold_report_tally_task.delay().get() > 0
    assert not SlaTallyChange.objects.exists()
    assert SlaTally.objects.filter(dimension="kind", value="ticket", running=1).count() == 2


@pytest.mark.django_db
def test_the_change_queue_is_vacuumed_by_the_thousand():
    """Folded every minute, the changes table would otherwise wait for a fifth of itself to be dead
    rows before autovacuum came, and the report scans it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'cases_slatallychange'")
        options = set(cursor.fetchone()[0])
    assert {"autovacuum_vacuum_threshold=1000", "autovacuum_vacuum_scale_factor=0.0"} <= options


@pytest.mark.django_db
def test_truncating_the_timers_empties_the_tally(agent, client_profile):
    """TRUNCATE fires no DELETE trigger (the benchmark's data steps use it)."""
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="t")
        case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="u")
    sla_tally.fold()
    case_create(created_by=agent, client=client_profile, kind=CaseKind.TICKET, subject="v")  # not folded
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE cases_slaescalation, cases_slatimer")
    assert not SlaTally.objects.exists() and not SlaTallyChange.objects.exists()
    assert not SlaTallyMonth.objects.exists()
    assert reports.sla_compliance(start=None, end=None, group_by="kind") == []
