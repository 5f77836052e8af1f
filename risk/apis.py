"""REST API v1 for risk: stress tests, the stress-mode switch, the risk forecast."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Role
from accounts.selectors import credit_accounts_visible_to
from risk import forecast, stress
from risk.models import StressTest
from risk.selectors import stress_tests_summarised
from risk.serializers import (
    ForecastQuerySerializer,
    ForecastSerializer,
    StressModeInputSerializer,
    StressModeStateSerializer,
    StressTestInputSerializer,
    StressTestListSerializer,
    StressTestSerializer,
    stress_mode_data,
)
from servicedesk.errors import NotAllowed


class RiskPagination(PageNumberPagination):
    page_size = 50


class ForecastPagination(RiskPagination):
    """A page of forecasts, with the `days` they look ahead (the query's, or the default)."""

    def get_paginated_response_schema(self, schema):
        shape = super().get_paginated_response_schema(schema)
        shape["properties"]["days"] = {"type": "integer", "minimum": 1, "maximum": forecast.MAX_DAYS}
        shape["required"] = [*shape.get("required", []), "days"]
        return shape


def _require_staff(user) -> None:
    if not (user.is_superuser or any(role != Role.CLIENT for role in user.role_codes)):
        raise NotAllowed(_("Your role may not read risk data."))


class StressTestListApi(APIView):
    """GET: saved stress tests (risk officers, supervisors, auditors). POST: run one
    (risk officers and supervisors)."""

    pagination_class = RiskPagination  # documents the page's shape and query (the view pages with it)

    @extend_schema(responses=StressTestListSerializer(many=True))
    def get(self, request):
        if not stress.may_read(request.user):
            raise NotAllowed(_("Your role may not read stress tests."))
        paginator = RiskPagination()
        page = paginator.paginate_queryset(stress_tests_summarised(), request, view=self)
        return paginator.get_paginated_response(StressTestListSerializer(page, many=True).data)

    @extend_schema(request=StressTestInputSerializer, responses={201: StressTestSerializer})
    def post(self, request):
        if not stress.may_run(request.user):
            raise NotAllowed(_("Only risk officers and supervisors may run stress tests."))
        data = StressTestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        stress_test = stress.stress_test_run(user=request.user, **data.validated_data)
        return Response(StressTestSerializer(stress_test).data, status=status.HTTP_201_CREATED)


class StressTestDetailApi(APIView):
    @extend_schema(responses=StressTestSerializer)
    def get(self, request, pk: int):
        if not stress.may_read(request.user):
            raise NotAllowed(_("Your role may not read stress tests."))
        stress_test = get_object_or_404(StressTest.objects.shown(), pk=pk)
        return Response(StressTestSerializer(stress_test).data)


class StressModeApi(APIView):
    """GET: the active stress mode (staff). POST {"points": "5.00", "reason": …} sets it (replacing
    an active one); POST {"points": null} or DELETE lifts it (risk officers)."""

    @extend_schema(responses=StressModeStateSerializer)
    def get(self, request):
        _require_staff(request.user)
        return Response(stress_mode_data(stress.stress_mode_active()))

    @extend_schema(request=StressModeInputSerializer, responses=StressModeStateSerializer)
    def post(self, request):
        if not (request.user.is_superuser or request.user.has_role(Role.RISK_OFFICER)):
            raise NotAllowed(_("Only risk officers may set or lift stress mode."))
        data = StressModeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        points = data.validated_data["points"]
        if points is None:
            stress.stress_mode_lift(user=request.user)
            return Response(stress_mode_data(None))
        mode = stress.stress_mode_set(user=request.user, points=points, reason=data.validated_data["reason"])
        return Response(stress_mode_data(mode))

    @extend_schema(responses={200: StressModeStateSerializer})  # the state after, not a 204
    def delete(self, request):
        stress.stress_mode_lift(user=request.user)
        return Response(stress_mode_data(None))


class ForecastApi(APIView):
    """Accounts by the probability that their ratio falls below the warning line within `days`
    trading days (risk/forecast.py states the model)."""

    pagination_class = ForecastPagination  # documents the page's shape and query (the view pages with it)

    @extend_schema(parameters=[OpenApiParameter("days", {"type": "integer", "minimum": 1, "maximum": forecast.MAX_DAYS,
                                                         "default": forecast.DEFAULT_DAYS},
                                                description="1 to 60 trading days (default 5)"),
                               OpenApiParameter("page", int)],
                   responses=ForecastSerializer(many=True))
    def get(self, request):
        _require_staff(request.user)
        query = ForecastQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        days = query.validated_data["days"]
        forecasts = forecast.forecast_accounts(credit_accounts_visible_to(request.user), days=days)
        paginator = ForecastPagination()
        page = paginator.paginate_queryset(forecasts, request, view=self)
        response = paginator.get_paginated_response(ForecastSerializer(page, many=True).data)
        response.data["days"] = days
        return response
