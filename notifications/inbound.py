"""Inbound e-mail: a client's reply lands on its case as a client message, a known client's new
e-mail opens a ticket, anything else is held for a supervisor's review; auto-replies are recorded
and left alone, and so are bounces, except that a bounce of one of our e-mail notices marks it
bounced and has someone call the client (notifications.bounces). Nothing is dropped: every e-mail
is kept as received (InboundEmail).

Which case, first match wins:
1. In-Reply-To / References name one of our case e-mails (Message-ID <CS-2026-000123.<n>@domain>);
2. the subject carries the case number ([CS-2026-000123]);
3. neither: a new ticket when the sender's address is exactly one client's e-mail address.
A case found by 1 or 2 is written on only when the sender is that case's client (From equals the
client's e-mail, case-insensitive). An e-mail whose sender failed the receiving mail server's checks
(Authentication-Results: DMARC, else SPF without DKIM; INBOUND_AUTHSERV_ID names the server whose
results count) is held, whatever it claims. Anyone else is held for review: a stranger can neither write
on a case nor learn anything about it (nothing is sent back).

A new ticket's description is the e-mail's whole text (quotes and forwarded text kept: they may be
the point); its attachments go on a first client message. A reply's message is its text with the
quoted earlier mail cut off. Attachments the portal would refuse (cases.attachments: over
settings.ATTACHMENT_MAX_BYTES, a type not accepted, a name that does not fit the content) are left
out and the message says why; the original e-mail keeps them all. It keeps the whole text too: a
case takes at most the 20,000 characters the portal and the API take (TEXT_MAX), and says so.
Reading the e-mail: notifications.inbound_parsing.
"""

import dataclasses
import hashlib
import uuid
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import ClientProfile
from accounts.roles import Role
from cases.attachments import MAX_FILES, AttachmentRefused, attachment_check
from cases.models import Case, CaseKind, CaseMessage, Channel, EventKind
from cases.services import case_create, event_record, message_create
from notifications.bounces import notification_bounced, returned_notification
from notifications.inbound_parsing import InboundAttachment, ParsedEmail, parse_email
from notifications.models import InboundEmail, Notification
from servicedesk.errors import ApplicationError, Conflict, NotAllowed, ValidationFailed

Status = InboundEmail.Status

DEFAULT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
SUBJECT_MAX = 200  # Case.subject
#: The most text a case takes from an e-mail, as from the portal or the API (cases.serializers);
#: the original e-mail keeps the whole of it.
TEXT_MAX = 20000


# --- ingesting ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InboundResult:
    """What became of an e-mail. `status` is one of InboundEmail.Status (DUPLICATE when the
    Message-ID was already recorded: then `inbound_email` is the first row, unchanged)."""

    status: str
    inbound_email: InboundEmail
    case: Case | None = None
    message: CaseMessage | None = None
    reason: str = ""

    @property
    def inbound(self) -> InboundEmail:
        return self.inbound_email


@dataclass
class _Outcome:
    status: str
    reason: str
    case: Case | None = None
    message: CaseMessage | None = None
    client: ClientProfile | None = None
    case_number: str = ""
    notification: Notification | None = None  # a bounce's: the notice it returns


def email_ingest(raw_bytes: bytes, *, source: str) -> InboundResult:
    """Record one e-mail and act on it in one transaction; the same Message-ID again is a no-op."""
    if isinstance(raw_bytes, str):
        raw_bytes = raw_bytes.encode("utf-8")
    parsed = parse_email(raw_bytes, authserv_id=settings.INBOUND_AUTHSERV_ID)
    existing, parsed = _recorded(parsed, raw_bytes)
    if existing is not None:
        return _duplicate(existing)
    try:
        with transaction.atomic():
            return _ingest(parsed, raw_bytes, source)
    except IntegrityError:  # the same e-mail ingested at the same moment elsewhere (IMAP and a file)
        existing, parsed = _recorded(parsed, raw_bytes)
        if existing is None:
            raise
        return _duplicate(existing)


def _recorded(parsed: ParsedEmail, raw_bytes: bytes) -> tuple[InboundEmail | None, ParsedEmail]:
    """The row of this e-mail if it was received already, and the e-mail under the Message-ID it is kept
    by. The Message-ID decides, for the same e-mail only (sender, subject and text): another e-mail under a
    Message-ID already recorded (a mail program writing a broken or constant one, "<>"; a sender reusing
    one) is a new e-mail, kept under an id of its own (the digest of its bytes), not dropped as a copy."""
    existing = InboundEmail.objects.filter(message_id=parsed.message_id).select_related("case").first()
    if existing is None or (existing.from_address, existing.subject, existing.body) == (
            parsed.from_address[:254], parsed.subject[:255], parsed.text):
        return existing, parsed
    digest = hashlib.sha256(raw_bytes).hexdigest()
    parsed = dataclasses.replace(parsed, message_id=f"<{digest}@reused-message-id.invalid>")
    return InboundEmail.objects.filter(message_id=parsed.message_id).select_related("case").first(), parsed


def _duplicate(existing: InboundEmail) -> InboundResult:
    return InboundResult(status=Status.DUPLICATE, inbound_email=existing, case=existing.case,
                         reason=_("This e-mail was already received."))


def _ingest(parsed: ParsedEmail, raw_bytes: bytes, source: str) -> InboundResult:
    # The row first: a second ingest of the same e-mail waits here on the unique Message-ID.
    inbound = InboundEmail(
        message_id=parsed.message_id, source=(source or "")[:32], from_address=parsed.from_address[:254],
        from_name=parsed.from_name[:200], subject=parsed.subject[:255], sent_at=parsed.sent_at,
        body=parsed.text, status=Status.HELD,
    )
    inbound.raw.save(f"{uuid.uuid4().hex}.eml", ContentFile(raw_bytes), save=False)
    inbound.save()
    try:
        with transaction.atomic():
            outcome = _route(parsed)
    except ApplicationError as error:  # a case service refused: keep the e-mail for a person to decide
        outcome = _Outcome(Status.HELD, _("Could not be put on a case: %(error)s") % {"error": error.message})
    inbound.status, inbound.reason = outcome.status, outcome.reason
    inbound.case, inbound.case_message, inbound.client = outcome.case, outcome.message, outcome.client
    inbound.case_number, inbound.notification = outcome.case_number, outcome.notification
    inbound.save(update_fields=["status", "reason", "case", "case_message", "client", "case_number",
                                "notification"])
    return InboundResult(status=outcome.status, inbound_email=inbound, case=outcome.case,
                         message=outcome.message, reason=outcome.reason)


def _referenced_case(parsed: ParsedEmail) -> tuple[Case | None, str, str]:
    """(case, how it was found, the first case number named even if no such case exists)."""
    named = ""
    for numbers, how in ((parsed.case_numbers_in_headers(), _("Found by the In-Reply-To / References headers.")),
                         (parsed.case_numbers_in_subject(), _("Found by the case number in the subject."))):
        for number in numbers:
            named = named or number
            case = Case.objects.select_related("client").filter(number=number).first()
            if case is not None:
                return case, how, number
    return None, "", named


def _is_clients_address(client: ClientProfile, address: str) -> bool:
    return bool(address) and (client.email or "").strip().lower() == address.strip().lower()


def _route(parsed: ParsedEmail) -> _Outcome:
    case, how, case_number = _referenced_case(parsed)
    if parsed.bounce_reason:
        return _bounce(parsed, case_number)
    if parsed.auto_reply_reason:
        return _Outcome(Status.IGNORED_AUTO_REPLY, _("Auto-reply (%(sign)s).") % {"sign": parsed.auto_reply_reason},
                        case_number=case_number)
    address = parsed.from_address
    if address and address.lower() == parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower():
        return _Outcome(Status.IGNORED_AUTO_REPLY, _("Sent by the service desk's own address (a mail loop)."),
                        case_number=case_number)
    if parsed.authentication_failure:  # a forged From must neither write on a case nor open one
        return _Outcome(Status.HELD, _("The sender %(address)s did not pass the mail server's checks (%(results)s): "
                                       "the sender may be forged.") % {
                            "address": address or "?", "results": parsed.authentication_failure},
                        case_number=case_number)
    clients = list(ClientProfile.objects.filter(email__iexact=address).select_related("user")[:2]) if address else []
    sender_client = clients[0] if len(clients) == 1 else None

    if case is not None:
        if _is_clients_address(case.client, address):
            message = _post_reply(case, parsed, author=case.client.user)
            return _Outcome(Status.THREADED, how, case=case, message=message, client=case.client,
                            case_number=case.number)
        return _Outcome(Status.HELD, _("The sender %(address)s is not the client of case %(case)s.")
                        % {"address": address or "?", "case": case.number},
                        client=sender_client, case_number=case.number)
    if sender_client is not None:
        case, message = _open_ticket(sender_client, parsed, created_by=None)
        return _Outcome(Status.NEW_CASE, _("New ticket for the client with this e-mail address."), case=case,
                        message=message, client=sender_client, case_number=case.number)
    if len(clients) > 1:
        reason = _("Several clients have the e-mail address %(address)s.") % {"address": address}
    elif not address:
        reason = _("The e-mail has no readable sender address.")
    else:
        reason = _("No client has the e-mail address %(address)s.") % {"address": address}
    return _Outcome(Status.HELD, reason, case_number=case_number)


def _bounce(parsed: ParsedEmail, case_number: str) -> _Outcome:
    """A bounce: of one of our e-mail notices, acted on (notifications.bounces); else recorded only.
    One whose sender failed the mail server's checks is not acted on: anyone can write a bounce."""
    reason = _("Bounce (%(sign)s).") % {"sign": parsed.bounce_reason}
    notification = returned_notification(parsed.bounce) if parsed.bounce is not None else None
    if notification is None:
        return _Outcome(Status.IGNORED_BOUNCE, reason, case_number=case_number)
    found = {"case": notification.case, "notification": notification,
             "case_number": notification.case.number if notification.case_id else case_number}
    if parsed.authentication_failure:
        return _Outcome(Status.IGNORED_BOUNCE, " ".join((reason, _(
            "Not acted on: the sender %(address)s did not pass the mail server's checks (%(results)s).") % {
                "address": parsed.from_address or "?", "results": parsed.authentication_failure})), **found)
    bounced = notification_bounced(notification=notification, report=parsed.bounce)
    status = Status.NOTICE_BOUNCED if parsed.bounce.is_failure else Status.IGNORED_BOUNCE
    return _Outcome(status, " ".join((reason, bounced.reason)), **found)


def _attachment_max_bytes() -> int:
    return int(getattr(settings, "ATTACHMENT_MAX_BYTES", DEFAULT_ATTACHMENT_MAX_BYTES))


def _uploads(attachments: list[InboundAttachment]) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments as uploads (at most MAX_FILES), and a note for each one left out: the
    same check as every other attachment (cases.attachments.attachment_check)."""
    limit, uploads, notes = _attachment_max_bytes(), [], []
    for attachment in attachments:
        if len(attachment.content) > limit:
            notes.append(_("The attachment “%(name)s” (%(size)s) was not kept: it is larger than %(limit)s.")
                         % {"name": attachment.name, "size": filesizeformat(len(attachment.content)),
                            "limit": filesizeformat(limit)})
            continue
        upload = SimpleUploadedFile(attachment.name, attachment.content, attachment.content_type)
        try:
            attachment_check(upload)
        except AttachmentRefused as refused:
            notes.append(_("The attachment “%(name)s” was not kept: %(reason)s")
                         % {"name": refused.name, "reason": refused.reason})
            continue
        if len(uploads) == MAX_FILES:
            notes.append(_("The attachment “%(name)s” was not kept: at most %(max)d files are kept per message.")
                         % {"name": attachment.name, "max": MAX_FILES})
            continue
        uploads.append(upload)
    return uploads, notes


def _with_notes(text: str, notes: list[str]) -> str:
    return "\n\n".join(chunk for chunk in [text.strip(), *notes] if chunk)


def _within_limit(text: str) -> tuple[str, list[str]]:
    """The text cut at TEXT_MAX characters, and a note saying so (in the active language) if it was."""
    if len(text) <= TEXT_MAX:
        return text, []
    return text[:TEXT_MAX].rstrip(), [_("Only the first %(max)d characters of the e-mail's text are shown here; "
                                        "the whole e-mail is kept.") % {"max": TEXT_MAX}]


def _post_reply(case: Case, parsed: ParsedEmail, *, author, prefix: str = "") -> CaseMessage:
    with translation.override(case.client.language):  # the notes are read by the client who wrote
        text, cut = _within_limit(parsed.reply_text)
        uploads, notes = _uploads(parsed.attachments)
        empty = _("(The e-mail had no text.)")
    body = _with_notes("\n\n".join(chunk for chunk in (prefix, text) if chunk), cut + notes)
    return message_create(
        case=case, author=author, body=body or empty, attachments=uploads, source=CaseMessage.Source.CLIENT,
    )


def _open_ticket(client: ClientProfile, parsed: ParsedEmail, *, created_by) -> tuple[Case, CaseMessage | None]:
    """A ticket whose description is the e-mail's text; its attachments on a first client message."""
    subject = " ".join(parsed.subject.split())[:SUBJECT_MAX] or _("(no subject)")
    with translation.override(client.language):  # the notes are read by the client who wrote
        description, cut = _within_limit(parsed.text)
        uploads, notes = _uploads(parsed.attachments)
        notes = cut + notes
        heading = _("Attachments sent with the e-mail.") if parsed.attachments else ""
    case = case_create(created_by=created_by, client=client, kind=CaseKind.TICKET, subject=subject,
                       description=description, channel=Channel.EMAIL)
    message = None
    if uploads or notes:
        message = message_create(
            case=case, author=client.user if created_by is None else None,
            body=_with_notes(heading, notes), attachments=uploads, source=CaseMessage.Source.CLIENT,
            with_submission=True,
        )
    return case, message


# --- held e-mails: a supervisor's review --------------------------------------------------------

def inbound_emails_held() -> QuerySet[InboundEmail]:
    """Held e-mails waiting for a supervisor, oldest first."""
    return (InboundEmail.objects.filter(status=Status.HELD).select_related("client", "case")
            .order_by("id"))


def may_review_inbound(user) -> bool:
    return bool(user is not None and user.is_active and (user.is_superuser or user.has_role(Role.SUPERVISOR)))


def _held_for_review(inbound_email: InboundEmail, user) -> tuple[InboundEmail, ParsedEmail]:
    if not may_review_inbound(user):
        raise NotAllowed(_("Only supervisors may review held e-mails."))
    row = InboundEmail.objects.select_for_update().get(pk=inbound_email.pk)
    if row.status != Status.HELD:
        raise Conflict(_("This e-mail is no longer held for review."))
    with row.raw.open("rb") as raw:
        parsed = parse_email(raw.read())
    return row, parsed


def _reviewed(row: InboundEmail, user, *, status: str, reason: str = "", case=None, message=None,
              client=None) -> InboundEmail:
    row.status, row.reviewed_by, row.reviewed_at = status, user, timezone.now()
    row.case, row.case_message = case, message
    row.client = client or row.client
    if reason:
        row.reason = f"{row.reason}\n{reason}".strip()
    row.save(update_fields=["status", "reviewed_by", "reviewed_at", "case", "case_message", "client", "reason"])
    return row


@transaction.atomic
def inbound_create_case(*, inbound_email: InboundEmail, user, client: ClientProfile | None = None) -> Case:
    """Open a ticket from a held e-mail for `client` (default: the client its address belongs to)."""
    row, parsed = _held_for_review(inbound_email, user)
    client = client or row.client
    if client is None:
        raise ValidationFailed(_("Choose the client to open the ticket for."),
                               extra={"client": [_("Choose the client to open the ticket for.")]})
    case, message = _open_ticket(client, parsed, created_by=user)
    _reviewed(row, user, status=Status.NEW_CASE, case=case, message=message, client=client)
    return case


@transaction.atomic
def inbound_attach_to_case(*, inbound_email: InboundEmail, user, case: Case | None = None) -> CaseMessage:
    """Put a held e-mail on `case` (default: the case number it refers to) as a client message."""
    row, parsed = _held_for_review(inbound_email, user)
    if case is None and row.case_number:
        case = Case.objects.select_related("client").filter(number=row.case_number.strip().upper()).first()
    if case is None:
        raise ValidationFailed(_("Enter the number of the case to attach the e-mail to."),
                               extra={"case_number": [_("No such case.")]})
    with translation.override(case.client.language):  # read by the case's client, not the supervisor
        prefix = _("E-mail from %(address)s:") % {"address": row.from_address or "?"}
    message = _post_reply(case, parsed, author=None, prefix=prefix)
    event_record(case=case, kind=EventKind.UPDATE, actor=user, name="email_attached", is_internal=True,
                 to_value=row.from_address, data={"inbound_email_id": row.pk, "message_id": message.pk})
    _reviewed(row, user, status=Status.THREADED, case=case, message=message)
    return message


@transaction.atomic
def inbound_discard(*, inbound_email: InboundEmail, user, reason: str = "") -> InboundEmail:
    """A held e-mail that needs nothing (spam, a stranger): kept, marked reviewed."""
    row, _parsed = _held_for_review(inbound_email, user)
    return _reviewed(row, user, status=Status.DISCARDED, reason=reason)
