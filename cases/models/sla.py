"""SLA policies (kind × priority × tier, first match wins), their metric targets in business
time on a named calendar, and the timers that run per case and metric."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Tier
from cases.models.calendar import BusinessCalendar
from cases.models.case import Case, CaseKind, Priority
from servicedesk.constraints import CoveredUniqueConstraint
from servicedesk.formats import business_time
from servicedesk.i18n import BilingualNameMixin


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    RESOLUTION = "resolution", _("Resolution")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    REGULATORY_ACK = "regulatory_ack", _("Regulatory acknowledgement")
    REGULATORY_FINAL = "regulatory_final", _("Regulatory final response")


REGULATORY_METRICS = (Metric.REGULATORY_ACK, Metric.REGULATORY_FINAL)
ESCALATION_LEVELS = (50, 75, 100)

#: Bounds of a metric's target. At most 1,000 business hours (125 working days of 8 hours): far
#: beyond any service or regulatory deadline (the longest shipped is 15 working days), and short
#: enough that a clock started on any day ends within the years the calendars keep (this year and
#: next, seeded daily; a year holds about 240 working days of 8 hours or trading days of 6), where a
#: deadline in a year without data would refuse every case under the policy. The timers hold it in
#: whole seconds in an integer column (SlaTimer.target_seconds), far within range. Under a minute no
#: one could answer in time.
SHORTEST_TARGET = datetime.timedelta(minutes=1)
LONGEST_TARGET = datetime.timedelta(hours=1000)


def validate_target(value: datetime.timedelta) -> None:
    if value < SHORTEST_TARGET:
        raise ValidationError(_("A target must be at least one minute of business time."), code="min_value")
    if value > LONGEST_TARGET:
        raise ValidationError(_("A target must be at most 1,000 business hours (125 working days of 8 hours)."),
                              code="max_value")


def validate_premium_tier_factor(value: Decimal) -> None:
    """Premium targets are the targets times this (cases.services.sla.targets_for): shorter or the
    same, never near zero (every clock due at once: a one-minute target times 0.01 is no time at
    all) nor longer than everyone else's."""
    if not Decimal("0.1") <= value <= Decimal(1):
        raise ValidationError(_("The factor must be between 0.1 and 1: it shortens the targets of vip and "
                                "hnw clients."), code="out_of_range")


class SlaPolicy(BilingualNameMixin, models.Model):
    position = models.PositiveIntegerField(pgettext_lazy("sort order", "position"), default=100)
    name = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("case kind"), max_length=16, choices=CaseKind.choices, blank=True,
                            help_text=_("Empty: any kind."))
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, blank=True,
                                help_text=_("Empty: any priority."))
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, blank=True,
                            help_text=_("Empty: any tier."))
    premium_tier_factor = models.DecimalField(
        _("factor for vip and hnw clients"), max_digits=4, decimal_places=2, default="0.50",
        validators=[validate_premium_tier_factor],
        help_text=_("Targets that scale with the tier are multiplied by this for vip and hnw clients."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "id"]

    def clean(self):
        """Margin calls run on their deadline (T+2, risk.deadlines), never on SLA timers: a policy
        for them would match none of the cases it names."""
        super().clean()
        from cases.sla_engine import SLA_KINDS

        if self.kind and self.kind not in SLA_KINDS:
            raise ValidationError({"kind": _(
                "Margin calls get no SLA timers (they run on their own deadline): a policy for them would do "
                "nothing. Choose another kind.")})


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets",
                               verbose_name=_("policy"))
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    target = models.DurationField(_("target (business time)"), validators=[validate_target])
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT, verbose_name=_("calendar"))
    pausable = models.BooleanField(_("paused while waiting on the client"), default=True, help_text=_(
        "Never for first response and the regulatory metrics, whatever this box says."))
    scales_with_tier = models.BooleanField(_("shorter for vip and hnw"), default=True, help_text=_(
        "Never for the regulatory metrics, whatever this box says."))

    class Meta:
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "metric"], name="sla_target_unique_metric")]

    def __str__(self) -> str:
        """"Resolution: 24h 00m": business hours, as the console shows targets (timedelta's own text,
        "1 day, 0:00:00", read as a calendar day where it is three working days of 8 hours)."""
        return f"{self.get_metric_display()}: {business_time(self.target.total_seconds())}"

    def clean(self):
        """The regulatory deadlines are counted in working days, whatever calendar the others use."""
        if (self.metric in REGULATORY_METRICS and self.calendar_id is not None
                and self.calendar.code != BusinessCalendar.WORKING):
            raise ValidationError({"calendar": _(
                "The regulatory deadlines are counted in working days: choose the working-day calendar.")})


class SlaTimer(models.Model):
    """One metric's clock on one case (next_response and periodic_update run in cycles)."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")
        #: Stopped in time by the case being cancelled (the client withdrew it): neither met nor
        #: breached, left out of compliance (a breach before the cancellation stays a breach).
        CANCELLED = "cancelled", _("Cancelled")

    # No index of its own: the unique (case, metric, cycle) serves lookups by case.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sla_timers", verbose_name=_("case"),
                             db_index=False)
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    cycle = models.PositiveIntegerField(_("cycle"), default=1)
    calendar_code = models.CharField(_("calendar"), max_length=16)
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    pausable = models.BooleanField(_("pausable"), default=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    breached = models.BooleanField(_("breached"), default=False)
    started_at = models.DateTimeField(_("started at"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(_("elapsed business seconds"), default=0,
                                                  help_text=_("Up to the start of the current running stretch."))
    resumed_at = models.DateTimeField(_("running since"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=32, blank=True)
    pauses = models.JSONField(_("paused intervals"), default=list, blank=True,
                              help_text=_("[paused at, resumed at or null, reason], ISO 8601."))
    warn_50_at = models.DateTimeField(_("50% at"), null=True, blank=True)
    warn_75_at = models.DateTimeField(_("75% at"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    fired_level = models.PositiveSmallIntegerField(_("last warning fired (%)"), default=0)
    next_alert_at = models.DateTimeField(_("next warning at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA timer")
        verbose_name_plural = _("SLA timers")
        ordering = ["case", "metric", "cycle"]
        constraints = [
            models.UniqueConstraint(fields=["case", "metric", "cycle"], name="sla_timer_unique_cycle"),
            # It also carries what the dashboard's workload asks of a running clock (PostgreSQL
            # reads those from the index alone: 60 ms, against 290 ms reading 31,000 pages of timers);
            # SQLite cannot carry them and gets the uniqueness alone (Django would drop it there).
            CoveredUniqueConstraint(fields=["case", "metric"], condition=Q(stopped_at__isnull=True),
                                    include=["breached", "state", "warn_75_at"],
                                    name="sla_timer_one_active_per_metric"),
        ]
        indexes = [
            models.Index(fields=["next_alert_at"], condition=Q(next_alert_at__isnull=False),
                         name="sla_timer_next_alert_idx"),
            models.Index(fields=["state", "due_at"], name="sla_timer_state_due_idx"),
            # The report's breach list: the latest breaches first, without reading every timer.
            models.Index(fields=["-due_at", "-id"], condition=Q(breached=True), name="sla_timer_breach_idx"),
            # The console's case list by SLA urgency: the running timers by deadline, nothing else.
            models.Index(fields=["due_at", "case"], condition=Q(stopped_at__isnull=True, due_at__isnull=False),
                         name="sla_timer_running_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_metric_display()} #{self.cycle} {self.get_state_display()}"


class SlaEscalation(models.Model):
    """One warning level fired for one timer: exactly once (unique), whatever sweeps run."""

    # No index of its own: the unique (timer, level) serves lookups by timer. No key check in the
    # database either: the one writer is the sweep, from the timer it holds locked in the same
    # statement, and a timer is deleted only through the ORM, which deletes its escalations first.
    # The check (a lookup and a lock per fired level) cost 375 ms of a 75,000-level backlog.
    timer = models.ForeignKey(SlaTimer, on_delete=models.CASCADE, related_name="escalations", db_index=False,
                              db_constraint=False, verbose_name=_("timer"))
    # The timer's case, copied by the sweep in the statement that reads the timer (for the notices
    # and the case's list): no key check of its own. The timer's key is checked, and the check of
    # this one (a lookup and a share lock on the case per fired level) was a third of the time of
    # recording a backlog of 75,000 levels.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sla_escalations", db_constraint=False,
                             verbose_name=_("case"))
    level = models.PositiveSmallIntegerField(_("level (%)"))
    fired_at = models.DateTimeField(_("fired at"))
    sweep = models.CharField(_("sweep"), max_length=32, blank=True,
                             help_text=_("The sweep run that fired it (tells each sweep its own rows)."))
    notified_at = models.DateTimeField(_("people told at"), null=True, blank=True,
                                       help_text=_("Set when the notices of this warning were written (once)."))

    class Meta:
        verbose_name = _("SLA escalation")
        verbose_name_plural = _("SLA escalations")
        constraints = [models.UniqueConstraint(fields=["timer", "level"], name="sla_escalation_once_per_level")]
        indexes = [models.Index(fields=["fired_at"], condition=Q(notified_at__isnull=True),
                                name="sla_escalation_unnotified_idx")]
