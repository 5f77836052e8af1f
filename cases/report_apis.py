"""GET /api/v1/reports/sla/: SLA compliance by group, backlog aging, breaches, satisfaction (CSAT) by the
same group and the overdue return visits, as JSON or, with `?format=csv`, the same lists as CSV."""

import csv
import io

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from cases import reports
from cases.visit_selectors import overdue_visits_list
from servicedesk.csv_export import csv_row
from servicedesk.errors import NotAllowed
from servicedesk.filters import UtcDateTimeField, end_of_day, is_date_only

REPORT_ROLES = (Role.SUPERVISOR, Role.TEAM_LEAD, Role.AUDITOR, Role.RISK_OFFICER)


def _rows(name: str, fields: dict) -> serializers.ListSerializer:
    return inline_serializer(name, fields=fields, many=True)


#: The answer: `group_by` and five lists, each row with these columns (JSON and CSV alike).
SLA_REPORT = inline_serializer("SlaReport", fields={
    "group_by": serializers.ChoiceField(choices=list(reports.GROUPS)),
    "rows": _rows("SlaReportCompliance", {
        "group": serializers.CharField(allow_null=True), "metric": serializers.CharField(),
        "met": serializers.IntegerField(), "breached": serializers.IntegerField(),
        "running": serializers.IntegerField(), "compliance": serializers.FloatField(allow_null=True),
    }),
    "backlog_aging": _rows("SlaReportBacklogAging", {
        "kind": serializers.CharField(),
        **{label: serializers.IntegerField() for label, _low, _high in reports.AGE_BUCKETS},
    }),
    "breaches": _rows("SlaReportBreach", {
        "case": serializers.CharField(), "metric": serializers.CharField(),
        "due_at": serializers.DateTimeField(allow_null=True), "queue": serializers.CharField(allow_null=True),
        "assignee": serializers.CharField(allow_null=True),
    }),
    "csat": _rows("SlaReportCsat", {
        "group": serializers.CharField(allow_null=True), "count": serializers.IntegerField(),
        "average": serializers.FloatField(), "satisfied_percent": serializers.FloatField(),
    }),
    "overdue_visits": _rows("SlaReportOverdueVisit", {
        "id": serializers.IntegerField(), "client": serializers.CharField(), "reason": serializers.CharField(),
        "due_date": serializers.DateField(), "case": serializers.CharField(allow_null=True),
        "assigned_to": serializers.CharField(allow_null=True),
    }),
})
#: The CSV's sections: each list of the answer by its JSON key, with its columns, in the answer's order.
CSV_SECTIONS = {name: list(field.child.fields) for name, field in SLA_REPORT.fields.items()
                if isinstance(field, serializers.ListSerializer)}


class CSVRenderer(BaseRenderer):
    """The report's lists one after another, each under a line of its column names: the compliance
    rows first (external checks read their header, group,metric,met,breached,running,compliance),
    then each other list after an empty line and a line naming it (its JSON key). An error answer
    is its messages, one a line, under field,message (a message of the whole request has no field)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        if response is not None and response.status_code >= 400:
            writer.writerow(["field", "message"])
            writer.writerows(csv_row(line) for line in _error_lines(data))
        else:
            for position, (name, columns) in enumerate(CSV_SECTIONS.items()):
                if position:
                    writer.writerows([[], [name]])
                writer.writerow(columns)
                writer.writerows(csv_row(row.get(column) for column in columns) for row in data.get(name, []))
        return "\ufeff" + buffer.getvalue()


def _error_lines(data) -> list[tuple[str, str]]:
    """(field, message) for each message of an error answer: {field: [messages]} or {"detail": …}."""
    if isinstance(data, dict) and "detail" in data:
        return [("", data["detail"])]
    if isinstance(data, dict):
        return [(field, message) for field, messages in data.items()
                for message in (messages if isinstance(messages, list) else [messages])]
    return [("", message) for message in (data if isinstance(data, list) else [data])]


#: The `?format=` values: one per renderer of the report.
FORMATS = ("json", "csv")


def one_of(value: str, allowed) -> str:
    if value not in allowed:
        raise serializers.ValidationError(_('"%(value)s" is not one of: %(allowed)s')
                                          % {"value": value, "allowed": ", ".join(allowed)})
    return value


class ReportEndField(UtcDateTimeField):
    """`to`: a date-time (the range ends before it), or a date alone, which includes that whole day
    (Asia/Shanghai), as the supervisor's dashboard reads the same query (`?from=2026-11-01&to=2026-11-30`
    is November, not November without its last day). A date on the last day Python has: no end."""

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        return end_of_day(moment) if is_date_only(value) else moment


class ReportQuery(serializers.Serializer):
    # `from` is a Python keyword: declared below.
    to = ReportEndField(required=False)
    # Checked below, so that the refusal names the groups (a ChoiceField's says only that it is not one).
    group_by = serializers.CharField(default="queue")
    format = serializers.CharField(required=False)

    def validate_group_by(self, value):
        return one_of(value, list(reports.GROUPS))

    def validate_format(self, value):
        return one_of(value, FORMATS)

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        # A date alone ends after its day: a `to` day before the `from` one ends at `from` or earlier.
        if start and end and (end < start or (end == start and is_date_only(self.initial_data.get("to")))):
            raise serializers.ValidationError({"to": [_("“to” must not be before “from”.")]})
        return attrs


ReportQuery._declared_fields["from"] = UtcDateTimeField(required=False)


class FormatCheckedByTheQuery(DefaultContentNegotiation):
    """`?format=` decides, whatever the Accept header says (DRF answered ?format=csv with
    `Accept: application/json` with a 406). A format no renderer has renders as JSON instead of
    DRF's 404 (as if the report did not exist), so that ReportQuery refuses it with a 400 naming
    the formats, after the role check. Without `?format=` the Accept header chooses, as usual."""

    def select_renderer(self, request, renderers, format_suffix=None):
        format = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        if not format:
            return super().select_renderer(request, renderers, format_suffix)
        renderer = next((renderer for renderer in renderers if renderer.format == format), renderers[0])
        return renderer, renderer.media_type


#: One description for both media types (OpenAPI has one per status).
REPORT_ANSWER = gettext_lazy(
    "Compliance per group and metric (rows), backlog aging, breaches, satisfaction (csat) and overdue return "
    "visits. With ?format=csv (which wins over the Accept header) the same lists as text/csv, one after another, "
    "each under a line of its column names: the compliance rows first, then each other list after an empty line "
    "and a line naming it (backlog_aging, breaches, csat, overdue_visits).")


class SlaReportApi(APIView):
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = FormatCheckedByTheQuery

    @extend_schema(parameters=[
        OpenApiParameter("from", str, description="ISO 8601; cases created at or after"),
        OpenApiParameter("to", str, description="ISO 8601; cases created before (a date alone: up to the end of "
                                                "that day, Asia/Shanghai)"),
        OpenApiParameter("group_by", str, enum=list(reports.GROUPS)),
        OpenApiParameter("format", str, enum=list(FORMATS)),
    ], responses={(200, "application/json"): OpenApiResponse(SLA_REPORT, description=REPORT_ANSWER),
                  (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=REPORT_ANSWER)})
    def get(self, request):
        user = request.user
        if not (user.is_superuser or user.has_role(*REPORT_ROLES)):
            raise NotAllowed(_("Your role may not read reports."))
        query = ReportQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start, end = query.validated_data.get("from"), query.validated_data.get("to")
        group_by = query.validated_data["group_by"]
        using = reports.report_database()
        now = timezone.now()  # one moment for every figure: a clock past due is breached in each
        report = {
            "group_by": group_by,
            "rows": reports.sla_compliance(start=start, end=end, group_by=group_by, now=now, using=using),
            "backlog_aging": reports.backlog_aging(now=now, using=using),
            "breaches": _breaches(reports.breach_list(start=start, end=end, now=now, using=using)),
            "csat": reports.csat(start=start, end=end, group_by=group_by, using=using),
            "overdue_visits": _overdue_visits(overdue_visits_list(using=using)),
        }
        if request.accepted_renderer.format == "csv":
            return Response(report, headers={"Content-Disposition": 'attachment; filename="sla-report.csv"'})
        return Response(report)


def _breaches(timers) -> list[dict]:
    return [{"case": timer.case.number, "metric": timer.metric,
             "due_at": serializers.DateTimeField().to_representation(timer.due_at) if timer.due_at else None,
             "queue": timer.case.queue.code if timer.case.queue else None,
             "assignee": timer.case.assignee.username if timer.case.assignee else None}
            for timer in timers]


def _overdue_visits(visits) -> list[dict]:
    return [{"id": visit.pk, "client": visit.client.client_no, "reason": visit.reason, "due_date": visit.due_date,
             "case": visit.case.number if visit.case else None,
             "assigned_to": visit.assigned_to.username if visit.assigned_to else None}
            for visit in visits]
