"""The risk officer's pages (namespace risk_pages, under /risk/): the overview by level with the
ratio distribution, the accounts at a level, stress tests, the forecast and the stress-mode switch.

Thin views: reads come from risk.web.selectors and the risk services; every write goes through
risk.stress with the same permission checks as the API (risk.web.access)."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.models import CaseKind
from cases.models.workflows import state_label
from risk.lines import effective_lines
from risk.models import ALERT_LINES, LEVEL_ORDER
from risk.web import selectors
from risk.web.access import risk_reader_required
from risk.web.forecast_page import forecast_page  # noqa: F401 (a page of this area, routed in urls.py)
from risk.web.forms import LevelForm
from risk.web.pages import LEVEL_LABELS, LINE_LABELS, RUN_TRIGGERS, case_url, risk_context
from risk.web.stress_pages import (  # noqa: F401
    stress_mode_page, stress_test_outreach, stress_test_page, stress_tests_page)

SHOWN_LINES = ("attention", "warning", "close_out")


def _bucket_label(bucket: selectors.Bucket) -> str:
    def percent(ratio):
        return f"{ratio * 100:.0f}%"

    if bucket.low is None:
        return f"<{percent(bucket.high)}"
    if bucket.high is None:
        return f"≥{percent(bucket.low)}"
    return f"{percent(bucket.low)}–{percent(bucket.high)}"


@require_GET
@risk_reader_required
def overview(request):
    context = risk_context(request, "overview")
    run = selectors.latest_monitoring_run()
    summary = selectors.risk_summary(context["stress_points"], run)
    accounts_url = reverse("risk_pages:accounts")
    levels = [{"code": level, "label": LEVEL_LABELS[level], "count": summary.levels[level],
               "url": f"{accounts_url}?{urlencode({'level': level})}"} for level in LEVEL_ORDER]
    chart = {
        "labels": [_bucket_label(bucket) for bucket in summary.buckets],
        "counts": [bucket.count for bucket in summary.buckets],
        "levels": [bucket.level for bucket in summary.buckets],
        "label": _("Accounts"),
        "x_title": _("Maintenance ratio"),
        "y_title": _("Accounts"),
    }
    alerts = selectors.open_alerts_by_line()
    tests, _more = selectors.stress_tests_recent(size=5)
    context.update(
        levels=levels, summary=summary, chart=chart,
        distribution=[{"label": label, "count": count}
                      for label, count in zip(chart["labels"], chart["counts"], strict=True)],
        run=run, run_trigger=RUN_TRIGGERS.get(run.trigger, run.trigger) if run else "",
        open_alerts=[{"line": line, "label": LINE_LABELS[line], "count": alerts.get(line, 0)} for line in ALERT_LINES],
        open_margin_calls=selectors.open_margin_call_count(), stress_tests=tests,
    )
    context["decisions"], context["decisions_total"] = selectors.liquidation_decisions()
    return render(request, "risk_pages/overview.html", context)


@require_GET
@risk_reader_required
def accounts(request):
    """The accounts at one level, worst ratio first, a keyset page at a time."""
    form = LevelForm(request.GET)
    context = risk_context(request, "overview", form=form)
    if not form.is_valid():
        return render(request, "risk_pages/accounts.html", context, status=400)
    level = form.cleaned_data["level"]
    try:
        page = selectors.accounts_at_level(level, after=form.cleaned_data["after"] or None,
                                           before=form.cleaned_data["before"] or None, size=selectors.PAGE_SIZE)
    except selectors.BadCursor:
        form.add_error(None, _("This page link is not valid; start again from the first page."))
        return render(request, "risk_pages/accounts.html", context, status=400)
    points = context["stress_points"]
    rows = []
    for risk in page.rows:
        account = risk.account
        call = account.open_margin_calls[0] if account.open_margin_calls else None
        rows.append({
            "risk": risk, "account": account, "client": account.client,
            "lines": list(effective_lines(account, points, SHOWN_LINES).values()),
            "call": call, "call_url": case_url(call.number) if call else None,
            "call_state": state_label(CaseKind.MARGIN_CALL, call.state) if call else "",
            "call_details": getattr(call, "margin_call", None) if call else None,
        })
    base = f"{reverse('risk_pages:accounts')}?{urlencode({'level': level})}"
    context.update(
        level=level, level_label=LEVEL_LABELS[level], rows=rows, page=page,
        next_url=f"{base}&{urlencode({'after': page.next_cursor})}" if page.next_cursor else None,
        previous_url=(f"{base}&{urlencode({'before': page.previous_cursor})}" if page.previous_cursor
                      else (base if not page.first else None)),
    )
    return render(request, "risk_pages/accounts.html", context)
