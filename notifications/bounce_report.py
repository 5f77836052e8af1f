"""Reading a bounce: which e-mail it returns and what the mail system said about it. Pure functions,
no database: notifications.bounces acts on the result.

A delivery status notification (RFC 3464: multipart/report; report-type=delivery-status) names the
returned e-mail in the part carrying its headers (text/rfc822-headers) or the whole of it
(message/rfc822), and says per recipient what happened (Action: failed, delayed, delivered …),
with a status code (5.1.1) and the remote server's answer (Diagnostic-Code). Bounces in plain text
(older mail servers writing as MAILER-DAEMON) quote the returned e-mail's headers in their text.
Some mail systems name it in In-Reply-To / References too."""

import re
from dataclasses import dataclass
from email import message_from_string, policy
from email.message import Message

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
#: A Message-ID header quoted in a bounce's text (the returned e-mail copied below the explanation).
_QUOTED_MESSAGE_ID = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")
_HEADER_PARTS = ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers")
_MESSAGE_PARTS = ("message/rfc822", "message/global")
#: The most of the remote server's answer kept (it is shown to staff and on the case).
DIAGNOSTIC_MAX = 500


@dataclass(frozen=True)
class BounceReport:
    """What a bounce says about the e-mail it returns.

    `message_ids`: the returned e-mail's Message-ID as the bounce names it, most reliable first (its
    attached headers or copy, In-Reply-To, References from the newest end, a Message-ID line in the
    text). `action`: the report's per-recipient action ("failed", "delayed" …), "" when the bounce
    has no machine-readable report (a plain-text bounce: a failure)."""

    message_ids: tuple[str, ...] = ()
    action: str = ""
    status: str = ""
    diagnostic: str = ""

    @property
    def is_failure(self) -> bool:
        """The e-mail was not delivered and will not be (a delay warning or a relay's note is not that)."""
        return self.action in ("", "failed")

    @property
    def said(self) -> str:
        """The mail system's words, for people: its answer, else its status code."""
        return self.diagnostic or self.status


def _text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    return payload.decode(part.get_content_charset() or "utf-8", errors="replace")


def _parts(msg: Message):
    """Every part, a returned e-mail (message/rfc822) included but not opened."""
    yield msg
    if msg.get_content_type() in _MESSAGE_PARTS or msg.get_content_type() in _STATUS_PARTS:
        return
    if msg.is_multipart():
        for child in msg.get_payload():
            yield from _parts(child)


def _fields(part: Message) -> list[Message]:
    """The field blocks of a delivery-status part (the per-message one first, then one per recipient)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    blocks = re.split(r"\r?\n[ \t]*\r?\n", _text(part).strip())
    return [message_from_string(block.strip() + "\n", policy=policy.compat32) for block in blocks if block.strip()]


def _value(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _typed(value: str) -> str:
    """A typed field's value without its type ("smtp; 550 …" → "550 …")."""
    kind, separator, rest = value.partition(";")
    return rest.strip() if separator and " " not in kind.strip() else value


def _message_id_in_headers(text: str) -> str:
    """The Message-ID of a returned e-mail's headers (as text)."""
    try:
        value = str(message_from_string(text.lstrip(), policy=policy.compat32).get("Message-ID") or "")
    except Exception:  # headers no parser reads: their text is searched instead
        value = ""
    if match := _MESSAGE_ID.search(value):
        return match.group(0)
    match = _QUOTED_MESSAGE_ID.search(text)
    return match.group(1) if match else ""


def _recipient_block(msg: Message) -> Message | None:
    """The report's first recipient that failed, else its first recipient."""
    recipients = [block for part in _parts(msg) if part.get_content_type() in _STATUS_PARTS
                  for block in _fields(part) if block.get("Action") or block.get("Final-Recipient")]
    failed = [block for block in recipients if _value(block, "Action").lower() == "failed"]
    return (failed or recipients or [None])[0]


def bounce_report(msg: Message, *, in_reply_to: str, references: str) -> BounceReport:
    """What the bounce `msg` (already known to be one) says; `in_reply_to` and `references` are its
    headers' text."""
    attached, quoted = [], []
    for part in _parts(msg):
        content_type = part.get_content_type()
        if content_type in _HEADER_PARTS:
            attached.append(_message_id_in_headers(_text(part)))
        elif content_type in _MESSAGE_PARTS and part.is_multipart():  # the returned e-mail itself
            match = _MESSAGE_ID.search(str(part.get_payload(0).get("Message-ID") or ""))
            attached.append(match.group(0) if match else "")
        elif content_type == "text/plain":  # a plain-text bounce quoting the returned e-mail
            quoted += _QUOTED_MESSAGE_ID.findall(_text(part))
    named = _MESSAGE_ID.findall(in_reply_to) + list(reversed(_MESSAGE_ID.findall(references)))
    message_ids = tuple(dict.fromkeys(found for found in [*attached, *named, *quoted] if found))
    block = _recipient_block(msg)
    if block is None:
        return BounceReport(message_ids=message_ids)
    return BounceReport(
        message_ids=message_ids, action=_value(block, "Action").lower(), status=_value(block, "Status"),
        diagnostic=_typed(_value(block, "Diagnostic-Code"))[:DIAGNOSTIC_MAX],
    )
