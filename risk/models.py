"""Margin monitoring: runs over every credit account, ratio snapshots (history), the current
risk state of each account, line alerts with hysteresis, stress mode, margin-call details."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.ratio import LINE_LABELS, RATIO_MAX_DIGITS, RATIO_PLACES
from servicedesk import formats

MONEY = {"max_digits": 24, "decimal_places": 4}
RATIO = {"max_digits": 12, "decimal_places": 4}  # a line
MAINTENANCE_RATIO = {"max_digits": RATIO_MAX_DIGITS, "decimal_places": RATIO_PLACES}


class Level(models.TextChoices):
    NO_LIABILITY = "no_liability", _("No liability")
    NORMAL = "normal", pgettext_lazy("risk level", "Normal")  # 正常, not the priority's 普通
    ATTENTION = "attention", _("Below the attention line")
    WARNING = "warning", _("Below the warning line")
    CLOSE_OUT = "close_out", _("Below the close-out line")
    IMMEDIATE = "immediate", _("Below the immediate close-out line")


#: Worst last. A level "at or below" warning means the ratio is under the warning line.
LEVEL_ORDER = [Level.NO_LIABILITY, Level.NORMAL, Level.ATTENTION, Level.WARNING, Level.CLOSE_OUT, Level.IMMEDIATE]
#: The lines whose crossing is an alert, with the level reached below each.
ALERT_LINES = ("attention", "warning", "close_out", "immediate")


class StressMode(models.Model):
    """Set by a risk officer in a volatile market: every line is raised by `points` percentage
    points until it is lifted. The active one is the row with lifted_at empty (at most one)."""

    points = models.DecimalField(_("percentage points"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"), blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("set by"))
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("lifted by"))
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    # True until lifted. A unique index over NULLs would not stop two active rows (NULLs are
    # distinct), so the "one active" rule is on this flag.
    is_active = models.BooleanField(_("active"), default=True, editable=False)

    class Meta:
        verbose_name = _("stress mode")
        verbose_name_plural = _("stress modes")
        ordering = ["-set_at"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                               name="stress_mode_one_active")]

    def __str__(self) -> str:
        return f"+{self.points} pp"


class MonitoringRun(models.Model):
    """One revaluation of every credit account (after a price import, or every 5 minutes)."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    trigger = models.CharField(_("trigger"), max_length=32)
    stress_points = models.DecimalField(_("stress points"), max_digits=5, decimal_places=2, default=0)
    accounts = models.PositiveIntegerField(_("accounts revalued"), default=0)
    changed = models.PositiveIntegerField(_("accounts changed"), default=0)
    alerts_opened = models.PositiveIntegerField(_("alerts opened"), default=0)
    alerts_cleared = models.PositiveIntegerField(_("alerts cleared"), default=0)
    cases_opened = models.PositiveIntegerField(_("margin calls opened"), default=0)
    cases_raised = models.PositiveIntegerField(_("margin calls raised"), default=0)
    cases_restored = models.PositiveIntegerField(_("margin calls restored"), default=0)

    class Meta:
        verbose_name = _("monitoring run")
        verbose_name_plural = _("monitoring runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return _("Monitoring run %(id)s, %(when)s") % {"id": self.pk, "when": formats.moment(self.started_at)}


class RatioSnapshot(models.Model):
    """An account's valuation when it changed: the ratio history, and the evidence behind alerts."""

    # Not key-checked by the database: the run is written just before its snapshots, in the same
    # transaction, and runs are never deleted (PROTECT); the check cost 0.46 s a run at 100,000
    # accounts (one row lock per snapshot on the same run row).
    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="snapshots",
                            verbose_name=_("run"), db_constraint=False)
    # No index of its own: snapshot_account_idx (account, -taken_at, -id) starts with it. Kept from
    # the accounts' side, not checked per snapshot (risk.snapshot_keys): the check cost 1.1 s a run.
    account = models.ForeignKey("accounts.CreditAccount", on_delete=models.CASCADE, related_name="snapshots",
                                verbose_name=_("credit account"), db_index=False, db_constraint=False)
    taken_at = models.DateTimeField(_("taken at"))
    total_assets = models.DecimalField(_("total assets"), **MONEY)
    total_liabilities = models.DecimalField(_("total liabilities"), **MONEY)
    maintenance_ratio = models.DecimalField(_("maintenance ratio"), **MAINTENANCE_RATIO, null=True, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    stress_points = models.DecimalField(_("stress points"), max_digits=5, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("ratio snapshot")
        verbose_name_plural = _("ratio snapshots")
        ordering = ["account", "-taken_at"]
        indexes = [models.Index(fields=["account", "-taken_at", "-id"], name="snapshot_account_idx")]

    def __str__(self) -> str:
        return _("Valuation %(id)s, %(when)s") % {"id": self.pk, "when": formats.moment(self.taken_at)}


class AccountRisk(models.Model):
    """The latest valuation of each account (what the next run compares against)."""

    account = models.OneToOneField("accounts.CreditAccount", on_delete=models.CASCADE, primary_key=True,
                                   related_name="risk", verbose_name=_("credit account"))
    # Not key-checked by the database: the run writes the snapshot and this row from it in one
    # statement, and a snapshot goes only with its account, which takes this row with it
    # (CASCADE); the check cost 0.59 s a run at 100,000 accounts. No index either: nothing looks a
    # valuation up by its snapshot, and without one (and with room left on each page, migration
    # risk/0010) a run's 100,000 updates stay on their pages and write no index (HOT).
    snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("snapshot"), db_constraint=False, db_index=False)
    total_assets = models.DecimalField(_("total assets"), **MONEY)
    total_liabilities = models.DecimalField(_("total liabilities"), **MONEY)
    maintenance_ratio = models.DecimalField(_("maintenance ratio"), **MAINTENANCE_RATIO, null=True, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("account risk")
        verbose_name_plural = _("account risks")
        indexes = [models.Index(fields=["level"], name="account_risk_level_idx")]


class AccountAlert(models.Model):
    """A crossing below one line; it clears only once the ratio is back above the line by the
    hysteresis band. At most one open alert per account and line."""

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("alert state", "Open")  # not a case's "open"
        CLEARED = "cleared", pgettext_lazy("alert state", "Cleared")

    account = models.ForeignKey("accounts.CreditAccount", on_delete=models.CASCADE, related_name="alerts",
                                verbose_name=_("credit account"))
    line = models.CharField(_("line"), max_length=16)
    line_value = models.DecimalField(_("line (with stress)"), **RATIO)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    opened_snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("snapshot that opened it"))
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("snapshot that cleared it"))

    class Meta:
        verbose_name = _("account alert")
        verbose_name_plural = _("account alerts")
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["account", "line"], condition=Q(state="open"),
                                               name="alert_one_open_per_line")]
        indexes = [models.Index(fields=["state", "line"], name="alert_state_line_idx")]

    def __str__(self) -> str:
        return f"{self.line_label}, {formats.moment(self.opened_at)}"

    @property
    def line_label(self) -> str:
        """The line by its name in the active language ("Warning line"); the code for a line not listed."""
        return capfirst(LINE_LABELS.get(self.line, self.line))


class MarginCall(models.Model):
    """What the monitoring knows of a margin-call case: its level, deadline and top-up amounts."""

    class Stage(models.TextChoices):
        OUTREACH = "outreach", _("Outreach (below the warning line, no deadline)")
        MARGIN_CALL = "margin_call", _("Margin call (below the close-out line, with a deadline)")

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, primary_key=True,
                                related_name="margin_call", verbose_name=_("case"))
    account = models.ForeignKey("accounts.CreditAccount", on_delete=models.PROTECT, related_name="margin_calls",
                                verbose_name=_("credit account"))
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.OUTREACH)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    top_up_cash = models.DecimalField(_("cash to add"), max_digits=24, decimal_places=2, default=0)
    top_up_sell = models.DecimalField(_("securities to sell and repay"), max_digits=24, decimal_places=2,
                                      null=True, blank=True)
    restore_to = models.DecimalField(_("restore-to line"), **RATIO, null=True, blank=True)
    # The line the client's margin-call notice asked for (its cash C = t·D − A), kept when a stress
    # mode or the contract raises `restore_to` later: a client who added C is not liquidated for it.
    notice_restore_to = models.DecimalField(_("restore-to line of the notice"), **RATIO, null=True, blank=True)
    opened_snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("snapshot that opened it"))
    # No index: nothing looks a call up by its latest snapshot, which every run moves on; without
    # one (and with room on the pages, migration risk/0011) those updates stay on their pages.
    latest_snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("latest snapshot"), db_index=False)
    raised_at = models.DateTimeField(_("raised at"), null=True, blank=True)
    # The deadline is the close of the n-th trading day after this date (T+2 from the day the call
    # was raised, a relief's days from its start; none when due at once): a change of the trading
    # calendar then gives the client back a trading day it took (risk.deadlines).
    deadline_from = models.DateField(_("deadline counted from"), null=True, blank=True)
    deadline_trading_days = models.PositiveSmallIntegerField(_("trading days to the deadline"), null=True,
                                                             blank=True)
    restored_snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="+", verbose_name=_("snapshot that restored it"))
    warned_at = models.DateTimeField(
        _("below the warning line since"), null=True, blank=True,
        help_text=_("When the monitoring first saw the account below the warning line during this call. A "
                    "stress test's preventive outreach has none until then: it is not restored by the ratio "
                    "but closed by the agent after the call."))

    class Meta:
        verbose_name = _("margin call details")
        verbose_name_plural = _("margin call details")
        indexes = [models.Index(fields=["deadline"], name="margin_call_deadline_idx")]

    def __str__(self) -> str:
        return self.case.number


class MarginCallContact(models.Model):
    """A call to the client about a margin call, logged by an agent."""

    NOTE_MAX_LENGTH = 2000  # the log is append-only: a note is checked before it is kept (API, console)

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached the client")
        PROMISED = "promised", _("Client promised to top up")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        REFUSED = "refused", _("Client refused")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="margin_call_contacts",
                             verbose_name=_("case"))
    called_at = models.DateTimeField(_("called at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("margin call contact")
        verbose_name_plural = _("margin call contacts")
        ordering = ["case", "called_at"]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}, {formats.moment(self.called_at)}"


class StressTestQuerySet(models.QuerySet):
    def shown(self):
        """As pages and the API show them: with who ran them, without the (thousands of) ids of
        the accounts their outreach reaches."""
        return self.select_related("run_by").defer("outreach_accounts")


class StressTest(models.Model):
    """A "what if the market moved by x %" run: who ran it, the shocks, and what it found
    (per line: the accounts that would fall below it, their shocked ratios and top-ups)."""

    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("run by"))
    run_at = models.DateTimeField(_("run at"), db_index=True)
    market_shock = models.DecimalField(_("market shock"), max_digits=6, decimal_places=4)
    symbol_shocks = models.JSONField(_("per-symbol shocks"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    open_cases = models.BooleanField(_("open outreach cases"), default=False)
    cases_opened = models.PositiveIntegerField(_("cases opened"), default=0)
    # With open_cases: the accounts the test found below the warning line, reached by the
    # outreach (in the request when they are few, else by a task after the commit).
    outreach_accounts = models.JSONField(_("accounts to reach"), default=list, blank=True)
    outreach_total = models.PositiveIntegerField(_("accounts to reach (count)"), default=0)
    outreach_finished_at = models.DateTimeField(_("outreach finished at"), null=True, blank=True)

    objects = StressTestQuerySet.as_manager()

    class Meta:
        verbose_name = _("stress test")
        verbose_name_plural = _("stress tests")
        ordering = ["-run_at", "-id"]

    def __str__(self) -> str:
        return f"{formats.moment(self.run_at)} {formats.percent(self.market_shock * 100, signed=True)}"

    @property
    def outreach_state(self) -> str:
        """none (not asked for), running (cases still being opened) or done."""
        if not self.open_cases:
            return "none"
        return "done" if self.outreach_finished_at else "running"
