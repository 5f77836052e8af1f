"""What the portal's pages read, through the same scoped selectors as the API (a client sees only
their own accounts and cases), a constant number of queries per page."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import credit_accounts_visible_to
from cases.models import Attachment, Case, CaseMessage
from cases.models.workflows import ALL_CLOSED_STATES
from cases.selectors import case_get, cases_visible_to, last_change_seen_by_client, messages_for
from cases.web.portal.plain import AccountStatus, account_status
from risk.lines import active_stress_points
from risk.margin_calls import OPEN_STATES
from risk.models import MarginCall

#: What a row of "my cases" shows (plain.case_status reads kind, state and approved_by_id).
CASE_ROW = ("number", "kind", "category", "subject", "state", "created_at", "updated_at", "resolved_at",
            "approved_by_id", "credit_account__account_no")


def account_statuses(user: User, account_no: str | None = None) -> list[AccountStatus]:
    """The client's credit accounts (or the one numbered `account_no`, if theirs) with their ratio
    in plain words against the lines the monitoring watches (raised by an active stress mode), and
    their open margin calls."""
    accounts = credit_accounts_visible_to(user).order_by("account_no")
    if account_no is not None:
        accounts = accounts.filter(account_no=account_no)
    accounts = list(accounts)
    if not accounts:
        return []
    open_calls = MarginCall.objects.filter(account__in=accounts, case__state__in=OPEN_STATES).select_related("case")
    calls = {call.account_id: call for call in open_calls}
    stress_points = active_stress_points()
    return [account_status(account, calls.get(account.pk), stress_points=stress_points) for account in accounts]


def client_cases(user: User) -> QuerySet[Case]:
    """The client's cases, each with `last_change`: when they last had something to see on it."""
    return (cases_visible_to(user).select_related("credit_account").only(*CASE_ROW)
            .annotate(last_change=last_change_seen_by_client()).order_by("-id"))


def open_cases(user: User) -> QuerySet[Case]:
    return client_cases(user).exclude(state__in=ALL_CLOSED_STATES)


def client_case(user: User, number: str) -> Case:
    """Case.DoesNotExist (404) for anything not the client's own; with `last_change` as the list has it."""
    case = case_get(user, number)
    case.last_change = (Case.objects.filter(pk=case.pk).annotate(last_change=last_change_seen_by_client())
                        .values_list("last_change", flat=True).get())
    return case


def client_case_key(user: User, number: str) -> Case:
    """Just enough of the client's own case to read its messages (the 15-second poll): no joins,
    no SLA timers. Case.DoesNotExist for anything else."""
    return cases_visible_to(user).only("id", "number", "kind", "state", "client_id").get(number=number)


def public_messages(user: User, case: Case) -> QuerySet[CaseMessage]:
    """The case's public replies (messages_for already keeps a client to those; said again here so
    that no role change can ever put an internal note on a portal page)."""
    return messages_for(user, case).filter(visibility=CaseMessage.Visibility.PUBLIC)


def public_attachment(case: Case, pk: int) -> Attachment | None:
    return Attachment.objects.filter(pk=pk, message__case=case,
                                     message__visibility=CaseMessage.Visibility.PUBLIC).first()
