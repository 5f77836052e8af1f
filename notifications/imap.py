"""Polls the service mailbox over IMAP (beat, every minute: task notifications.imap_poll).

Settings: IMAP_HOST (empty: nothing is polled), IMAP_PORT (default 993 with SSL, else 143),
IMAP_USER, IMAP_PASSWORD, IMAP_SSL (default True), IMAP_FOLDER (default "INBOX").

Each unseen message is fetched without marking it (BODY.PEEK[]), ingested in its own transaction,
and marked \\Seen only after that transaction committed: a worker that dies in between leaves it
unseen, the next poll reads it again, and the ingest, idempotent by Message-ID, records it once.
"""

import imaplib
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction

from notifications.inbound import email_ingest

logger = logging.getLogger(__name__)


def _setting(name: str, default):
    return getattr(settings, name, default)


def _connect():
    use_ssl = bool(_setting("IMAP_SSL", True))
    port = _setting("IMAP_PORT", None) or (imaplib.IMAP4_SSL_PORT if use_ssl else imaplib.IMAP4_PORT)
    connection = (imaplib.IMAP4_SSL if use_ssl else imaplib.IMAP4)(_setting("IMAP_HOST", ""), int(port))
    sock = getattr(connection, "sock", None)
    if sock is not None:  # a mailbox that stops answering must not hold the worker for ever
        sock.settimeout(float(_setting("IMAP_TIMEOUT", 60)))
    return connection


def _check(response, what: str):
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"IMAP {what} failed: {status} {data!r}")
    return data


def _message_bytes(data) -> bytes | None:
    """The message in a FETCH response: [(b'1 (BODY[] {123}', b'...'), b')']."""
    for item in data or ():
        if isinstance(item, tuple) and len(item) >= 2 and isinstance(item[1], (bytes, bytearray)):
            return bytes(item[1])
    return None


def imap_poll() -> int:
    """Ingest every unseen message in the folder; returns how many were ingested (duplicates,
    held and ignored ones included). A message whose ingest fails stays unseen for the next poll."""
    if not _setting("IMAP_HOST", ""):
        return 0
    connection = _connect()
    ingested = 0
    try:
        _check(connection.login(_setting("IMAP_USER", ""), _setting("IMAP_PASSWORD", "")), "LOGIN")
        _check(connection.select(_setting("IMAP_FOLDER", "INBOX")), "SELECT")
        numbers = b" ".join(_check(connection.search(None, "UNSEEN"), "SEARCH") or [b""]).split()
        # Sequence numbers are stable here: a server sends no EXPUNGE during SEARCH, FETCH or
        # STORE (RFC 3501, 7.4.1), and this session expunges nothing.
        for number in numbers:
            number = number.decode() if isinstance(number, bytes) else str(number)
            try:
                raw = _message_bytes(_check(connection.fetch(number, "(BODY.PEEK[])"), "FETCH"))
                if raw is None:
                    logger.warning("IMAP message %s: no content in the FETCH response", number)
                    continue
                with transaction.atomic(durable=True):  # committed when this block ends
                    result = email_ingest(raw, source="imap")
            except imaplib.IMAP4.abort:
                raise
            except Exception:
                logger.exception("IMAP message %s could not be ingested; it stays unseen", number)
                continue
            _check(connection.store(number, "+FLAGS", "\\Seen"), "STORE")
            ingested += 1
            logger.info("IMAP message %s: %s %s", number, result.status,
                        result.case.number if result.case else "")
    finally:
        for command in ("close", "logout"):
            try:
                getattr(connection, command)()
            # bandit B110: best-effort close/logout; the connection may be closed already, or never selected
            except Exception:  # nosec B110
                pass
    return ingested


@shared_task(name="notifications.imap_poll", acks_late=True)
def imap_poll_task() -> int:
    """Every minute (beat): read the mailbox, if one is configured."""
    return imap_poll()
