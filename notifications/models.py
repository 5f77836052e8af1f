"""Every message to a client or member of staff, kept: the outbox (e-mail, SMS) and in-app notices."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        IN_APP = "in_app", _("In-app")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        GAVE_UP = "gave_up", _("Gave up")

    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="notifications", verbose_name=_("recipient"))
    recipient_client = models.ForeignKey("accounts.ClientProfile", on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="notifications", verbose_name=_("client"))
    address = models.CharField(_("address"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=48)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="notifications", verbose_name=_("case"))
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider id"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient_user", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["status", "created_at"], name="notification_status_idx"),
            models.Index(fields=["case", "created_at"], name="notification_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.event} → {self.recipient_user_id or self.recipient_client_id}"
