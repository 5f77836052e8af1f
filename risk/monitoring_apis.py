"""API for the monitoring's results: ratio history, account alerts, margin-call details and calls."""

import django_filters
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.ratio import RATIO_MAX_DIGITS
from accounts.selectors import credit_accounts_visible_to
from cases import selectors as case_selectors
from cases.models import Case
from risk import selectors, services
from risk.models import ALERT_LINES, AccountAlert, Level, MarginCallContact, RatioSnapshot
from servicedesk.filters import (IsoDateTimeEndFilter, IsoDateTimeFilter, ListedChoiceFilter, UtcDateTimeField,
                                 range_checked)
from servicedesk.pagination import CheckedCursorPagination


class NewestFirst(CheckedCursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class RatioSnapshotSerializer(serializers.ModelSerializer):
    # amounts to the cent, as the account shows them (stored to 4 places, the valuation's precision)
    total_assets = serializers.DecimalField(max_digits=24, decimal_places=2, read_only=True)
    total_liabilities = serializers.DecimalField(max_digits=24, decimal_places=2, read_only=True)

    class Meta:
        model = RatioSnapshot
        fields = ["id", "taken_at", "total_assets", "total_liabilities", "maintenance_ratio", "level", "stress_points"]


def dated(field_name: str) -> type[django_filters.FilterSet]:
    """A FilterSet base with `date_from` (inclusive), `date_to` (exclusive; a date alone includes
    that whole day, as the SLA report's `to` does) and `date` on the moment `field_name`: the alerts'
    and the ratio history's date filters."""

    class Dated(django_filters.FilterSet):
        date_from = IsoDateTimeFilter(field_name=field_name, lookup_expr="gte")
        date_to = IsoDateTimeEndFilter(field_name=field_name, lookup_expr="lt")
        date = django_filters.DateFilter(field_name=field_name, lookup_expr="date")

        def is_valid(self):
            """A range that ends before it starts is a mistake (400), not an empty list."""
            return super().is_valid() and range_checked(self.form, "date_from", "date_to")

    return Dated


class RatioHistoryFilter(dated("taken_at")):
    """The issue's filters of the alerts, where a valuation has them: its level and its date."""

    level = ListedChoiceFilter(choices=Level.choices)

    class Meta:
        model = RatioSnapshot
        fields = []


class RatioHistoryApi(generics.ListAPIView):
    """`GET /api/v1/accounts/{account_no}/ratio-history/?level=&date=`: the account's valuations,
    newest first."""

    serializer_class = RatioSnapshotSerializer
    filterset_class = RatioHistoryFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no account to look up
            return self.serializer_class.Meta.model.objects.none()
        account = credit_accounts_visible_to(self.request.user).filter(account_no=self.kwargs["account_no"]).first()
        if account is None:
            raise Http404
        return selectors.ratio_history(self.request.user, account)

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-taken_at", "-id")
        return super().paginate_queryset(queryset)


#: The lines an alert can be for, labelled as the level reached below each.
ALERT_LINE_CHOICES = [(line, Level(line).label) for line in ALERT_LINES]


class AlertFilter(dated("opened_at")):
    level = ListedChoiceFilter(field_name="line", choices=ALERT_LINE_CHOICES,
                               help_text=_("The line crossed: attention, warning, "
                                           "close_out, immediate."))
    line = ListedChoiceFilter(field_name="line", choices=ALERT_LINE_CHOICES)
    state = ListedChoiceFilter(choices=AccountAlert.State.choices)
    account = django_filters.CharFilter(field_name="account__account_no")

    class Meta:
        model = AccountAlert
        fields = []


class AlertSerializer(serializers.ModelSerializer):
    line = serializers.ChoiceField(choices=ALERT_LINE_CHOICES, read_only=True)  # the `level` filter's values
    account = serializers.CharField(source="account.account_no")
    client = serializers.CharField(source="account.client.client_no")
    ratio = serializers.DecimalField(source="opened_snapshot.maintenance_ratio", max_digits=RATIO_MAX_DIGITS,
                                     decimal_places=4,
                                     allow_null=True)
    cleared_ratio = serializers.DecimalField(source="cleared_snapshot.maintenance_ratio", max_digits=RATIO_MAX_DIGITS,
                                             decimal_places=4, allow_null=True, default=None)
    opened_snapshot = RatioSnapshotSerializer(read_only=True, help_text=_("The valuation that crossed the line."))
    cleared_snapshot = RatioSnapshotSerializer(read_only=True, allow_null=True,
                                               help_text=_("The valuation back above the line by the band."))

    class Meta:
        model = AccountAlert
        fields = ["id", "account", "client", "line", "line_value", "state", "ratio", "opened_at", "cleared_at",
                  "cleared_ratio", "opened_snapshot", "cleared_snapshot"]


class AlertListApi(generics.ListAPIView):
    """`GET /api/v1/risk/alerts/?level=&state=&date=`: line crossings, newest first."""

    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.alerts_visible_to(self.request.user)

    def paginate_queryset(self, queryset):
        # Newest first by the id, which the runs (serialised) give in the order they open alerts: the
        # cursor's position must be unique. By opened_at, shared by every alert of a run, the
        # `previous` link of a later page answered rows of other pages (DRF pages ties by offset).
        self.paginator.ordering = ("-id",)
        return super().paginate_queryset(queryset)


class ContactSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    # a time with no UTC (year 1) is a 400 on the field, not DRF's unguarded OverflowError
    called_at = UtcDateTimeField(required=False)

    class Meta:
        model = MarginCallContact
        fields = ["id", "called_at", "outcome", "note", "recorded_by", "recorded_at"]
        read_only_fields = ["id", "recorded_by", "recorded_at"]
        extra_kwargs = {"note": {"required": False, "max_length": MarginCallContact.NOTE_MAX_LENGTH}}


class MarginCallContactsApi(APIView):
    """`GET, POST /api/v1/cases/{number}/calls/`: the calls to the client about a margin call."""

    def _case(self, request, number):
        try:
            return case_selectors.case_get(request.user, number)
        except Case.DoesNotExist:
            raise Http404 from None

    @extend_schema(responses=ContactSerializer(many=True))
    def get(self, request, number):
        case = self._case(request, number)
        if not case_selectors.is_staff_reader(request.user):
            raise Http404
        return Response(ContactSerializer(selectors.margin_call_contacts(case), many=True).data)

    @extend_schema(request=ContactSerializer, responses={201: ContactSerializer})
    def post(self, request, number):
        case = self._case(request, number)
        services.ensure_may_log_calls(request.user)  # the auditor: 403 whatever the body
        data = ContactSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.margin_call_contact_record(
            case=case, user=request.user, outcome=data.validated_data["outcome"],
            note=data.validated_data.get("note", ""), called_at=data.validated_data.get("called_at"))
        return Response(ContactSerializer(contact).data, status=201)
