"""Satisfaction ratings (CSAT). When a case is resolved the client is sent a link to rate it,
1 to 5 with a comment, once, without logging in: the link carries a token signed over the case
id (TimestampSigner, salt "case-rating") that expires after RATING_TOKEN_MAX_AGE_DAYS days.
A tampered token is unknown (404), an expired one gone (410), a second rating a conflict (409)."""

import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import Case, CaseKind, EventKind, SatisfactionRating
from cases.models.ratings import SCORES
from cases.services.client_notices import client_notice
from cases.services.events import event_record
from cases.services.transitions import after_transition
from notifications.models import Notification
from notifications.services import notifications_mark_case_read
from servicedesk.errors import ApplicationError, Conflict, NotFound, ValidationFailed

SALT = "case-rating"
EVENT = "rating_request"
MAX_COMMENT = 2000


class RatingLinkInvalid(NotFound):
    code = "invalid"


class RatingLinkExpired(ApplicationError):
    status_code = 410
    code = "expired"


class AlreadyRated(Conflict):
    code = "already_rated"


class NotResolved(Conflict):
    """The case was reopened after the link was sent: rated once it is resolved again."""
    code = "not_resolved"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def rating_token(case: Case) -> str:
    return _signer().sign(str(case.pk))


def rating_link(case: Case) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/rate/{rating_token(case)}/"


def rating_link_hidden(text: str, data: dict | None) -> str:
    """`text` with the rating link a notice's `data` carries shown without its token: the link is
    the client's alone (whoever opens it rates the case, once), never for the staff whose service it
    scores (the case's notices in the API, the admin)."""
    link = (data or {}).get("link")
    if not link or not text or not isinstance(link, str):
        return text
    return text.replace(link, f"{settings.SITE_URL.rstrip('/')}/rate/…/")


def case_for_rating(token: str) -> Case:
    """The case a rating link is for; RatingLinkInvalid or RatingLinkExpired otherwise."""
    max_age = datetime.timedelta(days=settings.RATING_TOKEN_MAX_AGE_DAYS)
    try:
        case_id = _signer().unsign(token, max_age=max_age)
    except signing.SignatureExpired:
        raise RatingLinkExpired(_("This rating link has expired.")) from None
    except signing.BadSignature:
        raise RatingLinkInvalid(_("This rating link is not valid.")) from None
    case = Case.objects.select_related("client").filter(pk=int(case_id)).first() if case_id.isdigit() else None
    if case is None:
        raise RatingLinkInvalid(_("This rating link is not valid."))
    return case


def _score(value) -> int:
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = None
    if score is None or str(score) != str(value).strip() or score not in SCORES:
        raise ValidationFailed(_("Invalid rating."), extra={"score": [_("Give a score from 1 to 5.")]})
    return score


@transaction.atomic
def rating_submit(*, token: str, score, comment: str = "") -> SatisfactionRating:
    """Record the client's rating of the case the token is for, once."""
    case = case_for_rating(token)
    score = _score(score)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationFailed(_("Invalid rating."), extra={
            "comment": [_("At most %(max)d characters.") % {"max": MAX_COMMENT}]})
    try:  # the rating page passes the form's text as it came: PostgreSQL refuses a NUL byte (a 500)
        ProhibitNullCharactersValidator()(comment)
    except ValidationError as error:
        raise ValidationFailed(_("Invalid rating."), extra={"comment": error.messages}) from None
    if SatisfactionRating.objects.filter(case=case).exists():
        raise AlreadyRated(_("This case has already been rated. Thank you!"))
    if case.resolved_at is None:  # reopened since the link was sent: the client's problem is not solved yet
        raise NotResolved(_("A case can be rated once it is resolved."))
    try:
        with transaction.atomic():
            rating = SatisfactionRating.objects.create(case=case, score=score, comment=comment)
    except IntegrityError:  # rated at the same moment by another request
        raise AlreadyRated(_("This case has already been rated. Thank you!")) from None
    event_record(case=case, kind=EventKind.UPDATE, name="rated", to_value=str(score), comment=comment,
                 data={"score": score})
    notifications_mark_case_read(client=case.client, case=case, event=EVENT)
    return rating


# --- asking for a rating when a case is resolved -------------------------------------------------

@after_transition(CaseKind.TICKET, "resolve")
@after_transition(CaseKind.DISPUTE, "accept")
@after_transition(CaseKind.DISPUTE, "close")  # closed after mediation; after acceptance it was asked already
@after_transition(CaseKind.EXTENSION, "approve")
@after_transition(CaseKind.EXTENSION, "decline")
@after_transition(CaseKind.RELIEF, "approve")
@after_transition(CaseKind.RELIEF, "decline")
def rating_request(case: Case, user=None) -> None:
    """Send the client the rating link (by e-mail, SMS and in the portal's bell; the text is the
    notice template rating_request), once per case (a reopened and resolved again ticket is not
    asked twice), unless it is rated already."""
    if SatisfactionRating.objects.filter(case=case).exists():
        return
    if Notification.objects.filter(case=case, event=EVENT).exists():
        return
    client_notice(case=case, event=EVENT, data={"link": rating_link(case), "days": settings.RATING_TOKEN_MAX_AGE_DAYS})
