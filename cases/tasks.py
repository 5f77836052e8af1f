"""Celery tasks: take ids, call services, idempotent."""

from celery import shared_task

from cases.sla_sweep import sla_sweep


@shared_task(name="sla.sweep", acks_late=True)
def sla_sweep_task() -> int:
    """Every minute: fire the SLA warning levels crossed since the last sweep (exactly once)."""
    return sla_sweep()
