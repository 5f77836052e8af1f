"""Reads of notices: a user's in-app inbox (the bell) and the messages kept for a case."""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class InboxPage:
    """A page of a user's notices, newest first, and how to ask for the pages around it: `newer` the
    query of the newer page ({"after": id}, {} for the newest one), `older` that of the older page
    ({"before": id}); None where there is none."""

    notices: list[Notification]
    newer: dict[str, int] | None
    older: dict[str, int] | None


def inbox_page(user, *, before: int | None = None, after: int | None = None,
               unread_only: bool = False) -> InboxPage:
    """A page of INBOX_SIZE of the user's notices (inbox), newest first: the newest, those older than
    notice `before`, or those newer than notice `after` (the web inbox and the bell's API). Keyed on the
    notices' ids, so a notice arriving meanwhile repeats no row and hides none (the inbox had shown the
    newest 50 only)."""
    size, notices = INBOX_SIZE, inbox(user, unread_only=unread_only)
    if after is not None:
        rows = list(notices.filter(pk__gt=after).order_by("id")[:size + 1])
        newer, rows = len(rows) > size, rows[:size][::-1]
        older = notices.filter(pk__lte=after).exists()
    else:
        rows = list((notices.filter(pk__lt=before) if before is not None else notices)[:size + 1])
        older, rows = len(rows) > size, rows[:size]
        newer = before is not None and notices.filter(pk__gte=before).exists()
    return InboxPage(notices=rows, newer=({"after": rows[0].pk} if rows else {}) if newer else None,
                     older={"before": rows[-1].pk} if older and rows else None)


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
