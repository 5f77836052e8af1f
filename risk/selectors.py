"""Reads of the monitoring's results, scoped like the credit accounts they are about."""

from django.db.models import QuerySet
from django.db.models.fields.json import KT

from accounts.models import User
from accounts.selectors import client_scope_q
from risk.models import AccountAlert, MarginCallContact, RatioSnapshot, StressTest
from risk.stress import REPORTED_LINES


def ratio_history(user: User, account) -> QuerySet[RatioSnapshot]:
    return RatioSnapshot.objects.filter(account=account).order_by("-taken_at", "-id")


def alerts_visible_to(user: User) -> QuerySet[AccountAlert]:
    q = client_scope_q(user, prefix="account__client__")
    alerts = AccountAlert.objects.select_related("account", "account__client", "opened_snapshot", "cleared_snapshot")
    return alerts if q is None else alerts.filter(q)


def margin_call_contacts(case) -> QuerySet[MarginCallContact]:
    return MarginCallContact.objects.filter(case=case).select_related("recorded_by").order_by("called_at", "id")


#: What a list shows of a stress test's result (risk.stress.summarise): each line's figures and the
#: restore-to line's; the accounts under each line (up to thousands of rows a test) are the detail's.
LINE_FIGURES = ("line", "top_up_to", "count", "listed", "top_up_total")
RESTORE_TO_FIGURES = ("below", "top_up_to", "line", "count", "top_up_total")
COUNT_FIGURES = ("count", "listed")


def stress_tests_summarised() -> QuerySet[StressTest]:
    """Saved stress tests without their stored result: its figures read out of it in SQL
    (`figure_<line>_<key>`, `figure_restore_to_<key>`, `figure_stress_points`; stress_test_summary
    puts them together), the per-account lists left in the database: a page of fifty tests read them
    all, some 40 MB, to show none."""
    figures = {f"figure_{line}_{key}": KT(f"result__lines__{line}__{key}")
               for line in REPORTED_LINES for key in LINE_FIGURES}
    figures.update({f"figure_restore_to_{key}": KT(f"result__restore_to__{key}") for key in RESTORE_TO_FIGURES})
    figures["figure_stress_points"] = KT("result__stress_points")
    return StressTest.objects.shown().defer("result").annotate(**figures)


def stress_test_summary(test: StressTest) -> dict:
    """{"stress_points", "lines": {line: figures}, "restore_to": figures} of a test read by
    stress_tests_summarised: its result as stored, less the accounts under each line."""
    def figures(prefix: str, keys) -> dict:
        read = {key: getattr(test, f"figure_{prefix}_{key}") for key in keys}
        return {key: int(value) if key in COUNT_FIGURES and value is not None else value
                for key, value in read.items()}

    return {
        "stress_points": test.figure_stress_points or "0",
        "lines": {line: figures(line, LINE_FIGURES) for line in REPORTED_LINES
                  if getattr(test, f"figure_{line}_count") is not None},
        "restore_to": figures("restore_to", RESTORE_TO_FIGURES) if test.figure_restore_to_count is not None else {},
    }
