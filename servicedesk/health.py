"""Health checks for operators, with django-health-check (the URLs are in servicedesk/urls.py, the
page's template in templates/health_check/): the library's database and cache checks, and three of
ours written to its check API: the broker, the migrations, and the SLA sweep's last run.

The pages need no login, so nothing on them names an address or a credential: a check is named by
its class (the library's Redis check would show the broker's host, port and db), and its failure by
a fixed message (the library logs the exception; an unexpected one shows as "unknown error").

Our checks that read the database run in the request's own thread (sync_to_async, thread-sensitive):
its connection is the one Django closes or keeps after the request. The library runs a plain
synchronous check in a pool thread, whose connection nothing would close (its database check opens a
temporary one for that reason)."""

import dataclasses
import datetime
import typing

from asgiref.sync import sync_to_async
from django import db
from django.conf import settings
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from redis.asyncio import Redis as RedisClient

DATABASE_DOWN = "the database is unreachable"


def _broker_client() -> RedisClient:
    return RedisClient.from_url(settings.CELERY_BROKER_URL)


@dataclasses.dataclass
class Broker(Redis):
    """The Celery broker (CELERY_BROKER_URL, Redis) answers a ping: the library's Redis check, shown
    as "Broker()" instead of by the broker's address, and connecting to the URL in force when it
    runs. Listed only where a broker is configured (HealthView)."""

    client_factory: typing.Callable[[], RedisClient] = dataclasses.field(default=_broker_client, repr=False)

    @property
    def labels(self) -> dict[str, str]:
        return HealthCheck.labels.fget(self)  # the check's name alone, not the broker's host, port and db


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration the code has is applied: a release whose `migrate` has not run (or failed)
    would serve the new code on the old tables."""

    alias: str = "default"

    async def run(self):
        await sync_to_async(self._check)()

    def _check(self) -> None:
        try:
            executor = MigrationExecutor(db.connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except db.Error as error:
            raise ServiceUnavailable(DATABASE_DOWN) from error
        if plan:
            names = [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
            raise ServiceUnavailable(f"{len(names)} migration(s) not applied: {', '.join(names[:5])}"
                                     + (", …" if len(names) > 5 else ""))


@dataclasses.dataclass
class SlaSweep(HealthCheck):
    """The SLA sweep (task sla.sweep, every minute around the clock: beat and a worker, or
    `run_periodic` in the demo) finished less than `max_age` ago (cases.models.PeriodicJobRun).
    Older, the periodic jobs have stopped: no SLA warning fires, no notice is resent."""

    max_age: datetime.timedelta = dataclasses.field(default=datetime.timedelta(minutes=5), repr=False)

    async def run(self):
        await sync_to_async(self._check)()

    def _check(self) -> None:
        from cases.models import PeriodicJobRun
        from cases.tasks import sla_sweep_task

        try:
            finished = (PeriodicJobRun.objects.filter(task=sla_sweep_task.name)
                        .values_list("finished_at", flat=True).first())
        except db.Error as error:
            raise ServiceUnavailable(DATABASE_DOWN) from error
        if finished is None:
            raise ServiceUnavailable("the SLA sweep has never finished")
        age = timezone.now() - finished
        if age > self.max_age:
            raise ServiceUnavailable(f"the SLA sweep last finished at {finished:%Y-%m-%d %H:%M:%S} UTC, "
                                     f"{int(age.total_seconds() // 60)} minutes ago (it runs every minute)")


class HealthView(HealthCheckView):
    """The library's view (HTML, or JSON with `Accept: application/json` or `?format=json`; 500
    when a check fails), with the broker's check dropped where no broker is configured (the demo:
    tasks run in-process), decided per request as the check reads its URL."""

    def get_checks(self):
        return (check for check in super().get_checks()
                if not isinstance(check, Broker) or settings.CELERY_BROKER_URL)
