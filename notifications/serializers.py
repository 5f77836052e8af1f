"""Output shapes of notices: the bell (in-app inbox) and a case's messages (staff and client views)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from notifications.models import Notification


def notice_text(notification: Notification, context: dict) -> tuple[str, str]:
    """Subject and text; rows written set-based without text (SLA warnings) are rendered now, in
    the recipient's language, with the templates looked up once per response."""
    if notification.subject or notification.body:
        return notification.subject, notification.body
    from notifications.rendering import render

    cache = context.setdefault("rendered", {})
    key = notification.pk
    if key not in cache:
        cache[key] = render(event=notification.event, language=notification.language,
                            channel=notification.channel, case=notification.case,
                            client=notification.recipient_client if notification.recipient_client_id else None,
                            data=notification.data, templates=context.setdefault("templates", {}))
    return cache[key]


class InboxItemSerializer(serializers.ModelSerializer):
    case = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)  # null: no case
    subject = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "case", "subject", "body", "created_at", "read_at", "unread"]
        read_only_fields = fields

    def get_subject(self, obj) -> str:
        return notice_text(obj, self.context)[0]

    def get_body(self, obj) -> str:
        return notice_text(obj, self.context)[1]

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class InboxSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()
    results = InboxItemSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text=_("The older page (?before=), null on the oldest."))
    previous = serializers.URLField(allow_null=True, help_text=_("The newer page (?after=), null on the newest."))


class CaseNotificationSerializer(serializers.ModelSerializer):
    """Staff view: who, what, when, on which channel, and how delivery went (a rating link without
    its token: cases.services.ratings.rating_link_hidden)."""

    #: Staff read the client's rating link without its token.
    hides_rating_link = True

    recipient = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField()
    body = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "event", "channel", "recipient", "address", "language", "subject", "body", "status",
                  "attempts", "provider_id", "error", "created_at", "sent_at", "read_at", "next_attempt_at"]
        read_only_fields = fields

    def get_recipient(self, obj) -> str:
        if obj.recipient_client_id is not None:
            return f"{obj.recipient_client.client_no} {obj.recipient_client.name}"
        return obj.recipient_user.get_username() if obj.recipient_user_id else ""

    def get_subject(self, obj) -> str:
        return self._shown(obj, notice_text(obj, self.context)[0])

    def get_body(self, obj) -> str:
        return self._shown(obj, notice_text(obj, self.context)[1])

    def _shown(self, obj, text: str) -> str:
        if not self.hides_rating_link:
            return text
        from cases.services.ratings import rating_link_hidden

        return rating_link_hidden(text, obj.data)

    def get_address(self, obj) -> str:
        if obj.channel != Notification.Channel.SMS or not obj.address:
            return obj.address
        from accounts.selectors import mask_phone, sees_personal_data

        user = self.context.get("user")
        client = obj.recipient_client
        if user is not None and client is not None and sees_personal_data(user, client):
            return obj.address
        return mask_phone(obj.address)


class ClientCaseNotificationSerializer(CaseNotificationSerializer):
    """What a client sees of the notices sent to them: no delivery internals (provider, error)."""

    hides_rating_link = False  # their own link, to rate the case

    class Meta(CaseNotificationSerializer.Meta):
        fields = ["id", "event", "channel", "address", "subject", "body", "status", "created_at", "sent_at",
                  "read_at"]
        read_only_fields = fields
