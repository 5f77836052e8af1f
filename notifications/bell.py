"""The bell: a user's unread in-app notices, the same on the admin's pages and on the web pages
(console, supervisor and risk pages, portal); only where a notice leads differs."""

from django.urls import reverse

from notifications import selectors
from notifications.serializers import notice_text

BELL_SIZE = 8


def notice_items(notices, open_url_name: str) -> list[dict]:
    """What the bell and the inbox show of each notice: its text (rendered now for rows written
    without one) and the address that marks it read and goes on to its case."""
    context: dict = {}
    items = []
    for notice in notices:
        subject, body = notice_text(notice, context)
        items.append({"id": notice.pk, "subject": subject, "body": body, "case": notice.case,
                      "created_at": notice.created_at, "unread": notice.read_at is None,
                      "open_url": reverse(open_url_name, args=[notice.pk])})
    return items


def bell_context(user, *, open_url_name: str, inbox_url: str) -> dict:
    if user is None or not user.is_authenticated:
        return {"show": False}
    notices = selectors.inbox(user, unread_only=True)[:BELL_SIZE]
    return {"show": True, "unread_count": selectors.unread_count(user), "inbox_url": inbox_url,
            "notices": notice_items(notices, open_url_name)}
