"""Runs the periodic jobs in-process when there is no broker (the embedded default of
`make demo`): the same schedule Celery beat runs (settings.CELERY_BEAT_SCHEDULE), with
Celery's own schedule objects deciding what is due."""

import time

from celery.schedules import maybe_schedule
from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from servicedesk.commands import OperatorCommand


class Command(OperatorCommand):
    help = _("Run the periodic jobs in this process (no broker needed).")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=_("Run every job once and exit."))

    def handle(self, *args, once=False, **options):
        from servicedesk.celery import app

        app.loader.import_default_modules()
        jobs = []
        for name, spec in settings.CELERY_BEAT_SCHEDULE.items():
            schedule = maybe_schedule(spec["schedule"], app=app)
            jobs.append({"name": name, "task": spec["task"], "schedule": schedule,
                         "args": spec.get("args", ()), "kwargs": spec.get("kwargs", {}), "last": None})
        if not jobs:
            self.stdout.write(_("No periodic jobs are configured."))
        while True:
            wait = 30.0
            failed = []
            for job in jobs:
                if job["last"] is None or once:
                    due, next_check = True, 0
                else:
                    due, next_check = job["schedule"].is_due(job["last"])
                if due:
                    if not self._run(app, job):
                        failed.append(job["name"])
                    job["last"] = app.now()
                    _due, next_check = job["schedule"].is_due(job["last"])
                wait = min(wait, max(float(next_check), 1.0))
            if once:
                # Run from cron or a script: a job that failed is exit status 1 (after every other job ran).
                if failed:
                    raise CommandError(_("%(count)d periodic job(s) failed: %(jobs)s.")
                                       % {"count": len(failed), "jobs": ", ".join(failed)})
                return
            time.sleep(wait)

    def _run(self, app, job) -> bool:
        """Run one job; False (its error reported on stderr) if it failed."""
        try:
            app.tasks[job["task"]].apply(args=job["args"], kwargs=job["kwargs"]).get(propagate=True)
            self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {job['name']}: ok")
        except Exception as error:  # keep the loop alive; the error is reported, not swallowed
            self.stderr.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} {job['name']}: {error!r}")
            return False
        return True
