"""REST API v1 for the bell (the current user's in-app notices, marking them read) and a client's
own notification preferences."""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from accounts.models import ClientProfile
from notifications import policy, selectors, services
from notifications.serializers import InboxItemSerializer, InboxSerializer
from servicedesk.api import unknown_fields
from servicedesk.errors import NotFound


#: The largest notice id (a bigint): a larger `before` or `after` is no notice's.
MAX_NOTICE_ID = 2**63 - 1
NOTICE_ID = {"type": "integer", "minimum": 1, "maximum": MAX_NOTICE_ID}


class InboxQuery(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
    before = serializers.IntegerField(required=False, min_value=1, max_value=MAX_NOTICE_ID)
    after = serializers.IntegerField(required=False, min_value=1, max_value=MAX_NOTICE_ID)

    def validate(self, attrs):
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError({"after": [gettext_lazy(
                "Ask for the page before a notice or the page after one, not both.")]})
        return attrs


def _page_link(request, query: dict | None) -> str | None:
    """The absolute address of the page `query` asks for (selectors.InboxPage), with the request's
    other parameters (?unread=1) kept."""
    if query is None:
        return None
    url = remove_query_param(remove_query_param(request.build_absolute_uri(), "before"), "after")
    for name, value in query.items():
        url = replace_query_param(url, name, value)
    return url


class InboxApi(APIView):
    """GET: my in-app notices, newest first, 50 a page (`?unread=1` only the unread), and how many are
    unread. Paged by notice id like the web inbox: `next` is the older page (`?before=`), `previous`
    the newer one (`?after=`), so a notice arriving meanwhile repeats no row."""

    @extend_schema(responses=InboxSerializer, parameters=[
        OpenApiParameter("unread", bool, description="Only the unread notices."),
        OpenApiParameter("before", NOTICE_ID, description="The page of notices older than this notice id (as in "
                                                          "the `next` link); not with `after`."),
        OpenApiParameter("after", NOTICE_ID, description="The page of notices newer than this notice id (as in "
                                                         "the `previous` link); not with `before`."),
    ])
    def get(self, request):
        query = InboxQuery(data=request.query_params)
        query.is_valid(raise_exception=True)  # ?unread=maybe or ?before=x is a 400, not every notice unfiltered
        page = selectors.inbox_page(request.user, before=query.validated_data.get("before"),
                                    after=query.validated_data.get("after"),
                                    unread_only=bool(query.validated_data["unread"]))
        return Response({
            "unread_count": selectors.unread_count(request.user),
            "results": InboxItemSerializer(page.notices, many=True, context={}).data,
            "next": _page_link(request, page.older),
            "previous": _page_link(request, page.newer),
        })


class InboxReadApi(APIView):
    """POST: the user opened this notice (someone else's: 404)."""

    @extend_schema(request=None, responses=InboxItemSerializer)
    def post(self, request, pk: int):
        notification = services.notification_mark_read(user=request.user, notification_id=pk)
        return Response(InboxItemSerializer(notification, context={}).data)


class InboxReadAllApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        services.notifications_mark_all_read(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ShanghaiTimeField(serializers.TimeField):
    """A time of day in Asia/Shanghai (the quiet hours): one given with a UTC offset is refused, not read
    as local time (Django drops the offset: 23:00Z, 07:00 in Shanghai, was kept as 23:00)."""

    default_error_messages = {
        "offset": gettext_lazy("A time of day in Asia/Shanghai, without a UTC offset (e.g. 22:00)."),
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                given = datetime.time.fromisoformat(value)
            except ValueError:
                given = None  # the field's own error names the formats
            if given is not None and given.tzinfo is not None:
                self.fail("offset")
        return super().to_internal_value(value)


class PreferenceSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField(required=False)
    sms_enabled = serializers.BooleanField(required=False)
    in_app_enabled = serializers.BooleanField(required=False)
    quiet_hours_start = ShanghaiTimeField(required=False)
    quiet_hours_end = ShanghaiTimeField(required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, source="client.language",
                                       help_text=gettext_lazy("The language of the messages the client receives."))

    def validate(self, attrs):
        """A field the preferences do not have is refused, not dropped: `{"sms": false}` answered 200
        and the client went on receiving SMS, believing them turned off."""
        unknown = unknown_fields(self)
        if unknown:
            raise serializers.ValidationError({name: [gettext_lazy(
                "The preferences have no such field: they have email_enabled, sms_enabled, in_app_enabled, "
                "quiet_hours_start, quiet_hours_end and language.")] for name in unknown})
        return attrs


NOT_A_CLIENT = OpenApiResponse(OpenApiTypes.OBJECT, description="Your login is not linked to a client.")


class PreferenceApi(APIView):
    """A client's own channel preferences and quiet hours (Asia/Shanghai). Margin calls, close-out
    alerts and regulatory notices are sent whatever is chosen here."""

    def _client(self, request):
        client = ClientProfile.objects.filter(user=request.user).first()
        if client is None:
            raise NotFound(_("Your login is not linked to a client."))
        return client

    @extend_schema(responses={200: PreferenceSerializer, 404: NOT_A_CLIENT})
    def get(self, request):
        return Response(PreferenceSerializer(policy.preference_of(self._client(request).pk)).data)

    @extend_schema(request=PreferenceSerializer, responses={200: PreferenceSerializer, 404: NOT_A_CLIENT})
    def patch(self, request):
        client = self._client(request)
        serializer = PreferenceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        language = changes.pop("client", {}).get("language")
        preference = services.client_preference_update(client=client, language=language, **changes)
        return Response(PreferenceSerializer(preference).data)
