"""What is more than one service call: open a case with its attachments, all or nothing (the
portal's form and the API), and rate one's own resolved case without the e-mailed link."""

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import ClientProfile, CreditAccount, User
from cases.models import Case, CaseKind, Priority, SatisfactionRating
from cases.permissions import is_case_client
from cases.services.cases import case_create
from cases.services.messages import message_create
from cases.services.ratings import rating_submit, rating_token
from cases.services.requests import REQUEST_KINDS, request_create
from servicedesk.errors import Conflict, NotAllowed


@transaction.atomic
def case_submit(
    *, user: User, client: ClientProfile, kind: str, subject: str, description: str = "", category: str = "",
    priority: str = Priority.NORMAL, credit_account: CreditAccount | None = None, channel: str | None = None,
    attachments=(), requested_days: int | None = None, requested_maturity: datetime.date | None = None,
    staged_repayment: list[dict] | None = None,
) -> Case:
    """Open a case for `client` as `user` (the client on the portal or through the API, where a
    client's channel is the portal; staff through the API): requests through request_create with
    what they ask for (refusing what a kind does not ask for), the rest through case_create. The
    client's own attachments go on their first message; staff's on an internal note (not a reply
    to the client). Any refusal (ValidationFailed, NotAllowed) leaves nothing behind."""
    fields = {"created_by": user, "client": client, "kind": kind, "subject": subject, "description": description,
              "category": category, "priority": priority, "credit_account": credit_account, "channel": channel}
    asked = {"requested_days": requested_days, "requested_maturity": requested_maturity,
             "staged_repayment": staged_repayment}
    if kind in REQUEST_KINDS or any(value is not None for value in asked.values()):
        case = request_create(**fields, **asked)
    else:
        case = case_create(**fields)
    if attachments:
        by_client = client.user_id == user.pk
        message_create(case=case, author=user, body=_("Attachments submitted with the case."),
                       attachments=attachments, internal=not by_client, with_submission=by_client)
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
