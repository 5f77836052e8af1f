"""The periodic jobs' record of their last run (cases.models.PeriodicJobRun), read by the health check."""

from django.utils import timezone

from cases.models import PeriodicJobRun


def periodic_job_finished(*, task: str) -> None:
    """Record that the periodic job `task` (its Celery task name) has just finished: one upsert, after
    the job's own transaction, so that overlapping runs never wait on this row while they work."""
    PeriodicJobRun.objects.bulk_create([PeriodicJobRun(task=task, finished_at=timezone.now())],
                                       update_conflicts=True, unique_fields=["task"], update_fields=["finished_at"])
