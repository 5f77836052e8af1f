"""REST API v1 for cases: thin views over selectors (reads) and services (writes)."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import ClientProfile, CreditAccount, Queue, User
from accounts.roles import Role
from cases import selectors, services
from cases.filters import CaseFilter
from cases.models import Case
from cases.serializers import (
    LIST_ROW_VALUES,
    CaseCreateSerializer,
    CaseListSerializer,
    CaseSerializer,
    CaseUpdateSerializer,
    ClientCaseListSerializer,
    ClientCaseSerializer,
    ClientEventSerializer,
    EventSerializer,
    MessageInputSerializer,
    MessageSerializer,
    TransitionInputSerializer,
    TransitionSerializer,
    case_list_rows,
)
from cases.services.portal import case_submit
from cases.services.submissions import submitted_once
from notifications.selectors import case_notifications
from notifications.serializers import CaseNotificationSerializer, ClientCaseNotificationSerializer
from servicedesk.errors import NotAllowed, ValidationFailed
from servicedesk.pagination import CheckedCursorPagination

ERROR = inline_serializer("Error", fields={"detail": drf_serializers.CharField(),
                                           "code": drf_serializers.CharField()})


def _calendar() -> dict:
    """A deadline where a business calendar has no data: its `calendar` and `year` (cases.calendars)."""
    return {"calendar": drf_serializers.CharField(required=False), "year": drf_serializers.IntegerField(required=False)}


#: What a 409 adds to `detail` and `code`, as its code calls for (servicedesk.api.exception_handler): a step
#: refused names the case's `state` and the `allowed` steps (a change made meanwhile, at most the state); a
#: request still open, that `case`; a calendar with no data, the calendar and year.
CONFLICT = inline_serializer("TransitionConflict", fields={
    "detail": drf_serializers.CharField(), "code": drf_serializers.CharField(),
    "state": drf_serializers.CharField(required=False),
    "allowed": drf_serializers.ListField(child=drf_serializers.CharField(), required=False), **_calendar(),
})
CREATE_CONFLICT = inline_serializer("CaseCreateConflict", fields={
    "detail": drf_serializers.CharField(), "code": drf_serializers.CharField(),
    "case": drf_serializers.CharField(required=False), **_calendar(),
})
#: A message's 409: a case the client may no longer reply to, an Idempotency-Key used for another message, a
#: client's reply whose resumed clock reached a year with no calendar data.
MESSAGE_CONFLICT = inline_serializer("MessageConflict", fields={
    "detail": drf_serializers.CharField(), "code": drf_serializers.CharField(), **_calendar(),
})


class CasePagination(CheckedCursorPagination):
    """Cursor pages stay fast at millions of cases: no COUNT, no OFFSET."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"


#: A case's own lists (messages, events, notices, transitions) come whole: no page, no list filters.
WHOLE_LIST = {"pagination_class": None, "filter_backends": []}
#: The request header naming a case submission (cases.services.submissions) or a message
#: (cases.services.messages), and its longest value.
IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 100
#: The response header saying that an earlier call with the same key opened the case, or sent the message, returned.
REPLAYED = "Idempotent-Replayed"


def _idempotency_key(request, invalid: str) -> str:
    """The request's Idempotency-Key ("": none); a 400 (`invalid`, the field error under the header's name)
    for one too long or with characters that do not print."""
    key = request.headers.get(IDEMPOTENCY_KEY, "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise ValidationFailed(invalid, extra={IDEMPOTENCY_KEY: [
            _("At most %(limit)d printable characters.") % {"limit": IDEMPOTENCY_KEY_MAX}]})
    return key


def _key_parameters(what: str, sent: str, replay: str) -> list[OpenApiParameter]:
    """The Idempotency-Key request header and the Idempotent-Replayed answer, documented alike for each call
    that takes them."""
    return [
        OpenApiParameter(IDEMPOTENCY_KEY, str, OpenApiParameter.HEADER, required=False, description=(
            f"Any text up to {IDEMPOTENCY_KEY_MAX} characters naming this {what}: sent again with the same key "
            f"and content, the {sent} is returned (201, header Idempotent-Replayed: true) instead of a second "
            "one; the same key with other content is a 409.")),
        OpenApiParameter(REPLAYED, str, OpenApiParameter.HEADER, response=[201], enum=["true"],
                         description=f"Present when an earlier call with the same Idempotency-Key {replay}, "
                                     "not a new one."),
    ]


def is_client_view(user: User) -> bool:
    return not selectors.is_staff_reader(user)


class CaseViewSet(viewsets.GenericViewSet):
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9-]+"
    filterset_class = CaseFilter
    pagination_class = CasePagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        # The list's queue filter lets the scope narrow too (selectors.case_scope_q). A code with a NUL
        # byte narrows nothing (PostgreSQL refuses it in a query): the filter itself answers 400.
        queue_code = self.request.query_params.get("queue") or None
        if queue_code is not None and "\x00" in queue_code:
            queue_code = None
        return selectors.case_list(self.request.user, queue_code=queue_code)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False) or not is_client_view(self.request.user):
            return CaseSerializer
        return ClientCaseSerializer

    def get_object(self) -> Case:
        try:
            return selectors.case_get(self.request.user, self.kwargs["number"])
        except Case.DoesNotExist:
            raise Http404 from None

    @extend_schema(responses=CaseListSerializer(many=True))
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        if is_client_view(request.user):  # with each margin call's stage, for its subject (risk.subjects)
            page = self.paginate_queryset(queryset.select_related("margin_call").only(
                *selectors.LIST_COLUMNS, "margin_call__stage"))
            return self.get_paginated_response(
                ClientCaseListSerializer(page, many=True, context=self.get_serializer_context()).data)
        # Staff rows are built from values, as CaseListSerializer would give them (case_list_rows).
        page = self.paginate_queryset(selectors.case_list_values(queryset, LIST_ROW_VALUES))
        timers = selectors.latest_timers([row["id"] for row in page])
        return self.get_paginated_response(case_list_rows(page, timers))

    @extend_schema(responses=CaseSerializer)
    def retrieve(self, request, number=None):
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer, 403: ERROR, 409: CREATE_CONFLICT},
                   parameters=_key_parameters("submission", "case it opened",
                                              "opened the case: this is that case"))
    def create(self, request):
        key = _idempotency_key(request, _("Invalid case."))
        if not is_client_view(request.user) and not request.user.has_perm("cases.add_case"):
            # a read-only role (the auditor) is refused whatever it sends: 403, not the body's 400
            raise NotAllowed(_("Your role may not open cases."))
        data = _validated(CaseCreateSerializer, request.data)
        case, replayed = submitted_once(user=request.user, key=f"api:{key}" if key else "", content=data,
                                        create=lambda: self._create(request.user, data))
        case = selectors.case_after_write(request.user, case.number)
        return Response(self.get_serializer(case).data, status=status.HTTP_201_CREATED,
                        headers={REPLAYED: "true"} if replayed else None)

    def _create(self, user, data) -> Case:
        if is_client_view(user):
            client = ClientProfile.objects.filter(user=user).first()
            if client is None or not user.has_role(Role.CLIENT):
                raise NotAllowed(_("Your login is not linked to a client."))
        else:  # a staff role that may open cases (create refused the others before the body was read)
            if not data["client"]:
                raise ValidationFailed(_("Invalid case."), extra={"client": [_("This field is required.")]})
            client = ClientProfile.objects.filter(client_no=data["client"]).first()
            if client is None:
                raise ValidationFailed(_("Invalid case."), extra={"client": [_("Unknown client.")]})
        account = None
        if data["credit_account"]:
            account = CreditAccount.objects.filter(account_no=data["credit_account"], client=client).first()
            if account is None:
                raise ValidationFailed(_("Invalid case."),
                                       extra={"credit_account": [_("No such credit account for this client.")]})
        return case_submit(user=user, client=client, credit_account=account, **{name: data[name] for name in (
            "kind", "subject", "description", "category", "priority", "channel", "attachments", "requested_days",
            "requested_maturity", "staged_repayment")})

    @extend_schema(request=CaseUpdateSerializer, responses={200: CaseSerializer, 403: ERROR, 409: ERROR})
    def partial_update(self, request, number=None):
        case = self.get_object()
        if is_client_view(request.user) or not request.user.has_perm("cases.change_case"):
            raise NotAllowed(_("Your role may not change cases."))
        data = _validated(CaseUpdateSerializer, request.data, partial=True)
        if "queue" in data:
            queue = Queue.objects.filter(code=data["queue"]).first()
            if queue is None:
                raise ValidationFailed(_("Invalid queue."), extra={"queue": [_("Unknown queue.")]})
            data["queue"] = queue
        if "assignee" in data and data["assignee"] is not None:
            assignee = User.objects.filter(username=data["assignee"], is_active=True).first()
            if assignee is None:
                raise ValidationFailed(_("Invalid assignee."), extra={"assignee": [_("Unknown user.")]})
            data["assignee"] = assignee
        services.case_update(case=case, user=request.user, **data)
        return Response(self.get_serializer(selectors.case_after_write(request.user, case.number)).data)

    @extend_schema(responses=TransitionSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="transitions", **WHOLE_LIST)
    def transitions(self, request, number=None):
        case = self.get_object()
        available = services.available_transitions(case=case, user=request.user)
        return Response(TransitionSerializer(available, many=True).data)

    @extend_schema(request=TransitionInputSerializer, responses={200: CaseSerializer, 403: ERROR, 409: CONFLICT})
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request, number=None, name=None):
        case = self.get_object()
        services.ensure_may_take_steps(case, request.user)  # the auditor: 403 whatever the body
        data = _validated(TransitionInputSerializer, request.data)
        services.case_transition(case=case, user=request.user, name=name, comment=data["comment"])
        return Response(self.get_serializer(selectors.case_after_write(request.user, case.number)).data)

    @extend_schema(methods=["GET"], responses=MessageSerializer(many=True))
    @extend_schema(methods=["POST"], request=MessageInputSerializer,
                   responses={201: MessageSerializer, 403: ERROR, 409: MESSAGE_CONFLICT},
                   parameters=_key_parameters("message", "message it sent",
                                              "sent the message: this is that message"))
    @action(detail=True, methods=["get", "post"], url_path="messages", **WHOLE_LIST)
    def messages(self, request, number=None):
        case = self.get_object()
        context = {"client_view": is_client_view(request.user)}
        if request.method != "POST":  # GET, and HEAD (DRF routes it here too): a HEAD wrote the message it carried
            messages = selectors.messages_for(request.user, case)
            return Response(MessageSerializer(messages, many=True, context=context).data)
        services.ensure_may_write(case, request.user)
        key = _idempotency_key(request, _("Invalid message."))
        data = _validated(MessageInputSerializer, request.data)
        if context["client_view"]:
            services.ensure_client_may_reply(case)
        message, replayed = services.message_create_once(
            case=case, author=request.user, body=data["body"],
            internal=data["visibility"] == "internal", attachments=data["attachments"], key=f"api:{key}" if key else "",
        )
        return Response(MessageSerializer(message, context=context).data, status=status.HTTP_201_CREATED,
                        headers={REPLAYED: "true"} if replayed else None)

    @extend_schema(responses=EventSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="events", **WHOLE_LIST)
    def events(self, request, number=None):
        case = self.get_object()
        serializer = ClientEventSerializer if is_client_view(request.user) else EventSerializer
        return Response(serializer(selectors.events_for(request.user, case), many=True).data)

    @extend_schema(responses=CaseNotificationSerializer(many=True))
    @action(detail=True, methods=["get"], url_path="notifications", **WHOLE_LIST)
    def notifications(self, request, number=None):
        """Every message kept for the case (who, what, when, channel, status); a client sees only
        the notices sent to them, without delivery internals."""
        case = self.get_object()
        serializer = ClientCaseNotificationSerializer if is_client_view(request.user) else CaseNotificationSerializer
        notices = case_notifications(request.user, case)
        return Response(serializer(notices, many=True, context={"user": request.user}).data)


def _validated(serializer_class, data, partial=False) -> dict:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
