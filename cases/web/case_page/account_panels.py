"""The credit-account and margin-call panels of the case page, read through the shared selectors
(accounts.selectors, risk.selectors): a fixed number of queries whatever the account holds."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import ratio as ratio_math
from accounts.models import CreditAccount, User
from accounts.selectors import credit_account_detail
from cases.models import Case, CaseEvent
from cases.models.case import MARGIN_CALL_DEADLINE_STATES
from cases.web.case_page.charts import gauge, percent, sparkline
from risk.lines import active_stress_points, effective_lines
from risk.models import AccountRisk, Level
from risk.selectors import alerts_visible_to, margin_call_contacts, ratio_history
from servicedesk.formats import countdown

RECENT_ALERTS = 10
HISTORY_POINTS = 60
LINE_LABELS = {"attention": _("attention line"), "warning": _("warning line"),
               "close_out": _("close-out line"), "immediate": _("immediate close-out line")}


@dataclass
class AccountPanel:
    account: CreditAccount | None
    visible: bool = True
    lines: dict = field(default_factory=dict)  # name → Decimal ratio (with stress)
    line_percents: dict = field(default_factory=dict)
    stress_points: Decimal = Decimal(0)
    ratio: Decimal | None = None
    ratio_percent: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None
    level: str = ""
    level_label: str = ""
    valued_at: object = None
    positions: list = field(default_factory=list)
    alerts: list = field(default_factory=list)
    gauge: object = None
    history: object = None
    days_to_maturity: int | None = None

    @property
    def matured_days_ago(self) -> int:
        return -self.days_to_maturity if self.days_to_maturity and self.days_to_maturity < 0 else 0


def account_panel(user: User, case: Case) -> AccountPanel | None:
    """The case's credit account valued at the current prices (accounts.ratio.with_ratio, the
    same SQL as the API), its lines as the monitoring applies them (own or default, raised by the
    active stress mode), the monitoring's level, positions, recent alerts and ratio history."""
    if case.credit_account_id is None:
        return None
    try:
        account = credit_account_detail(user, case.credit_account.account_no)
    except CreditAccount.DoesNotExist:  # e.g. an advisor on a queue case of someone else's client
        return AccountPanel(account=None, visible=False)
    stress = active_stress_points()
    lines = effective_lines(account, stress)
    risk = AccountRisk.objects.filter(account=account).first()
    history = list(ratio_history(user, account)[:HISTORY_POINTS])
    history.reverse()
    ratio = account.maintenance_ratio_sql
    positions = [
        {"position": position, "market_value": ratio_math.market_value(position.quantity, position.security.price)}
        for position in account.positions.all()
    ]
    level_labels = dict(Level.choices)
    return AccountPanel(
        account=account, lines=lines, line_percents={name: percent(value) for name, value in lines.items()},
        stress_points=stress, ratio=ratio, ratio_percent=percent(ratio),
        total_assets=account.total_assets_sql, total_liabilities=account.total_liabilities_sql,
        level=risk.level if risk else "", level_label=str(level_labels.get(risk.level, "")) if risk else "",
        valued_at=risk.updated_at if risk else None, positions=positions,
        alerts=[{"alert": alert, "line_label": str(LINE_LABELS.get(alert.line, alert.line)),
                 "line_percent": percent(alert.line_value),
                 "ratio_percent": percent(alert.opened_snapshot.maintenance_ratio)}
                for alert in alerts_visible_to(user).filter(account=account)[:RECENT_ALERTS]],
        gauge=gauge(ratio, lines), history=sparkline(history, lines),
        days_to_maturity=(account.contract_maturity - timezone.localdate()).days,
    )


@dataclass(frozen=True)
class MarginCallPanel:
    details: object  # risk.models.MarginCall
    stage_label: str
    deadline: object
    left: str  # till the deadline, as the SLA countdowns write it (static/js/app.js ticks it on); "" once over
    top_up_cash: Decimal
    top_up_sell: Decimal | None
    restore_to_percent: Decimal | None
    ratio_percent: Decimal | None
    valued_at: object
    contacts: list
    #: Where the deadline comes from: T+2, due at once below the immediate line, brought forward, a relief.
    deadline_note: str = ""
    #: The deadline has passed and the call is still open: `left` reads "overdue by …", not time left.
    overdue: bool = False
    #: The call is over (restored, liquidated, return visit, closed): the amounts are what it asked
    #: for, shown as history, no longer owed (as its deadline is shown without a countdown).
    over: bool = False


#: The events that set a margin call's deadline (risk/margin_calls.py, risk/effects.py).
DEADLINE_EVENTS = ("margin_call_raised", "deadline_moved")


def deadline_note(case: Case) -> str:
    """Why the call's deadline is what it is, from the last event that set it (one query)."""
    event = (CaseEvent.objects.filter(case=case, name__in=DEADLINE_EVENTS).order_by("-created_at", "-id")
             .only("name", "data").first())
    if event is None:
        return ""
    data = event.data or {}
    immediate = data.get("level") == "immediate"
    if event.name == "margin_call_raised":
        return str(_("due at once: below the immediate close-out line") if immediate
                   else _("the close of the second trading day after the call (T+2)"))
    if immediate:
        return str(_("brought forward: the account fell below the immediate close-out line"))
    if data.get("relief"):
        return str(_("moved by the relief request %(number)s") % {"number": data["relief"]})
    if data.get("calendar"):  # risk.deadlines: trading days it counted were closed
        dates = ", ".join(data.get("dates", []))
        return str(_("moved later: the trading calendar closed %(dates)s") % {"dates": dates})
    return ""


def margin_call_panel(case: Case) -> MarginCallPanel | None:
    """What the monitoring stored for the call (risk/margin_calls.py: the top-up C = t·D − A in
    cash or S = (t·D − A)/(t − 1) sold, to the restore-to line; the deadline and why) and the
    calls logged to the client. Once the call is over (restored, liquidated, closed) its deadline is
    shown without a countdown, as the console's list shows none, and its amounts as what it asked for."""
    details = getattr(case, "margin_call", None)  # prefetched by case_detail
    if details is None:
        return None
    snapshot = details.latest_snapshot
    running = details.deadline is not None and case.state in MARGIN_CALL_DEADLINE_STATES
    seconds_left = (details.deadline - timezone.now()).total_seconds() if running else None
    return MarginCallPanel(
        details=details, stage_label=str(details.get_stage_display()), deadline=details.deadline,
        left=countdown(seconds_left) if running else "", overdue=running and seconds_left < 0,
        over=case.state not in MARGIN_CALL_DEADLINE_STATES,
        top_up_cash=details.top_up_cash, top_up_sell=details.top_up_sell,
        restore_to_percent=percent(details.restore_to),
        ratio_percent=percent(snapshot.maintenance_ratio) if snapshot else None,
        valued_at=snapshot.taken_at if snapshot else None,
        contacts=list(margin_call_contacts(case)),
        deadline_note=deadline_note(case) if details.deadline is not None else "",
    )
