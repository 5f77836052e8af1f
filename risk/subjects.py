"""The subject of a case as its reader sees it: the system writes a margin call's subject in the
firm's language when it opens or raises the call; each reader (API, console, portal) gets it in
their own language, at the call's current stage. A person's subject stays as they wrote it."""

from cases.models import CaseKind
from risk.margin_calls import margin_call_subject
from risk.models import MarginCall
from risk.stress import OUTREACH_CATEGORY, outreach_subject


def subject_shown(*, kind: str, category: str, subject: str, account_no: str | None, stage: str | None) -> str:
    """In the active language; `stage` is the margin call's (None where it has no margin-call row)."""
    if kind != CaseKind.MARGIN_CALL or not account_no:
        return subject
    if stage == MarginCall.Stage.MARGIN_CALL:
        return margin_call_subject(account_no, stage)
    if category == OUTREACH_CATEGORY:
        return outreach_subject(account_no)
    return margin_call_subject(account_no)


def case_subject(case) -> str:
    """`subject_shown` of a Case instance (its credit account and margin call read if not loaded)."""
    if case.kind != CaseKind.MARGIN_CALL:
        return case.subject
    call = getattr(case, "margin_call", None)
    return subject_shown(kind=case.kind, category=case.category, subject=case.subject,
                         account_no=case.credit_account.account_no if case.credit_account_id else None,
                         stage=call.stage if call is not None else None)
