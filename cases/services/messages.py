"""Replies, internal notes and their attachments."""

import contextlib

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.roles import Role
from cases.attachments import MAX_FILES, attachment_check
from cases.models import Attachment, Case, CaseKind, CaseMessage, EventKind
from cases.models.workflows import CLOSED_STATES, TicketCase, resolved_within_reopen_window
from cases.services.events import event_record
from cases.services.submissions import fingerprint
from servicedesk.errors import Conflict, NotAllowed, ValidationFailed
from servicedesk.i18n import spoken_language


def client_may_reply(case: Case) -> bool:
    """A client replies on the portal or the API while the case is worked, and on a resolved ticket
    while it may still be reopened (REOPEN_WINDOW: after that nobody can reopen it, and a reply would
    land where no one works); a finished case takes a new request instead. (An e-mail reply still
    lands on its case, whatever its state: the client wrote to us and it must not be lost.)"""
    return case.state not in CLOSED_STATES.get(case.kind, ()) or (
        case.kind == CaseKind.TICKET and case.state == TicketCase.State.RESOLVED
        and resolved_within_reopen_window(case))


def ensure_client_may_reply(case: Case) -> None:
    """409 with the reason when a client replies to a finished case."""
    if not client_may_reply(case):
        raise Conflict(_("This case is closed. To tell us more, please submit a new request."))


def ensure_may_write(case: Case, author) -> None:
    """403 for a login that may not write on the case (an auditor), before its message is read."""
    _source_for(case, author)


def _source_for(case: Case, author) -> str:
    if author is None:
        return CaseMessage.Source.SYSTEM
    if author.works_cases:
        return CaseMessage.Source.STAFF
    if author.has_role(Role.CLIENT) and case.client.user_id == author.pk:
        return CaseMessage.Source.CLIENT
    raise NotAllowed(_("Your role may not write on this case."))


def files_only_body(case: Case, *, internal: bool) -> str:
    """The text of a message that is files alone (the scan asked for, a statement): says that files
    came, in the words of whoever reads it: the client's for a public message, the writer's for a note."""
    if internal:
        return _("Files attached.")
    with translation.override(spoken_language(case.client.language)):
        return _("Files attached.")


def message_create(**arguments) -> CaseMessage:
    """The message of message_create_once (atomic), for the callers that need not know whether it was new."""
    return message_create_once(**arguments)[0]


@transaction.atomic
def message_create_once(*, case: Case, author, body: str, internal: bool = False, attachments=(),
                        source: str | None = None, with_submission: bool = False,
                        key: str = "") -> tuple[CaseMessage, bool]:
    """Add a public reply or an internal note: the case's last update (updated_at) moves, as a
    transition or an assignment moves it. A client's reply to a ticket waiting on them puts it
    back to open. `with_submission`: the client's files sent with the case itself (portal, e-mail),
    part of what first response answers, so no next response starts (cases.sla_engine).
    `key`: the name its author sent it under (the API's Idempotency-Key, a reply form's own): sent
    again (a double click, a retry after a timeout), also at the same moment, the message the key sent
    first is given back and nothing else happens: no second message, notice, event or clock. Returns
    (the message, whether the key had sent it earlier)."""
    source = source or _source_for(case, author)
    if internal and source != CaseMessage.Source.STAFF:
        raise NotAllowed(_("Only staff may write internal notes."))
    attachments = list(attachments)
    print_ = fingerprint({"body": body, "internal": internal, "attachments": attachments}) if key else ""
    if not (body or "").strip():
        if not attachments:
            raise ValidationFailed(_("Invalid message."), extra={"body": [_("Write a reply or attach a file.")]})
        body = files_only_body(case, internal=internal)
    if len(attachments) > MAX_FILES:
        raise ValidationFailed(_("Invalid message."), extra={"attachments": [
            _("Attach at most %(max)d files.") % {"max": MAX_FILES}]})
    earlier = _sent_earlier(case, author, key, print_)
    if earlier is not None:
        return earlier, True
    checked = [attachment_check(upload) for upload in attachments]  # AttachmentRefused (400) before any write
    try:
        with transaction.atomic() if key else contextlib.nullcontext():  # a savepoint, for the refusal below
            message = CaseMessage.objects.create(
                case=case, author=author, source=source, body=body.strip(),
                visibility=CaseMessage.Visibility.INTERNAL if internal else CaseMessage.Visibility.PUBLIC,
                submission_key=key, submission_fingerprint=print_,
            )
    except IntegrityError:
        earlier = _sent_earlier(case, author, key, print_)  # sent twice at once: the other one wrote it
        if earlier is None:
            raise
        return earlier, True
    # One UPDATE of that column only: a reply does not compete with a state change made meanwhile.
    case.updated_at = message.created_at
    Case.objects.filter(pk=case.pk).update(updated_at=case.updated_at)
    for upload, check in zip(attachments, checked):
        upload.name = check.name  # the stored file's extension comes from the checked name
        Attachment.objects.create(message=message, file=upload, original_name=check.name,
                                  content_type=check.content_type, size=check.size)
    event_record(case=case, kind=EventKind.MESSAGE, actor=author, name=message.visibility,
                 is_internal=internal, data={"message_id": message.pk, "source": source,
                                             **({"with_submission": True} if with_submission else {})})
    from notifications.case_notices import case_message_notify  # the client is told of a public staff reply

    case_message_notify(case=case, message=message)
    if (source == CaseMessage.Source.CLIENT and case.kind == CaseKind.TICKET
            and case.state == TicketCase.State.WAITING_ON_CLIENT):
        from cases.services.transitions import CLIENT_REPLIED, case_transition

        case_transition(case=case, user=None, name="resume", comment=str(CLIENT_REPLIED))
    return message, False


def _sent_earlier(case: Case, author, key: str, print_: str) -> CaseMessage | None:
    """The message the author sent under `key` before, if any (none without a key); the key used for
    another message (other content, another case) is a conflict, not a silent replay."""
    if not key:
        return None
    earlier = CaseMessage.objects.filter(author=author, submission_key=key).select_related("case").first()
    if earlier is not None and (earlier.case_id != case.pk or earlier.submission_fingerprint != print_):
        raise Conflict(_("This key was used for another message, on case %(number)s: send this one under a new "
                         "key.") % {"number": earlier.case.number})
    return earlier
