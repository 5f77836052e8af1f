"""The agent console's case lists (/console/): tabs per role, filters, the most urgent SLA timer
first, keyset pages that stay fast at a million cases, and a table htmx refreshes every 15 s.

The rows are exactly what the API's case list would give the same user: the scope and the
columns come from cases.selectors (case_list, TIMER_COLUMNS), the business time left from
cases.sla_status, written as the case page writes it (servicedesk.formats.business_time); a margin
call shows its deadline (unless a running timer is due before it)."""

import datetime
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Tier, User
from accounts.names import full_name
from cases import selectors
from cases.models import Case, CaseKind, Metric, Priority, SlaTimer
from cases.models.case import MARGIN_CALL_DEADLINE_STATES, PRIORITY_RANK
from cases.models.workflows import ALL_CLOSED_STATES, WORKFLOWS, state_label
from cases.sla_status import ScheduleCache, TimerStatus, time_left, timer_status
from cases.web.case_list_forms import ACTIVE, CaseListForm, tabs_for
from cases.web.case_list_paging import InvalidCursor, Key, Segment, keyset_page
from risk.models import Level
from risk.subjects import subject_shown
from servicedesk import formats
from servicedesk.htmx import login_required_htmx

ID_DESC = (Key("id", descending=True),)
ALL_STATES = tuple(sorted({state for workflow in WORKFLOWS.values() for state in workflow.State.values}))
BY_STATE = (Key("state", values=ALL_STATES), *ID_DESC)
#: A timer that is running now: not stopped, not paused (a paused one has no due moment; a stopped
#: one keeps the one it had).
RUNNING = Q(stopped_at__isnull=True, due_at__isnull=False)
#: A paused timer that had reached its target before the pause: its row shows it breached (red,
#: cases.sla_status.reached_target), the dashboard's workload counts it, so the SLA filters keep it.
PAUSED_BREACHED = (Q(stopped_at__isnull=True, due_at__isnull=True)
                   & (Q(breached=True) | Q(elapsed_seconds__gte=F("target_seconds"))))
#: What a row shows: the API's list columns (cases.selectors.LIST_COLUMNS) that the table has,
#: the assignee's name and the ratio level of a margin call's account.
SHOWN = ("number", "kind", "subject", "state", "updated_at", "client__name", "client__tier",
         "assignee__username")
ROW_COLUMNS = (*(column for column in selectors.LIST_COLUMNS if column in SHOWN), "id",
               "assignee__first_name", "assignee__last_name",
               "credit_account__risk__level", "credit_account__risk__maintenance_ratio", "margin_call__deadline",
               # a margin call's subject in the reader's language (risk.subjects)
               "category", "credit_account__account_no", "margin_call__stage")
#: Every state in which a case is still worked (the others are finished; no timer runs there).
WORKING_STATES = sorted(set(ALL_STATES) - set(ALL_CLOSED_STATES))
#: A margin call whose deadline is still the client's and ours to act on: running or passed, no
#: liquidation decided yet.
CALL_WITH_DEADLINE = Q(kind=CaseKind.MARGIN_CALL, margin_call__deadline__isnull=False,
                       state__in=MARGIN_CALL_DEADLINE_STATES)


def may_use_console(user: User) -> bool:
    """Every staff role (auditors read); never a client, whatever else they are not."""
    return user.is_active and selectors.is_staff_reader(user)


# --- what the list holds -------------------------------------------------------------------------
def filtered_cases(user: User, data: dict, now: datetime.datetime) -> QuerySet[Case]:
    """The user's cases (cases.selectors: the API's scope) in the chosen tab and filters. A search
    for a whole case number ("CS-2026-000203") looks past the tab (the other filters still apply):
    the case is found wherever it sits within the user's scope, not "No cases match" on "mine"."""
    queue = data.get("queue")
    queryset = selectors.cases_visible_to(user, queue_code=queue.code if queue else None)
    # a case asked for by its whole number is found in whichever tab it sits, within the scope
    tab = None if selectors.CASE_NUMBER.match(data.get("q") or "") else data["tab"]
    if tab == "mine":
        queryset = queryset.filter(assignee=user)
    elif tab == "queues":  # the ids themselves: one queue is then an equality an index can order by
        queryset = queryset.filter(queue_id__in=list(user.queues.values_list("pk", flat=True)))
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
    if data.get("sla"):  # cases still worked with a running timer past its due moment (or its 75 %),
        moment = "due_at__lte" if data["sla"] == "overdue" else "warn_75_at__lte"  # or a paused one breached
        queryset = queryset.filter(Exists(SlaTimer.objects.filter(RUNNING, case=OuterRef("pk"), **{moment: now}))
                                   | Exists(SlaTimer.objects.filter(PAUSED_BREACHED, case=OuterRef("pk"))),
                                   state__in=WORKING_STATES)
    if data.get("q"):
        text = data["q"]
        queryset = queryset.filter(selectors.case_number_q(text) | Q(subject__icontains=text)
                                   | Q(client__name__icontains=text))
    return queryset


def segments(queryset: QuerySet[Case], sort: str, *, sla_filter: str = "",
             now: datetime.datetime | None = None) -> list[Segment]:
    """The list in the chosen order, as segments an index can walk (cases.web.case_list_paging).

    SLA urgency: first the cases still worked with a running timer, by the due moment of their
    most urgent one (the walk follows the running timers by deadline and keeps each case once, at
    its earliest timer), and among them the margin calls by their deadline; then the other cases
    still worked (timers paused while waiting on the client, outreach calls); then the finished
    cases; these two by state, newest first: the order of the (assignee, state, -id),
    (queue, state, -id) and (state, -id) indexes, so that a short
    list (a few unassigned cases, say) is read from its own corner of an index, never by walking
    every case newest first in search of its rows."""
    if sort == "created":
        return [Segment(queryset, ID_DESC)]
    if sort == "updated":
        return [Segment(queryset, (Key("updated_at", descending=True, is_datetime=True), *ID_DESC))]
    if sort == "priority":
        return [Segment(queryset.filter(priority=priority), ID_DESC)
                for priority in sorted(Priority.values, key=PRIORITY_RANK.__getitem__)]
    running = (queryset
               # A running timer means a case still worked: the condition lets an index on
               # (assignee or queue, state) keep to those cases.
               .filter(state__in=WORKING_STATES, sla_timers__stopped_at__isnull=True,
                       sla_timers__due_at__isnull=False)
               # The join of that filter (the running timers, cases.sla_engine), each case kept
               # once: at its earliest timer.
               .annotate(sla_due=F("sla_timers__due_at"), sla_timer_id=F("sla_timers__id"))
               .filter(~Exists(SlaTimer.objects.filter(
                   Q(due_at__lt=OuterRef("sla_due")) | Q(due_at=OuterRef("sla_due"), id__lt=OuterRef("sla_timer_id")),
                   RUNNING, case=OuterRef("pk")))))
    if sla_filter == "overdue":  # the most urgent timer is the overdue one: the walk can stop at now
        running = running.filter(sla_due__lte=now)
    keys = (Key("sla_due", is_datetime=True), Key("id"))
    if sla_filter:  # by the running timer's due moment; then those only a paused breached timer flags
        walked = Q(due_at__lte=now) if sla_filter == "overdue" else Q()
        paused = queryset.exclude(Exists(SlaTimer.objects.filter(walked, RUNNING, case=OuterRef("pk"))))
        return [Segment(running, keys), Segment(paused, BY_STATE)]
    # A margin call with a deadline (no SLA timer runs on it) takes its place among them by its
    # deadline: forced liquidation follows it.
    calls = queryset.filter(CALL_WITH_DEADLINE).annotate(sla_due=F("margin_call__deadline"))
    by_deadline = Segment(running, keys, merged=(calls,))
    waiting = queryset.filter(state__in=WORKING_STATES).exclude(
        Exists(SlaTimer.objects.filter(RUNNING, case=OuterRef("pk")))).exclude(CALL_WITH_DEADLINE)
    finished = queryset.exclude(state__in=WORKING_STATES)
    return [by_deadline, Segment(waiting, BY_STATE), Segment(finished, BY_STATE)]


# --- what a row shows ----------------------------------------------------------------------------
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
    """The SLA cell: the business time left on the most urgent timer ("88h 00m", as on the case
    page), written by the server only: business time stands still outside service hours, so no
    script ticks it on (the table is read again every 15 s). Or a margin call's deadline."""

    css: str
    text: str
    title: str  # which timer, the share of its target used and its due moment; or what the deadline is
    deadline: str | None  # ISO 8601: the due moment of a running timer, a margin call's deadline
    paused: bool
    remaining: int | None = None  # business seconds left (None: unknown, or a margin call's deadline)


@dataclass
class RatioLevel:
    level: str
    label: str
    ratio_percent: str | None


@dataclass
class Row:
    """What one row of the table shows, flat: the template reads each value in one step."""

    number: str
    url: str
    kind: str
    kind_label: str
    state: str
    state_label: str
    subject: str
    client_name: str
    tier: str
    tier_label: str
    countdown: Countdown | None
    ratio: RatioLevel | None
    assignee: str
    updated_iso: str
    updated_text: str


class Labels:
    """The labels of one page in the active language, translated once per page, not once per row."""

    def __init__(self):
        self.kinds = {code: str(label) for code, label in CaseKind.choices}
        self.tiers = {code: str(label) for code, label in Tier.choices}
        self.metrics = {code: str(label) for code, label in Metric.choices}
        self.levels = {code: str(label) for code, label in Level.choices}
        self.states: dict[tuple[str, str], str] = {}
        self.timer_title = _("%(metric)s: %(percent)s %% of the target used")
        self.running_title = _("%(metric)s: business time left, %(percent)s %% of the target used; due %(due)s")
        self.unknown_title = _("%(metric)s: %(unknown)s; due %(due)s")
        self.deadline_text = _("Deadline %(moment)s")
        self.deadline_title = _("The margin call's deadline (Asia/Shanghai), not an SLA timer")

    def state(self, kind: str, state: str) -> str:
        if (kind, state) not in self.states:
            self.states[kind, state] = str(state_label(kind, state))
        return self.states[kind, state]


def countdown(timers: list, schedules: ScheduleCache, now: datetime.datetime, labels: Labels,
              margin_call_deadline: datetime.datetime | None = None) -> Countdown | None:
    """The most urgent running timer (the earliest due), else a margin call's deadline (also when it
    comes before that timer's due moment), else the paused timer closest to its target (a breached
    one first: red, whatever its pause)."""
    running = [timer for timer in timers if timer.stopped_at is None and timer.due_at is not None]
    timer = min(running, key=lambda timer: (timer.due_at, timer.pk)) if running else None
    if margin_call_deadline is not None and (timer is None or margin_call_deadline <= timer.due_at):
        return deadline_countdown(margin_call_deadline, now, labels)
    if timer is None:
        paused = [timer for timer in timers if timer.stopped_at is None]
        if not paused:
            return None
        timer = min(paused, key=lambda timer: (not timer.breached, timer.target_seconds - timer.elapsed_seconds))
    status = timer_status(timer, schedules, now)
    if status.remaining is None:  # the calendar has no data for a year it needs: say so, never guess
        return unknown_countdown(timer, status, labels)
    remaining = status.remaining
    percent = (timer.target_seconds - remaining) * 100 // timer.target_seconds if timer.target_seconds else 100
    metric = labels.metrics.get(timer.metric, timer.metric)
    text = time_left(status)  # as the case page writes it; "Breached", not "0h 00m", at a closing
    if timer.due_at is None:  # a breach before the pause stays a breach, recorded by the sweep or not yet
        css = "sla-100" if status.breached else "sla-paused"
        return Countdown(css, text, labels.timer_title % {"metric": metric, "percent": percent},
                         None, paused=True, remaining=remaining)
    title = labels.running_title % {"metric": metric, "percent": percent, "due": formats.moment(timer.due_at)}
    css = "sla-100" if timer.breached else used_class(percent)
    return Countdown(css, text, title, timer.due_at.isoformat(), paused=False, remaining=remaining)


def unknown_countdown(timer, status: TimerStatus, labels: Labels) -> Countdown:
    """A timer whose business time left the calendar cannot give: the reason instead of a figure,
    coloured only when it is breached: its stored due moment has passed (the moment in the title)."""
    metric, unknown = labels.metrics.get(timer.metric, timer.metric), status.unknown
    if timer.due_at is None:
        return Countdown("sla-unknown", unknown, f"{metric}: {unknown}", None, paused=True)
    css = "sla-100" if status.breached else "sla-unknown"
    title = labels.unknown_title % {"metric": metric, "unknown": unknown, "due": formats.moment(timer.due_at)}
    return Countdown(css, unknown, title, timer.due_at.isoformat(), paused=False)


def deadline_countdown(deadline: datetime.datetime, now: datetime.datetime, labels: Labels) -> Countdown:
    """A margin call's deadline (risk.MarginCall.deadline, T+2): the moment itself, red once passed."""
    return Countdown("sla-deadline sla-100" if deadline <= now else "sla-deadline",
                     labels.deadline_text % {"moment": formats.moment(deadline)}, labels.deadline_title,
                     deadline.isoformat(), paused=False)


def case_url_maker():
    """console:case when the case page is installed; otherwise the path it will have. Reversed
    once per page: the number goes into the path reversed for a stand-in."""
    stand_in = "CS-0000-000000"
    try:
        pattern = reverse("console:case", kwargs={"number": stand_in})
    except NoReverseMatch:
        pattern = f"/console/cases/{stand_in}/"
    return lambda number: pattern.replace(stand_in, number)


def ratio_level(values: dict, labels: Labels) -> RatioLevel | None:
    """The current ratio level of a margin call's credit account (risk.models.AccountRisk)."""
    level = values["credit_account__risk__level"]
    if values["kind"] != CaseKind.MARGIN_CALL or not level:  # no account, or not valued yet: no level
        return None
    ratio = values["credit_account__risk__maintenance_ratio"]
    return RatioLevel(level, labels.levels.get(level, level),
                      formats.ratio_percent(ratio) if ratio is not None else None)


def page_cases(user: User, data: dict, ids: list[int]) -> list[dict]:
    """The cases of a page, in its order, as plain values: the API's list columns that a row
    shows (cases.selectors.case_list, LIST_COLUMNS) and the ratio level of a margin call's
    account (one more join on a primary key)."""
    queue = data.get("queue")
    cases = (selectors.case_list(user, queue_code=queue.code if queue else None).prefetch_related(None)
             .filter(pk__in=ids).values(*ROW_COLUMNS))
    by_id = {case["id"]: case for case in cases}
    return [by_id[pk] for pk in ids if pk in by_id]


def active_timers(ids: list[int]) -> dict[int, list]:
    """The timers not stopped yet of these cases (the columns cases.selectors.TIMER_COLUMNS
    names), by case, as plain objects for cases.sla_status."""
    timers: dict[int, list] = {pk: [] for pk in ids}
    running = SlaTimer.objects.filter(case_id__in=ids, stopped_at__isnull=True)
    for values in running.values("id", *selectors.TIMER_COLUMNS):
        timers[values["case_id"]].append(SimpleNamespace(pk=values["id"], **values))
    return timers


def rows_for(cases: list[dict], now: datetime.datetime) -> list[Row]:
    timers = active_timers([case["id"] for case in cases])
    schedules, case_url, labels = ScheduleCache(), case_url_maker(), Labels()
    rows = []
    for case in cases:
        updated = timezone.localtime(case["updated_at"])
        kind, state, tier = case["kind"], case["state"], case["client__tier"]
        rows.append(Row(
            number=case["number"], url=case_url(case["number"]), kind=kind, kind_label=labels.kinds.get(kind, kind),
            state=state, state_label=labels.state(kind, state),
            subject=subject_shown(kind=kind, category=case["category"], subject=case["subject"],
                                  account_no=case["credit_account__account_no"], stage=case["margin_call__stage"]),
            client_name=case["client__name"], tier=tier, tier_label=labels.tiers.get(tier, tier),
            countdown=countdown(timers[case["id"]], schedules, now, labels,
                                case["margin_call__deadline"] if state in MARGIN_CALL_DEADLINE_STATES else None),
            ratio=ratio_level(case, labels),
            assignee=(full_name(case["assignee__first_name"], case["assignee__last_name"])
                      or case["assignee__username"] or ""),  # User.display_name
            updated_iso=updated.isoformat(), updated_text=formats.moment(updated),
        ))
    return rows


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


@login_required_htmx  # the table's 15-second refresh after the session ended reloads the page
@require_GET
def case_list_page(request):
    user = request.user
    if not may_use_console(user):
        raise PermissionDenied(_("The console is for staff."))
    form = CaseListForm(request.GET, user=user)
    now = timezone.now()
    page, cases = None, []
    if form.is_valid():
        data = form.cleaned_data
        try:
            page = keyset_page(segments(filtered_cases(user, data, now), data["sort"], sla_filter=data["sla"],
                                        now=now),
                               data["size"], after=data["after"] or None, before=data["before"] or None)
        except InvalidCursor:
            form.add_error(None, _("This page link is not valid (any more): start again from the first page."))
        else:
            cases = page_cases(user, data, page.ids)
    tab = form.cleaned_data.get("tab")
    context = {
        "form": form,
        "errors": form.error_summary() if form.errors else [],
        "rows": rows_for(cases, now),
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
