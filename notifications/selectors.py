"""Reads of notices: a user's in-app inbox (the bell) and the messages kept for a case."""

from django.db.models import Q, QuerySet

from cases.selectors import is_staff_reader
from notifications.models import Notification

INBOX_SIZE = 50


def _delivered_in_app(user) -> QuerySet[Notification]:
    """The user's in-app notices that reached them: one kept as gave_up (a client who switched
    in-app notices off) is on the record, not in the bell."""
    return (Notification.objects.filter(recipient_user=user, channel=Notification.Channel.IN_APP)
            .exclude(status=Notification.Status.GAVE_UP))


def inbox(user, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's in-app notices, newest first (served by the (recipient_user, read_at) index)."""
    queryset = (_delivered_in_app(user).select_related("case", "case__client", "case__credit_account")
                .order_by("-id"))
    return queryset.filter(read_at__isnull=True) if unread_only else queryset


def unread_count(user) -> int:
    return _delivered_in_app(user).filter(read_at__isnull=True).count()


def case_notifications(user, case) -> QuerySet[Notification]:
    """Every message kept for the case (the caller has checked the user may see the case). A
    client sees only the notices sent to them, never staff notices about their case."""
    queryset = (case.notifications.select_related("recipient_user", "recipient_client")
                .order_by("created_at", "id"))
    if not is_staff_reader(user):
        queryset = queryset.filter(Q(recipient_user=user) | Q(recipient_client__user=user))
    return queryset
