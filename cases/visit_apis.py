"""Return visits API: `GET /api/v1/return-visits/` (staff; filters state, reason, overdue) and
`POST /api/v1/return-visits/{id}/complete/` {outcome, reached} to record one."""

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import STAFF_ROLES
from cases import visit_selectors
from cases.models import ReturnVisit
from cases.services.visits import return_visit_complete
from servicedesk.errors import NotAllowed


class DueFirst(CursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("due_date", "id")


class ReturnVisitSerializer(serializers.ModelSerializer):
    client = serializers.CharField(source="client.client_no")
    client_name = serializers.CharField(source="client.name")
    case = serializers.CharField(source="case.number", allow_null=True, default=None)
    reason_label = serializers.CharField(source="get_reason_display")
    state_label = serializers.CharField(source="get_state_display")
    assigned_to = serializers.CharField(source="assigned_to.username", allow_null=True, default=None)
    done_by = serializers.CharField(source="done_by.username", allow_null=True, default=None)
    overdue = serializers.BooleanField(source="is_overdue")

    class Meta:
        model = ReturnVisit
        fields = ["id", "client", "client_name", "case", "reason", "reason_label", "due_date", "overdue",
                  "assigned_to", "state", "state_label", "outcome", "done_at", "done_by", "created_at"]
        read_only_fields = fields


class ReturnVisitQuery(serializers.Serializer):
    state = serializers.ChoiceField(choices=ReturnVisit.State.choices, required=False)
    reason = serializers.ChoiceField(choices=ReturnVisit.Reason.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)


class CompleteInput(serializers.Serializer):
    outcome = serializers.CharField(max_length=5000, allow_blank=True)
    reached = serializers.BooleanField()


def _require_staff(user) -> None:
    if not (user.is_superuser or user.has_role(*STAFF_ROLES)):
        raise NotAllowed(_("Only staff see return visits."))


class ReturnVisitListApi(APIView):
    pagination_class = DueFirst  # documents the page's shape and query (the view pages with it)

    @extend_schema(parameters=[
        OpenApiParameter("state", str, enum=ReturnVisit.State.values),
        OpenApiParameter("reason", str, enum=ReturnVisit.Reason.values),
        OpenApiParameter("overdue", bool, description="true: scheduled and due before today"),
    ], responses=ReturnVisitSerializer(many=True))
    def get(self, request):
        _require_staff(request.user)
        query = ReturnVisitQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        visits = visit_selectors.return_visits_visible_to(request.user)
        if query.validated_data.get("state"):
            visits = visits.filter(state=query.validated_data["state"])
        if query.validated_data.get("reason"):
            visits = visits.filter(reason=query.validated_data["reason"])
        if query.validated_data.get("overdue") is True:
            visits = visit_selectors.overdue(visits)
        elif query.validated_data.get("overdue") is False:
            visits = visits.exclude(pk__in=visit_selectors.overdue(visits).values("pk"))
        paginator = DueFirst()
        page = paginator.paginate_queryset(visits, request, view=self)
        return paginator.get_paginated_response(ReturnVisitSerializer(page, many=True).data)


class ReturnVisitCompleteApi(APIView):
    @extend_schema(request=CompleteInput, responses=ReturnVisitSerializer)
    def post(self, request, pk: int):
        _require_staff(request.user)
        visit = visit_selectors.return_visits_visible_to(request.user).filter(pk=pk).first()
        if visit is None:
            raise Http404
        if not request.user.works_cases:  # an auditor reads, never records: refused before the input
            raise NotAllowed(_("Your role may not record return visits."))
        data = CompleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        visit = return_visit_complete(visit=visit, user=request.user, outcome=data.validated_data["outcome"],
                                      reached=data.validated_data["reached"])
        visit = visit_selectors.return_visits_visible_to(request.user).get(pk=visit.pk)
        return Response(ReturnVisitSerializer(visit).data)
