"""Writes about margin calls made by people (the monitoring's own writes are set-based SQL)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, CaseKind, EventKind
from cases.services.events import event_record
from servicedesk.errors import NotAllowed, ValidationFailed
from risk.models import MarginCallContact


def ensure_may_log_calls(user) -> None:
    """403 for a login that does not work cases (the auditor), before the call's details are read."""
    if user is None or not user.works_cases:
        raise NotAllowed(_("Your role may not log calls."))


@transaction.atomic
def margin_call_contact_record(*, case: Case, user, outcome: str, note: str = "", called_at=None) -> MarginCallContact:
    """An agent logs a call to the client about a margin call (time, outcome, note)."""
    if case.kind != CaseKind.MARGIN_CALL:
        raise ValidationFailed(_("Invalid call."), extra={"case": [_("Calls are logged on margin calls only.")]})
    ensure_may_log_calls(user)
    called_at = called_at or timezone.now()
    if called_at > timezone.now() + timezone.timedelta(minutes=5):
        raise ValidationFailed(_("Invalid call."), extra={"called_at": [_("A call cannot be in the future.")]})
    if called_at < case.created_at:
        raise ValidationFailed(_("Invalid call."),
                               extra={"called_at": [_("A call cannot be before the margin call was opened.")]})
    if outcome not in MarginCallContact.Outcome.values:
        raise ValidationFailed(_("Invalid call."), extra={"outcome": [_("Unknown outcome.")]})
    contact = MarginCallContact.objects.create(case=case, called_at=called_at, outcome=outcome, note=note.strip(),
                                               recorded_by=user)
    Case.objects.filter(pk=case.pk).update(updated_at=contact.recorded_at)  # the console's "last update"
    event_record(case=case, kind=EventKind.UPDATE, actor=user, name="call_logged", to_value=outcome,
                 comment=contact.note, is_internal=True,
                 data={"contact_id": contact.pk, "called_at": called_at.isoformat()})
    return contact
