"""Every message to a client or member of staff, kept: the outbox (e-mail, SMS) and in-app notices,
the clients' channel preferences, and the texts (templates) per event and language."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from notifications.events import event_label
from servicedesk import formats


#: The length of a notice's subject (the SQL that writes notices for many rows cuts it to this).
SUBJECT_LENGTH = 200


class Notification(models.Model):
    """One message on one channel to one recipient: written in the transaction of the change that
    causes it, sent after commit by the task `notifications.send` (notifications/delivery.py).

    Delivery bookkeeping: `next_attempt_at` is when the row may be tried (quiet hours, retry
    backoff; empty: now); `queued_at` when a send task is due to run for it (published on commit,
    or a retry's countdown), so the resend task does not publish it again meanwhile; `claim_token`
    and `claimed_at` mark the one worker sending it now (a claim older than
    NOTIFICATION_CLAIM_TIMEOUT was abandoned by a dead worker and may be taken over)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")
        IN_APP = "in_app", _("In-app")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        GAVE_UP = "gave_up", _("Gave up")
        #: Sent, then returned by the recipient's mail system as undeliverable (an inbound bounce,
        #: notifications.bounces); `error` keeps what that mail system said.
        BOUNCED = "bounced", _("Bounced")

    # recipient_user and case: no index of their own; notification_inbox_idx and
    # notification_case_idx start with them.
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="notifications", verbose_name=_("recipient"), db_index=False)
    recipient_client = models.ForeignKey("accounts.ClientProfile", on_delete=models.PROTECT, null=True,
                                         blank=True, related_name="notifications", verbose_name=_("client"))
    address = models.CharField(_("address"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    event = models.CharField(_("event"), max_length=48)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="notifications", verbose_name=_("case"), db_index=False)
    language = models.CharField(_("language"), max_length=8, default="zh-hans")
    subject = models.CharField(_("subject"), max_length=SUBJECT_LENGTH, blank=True)
    body = models.TextField(_("text"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_id = models.CharField(_("provider id"), max_length=100, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claim"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient_user", "read_at"], name="notification_inbox_idx"),
            models.Index(fields=["status", "created_at"], name="notification_status_idx"),
            models.Index(fields=["case", "created_at"], name="notification_case_idx"),
            # What the resend task looks at: only the unfinished rows (a small part of the table).
            models.Index(fields=["next_attempt_at", "id"], name="notification_due_idx",
                         condition=models.Q(status__in=["pending", "failed"])),
        ]

    def __str__(self) -> str:
        return f"{capfirst(event_label(self.event))} · {self.get_channel_display()} · {formats.moment(self.created_at)}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SENT, self.Status.GAVE_UP, self.Status.BOUNCED)


class ClientPreference(models.Model):
    """Which channels a client wants notices on, and their quiet hours (Asia/Shanghai). Urgent
    notices (notifications.policy.URGENT_EVENTS: margin calls, close-out alerts, regulatory
    notices) ignore both. A client without a row gets the defaults: every channel, 22:00–08:00."""

    client = models.OneToOneField("accounts.ClientProfile", on_delete=models.CASCADE,
                                  related_name="notification_preference", verbose_name=_("client"))
    email_enabled = models.BooleanField(_("e-mail"), default=True)
    sms_enabled = models.BooleanField(_("SMS"), default=True)
    in_app_enabled = models.BooleanField(_("in-app"), default=True)
    quiet_hours_start = models.TimeField(_("quiet hours start"), default=datetime.time(22, 0))
    quiet_hours_end = models.TimeField(_("quiet hours end"), default=datetime.time(8, 0))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.client)

    def channel_enabled(self, channel: str) -> bool:
        return bool(getattr(self, f"{channel}_enabled", True))


class NotificationTemplate(models.Model):
    """The text of one event's notices in one language, for one channel or (blank) all of them.
    Django template syntax over a small, fixed context (notifications.rendering.CONTEXT_HELP):
    only this case's and this client's own fields, never internal notes."""

    event = models.CharField(_("event"), max_length=48)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    channel = models.CharField(_("channel"), max_length=8, choices=Notification.Channel.choices, blank=True,
                               help_text=_("Empty: every channel without a template of its own."))
    subject = models.CharField(_("subject"), max_length=200, blank=True,
                               help_text=_("E-mail subject and in-app title."))
    body = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        ordering = ["event", "language", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["event", "language", "channel"], name="notification_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.event} [{self.language}] {self.channel or '*'}"

    def clean(self):
        """The texts must compile, and the event be one notices are written for (a typo saved a
        template never used)."""
        from notifications.events import EVENT_LABELS
        from notifications.rendering import compile_errors

        errors = {field: [message] for field, message in compile_errors(self.subject, self.body).items()}
        if self.event and self.event not in EVENT_LABELS:
            errors["event"] = [_("Unknown event “%(event)s”: it is one of %(events)s.") % {
                "event": self.event, "events": ", ".join(EVENT_LABELS)}]
        if errors:
            raise ValidationError(errors)


class InboundEmail(models.Model):
    """One e-mail received (IMAP or `manage.py ingest_email`), kept with what became of it:
    threaded onto a case, a new ticket, held for a supervisor's review, a bounce of one of our e-mail
    notices (`notification`, marked bounced), or ignored (auto-replies, other bounces). The Message-ID
    is unique, so ingesting the same e-mail again changes nothing. Written by notifications.inbound;
    reviewed in notifications/inbound_admin.py."""

    class Status(models.TextChoices):
        THREADED = "threaded", _("Threaded onto a case")
        NEW_CASE = "new_case", _("New ticket")
        HELD = "held", _("Held for review")
        IGNORED_AUTO_REPLY = "ignored_auto_reply", _("Ignored: auto-reply")
        IGNORED_BOUNCE = "ignored_bounce", _("Ignored: bounce")
        #: A bounce of an e-mail notice we sent: the notice marked bounced (notifications.bounces).
        NOTICE_BOUNCED = "notice_bounced", _("Bounce of a notice we sent")
        #: What an ingest returns for a Message-ID already recorded (the row keeps its first status).
        DUPLICATE = "duplicate", _("Duplicate")
        DISCARDED = "discarded", _("Discarded after review")

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    source = models.CharField(_("source"), max_length=32, blank=True)
    from_address = models.CharField(pgettext_lazy("e-mail sender", "from"), max_length=254, blank=True, db_index=True)
    from_name = models.CharField(_("sender name"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    raw = models.FileField(_("original e-mail"), upload_to="inbound-email/%Y/%m/", max_length=255)
    body = models.TextField(_("text"), blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    case_number = models.CharField(
        _("case number referred to"), max_length=20, blank=True,
        help_text=_("The case the e-mail refers to (headers or subject); for a held e-mail, the case "
                    "“attach to case” puts it on."),
    )
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="inbound_emails", verbose_name=_("case"))
    case_message = models.ForeignKey("cases.CaseMessage", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("message"))
    client = models.ForeignKey(
        "accounts.ClientProfile", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("client"),
        help_text=_("The client the sender's address belongs to; for a held e-mail, the client "
                    "“create a ticket” opens it for."),
    )
    notification = models.ForeignKey(
        Notification, on_delete=models.PROTECT, null=True, blank=True, related_name="bounces",
        verbose_name=_("notice returned"),
        help_text=_("For a bounce: the e-mail notice we sent that it returns."),
    )
    reason = models.TextField(_("reason"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbound e-mail")
        verbose_name_plural = _("inbound e-mails")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="inboundemail_status_idx")]

    def __str__(self) -> str:
        return f"{self.from_address} {self.subject}"
