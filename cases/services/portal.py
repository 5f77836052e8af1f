"""What a client does on the portal that is more than one service call: submit a case with its
attachments (all or nothing), and rate their own resolved case without the e-mailed link."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ClientProfile, CreditAccount, User
from cases.models import Case, CaseKind, Channel, SatisfactionRating
from cases.permissions import is_case_client
from cases.services.cases import case_create
from cases.services.messages import message_create
from cases.services.ratings import rating_submit, rating_token
from cases.services.requests import REQUEST_KINDS, request_create
from servicedesk.errors import Conflict, NotAllowed


@transaction.atomic
def case_submit(
    *, user: User, client: ClientProfile, kind: str, subject: str, description: str = "", category: str = "",
    credit_account: CreditAccount | None = None, attachments=(), requested_days: int | None = None,
    requested_maturity: datetime.date | None = None, staged_repayment: list[dict] | None = None,
) -> Case:
    """Open a case as the client `user` (channel: portal), as the API does: requests through
    request_create with what they ask for, the rest through case_create. The attachments go on a
    first client message. Any refusal (ValidationFailed, NotAllowed) leaves nothing behind."""
    fields = {"created_by": user, "client": client, "kind": kind, "subject": subject, "description": description,
              "category": category, "credit_account": credit_account, "channel": Channel.PORTAL}
    asked = {"requested_days": requested_days, "requested_maturity": requested_maturity,
             "staged_repayment": staged_repayment}
    if kind in REQUEST_KINDS or any(value is not None for value in asked.values()):
        case = request_create(**fields, **asked)
    else:
        case = case_create(**fields)
    if attachments:
        message_create(case=case, author=user, body=_("Attachments submitted with the case."),
                       attachments=attachments, with_submission=True)
    return case


def is_rateable(case: Case) -> bool:
    """Resolved (and not reopened): a rating is asked for exactly these (cases.services.ratings)."""
    return case.kind != CaseKind.MARGIN_CALL and case.resolved_at is not None


def client_rating_submit(*, case: Case, user: User, score, comment: str = "") -> SatisfactionRating:
    """The case's own client rates it, once, once it is resolved; same rules as the rating link."""
    if not is_case_client(case, user):
        raise NotAllowed(_("Only the case's client may rate it."))
    if not is_rateable(case):
        raise Conflict(_("A case can be rated once it is resolved."))
    return rating_submit(token=rating_token(case), score=score, comment=comment)
