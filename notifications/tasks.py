"""Celery tasks of the outbox (queue "notifications"): take ids, idempotent (delivery.py)."""

from celery import shared_task

from notifications.delivery import notification_send, notifications_resend


def _runs_in_process(task) -> bool:
    """Without a broker (eager, or called directly) a retry would run at once, not after its
    backoff: the row keeps its next_attempt_at and the resend task retries it when due."""
    return bool(task.request.is_eager or task.request.called_directly or task.app.conf.task_always_eager)


@shared_task(name="notifications.send", bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_notification(self, notification_id: int) -> str:
    """Send one outbox row (a second delivery of this task, or one for a row already sent or
    being sent, does nothing). On failure: retried after an exponential backoff until
    NOTIFICATION_MAX_ATTEMPTS, then gave_up with the error kept."""
    through_celery = not _runs_in_process(self)
    outcome = notification_send(notification_id, retry_queued=through_celery)
    if outcome.retry_in is not None and through_celery:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.resend_pending", acks_late=True, ignore_result=True)
def resend_pending() -> int:
    """Every minute (beat): send what is still due — rows whose task was lost with a broker or
    worker, retries, quiet-hour notices, rows written set-based. Returns how many were queued."""
    return notifications_resend()


resend_pending_task = resend_pending
