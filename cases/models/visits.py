"""Return visits (回访): a call to the client after a resolved dispute, after a liquidation, and
every quarter for high-net-worth clients; an agent records how it went."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReturnVisit(models.Model):
    class Reason(models.TextChoices):
        DISPUTE_RESOLVED = "dispute_resolved", _("Dispute resolved")
        LIQUIDATION = "liquidation", _("Liquidation")
        HNW_QUARTERLY = "hnw_quarterly", _("Quarterly visit (high net worth)")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        MISSED = "missed", _("Client not reached")

    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.PROTECT, related_name="return_visits",
                               verbose_name=_("client"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="return_visits", verbose_name=_("case"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    due_date = models.DateField(_("due date"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="return_visits", verbose_name=_("assigned to"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.SCHEDULED)
    outcome = models.TextField(_("outcome"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("done by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["due_date", "id"]
        constraints = [
            # One visit per case and reason, and one quarterly visit per client and quarter, however
            # often the follow-ups and the quarterly task run.
            models.UniqueConstraint(fields=["case", "reason"], condition=Q(case__isnull=False),
                                    name="return_visit_once_per_case"),
            models.UniqueConstraint(fields=["client", "reason", "due_date"], condition=Q(case__isnull=True),
                                    name="return_visit_once_per_period"),
        ]
        indexes = [
            models.Index(fields=["state", "due_date"], name="return_visit_due_idx"),
            models.Index(fields=["assigned_to", "state", "due_date"], name="return_visit_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.get_reason_display()} {self.due_date}"

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.SCHEDULED and self.due_date < timezone.localdate()
