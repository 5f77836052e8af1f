"""Settings of the processes the fault tests start (gunicorn, Celery worker and beat, seed scripts):
the real configuration (servicedesk.settings.base, from the environment: DATABASE_URL and
CELERY_BROKER_URL point at the tests' own PostgreSQL and Redis), DEBUG off, and shorter clocks so a
test waits seconds instead of minutes for what production does in minutes."""

from servicedesk.settings.base import *  # noqa: F401,F403
from servicedesk.settings.base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A killed worker's unacknowledged message comes back after the visibility timeout (Redis
# transport; production keeps Kombu's hour): seconds here, scanned for every second.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("FAULT_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
# Beat: only the jobs a fault test relies on, every few seconds instead of every minute.
CELERY_BEAT_SCHEDULE = {
    "notifications-resend": {"task": "notifications.resend_pending",
                             "schedule": env.float("FAULT_RESEND_EVERY", default=3.0)},
    "sla-sweep": {"task": "sla.sweep", "schedule": env.float("FAULT_SWEEP_EVERY", default=3600.0)},
}
