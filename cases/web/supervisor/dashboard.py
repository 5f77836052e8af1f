"""The SLA dashboard (supervisor:dashboard) and its CSV exports (supervisor:export)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from cases import visit_selectors
from cases.calendars import unconfirmed_year_warnings
from cases.models import ReturnVisit
from cases.web.supervisor import dashboard_tables
from cases.web.supervisor.access import DASHBOARD_READERS, is_supervisor, page_for
from cases.web.supervisor.filters import DashboardFilter
from notifications.inbound import inbound_emails_held, may_review_inbound


def calendar_banner(user) -> list[str]:
    """Supervisors are told while this year or next of a calendar is not confirmed."""
    return unconfirmed_year_warnings() if is_supervisor(user) else []


@page_for(*DASHBOARD_READERS)
def dashboard(request):
    form = DashboardFilter(request.GET)
    context = {"form": form, "calendar_problems": calendar_banner(request.user)}
    if not form.is_valid():
        return render(request, "supervisor/dashboard.html", context, status=400)
    report = form.report_range()
    # The form shows the range applied (defaults filled in) and the period as chosen.
    context["form"] = DashboardFilter({**report.as_data, "period": form.cleaned_data.get("period") or ""})
    figures = dashboard_tables.figures_for(report)
    tables = {name: build(figures) for name, build in dashboard_tables.TABLES.items()}
    compliance = tables["compliance"]
    kpis = [{"label": column.label, "key": column.key, **(compliance.footer[0].get(column.key) or {})}
            if compliance.footer else {"label": column.label, "key": column.key}
            for column in compliance.columns[1:]]
    context.update({
        "report": report, "tables": tables, "kpis": kpis,
        "overdue_visits": visit_selectors.overdue(ReturnVisit.objects.all()).count(),
        # E-mails no case took (an unknown sender, a stranger replying to a case) wait for a supervisor.
        "held_emails": inbound_emails_held().count() if may_review_inbound(request.user) else None,
        "csat_total": tables["csat_scores"].footer[0],
        "trend_chart": dashboard_tables.trend_chart(tables["trend"]),
        "csat_chart": dashboard_tables.csat_chart(tables["csat_scores"]),
    })
    return render(request, "supervisor/dashboard.html", context)


@page_for(*DASHBOARD_READERS)
def export(request, table: str):
    """One table of the dashboard as CSV, for the same filter."""
    if table not in dashboard_tables.TABLES:
        raise Http404
    form = DashboardFilter(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())
        return HttpResponse(_("Bad filter: %(errors)s") % {"errors": errors}, status=400,
                            content_type="text/plain; charset=utf-8")
    report = form.report_range()
    data = dashboard_tables.TABLES[table](dashboard_tables.figures_for(report))
    return data.csv_response(f"{table}-{report.first.isoformat()}-{report.last.isoformat()}.csv")
