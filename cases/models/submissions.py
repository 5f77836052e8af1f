from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseSubmission(models.Model):
    """A case opened under a key its sender chose (the API's Idempotency-Key header, the portal
    form's own): the same key again from the same user gives back this case instead of a second
    one (cases.services.submissions). Kept as long as the case."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    key = models.CharField(_("key"), max_length=200)
    #: What was sent under the key (a hash): the key used again for something else is a conflict.
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case submission")
        verbose_name_plural = _("case submissions")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="case_submission_once_per_key")]

    def __str__(self) -> str:
        return f"{self.key} → {self.case_id}"
