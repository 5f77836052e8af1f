import os

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.local")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def mask_personal_data_in_worker_logs(logger, **kwargs):
    """The worker and beat replace the root logger's handlers (settings.LOGGING's) with their own, and
    give the task logger its own: each gets the filter that masks id numbers and mobile numbers."""
    from servicedesk.security import PersonalDataFilter

    for handler in logger.handlers:
        if not any(isinstance(existing, PersonalDataFilter) for existing in handler.filters):
            handler.addFilter(PersonalDataFilter())
