"""One case table for every kind; each kind's workflow is a proxy model (workflows.py)."""

import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField

from servicedesk import formats


class CaseKind(models.TextChoices):
    TICKET = "ticket", _("Service ticket")
    DISPUTE = "dispute", _("Dispute / complaint")
    EXTENSION = "extension", _("Extension request")
    RELIEF = "relief", _("Relief request")
    MARGIN_CALL = "margin_call", _("Margin call")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
#: Every workflow's states in which a case is still worked, sorted: cases.reports.OPEN_STATES,
#: written out for the index of open assigned cases (a test keeps the two the same; a new
#: workflow state needs a migration of that index).
WORKED_STATES = ("accepted", "acknowledged", "client_notified", "investigating", "liquidated",
                 "liquidation_pending", "new", "open", "received", "referred_to_mediation", "rejected_by_client",
                 "resolution_proposed", "return_visit", "submitted", "under_review", "waiting_on_client")
#: A margin call's states once it is over (cases.models.workflows.CLOSED_STATES), in the order the
#: one-open-call index states them: SQL that states "open" the same way is planned on that index.
MARGIN_CALL_CLOSED_STATES = ("restored", "closed")
#: A margin call's states in which its deadline still counts: no liquidation decided, not restored
#: (liquidated and return_visit show the deadline as history, without a countdown). A relief or a
#: trading day closed moves the deadline of a call in these states (one pending liquidation goes back
#: to the client with it).
MARGIN_CALL_DEADLINE_STATES = ("open", "client_notified", "liquidation_pending")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Client portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    CSRC_12386 = "12386", _("12386 transfer")
    SYSTEM = "system", _("System")


class Case(ConcurrentTransitionMixin, models.Model):
    """A ticket, dispute, request or margin call about one client (and maybe one credit account)."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=CaseKind.choices)
    category = models.CharField(_("category"), max_length=32, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    state = FSMField(_("state"), max_length=32, protected=True)
    # No index of their own for these four: case_client_idx, case_account_kind_idx,
    # case_queue_state_idx and case_assignee_state_idx start with them (a case is written with
    # each of its indexes: twenty were four too many).
    client = models.ForeignKey("accounts.ClientProfile", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("client"), db_index=False)
    credit_account = models.ForeignKey("accounts.CreditAccount", on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="cases", verbose_name=_("credit account"),
                                       db_index=False)
    queue = models.ForeignKey("accounts.Queue", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="cases", verbose_name=_("queue"), db_index=False)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="assigned_cases", verbose_name=_("assignee"), db_index=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.PORTAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="created_cases", verbose_name=_("created by"))
    # Maker-checker: who proposed the outcome waiting for approval, and who approved it.
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("proposed by"))
    proposed_outcome = models.CharField(_("proposed outcome"), max_length=16, blank=True)
    proposal = models.TextField(_("proposal"), blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+", verbose_name=_("approved by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True,
                                        help_text=_("When an SLA target was first breached."))

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-id"]
        permissions = [("approve_case", _("Can approve a proposal (four-eyes)"))]
        constraints = [
            # At most one open margin call per credit account, whatever runs at once.
            models.UniqueConstraint(
                fields=["credit_account"], name="case_one_open_margin_call",
                condition=models.Q(kind="margin_call") & ~models.Q(state__in=list(MARGIN_CALL_CLOSED_STATES)),
            ),
        ]
        indexes = [
            models.Index(fields=["queue", "state", "-id"], name="case_queue_state_idx"),
            models.Index(fields=["assignee", "state", "-id"], name="case_assignee_state_idx"),
            # The supervisor dashboard's workload: each agent's open cases, read from this index
            # alone (30 ms at a million cases, against 210 ms filtering the one above by state).
            models.Index(fields=["assignee", "id"], condition=Q(assignee__isnull=False, state__in=WORKED_STATES),
                         name="case_open_assignee_idx"),
            models.Index(fields=["client", "-id"], name="case_client_idx"),
            models.Index(fields=["kind", "state", "-id"], name="case_kind_state_idx"),
            models.Index(fields=["state", "-id"], name="case_state_idx"),
            models.Index(fields=["credit_account", "kind", "state"], name="case_account_kind_idx"),
            # The console's case list sorted by the latest change, and its unassigned cases by state.
            models.Index(fields=["-updated_at", "-id"], name="case_updated_idx"),
            models.Index(fields=["state", "-id"], condition=models.Q(assignee__isnull=True),
                         name="case_unassigned_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    def as_workflow(self) -> "Case":
        """This case as its kind's workflow (a proxy model carrying the transitions)."""
        from cases.models.workflows import WORKFLOWS

        workflow_class = WORKFLOWS[self.kind]
        if not isinstance(self, workflow_class):
            self.__class__ = workflow_class
        return self

    @property
    def proposal_key(self) -> str:
        """The proposal waiting for a checker (who proposed, the outcome, the text) in a few characters:
        a decision taken on a page drawn before the proposal was returned and replaced is stale, though
        the state is the same again."""
        proposal = f"{self.proposed_by_id or ''}\n{self.proposed_outcome}\n{self.proposal}"
        return salted_hmac("cases.Case.proposal_key", proposal).hexdigest()[:16]

    def proposal_replaced(self, drawn_key: str | None) -> bool:
        """A page that showed the proposal `drawn_key` (its proposal_key; none sent: not checked) showed
        one that is no longer the case's."""
        return bool(drawn_key) and drawn_key != self.proposal_key


class CaseNumberSequence(models.Model):
    """The last case number handed out in a year (CS-2026-000123)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("case number sequence")
        verbose_name_plural = _("case number sequences")


class CaseMessage(models.Model):
    """A public reply (the client sees it) or an internal note (staff only)."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    class Source(models.TextChoices):
        CLIENT = "client", _("Client")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("System")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages", verbose_name=_("case"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("author"))
    source = models.CharField(_("from"), max_length=8, choices=Source.choices)
    visibility = models.CharField(_("visibility"), max_length=8, choices=Visibility.choices,
                                  default=Visibility.PUBLIC)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    #: The key its author sent it under (the API's Idempotency-Key, a reply form's own; "": none), and a
    #: hash of what was sent: the same key again gives back this message (cases.services.messages).
    submission_key = models.CharField(_("key"), max_length=200, blank=True, default="")
    submission_fingerprint = models.CharField(_("fingerprint"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at"])]
        constraints = [models.UniqueConstraint(fields=["author", "submission_key"], condition=~Q(submission_key=""),
                                               name="case_message_once_per_key")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_visibility_display()} {formats.moment(self.created_at)}"

    @property
    def is_internal(self) -> bool:
        return self.visibility == self.Visibility.INTERNAL


def attachment_path(instance: "Attachment", filename: str) -> str:
    _stem, extension = os.path.splitext(filename)
    return f"attachments/{instance.message.case.number}/{uuid.uuid4().hex}{extension.lower()[:10]}"


class Attachment(models.Model):
    message = models.ForeignKey(CaseMessage, on_delete=models.PROTECT, related_name="attachments",
                                verbose_name=_("message"))
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    TRANSITION = "transition", _("State change")
    APPROVAL = "approval", _("Approval")
    ASSIGNMENT = "assignment", _("Assignment")
    QUEUE = "queue", _("Queue change")
    PRIORITY = "priority", _("Priority change")
    UPDATE = "update", _("Field change")
    MESSAGE = "message", _("Message")
    ESCALATION = "escalation", _("Escalation")
    SLA = "sla", _("SLA policy")
    NOTIFICATION = "notification", _("Notification")


class CaseEvent(models.Model):
    """The case's audit trail: append-only (on PostgreSQL a trigger refuses UPDATE and DELETE)."""

    # No index of its own: caseevent_case_idx (case, created_at, id) serves lookups by case. The
    # key is kept from the cases' side (cases.event_keys), not checked per event: the check was
    # 0.9-1.2 s of an SLA sweep writing 75,000 warning events.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("case"),
                             db_index=False, db_constraint=False)
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("by"))
    name = models.CharField(_("action"), max_length=48, blank=True)
    from_value = models.CharField(pgettext_lazy("value before a change", "from"), max_length=100, blank=True)
    to_value = models.CharField(_("to"), max_length=100, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    is_internal = models.BooleanField(_("internal"), default=False)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "created_at", "id"], name="caseevent_case_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_kind_display()} {formats.moment(self.created_at)}"
