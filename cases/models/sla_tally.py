"""The SLA report's running tally (PostgreSQL only): the timers' met, breached and running counts
per report group, metric and the local day their cases were opened, kept by triggers on the
timers, the cases and the clients (cases/sla_tally.py). The report sums a few thousand tally rows
instead of reading every timer of a million cases.

Writers only ever append changes (SlaTallyChange): two transactions never wait on the same
row. A periodic job folds the committed changes into SlaTally (by day) and SlaTallyMonth, one
row per key; the report reads them and the changes, in one statement, so it is exact before and
after the fold."""

from django.db import models
from django.utils.translation import gettext_lazy as _

#: The report's groups kept in the tally ("" is all cases as one group).
DIMENSIONS = ("", "queue", "assignee", "kind", "tier", "priority")


class TallyFields(models.Model):
    """A tally key and its counts. `value` is the group's value as text (a queue's or user's id,
    a kind, tier or priority code), "" for none; `day` the case's opening day in Asia/Shanghai;
    `timers` how many timers the key holds, and of them how many are met, breached, running."""

    dimension = models.CharField(_("report group"), max_length=16, blank=True)
    value = models.CharField(_("group value"), max_length=32, blank=True)
    day = models.DateField(_("cases opened on"))
    metric = models.CharField(_("metric"), max_length=20)
    timers = models.BigIntegerField(_("timers"), default=0)
    met = models.BigIntegerField(_("met"), default=0)
    breached = models.BigIntegerField(_("breached"), default=0)
    running = models.BigIntegerField(_("running"), default=0)

    class Meta:
        abstract = True
        required_db_vendor = "postgresql"


class SlaTally(TallyFields):
    """The folded counts: one row per key."""

    class Meta(TallyFields.Meta):
        verbose_name = _("SLA report tally")
        verbose_name_plural = _("SLA report tallies")
        constraints = [models.UniqueConstraint(fields=["dimension", "value", "day", "metric"],
                                               name="sla_tally_unique_key")]


class SlaTallyMonth(TallyFields):
    """The folded counts by month (`day` is the month's first): a range's whole months are read
    here, a twentieth of the rows of their days (the assignee group has a row per agent, day and
    metric)."""

    class Meta(TallyFields.Meta):
        verbose_name = _("SLA report tally by month")
        verbose_name_plural = _("SLA report tallies by month")
        constraints = [models.UniqueConstraint(fields=["dimension", "value", "day", "metric"],
                                               name="sla_tally_month_unique_key")]


class SlaTallyChange(TallyFields):
    """A change appended by a trigger, not yet folded into SlaTally and SlaTallyMonth."""

    class Meta(TallyFields.Meta):
        verbose_name = _("SLA report tally change")
        verbose_name_plural = _("SLA report tally changes")
        # No index: folded every minute, the table stays small, and each index entry would cost
        # the writers (a sweep appends some 45,000 changes at a million cases).
