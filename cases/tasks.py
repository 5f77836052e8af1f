"""Celery tasks: take ids, call services, idempotent."""

import datetime

from celery import shared_task

from cases.sla_sweep import sla_sweep
from servicedesk.task_retry import retried_while_database_down


@shared_task(name="sla.sweep", acks_late=True)
def sla_sweep_task() -> int:
    """Every minute: fire the SLA warning levels crossed since the last sweep (exactly once), and
    tell whatever an earlier sweep's lost notify task left untold. Its finish is recorded: the
    operators' health check (/health/) fails when the sweep has stopped running."""
    from cases.services.escalations import escalations_notify
    from cases.services.jobs import periodic_job_finished

    fired = sla_sweep()
    escalations_notify()
    periodic_job_finished(task=sla_sweep_task.name)
    return fired


@shared_task(name="cases.close_resolved_tickets", acks_late=True)
def tickets_close_resolved_task() -> int:
    """Hourly: the tickets resolved more than 7 days ago (no longer reopenable) are closed."""
    from cases.services.transitions import tickets_close_resolved

    return tickets_close_resolved()


@shared_task(name="sla.fold_report_tally", acks_late=True)
def sla_fold_report_tally_task() -> int | None:
    """Every minute: fold the SLA report's tally changes (PostgreSQL) so the report stays fast."""
    from cases import sla_tally

    return sla_tally.fold()


@shared_task(name="notifications.sla_warnings", acks_late=True)
def sla_notify_task(run: str) -> int:
    """Tell the people a sweep's warnings concern (on the notifications queue; exactly once)."""
    from cases.services.escalations import escalations_notify

    return escalations_notify(run)


@shared_task(name="sla.reapply", bind=True, acks_late=True)
@retried_while_database_down
def sla_reapply_task() -> int:
    """After a policy edit: every open case takes the targets now in force (idempotent: a case
    whose targets did not change gets no event)."""
    from cases.models import Case
    from cases.models.workflows import ALL_CLOSED_STATES
    from cases.services.sla import each_case, sla_policy_reapply
    from cases.sla_engine import SLA_KINDS

    open_cases = Case.objects.filter(kind__in=SLA_KINDS).exclude(state__in=ALL_CLOSED_STATES).only("pk", "number")
    return each_case(open_cases.iterator(chunk_size=500),
                     lambda case: sla_policy_reapply(case.pk, reason="policy changed"), why="policy changed")


@shared_task(name="sla.tier_changed", bind=True, acks_late=True)
@retried_while_database_down
def sla_tier_changed_task(client_ids: list[int]) -> int:
    """After a change of clients' tier (admin, core-system import): their open cases take the
    targets now in force for them (idempotent)."""
    from cases.services.sla import sla_clients_tier_changed

    return sla_clients_tier_changed(client_ids=client_ids)


@shared_task(name="sla.calendar_changed", bind=True, acks_late=True)
@retried_while_database_down
def sla_calendar_changed_task(calendar_code: str, dates: list[str], hours_changed: bool = False) -> int:
    """After an edit of a calendar's days (or of its service hours: every running clock on it):
    the running clocks it concerns take the new calendar (idempotent: a case whose deadlines did
    not move gets no event)."""
    from cases.services.sla import sla_calendar_changed

    return sla_calendar_changed(calendar_code=calendar_code, hours_changed=hours_changed,
                                dates=[datetime.date.fromisoformat(day) for day in dates])


@shared_task(name="calendars.seed_next_year", acks_late=True)
def calendars_seed_next_year_task() -> int:
    """Daily: this year and next of each calendar, seeded from the `holidays` package as estimated
    when missing (a running installation gets next year without a migrate). Idempotent: a year
    already there, confirmed or edited by a supervisor, is left alone. Returns how many were added."""
    from django.utils import timezone

    from cases.calendars import calendars_seed

    this_year = timezone.localdate().year
    return len(calendars_seed(first_year=this_year, last_year=this_year + 1))


@shared_task(name="visits.schedule_quarterly", bind=True, acks_late=True)
@retried_while_database_down
def visits_schedule_quarterly_task(today: str | None = None) -> int:
    """On the first day of each quarter: a return visit for every high-net-worth client, once per
    client and quarter (a re-run adds nothing). Returns how many were scheduled."""
    from cases.services.visits import return_visits_schedule_quarterly

    return return_visits_schedule_quarterly(datetime.date.fromisoformat(today) if today else None)
