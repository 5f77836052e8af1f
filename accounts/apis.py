from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import selectors
from accounts.interest import interest_lines
from accounts.models import CreditAccount
from accounts.serializers import (
    CreditAccountDetailSerializer, CreditAccountSerializer, InterestQuerySerializer, InterestStatementSerializer,
)
from servicedesk.pagination import CheckedCursorPagination


class AccountPagination(CheckedCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "account_no"


class CreditAccountViewSet(viewsets.GenericViewSet):
    lookup_field = "account_no"
    lookup_value_regex = r"[A-Za-z0-9_.-]+"
    pagination_class = AccountPagination
    serializer_class = CreditAccountSerializer

    def get_queryset(self):
        return selectors.credit_accounts_visible_to(self.request.user)

    @extend_schema(responses=CreditAccountSerializer(many=True))
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CreditAccountSerializer(page, many=True).data)

    @extend_schema(responses=CreditAccountDetailSerializer)
    def retrieve(self, request, account_no=None):
        try:
            account = selectors.credit_account_detail(request.user, account_no)
        except CreditAccount.DoesNotExist:
            raise Http404 from None
        return Response(CreditAccountDetailSerializer(account).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day, included (default: the first "
                             "day of the settlement period of `to`)."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: yesterday); "
                             "at most 400 days from `from` to `to`."),
        ],
        responses=InterestStatementSerializer,
    )
    @action(detail=True, methods=["get"])
    def interest(self, request, account_no=None):
        """The day-by-day interest lines (principal, rate, days, amount) and their total: the
        evidence for an interest dispute, with the days of the range not accrued yet (`not_accrued`).
        Same scope as the account itself (else 404)."""
        account = self.get_object()
        query = InterestQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        statement = interest_lines(account, query.validated_data["from"], query.validated_data["to"])
        return Response(InterestStatementSerializer(statement).data)
