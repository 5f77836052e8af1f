"""Margin monitoring: runs over every credit account, ratio snapshots (history), the current
risk state of each account, line alerts with hysteresis, stress mode, margin-call details."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

MONEY = {"max_digits": 24, "decimal_places": 4}
RATIO = {"max_digits": 12, "decimal_places": 4}


class Level(models.TextChoices):
    NO_LIABILITY = "no_liability", _("No liability")
    NORMAL = "normal", _("Normal")
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

    class Meta:
        verbose_name = _("stress mode")
        verbose_name_plural = _("stress modes")
        ordering = ["-set_at"]
        constraints = [models.UniqueConstraint(fields=["lifted_at"], condition=Q(lifted_at__isnull=True),
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


class RatioSnapshot(models.Model):
    """An account's valuation when it changed: the ratio history, and the evidence behind alerts."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="snapshots",
                            verbose_name=_("run"))
    account = models.ForeignKey("accounts.CreditAccount", on_delete=models.CASCADE, related_name="snapshots",
                                verbose_name=_("credit account"))
    taken_at = models.DateTimeField(_("taken at"))
    total_assets = models.DecimalField(_("total assets"), **MONEY)
    total_liabilities = models.DecimalField(_("total liabilities"), **MONEY)
    maintenance_ratio = models.DecimalField(_("maintenance ratio"), **RATIO, null=True, blank=True)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    stress_points = models.DecimalField(_("stress points"), max_digits=5, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("ratio snapshot")
        verbose_name_plural = _("ratio snapshots")
        ordering = ["account", "-taken_at"]
        indexes = [models.Index(fields=["account", "-taken_at", "-id"], name="snapshot_account_idx")]


class AccountRisk(models.Model):
    """The latest valuation of each account (what the next run compares against)."""

    account = models.OneToOneField("accounts.CreditAccount", on_delete=models.CASCADE, primary_key=True,
                                   related_name="risk", verbose_name=_("credit account"))
    snapshot = models.ForeignKey(RatioSnapshot, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("snapshot"))
    total_assets = models.DecimalField(_("total assets"), **MONEY)
    total_liabilities = models.DecimalField(_("total liabilities"), **MONEY)
    maintenance_ratio = models.DecimalField(_("maintenance ratio"), **RATIO, null=True, blank=True)
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
        OPEN = "open", _("Open")
        CLEARED = "cleared", _("Cleared")

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
