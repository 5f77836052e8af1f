"""A case submitted once, however often it is sent: a client's double click on the portal, the
firm's core system sending again after a timeout. The sender names the submission with a key
(the API's `Idempotency-Key` header, the portal form's hidden one); the same user's same key gives
back the case it opened, also when both arrive at once (a unique constraint: the second waits for
the first and then finds it). The same key with other content is a conflict, not a silent replay."""

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import Case, CaseSubmission
from servicedesk.errors import Conflict


def fingerprint(content) -> str:
    """A hash of what was sent (JSON-able; files by their bytes, dates and the like as text)."""
    text = json.dumps(content, sort_keys=True, default=_as_text, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _as_text(value) -> str:
    """An uploaded file as its name and a hash of its bytes: the same name with other bytes (a corrected
    statement sent under the first sending's key) is other content, not a replay that drops it."""
    if hasattr(value, "chunks"):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)  # read again when the case is opened
        return f"{value.name}:{digest.hexdigest()}"
    return str(value)


def submitted_once(*, user, key: str, content, create) -> tuple[Case, bool]:
    """(the case, whether it was opened earlier): `create()` runs only for a key this user has not
    used; without a key, always."""
    if not key:
        return create(), False
    print_ = fingerprint(content)
    earlier = _earlier(user, key)
    if earlier is not None:
        return _replayed(earlier, print_), True
    try:
        with transaction.atomic():
            case = create()
            CaseSubmission.objects.create(user=user, key=key, fingerprint=print_, case=case)
    except IntegrityError:
        earlier = _earlier(user, key)  # sent twice at once: the other one opened it
        if earlier is None:
            raise
        return _replayed(earlier, print_), True
    return case, False


def _earlier(user, key: str) -> CaseSubmission | None:
    return CaseSubmission.objects.filter(user=user, key=key).select_related("case").first()


def _replayed(earlier: CaseSubmission, print_: str) -> Case:
    if earlier.fingerprint != print_:
        raise Conflict(_("This key was used for case %(number)s with other content: send a new case under a new "
                         "key.") % {"number": earlier.case.number})
    return earlier.case
