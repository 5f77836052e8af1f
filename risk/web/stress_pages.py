"""Stress tests (the form, the saved runs, one run's result) and the stress-mode switch.

Writes go through risk.stress (stress_test_run, stress_mode_set, stress_mode_lift) after the
same permission checks and input validation as the API (risk.apis, risk.serializers)."""

from decimal import Decimal

from django.contrib import messages
from django.db import IntegrityError, connection, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from risk import stress
from risk.models import StressTest
from risk.serializers import StressTestInputSerializer
from risk.web import selectors
from risk.web.access import denied, may_run_stress_tests, may_switch_stress_mode, risk_reader_required
from risk.web.forms import PageForm, ResultPageForm, StressModeLiftForm, StressModeSetForm, StressTestForm
from risk.web.pages import LINE_LABELS, risk_context
from servicedesk.errors import NotAllowed, ValidationFailed
from servicedesk.htmx import login_required_htmx

HUNDRED = Decimal(100)
LIST_SIZE = 20
ACCOUNTS_PAGE_SIZE = 50
DEFAULT_RESULT_LINE = "warning"


def _run(request, form: StressTestForm) -> StressTest | None:
    """Validate like the API, then run the service; field errors land on the form."""
    serializer = StressTestInputSerializer(data=form.api_data())
    if not serializer.is_valid():
        form.add_service_errors(serializer.errors)
        return None
    try:
        return stress.stress_test_run(user=request.user, **serializer.validated_data)
    except ValidationFailed as error:
        form.add_service_errors(error.extra or {"__all__": [error.message]})
        return None


@require_http_methods(["GET", "POST"])
@risk_reader_required
def stress_tests_page(request):
    """The form (risk officers and supervisors) and the saved stress tests, newest first."""
    status = 200
    if request.method == "POST":
        if not may_run_stress_tests(request.user):
            return denied(request, _("Only risk officers and supervisors may run stress tests."))
        form = StressTestForm(request.POST)
        if form.is_valid():
            try:
                stress_test = _run(request, form)
            except NotAllowed as error:
                return denied(request, str(error.message))
            if stress_test is not None:
                return redirect("risk_pages:stress_test", pk=stress_test.pk)
        status = 400
    else:
        form = StressTestForm()
    pages = PageForm(request.GET)
    if not pages.is_valid():
        status = 400
        page = 1
    else:
        page = pages.cleaned_data["page"] or 1
    tests, more = selectors.stress_tests_recent(offset=(page - 1) * LIST_SIZE, size=LIST_SIZE)
    context = risk_context(request, "stress", form=form, page_form=pages, stress_tests=tests, page=page,
                           next_page=page + 1 if more else None, previous_page=page - 1 if page > 1 else None)
    return render(request, "risk_pages/stress_tests.html", context, status=status)


@require_GET
@risk_reader_required
def stress_test_page(request, pk: int):
    """One stress test: per line the accounts below it and the top-up total, the cash to the
    restore-to line below close-out, and the accounts of one line, worst first."""
    stress_test = get_object_or_404(StressTest.objects.shown(), pk=pk)
    result = stress_test.result or {}
    stored = result.get("lines", {})
    names = [name for name in stress.REPORTED_LINES if name in stored]  # jsonb keeps no key order
    query = ResultPageForm(request.GET, lines=names)
    context = risk_context(request, "stress", stress_test=stress_test)
    status = 200 if query.is_valid() else 400
    data = query.cleaned_data if status == 200 else {}
    if status == 400:
        context["bad_request"] = _("Unknown line or page.")
    chosen = data.get("line") or (DEFAULT_RESULT_LINE if DEFAULT_RESULT_LINE in names else next(iter(names), ""))
    page = data.get("page") or 1
    base = reverse("risk_pages:stress_test", args=[stress_test.pk])
    summary = [{
        "name": name, "label": LINE_LABELS.get(name, name), "line": stored[name].get("line"),
        "count": stored[name].get("count", 0), "listed": stored[name].get("listed", 0),
        "top_up_total": stored[name].get("top_up_total"), "chosen": name == chosen,
        "url": f"{base}?{urlencode({'line': name})}#accounts",
    } for name in names]
    chosen_data = stored.get(chosen, {})
    entries = chosen_data.get("accounts", [])
    start = (page - 1) * ACCOUNTS_PAGE_SIZE

    def page_url(number: int) -> str:
        return f"{base}?{urlencode({'line': chosen, 'page': number})}#accounts"

    context.update(
        result=result, lines=summary, chosen=chosen, chosen_data=chosen_data,
        accounts=entries[start:start + ACCOUNTS_PAGE_SIZE], first_rank=start + 1,
        restore_to=result.get("restore_to", {}),
        symbol_shocks=[(symbol, Decimal(shock) * HUNDRED)
                       for symbol, shock in sorted(stress_test.symbol_shocks.items())],
        market_shock_percent=stress_test.market_shock * HUNDRED,
        # to the hundredth, as the API and the stress mode show them (saved as "0" without one)
        test_stress_points=f'{Decimal(result.get("stress_points", "0")):.2f}',
        next_url=page_url(page + 1) if start + ACCOUNTS_PAGE_SIZE < len(entries) else None,
        previous_url=page_url(page - 1) if page > 1 else None,
        chart={"labels": [item["label"] for item in summary], "counts": [item["count"] for item in summary],
               "names": names, "label": _("Accounts below the line")},
    )
    return render(request, "risk_pages/stress_test.html", context, status=status)


# --- stress mode -----------------------------------------------------------------------------------

class ChangedMeanwhile(Exception):
    pass


def _check_unchanged(expected: str) -> None:
    """The page showed the stress mode `expected` (an id, or "" for none); refuse if another officer
    changed it since. On PostgreSQL the service's own lock is taken first, so the check and the
    change cannot interleave with another change."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [stress.STRESS_MODE_LOCK])
    active = stress.stress_mode_active()
    if (str(active.pk) if active is not None else "") != (expected or ""):
        raise ChangedMeanwhile


def _add_errors(form, error: ValidationFailed) -> None:
    for name, field_messages in (error.extra or {"__all__": [error.message]}).items():
        for message in field_messages:
            form.add_error(name if name in form.fields else None, str(message))


def _switch(request, action: str, form) -> None:
    """Set or lift stress mode through the service, unless someone changed it since the page was shown."""
    with transaction.atomic():
        _check_unchanged(form.cleaned_data["expected"])
        if action == "set":
            points = form.cleaned_data["points"]
            stress.stress_mode_set(user=request.user, points=points, reason=form.cleaned_data["reason"])
            messages.success(request, _("Stress mode is on: every line is raised by %(points)s percentage points. "
                                        "Every account is being revalued against the raised lines.")
                             % {"points": points})
        elif stress.stress_mode_lift(user=request.user) is None:  # none was on: no line moved, nothing revalued
            messages.info(request, _("Stress mode was not on: nothing was changed."))
        else:
            messages.success(request, _("Stress mode is lifted. Every account is being revalued."))


@require_http_methods(["GET", "POST"])
@risk_reader_required
def stress_mode_page(request):
    """The active stress mode and its history; risk officers set it (points and a reason) or lift it."""
    set_form = lift_form = None
    status, conflict, action_error = 200, None, None
    if request.method == "POST":
        if not may_switch_stress_mode(request.user):
            return denied(request, _("Only risk officers may set or lift stress mode."))
        action = request.POST.get("action")
        if action == "set":
            form = set_form = StressModeSetForm(request.POST)
        else:
            form = lift_form = StressModeLiftForm(request.POST)
        if action not in ("set", "lift"):
            # Shown above both forms: the lift form is not on the page while no stress mode is active.
            action_error = _("Unknown action: the actions are “set” (set or replace stress mode) and “lift” "
                             "(lift it).")
            status = 400
        elif not form.is_valid():
            status = 400
        else:
            try:
                _switch(request, action, form)
            except ValidationFailed as error:
                _add_errors(form, error)
                status = 400
            except (ChangedMeanwhile, IntegrityError):
                conflict = _("Stress mode was changed by someone else meanwhile: check the current mode "
                             "and try again.")
                status = 409
                set_form = lift_form = None
            except NotAllowed as error:
                return denied(request, str(error.message))
            else:
                return redirect("risk_pages:stress_mode")
    context = risk_context(request, "stress_mode", conflict=conflict, action_error=action_error,
                           history=selectors.stress_modes_recent())
    active = context["stress_mode"]
    expected = str(active.pk) if active is not None else ""
    if set_form is None:
        typed = {key: request.POST.get(key, "") for key in ("points", "reason")} if conflict else {}
        set_form = StressModeSetForm(initial={"expected": expected, **typed})
    if lift_form is None:
        lift_form = StressModeLiftForm(initial={"expected": expected})
    context.update(set_form=set_form, lift_form=lift_form)
    return render(request, "risk_pages/stress_mode.html", context, status=status)


@require_GET
@login_required_htmx
@risk_reader_required
def stress_test_outreach(request, pk: int):
    """How far a stress test's outreach has got (htmx, every 5 s while its cases are being opened)."""
    stress_test = get_object_or_404(StressTest.objects.shown(), pk=pk)
    return render(request, "risk_pages/_outreach.html", {"stress_test": stress_test})
