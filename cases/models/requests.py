"""What a request asks for, and the contract changes approved requests made."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RequestDetails(models.Model):
    """The particulars of an extension or relief request, given when it is submitted."""

    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, primary_key=True,
                                related_name="request_details", verbose_name=_("case"))
    requested_days = models.PositiveSmallIntegerField(
        _("trading days asked for"), null=True, blank=True,
        help_text=_("Relief: how many more trading days to top up (empty: the firm's default)."))
    requested_maturity = models.DateField(
        _("maturity asked for"), null=True, blank=True,
        help_text=_("Extension: the new maturity asked for (empty: the full extension term)."))
    staged_repayment = models.JSONField(
        _("staged repayment plan"), null=True, blank=True,
        help_text=_("Relief: the instalments proposed, as a list of {\"due\": date, \"amount\": amount}."))

    class Meta:
        verbose_name = _("request details")
        verbose_name_plural = _("request details")

    def __str__(self) -> str:
        return str(self.case_id)


class ContractChange(models.Model):
    """A change to a credit account's contract made by an approved request: the audit record of
    what changed, from what, to what, and which request (and whose approval) did it."""

    account = models.ForeignKey("accounts.CreditAccount", on_delete=models.PROTECT, related_name="contract_changes",
                                verbose_name=_("credit account"))
    field = models.CharField(_("field"), max_length=32)
    old_value = models.CharField(pgettext_lazy("value before a change", "from"), max_length=100)
    new_value = models.CharField(_("to"), max_length=100)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="contract_changes",
                             verbose_name=_("request"))
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("approved by"))
    changed_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contract change")
        verbose_name_plural = _("contract changes")
        ordering = ["account", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.field} {self.old_value}→{self.new_value}"
