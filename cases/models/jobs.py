from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJobRun(models.Model):
    """When a periodic job last finished, by its Celery task name (one row per job, overwritten):
    the operators' health check (servicedesk/health.py) tells a stalled beat, worker or
    `run_periodic` from a quiet night by it. Beat's own PeriodicTask.last_run_at is not that: it
    says when beat sent the task, not that a worker ran it, and the demo has no beat."""

    task = models.CharField(_("task"), max_length=200, primary_key=True)
    finished_at = models.DateTimeField(_("finished at"))

    class Meta:
        verbose_name = _("periodic job run")
        verbose_name_plural = _("periodic job runs")

    def __str__(self) -> str:
        return f"{self.task} {self.finished_at:%Y-%m-%d %H:%M:%S}"
