"""GET /api/v1/reports/sla/: SLA compliance by group, backlog aging and breaches (JSON or CSV); in
JSON also satisfaction (CSAT) by the same group and the overdue return visits."""

import csv
import io

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from cases import reports
from cases.visit_selectors import overdue_visits_list
from servicedesk.csv_export import csv_safe  # noqa: F401  (also imported from here by the web exports)
from servicedesk.errors import NotAllowed

REPORT_ROLES = (Role.SUPERVISOR, Role.TEAM_LEAD, Role.AUDITOR, Role.RISK_OFFICER)


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        rows = data.get("rows", []) if isinstance(data, dict) else []
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow({key: csv_safe(value) for key, value in row.items()})
        elif isinstance(data, dict) and "detail" in data:
            buffer.write(csv_safe(data["detail"]))
        return "\ufeff" + buffer.getvalue()


#: The `?format=` values: one per renderer of the report.
FORMATS = ("json", "csv")


class ReportQuery(serializers.Serializer):
    # `from` is a Python keyword: declared below.
    to = serializers.DateTimeField(required=False)
    group_by = serializers.ChoiceField(choices=list(reports.GROUPS), default="queue")
    format = serializers.CharField(required=False)

    def validate_format(self, value):
        if value not in FORMATS:
            raise serializers.ValidationError(_('"%(value)s" is not one of: %(allowed)s')
                                              % {"value": value, "allowed": ", ".join(FORMATS)})
        return value

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError({"to": [_("“to” must not be before “from”.")]})
        return attrs


ReportQuery._declared_fields["from"] = serializers.DateTimeField(required=False)


class FormatCheckedByTheQuery(DefaultContentNegotiation):
    """DRF answers a `?format=` no renderer has with a 404 (filter_renderers raises Http404 before the
    view runs), as if the report did not exist. Here an unknown format renders as JSON, so that
    ReportQuery can refuse it with a 400 naming the formats, after the role check."""

    def filter_renderers(self, renderers, format):
        return [renderer for renderer in renderers if renderer.format == format] or renderers[:1]


class SlaReportApi(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = FormatCheckedByTheQuery

    @extend_schema(parameters=[
        OpenApiParameter("from", str, description="ISO 8601; cases created at or after"),
        OpenApiParameter("to", str, description="ISO 8601; cases created before"),
        OpenApiParameter("group_by", str, enum=list(reports.GROUPS)),
        OpenApiParameter("format", str, enum=list(FORMATS)),
    ], responses={200: None})
    def get(self, request):
        user = request.user
        if not (user.is_superuser or user.has_role(*REPORT_ROLES)):
            raise NotAllowed(_("Your role may not read reports."))
        query = ReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data.get("from"), query.validated_data.get("to")
        using = reports.report_database()
        compliance = reports.sla_compliance(start=start, end=end, group_by=query.validated_data["group_by"],
                                            using=using)
        if request.accepted_renderer.format == "csv":
            return Response({"rows": compliance}, headers={
                "Content-Disposition": 'attachment; filename="sla-report.csv"'})
        breaches = [
            {"case": timer.case.number, "metric": timer.metric,
             "due_at": serializers.DateTimeField().to_representation(timer.due_at) if timer.due_at else None,
             "queue": timer.case.queue.code if timer.case.queue else None,
             "assignee": timer.case.assignee.username if timer.case.assignee else None}
            for timer in reports.breach_list(start=start, end=end, using=using)
        ]
        overdue_visits = [
            {"id": visit.pk, "client": visit.client.client_no, "reason": visit.reason, "due_date": visit.due_date,
             "case": visit.case.number if visit.case else None,
             "assigned_to": visit.assigned_to.username if visit.assigned_to else None}
            for visit in overdue_visits_list(using=using)
        ]
        return Response({"group_by": query.validated_data["group_by"], "rows": compliance,
                         "backlog_aging": reports.backlog_aging(using=using), "breaches": breaches,
                         "csat": reports.csat(start=start, end=end, group_by=query.validated_data["group_by"],
                                              using=using),
                         "overdue_visits": overdue_visits})
