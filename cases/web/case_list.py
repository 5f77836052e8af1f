"""The agent console's case lists (/console/): tabs per role, filters, the most urgent SLA timer
first, keyset pages that stay fast at a million cases, and a table htmx refreshes every 15 s.

The rows are exactly what the API's case list would give the same user: the scope and the
columns come from cases.selectors (case_list, TIMER_COLUMNS), remaining time from cases.sla_status."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import (Exists, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet, Subquery,
                              prefetch_related_objects)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Tier, User
from cases import selectors
from cases.models import Case, CaseKind, Metric, Priority, SlaTimer
from cases.models.case import PRIORITY_RANK
from cases.models.workflows import ALL_CLOSED_STATES, state_label
from cases.sla_status import ScheduleCache, elapsed_seconds
from cases.web.case_list_forms import ACTIVE, CaseListForm, tabs_for
from cases.web.case_list_paging import InvalidCursor, Key, Segment, keyset_page
from risk.models import Level

ID_DESC = (Key("id", descending=True),)
#: A timer that is running now: not stopped, not paused (only running timers have a due moment).
RUNNING = Q(stopped_at__isnull=True, due_at__isnull=False)
RISK_COLUMNS = ("level", "maintenance_ratio")


def may_use_console(user: User) -> bool:
    """Every staff role (auditors read); never a client, whatever else they are not."""
    return user.is_active and selectors.is_staff_reader(user)


# --- what the list holds -------------------------------------------------------------------------
def filtered_cases(user: User, data: dict, now: datetime.datetime) -> QuerySet[Case]:
    """The user's cases (cases.selectors.case_list: the API's scope and columns) in the chosen
    tab and filters, without their timers (read once for the whole page)."""
    queue = data.get("queue")
    queryset = (selectors.case_list(user, queue_code=queue.code if queue else None).prefetch_related(None)
                # The ratio level of a margin call's account: one more join on a primary key, no more queries.
                .select_related("credit_account__risk")
                .only(*selectors.LIST_COLUMNS, *(f"credit_account__risk__{name}" for name in RISK_COLUMNS)))
    tab = data["tab"]
    if tab == "mine":
        queryset = queryset.filter(assignee=user)
    elif tab == "queues":
        queryset = queryset.filter(queue__in=user.queues.values("pk"))
    elif tab == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    if data.get("kind"):
        queryset = queryset.filter(kind=data["kind"])
    if data.get("state") == ACTIVE:
        queryset = queryset.exclude(state__in=ALL_CLOSED_STATES)
    elif data.get("state"):
        queryset = queryset.filter(state=data["state"])
    if data.get("priority"):
        queryset = queryset.filter(priority=data["priority"])
    if data.get("tier"):
        queryset = queryset.filter(client__tier=data["tier"])
    if queue:
        queryset = queryset.filter(queue=queue)
    assignee = data.get("assignee")
    if assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee is not None:
        queryset = queryset.filter(assignee=assignee)
    if data.get("account"):
        queryset = queryset.filter(credit_account__account_no=data["account"])
    if data.get("sla") == "overdue":
        queryset = queryset.filter(Exists(SlaTimer.objects.filter(RUNNING, case=OuterRef("pk"), due_at__lte=now)))
    elif data.get("sla") == "near_breach":
        queryset = queryset.filter(Exists(SlaTimer.objects.filter(RUNNING, case=OuterRef("pk"),
                                                                  warn_75_at__lte=now)))
    if data.get("q"):
        text = data["q"]
        queryset = queryset.filter(Q(number__iexact=text) | Q(subject__icontains=text)
                                   | Q(client__name__icontains=text))
    return queryset


def segments(queryset: QuerySet[Case], sort: str, *, sla_filter: str = "",
             now: datetime.datetime | None = None) -> list[Segment]:
    """The list in the chosen order, as segments an index can walk (cases.web.case_list_paging).

    SLA urgency: first the cases with a running timer, by the due moment of their most urgent
    one (the walk follows the running timers by deadline and keeps each case once, at its
    earliest timer), then every other case, newest first."""
    if sort == "created":
        return [Segment(queryset, ID_DESC)]
    if sort == "updated":
        return [Segment(queryset, (Key("updated_at", descending=True, is_datetime=True), *ID_DESC))]
    if sort == "priority":
        return [Segment(queryset.filter(priority=priority), ID_DESC)
                for priority in sorted(Priority.values, key=PRIORITY_RANK.__getitem__)]
    most_urgent = (SlaTimer.objects.filter(RUNNING, case=OuterRef("pk")).order_by("due_at", "id").values("id")[:1])
    running = (queryset
               .annotate(urgent_timer=FilteredRelation("sla_timers", condition=Q(sla_timers__stopped_at__isnull=True,
                                                                                 sla_timers__due_at__isnull=False)))
               # Both from the one join: a filter on urgent_timer itself would join the timers again.
               .annotate(sla_due=F("urgent_timer__due_at"), sla_timer_id=F("urgent_timer__id"))
               .filter(sla_timer_id=Subquery(most_urgent)))
    if sla_filter == "overdue":  # the most urgent timer is the overdue one: the walk can stop at now
        running = running.filter(sla_due__lte=now)
    by_deadline = Segment(running, (Key("sla_due", is_datetime=True), Key("id")))
    if sla_filter:  # only cases with a running timer can be overdue or near a breach
        return [by_deadline]
    rest = queryset.filter(~Exists(SlaTimer.objects.filter(RUNNING, case=OuterRef("pk"))))
    return [by_deadline, Segment(rest, ID_DESC)]


# --- what a row shows ----------------------------------------------------------------------------
def remaining_text(seconds: float) -> str:
    """The same text static/js/app.js (formatRemaining) ticks the countdown on with."""
    sign = "-" if seconds < 0 else ""
    rest = abs(round(seconds))
    days, rest = divmod(rest, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return f"{sign}{f'{days}d ' if days else ''}{hours:02d}:{minutes:02d}"


def used_class(percent: int) -> str:
    """SLA colours by the share of the target used: < 50 %, ≥ 50 %, ≥ 75 %, ≥ 100 %."""
    if percent >= 100:
        return "sla-100"
    if percent >= 75:
        return "sla-75"
    if percent >= 50:
        return "sla-50"
    return "sla-ok"


@dataclass
class Countdown:
    metric: str
    css: str
    text: str
    used_percent: int
    deadline: str | None  # ISO 8601, for the ticking script; None while paused
    paused: bool


def countdown(timers: list[SlaTimer], schedules: ScheduleCache, now: datetime.datetime) -> Countdown | None:
    """The most urgent running timer (the earliest due), else the paused one closest to its target."""
    running = [timer for timer in timers if timer.due_at is not None]
    if running:
        timer = min(running, key=lambda timer: (timer.due_at, timer.pk))
    else:
        paused = [timer for timer in timers if timer.stopped_at is None]
        if not paused:
            return None
        timer = min(paused, key=lambda timer: timer.target_seconds - timer.elapsed_seconds)
    elapsed = elapsed_seconds(timer, schedules, now)
    percent = elapsed * 100 // timer.target_seconds if timer.target_seconds else 100
    metric = str(Metric(timer.metric).label) if timer.metric in Metric.values else timer.metric
    if timer.due_at is None:
        return Countdown(metric, "sla-paused", remaining_text(timer.target_seconds - elapsed), percent, None,
                         paused=True)
    css = "sla-100" if timer.breached else used_class(percent)
    return Countdown(metric, css, remaining_text((timer.due_at - now).total_seconds()), percent,
                     timer.due_at.isoformat(), paused=False)


@dataclass
class RatioLevel:
    level: str
    label: str
    ratio_percent: str | None


@dataclass
class Row:
    case: Case
    url: str
    kind_label: str
    state_label: str
    tier_label: str
    countdown: Countdown | None
    ratio: RatioLevel | None


def case_url_maker():
    """console:case when the case page is installed; otherwise the path it will have."""
    try:
        reverse("console:case", kwargs={"number": "CS-0"})
    except NoReverseMatch:
        return lambda number: f"/console/cases/{number}/"
    return lambda number: reverse("console:case", kwargs={"number": number})


def ratio_level(case: Case) -> RatioLevel | None:
    """The current ratio level of a margin call's credit account (risk.models.AccountRisk)."""
    if case.kind != CaseKind.MARGIN_CALL or case.credit_account is None:
        return None
    risk = getattr(case.credit_account, "risk", None)  # no valuation yet: no level
    if risk is None:
        return None
    ratio = risk.maintenance_ratio
    return RatioLevel(risk.level, str(Level(risk.level).label) if risk.level in Level.values else risk.level,
                      f"{(ratio * 100).quantize(Decimal('0.01'))} %" if ratio is not None else None)


def rows_for(cases: list[Case], now: datetime.datetime) -> list[Row]:
    prefetch_related_objects(cases, Prefetch(
        "sla_timers", to_attr="active_timers",
        queryset=SlaTimer.objects.filter(stopped_at__isnull=True).only(*selectors.TIMER_COLUMNS)))
    schedules, case_url = ScheduleCache(), case_url_maker()
    tiers = dict(Tier.choices)
    return [
        Row(case, case_url(case.number), str(CaseKind(case.kind).label), str(state_label(case.kind, case.state)),
            str(tiers.get(case.client.tier, case.client.tier)), countdown(case.active_timers, schedules, now),
            ratio_level(case))
        for case in cases
    ]


# --- the page -----------------------------------------------------------------------------------
def _query(request, **changes) -> str:
    """The current query string with `changes` (None drops a parameter)."""
    params = {key: value for key, value in request.GET.items() if value != ""}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return f"?{urlencode(params)}" if params else "?"


@login_required
@require_GET
def case_list_page(request):
    user = request.user
    if not may_use_console(user):
        raise PermissionDenied(_("The console is for staff."))
    form = CaseListForm(request.GET, user=user)
    now = timezone.now()
    page = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            page = keyset_page(segments(filtered_cases(user, data, now), data["sort"], sla_filter=data["sla"],
                                        now=now),
                               data["size"], after=data["after"] or None, before=data["before"] or None)
        except InvalidCursor:
            form.add_error(None, _("This page link is not valid (any more): start again from the first page."))
    tab = form.cleaned_data.get("tab")
    context = {
        "form": form,
        "errors": form.error_summary() if form.errors else [],
        "rows": rows_for(page.rows, now) if page else [],
        "tabs": [{"code": code, "label": label, "current": code == tab,
                  "url": _query(request, tab=code, after=None, before=None)} for code, label in tabs_for(user)],
        "current_tab": tab or "",
        "next_url": _query(request, after=page.next_cursor, before=None) if page and page.next_cursor else None,
        "previous_url": (_query(request, before=page.previous_cursor, after=None) if page and page.previous_cursor
                         else _query(request, before=None, after=None)) if page and page.has_previous else None,
        "refresh_url": request.get_full_path(),
    }
    template = "console/case_table.html" if request.htmx else "console/case_list.html"
    return render(request, template, context, status=400 if form.errors else 200)
