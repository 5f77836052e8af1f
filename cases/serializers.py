"""Input and output shapes of the cases API. Clients get a narrower output (no staff fields)."""

from decimal import Decimal

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.ratio import RATIO_MAX_DIGITS
from cases.attachments import MAX_FILES as MAX_ATTACHMENTS
from cases.attachments import validate_attachments
from cases.categories import EXTENSION
from cases.sla_status import ScheduleCache, shown_state, timer_status

from cases.models import Case, CaseEvent, CaseKind, CaseMessage, Channel, Priority, SlaTimer
from cases.models.workflows import client_state, state_label
from cases.services.transitions import event_comment_shown
from risk.models import Level, MarginCall
from servicedesk.api import unknown_fields


REMAINING_HELP = _("Business seconds left; negative when late; null when the calendar has no data for a year "
                   "it needs (unknown, never guessed).")


class SlaTimerSerializer(serializers.Serializer):
    """The shape of one SLA timer in a case (documents the schema; `sla_timer_data` fills it)."""

    # No enum of the metrics: the schema is public, and a client is never shown them (test_authz_sweep).
    metric = serializers.CharField()
    cycle = serializers.IntegerField()
    # `target` and `remaining_business_seconds` are the names the issue gives; the older
    # `target_seconds` and `remaining_seconds` stay, with the same values, for those reading them.
    target_seconds = serializers.IntegerField(help_text=_("Target in business seconds."))
    target = serializers.IntegerField(source="target_seconds", help_text=_("Target in business seconds."))
    calendar = serializers.CharField(source="calendar_code")
    state = serializers.ChoiceField(choices=SlaTimer.State.choices)
    due_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.IntegerField(allow_null=True, help_text=REMAINING_HELP)
    remaining_business_seconds = serializers.IntegerField(allow_null=True, help_text=REMAINING_HELP)
    breached = serializers.BooleanField()
    pause_reason = serializers.CharField()



_DATETIME = serializers.DateTimeField()


def sla_timer_data(timer, schedules: ScheduleCache, now) -> dict:
    """One timer as SlaTimerSerializer describes it, built directly: a case list shows two or
    three timers per row, and a serializer instance per row costs more than the rest of the row.
    A running timer whose calendar has no data for a year it needs has no remaining time (null),
    and is breached if the sweep said so or its due moment has passed (cases.sla_status.timer_status)."""
    status = timer_status(timer, schedules, now)
    state = shown_state(timer, status)
    return {
        "metric": timer.metric, "cycle": timer.cycle, "target_seconds": timer.target_seconds,
        "target": timer.target_seconds, "calendar": timer.calendar_code, "state": state,
        "due_at": _DATETIME.to_representation(timer.due_at) if timer.due_at else None,
        "remaining_seconds": status.remaining, "remaining_business_seconds": status.remaining,
        "breached": status.breached,
        "pause_reason": timer.pause_reason,
    }


class SnapshotBriefSerializer(serializers.Serializer):
    """A valuation of the account by the monitoring (its ratio history: `snapshot` in the case's events)."""

    snapshot = serializers.IntegerField(source="pk")
    maintenance_ratio = serializers.DecimalField(max_digits=RATIO_MAX_DIGITS, decimal_places=4, allow_null=True)
    level = serializers.ChoiceField(choices=Level.choices)
    taken_at = serializers.DateTimeField()


class MarginCallSerializer(serializers.Serializer):
    """A margin call's stage, deadline and the top-up that restores the restore-to line."""

    stage = serializers.ChoiceField(choices=MarginCall.Stage.choices)
    deadline = serializers.DateTimeField(allow_null=True)
    top_up_cash = serializers.DecimalField(max_digits=24, decimal_places=2)
    top_up_sell = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True)
    restore_to = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    notice_restore_to = serializers.DecimalField(
        max_digits=12, decimal_places=4, allow_null=True,
        help_text=_("The restore-to line the client's margin-call notice asked for (a line raised since "
                    "does not send a client who reached it to liquidation)."))
    maintenance_ratio = serializers.DecimalField(source="latest_snapshot.maintenance_ratio",
                                                 max_digits=RATIO_MAX_DIGITS, decimal_places=4, allow_null=True)
    level = serializers.ChoiceField(source="latest_snapshot.level", choices=Level.choices)
    valued_at = serializers.DateTimeField(source="latest_snapshot.taken_at")
    opened_by = SnapshotBriefSerializer(source="opened_snapshot", help_text=_("The valuation that opened the case."))
    restored_by = SnapshotBriefSerializer(source="restored_snapshot", allow_null=True,
                                          help_text=_("The valuation that restored the ratio and closed the case."))


class ContractChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    changed_at = serializers.DateTimeField()


class RequestDetailsSerializer(serializers.Serializer):
    """What an extension or relief request asks for, and what its approval changed."""

    requested_days = serializers.IntegerField(allow_null=True)
    requested_maturity = serializers.DateField(allow_null=True)
    staged_repayment = serializers.JSONField(allow_null=True)
    contract_changes = ContractChangeSerializer(many=True)


class CaseSerializer(serializers.ModelSerializer):
    """What staff see of a case."""

    sla = serializers.SerializerMethodField(help_text=_("Latest timer per SLA metric."))

    state_label = serializers.SerializerMethodField()
    client = serializers.CharField(source="client.client_no", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    client_tier = serializers.CharField(source="client.tier", read_only=True)
    credit_account = serializers.CharField(source="credit_account.account_no", read_only=True, allow_null=True,
                                           default=None)
    queue = serializers.CharField(source="queue.code", read_only=True, allow_null=True, default=None)
    assignee = serializers.CharField(source="assignee.username", read_only=True, allow_null=True, default=None)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True, allow_null=True,
                                        default=None)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True,
                                        default=None)

    class Meta:
        model = Case
        fields = [
            "number", "kind", "category", "subject", "description", "priority", "state", "state_label",
            "client", "client_name", "client_tier", "credit_account", "queue", "assignee", "channel",
            "created_by", "proposed_by", "proposed_outcome", "proposal", "approved_by", "created_at",
            "updated_at", "resolved_at", "closed_at", "escalated_at", "sla", "margin_call", "request_details",
        ]
        read_only_fields = fields

    margin_call = serializers.SerializerMethodField()
    request_details = serializers.SerializerMethodField()

    @extend_schema_field(RequestDetailsSerializer(allow_null=True))
    def get_request_details(self, case):
        if case.kind not in (CaseKind.EXTENSION, CaseKind.RELIEF):
            return None
        details = getattr(case, "request_details", None)
        return RequestDetailsSerializer({
            "requested_days": getattr(details, "requested_days", None),
            "requested_maturity": getattr(details, "requested_maturity", None),
            "staged_repayment": getattr(details, "staged_repayment", None),
            "contract_changes": case.contract_changes.order_by("changed_at", "id"),
        }).data

    @extend_schema_field(MarginCallSerializer(allow_null=True))
    def get_margin_call(self, case):
        details = getattr(case, "margin_call", None) if case.kind == CaseKind.MARGIN_CALL else None
        return MarginCallSerializer(details).data if details is not None else None

    @extend_schema_field(SlaTimerSerializer(many=True))
    def get_sla(self, case):
        latest = {}
        for timer in case.sla_timers.all():  # prefetched, ordered by metric and cycle
            latest[timer.metric] = timer
        schedules = self.context.setdefault("sla_schedules", ScheduleCache())
        now = self.context.setdefault("sla_now", timezone.now())
        return [sla_timer_data(timer, schedules, now) for timer in latest.values()]

    def get_state_label(self, case) -> str:
        return str(state_label(case.kind, case.state))


class ClientCaseSerializer(CaseSerializer):
    """What a client sees of their own case: no queue, assignee, internal proposal or SLA fields;
    a subject the system wrote (a margin call's) in the client's language (risk.subjects)."""

    proposal = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField()

    class Meta(CaseSerializer.Meta):
        fields = [
            "number", "kind", "category", "subject", "description", "priority", "state", "state_label",
            "credit_account", "channel", "proposal", "created_at", "updated_at", "resolved_at", "closed_at",
            "margin_call", "request_details",
        ]
        read_only_fields = fields

    def get_subject(self, case) -> str:
        from risk.subjects import case_subject

        return case_subject(case)

    def get_proposal(self, case) -> str:
        """A proposed resolution is shown to the client once a supervisor approved it."""
        return case.proposal if case.approved_by_id and case.kind == CaseKind.DISPUTE else ""

    def to_representation(self, case):
        data = super().to_representation(case)
        state = client_state(case)
        if state != case.state:  # a proposal still with the supervisor (cases.models.workflows.client_state)
            data["state"], data["state_label"] = state, str(state_label(case.kind, state))
        return data


LIST_EXCLUDED = ("description", "proposal", "proposed_outcome", "created_by", "proposed_by", "approved_by",
                 "margin_call", "request_details")


class CaseListSerializer(CaseSerializer):
    """A row of a case list: the detail less long texts and the maker-checker fields."""

    class Meta(CaseSerializer.Meta):
        fields = [name for name in CaseSerializer.Meta.fields if name not in LIST_EXCLUDED]
        read_only_fields = fields


#: CaseListSerializer's fields read from a related row, by the lookup that reads each; the others
#: but `state_label` and `sla` are the case's own columns.
LIST_ROW_LOOKUPS = {"client": "client__client_no", "client_name": "client__name", "client_tier": "client__tier",
                    "credit_account": "credit_account__account_no", "queue": "queue__code",
                    "assignee": "assignee__username"}
_COMPUTED = ("state_label", "sla")
LIST_ROW_FIELDS = [name for name in CaseListSerializer.Meta.fields if name not in _COMPUTED]
LIST_ROW_VALUES = [LIST_ROW_LOOKUPS.get(name, name) for name in LIST_ROW_FIELDS]
_LIST_DATETIMES = {name for name in LIST_ROW_FIELDS
                   if name not in LIST_ROW_LOOKUPS and isinstance(Case._meta.get_field(name), models.DateTimeField)}


def case_list_rows(rows: list[dict], timers: dict[int, dict]) -> list[dict]:
    """What CaseListSerializer gives for each case, from rows of LIST_ROW_VALUES and the id
    (cases.selectors.case_list_values) and each case's latest timers (selectors.latest_timers);
    tests/cases/test_case_list_rows.py holds the two equal."""
    now, schedules = timezone.now(), ScheduleCache()
    data = []
    for row in rows:
        item = {}
        for name, lookup in zip(LIST_ROW_FIELDS, LIST_ROW_VALUES):
            value = row[lookup]
            item[name] = (_DATETIME.to_representation(value) if value else None) if name in _LIST_DATETIMES else value
        item["state_label"] = str(state_label(row["kind"], row["state"]))
        item["sla"] = [sla_timer_data(timer, schedules, now) for timer in timers.get(row["id"], {}).values()]
        data.append({name: item[name] for name in CaseListSerializer.Meta.fields})
    return data


class ClientCaseListSerializer(ClientCaseSerializer):
    class Meta(ClientCaseSerializer.Meta):
        fields = [name for name in ClientCaseSerializer.Meta.fields if name not in LIST_EXCLUDED]
        read_only_fields = fields


class InstalmentSerializer(serializers.Serializer):
    due = serializers.DateField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, min_value=Decimal("0.01"))


class AttachmentsField(serializers.ListField):
    """Files sent with a new case or a message (multipart): checked by content, size and number as on
    the portal (cases.attachments: each renamed to its sanitised name, with its detected type)."""

    child = serializers.FileField()

    def __init__(self, **kwargs):
        super().__init__(required=False, default=list, max_length=MAX_ATTACHMENTS, **kwargs)

    def to_internal_value(self, data):
        return validate_attachments(super().to_internal_value(data))


#: What people may open (margin calls are the monitoring's) and through which channel (not "system");
#: named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] so the schema's enum names are stable.
NEW_CASE_KINDS = [c for c in CaseKind.choices if c[0] != CaseKind.MARGIN_CALL]
NEW_CASE_CHANNELS = [c for c in Channel.choices if c[0] != Channel.SYSTEM]


class CaseCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NEW_CASE_KINDS)
    category = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    credit_account = serializers.CharField(required=False, allow_null=True, default=None,
                                           help_text=_("Account number of the credit account concerned."))
    client = serializers.CharField(required=False, default=None, allow_null=True,
                                   help_text=_("Client number; staff only (clients open cases for themselves)."))
    channel = serializers.ChoiceField(choices=NEW_CASE_CHANNELS, required=False, default=None, allow_null=True)
    # What an extension or relief request asks for (cases.services.requests.request_create).
    requested_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1,
        help_text=_("Relief: how many more trading days to top up (empty: the firm's default)."))
    requested_maturity = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text=_("Extension: the new maturity asked for (empty: the full extension term)."))
    staged_repayment = InstalmentSerializer(many=True, required=False, allow_null=True, default=None,
                                            help_text=_("Relief: the instalments proposed."))
    attachments = AttachmentsField(help_text=_(
        "Files sent with the case (multipart): a client's go on their first message, as on the portal; staff's on "
        "an internal note."))

    def validate(self, attrs):
        """An extension is filed under "extension", as on the portal, whatever category was sent. Other kinds keep
        the category sent: the core system and the firm's other channels may use codes of their own (routed by the
        rules that name no category)."""
        if attrs.get("kind") == CaseKind.EXTENSION:
            attrs["category"] = EXTENSION
        return attrs


class CaseUpdateSerializer(serializers.Serializer):
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    queue = serializers.CharField(required=False, help_text=_("Queue code."))
    assignee = serializers.CharField(required=False, allow_null=True, help_text=_("Username, or null."))
    category = serializers.CharField(max_length=32, required=False, allow_blank=True)
    subject = serializers.CharField(max_length=200, required=False)

    def validate(self, attrs):
        """A field this edit does not change is an error, not silently dropped: the caller would
        believe it changed (the state above all, which moves only by a transition)."""
        unknown = unknown_fields(self)
        if unknown:
            raise serializers.ValidationError({
                name: [_("The state changes only by a step: POST /api/v1/cases/{number}/transitions/{name}/.")
                       if name == "state" else _("This field cannot be changed here.")]
                for name in unknown})
        return attrs


class TransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    target = serializers.CharField()
    comment_required = serializers.BooleanField(
        help_text=_("The web pages ask for a comment for this step (what is asked of the client, why, the "
                    "resolution); through the API the comment stays optional."))


class TransitionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10000)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="original_name")
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text=_("Download (same login; clients: public messages only)."))

    def get_url(self, attachment) -> str:
        return reverse("attachment-download", args=[attachment.pk])


class MessageSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = CaseMessage
        fields = ["id", "source", "visibility", "author", "body", "attachments", "created_at"]
        read_only_fields = fields

    def get_author(self, message) -> str | None:
        if message.author is None:
            return None
        if message.source == CaseMessage.Source.STAFF and self.context.get("client_view"):
            # A client reads who answered by name, never a staff login name (as the portal says it).
            return message.author.get_full_name() or str(_("Customer service"))
        return message.author.username


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="",
                                 help_text=_("The text; may be left out when files are attached (the message "
                                             "then says that files were attached)."))
    visibility = serializers.ChoiceField(choices=CaseMessage.Visibility.choices,
                                         default=CaseMessage.Visibility.PUBLIC)
    attachments = AttachmentsField()

    def validate(self, attrs):
        """A field a message does not have is refused, not dropped: a note sent as `"internal": true`
        would otherwise be published to the client."""
        unknown = unknown_fields(self)
        if unknown:
            raise serializers.ValidationError({name: [_(
                "A message has no such field: it has body, visibility (public, or internal for a note only "
                "staff see) and attachments.")] for name in unknown})
        if not attrs.get("body", "").strip() and not attrs.get("attachments"):
            raise serializers.ValidationError({"body": [_("Write a reply or attach a file.")]})
        return attrs


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = ["id", "kind", "name", "actor", "from_value", "to_value", "comment", "data", "created_at"]
        read_only_fields = fields

    def get_actor(self, event) -> str | None:
        return event.actor.username if event.actor else None

    def get_comment(self, event) -> str:
        return event_comment_shown(event)


class ClientEventSerializer(EventSerializer):
    """Clients see what happened and when, not who on the staff did it or internal comments."""

    class Meta(EventSerializer.Meta):
        fields = ["id", "kind", "name", "from_value", "to_value", "created_at"]
        read_only_fields = fields
