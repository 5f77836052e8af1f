import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.interest import settlement_period_start
from accounts.models import CreditAccount, Position
from accounts.ratio import CENT, RATIO_MAX_DIGITS


class PositionSerializer(serializers.ModelSerializer):
    symbol = serializers.CharField(source="security.symbol")
    name = serializers.CharField(source="security.name")
    exchange = serializers.CharField(source="security.exchange")
    price = serializers.DecimalField(source="security.price", max_digits=18, decimal_places=4)
    price_as_of = serializers.DateTimeField(source="security.price_as_of")
    market_value = serializers.SerializerMethodField()

    class Meta:
        model = Position
        fields = ["symbol", "name", "exchange", "kind", "quantity", "price", "price_as_of", "market_value"]

    def get_market_value(self, position) -> str:
        return str(position.market_value.quantize(CENT))


class LinesSerializer(serializers.Serializer):
    attention = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    warning = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    close_out = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    restore_to = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    withdrawal = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)
    immediate = serializers.DecimalField(max_digits=6, decimal_places=4, allow_null=True)


class CreditAccountSerializer(serializers.ModelSerializer):
    """A credit account with its ratio computed in SQL (selectors.credit_accounts_visible_to):
    `lines` are the contract's (its own or the firm's defaults); `monitored_lines` are those the
    monitoring judges it against now, raised by `stress_points` while a risk officer's stress mode
    is set (the same as `lines` otherwise), as the margin call and the portal read them."""

    client = serializers.CharField(source="client.client_no")
    client_name = serializers.CharField(source="client.name")
    total_assets = serializers.DecimalField(source="total_assets_sql", max_digits=24, decimal_places=2)
    total_liabilities = serializers.DecimalField(source="total_liabilities_sql", max_digits=24, decimal_places=2)
    maintenance_ratio = serializers.DecimalField(source="maintenance_ratio_sql", max_digits=RATIO_MAX_DIGITS,
                                                 decimal_places=4, allow_null=True)
    lines = LinesSerializer()
    stress_points = serializers.SerializerMethodField()
    monitored_lines = serializers.SerializerMethodField()

    class Meta:
        model = CreditAccount
        fields = [
            "account_no", "client", "client_name", "contract_no", "credit_limit", "cash", "other_collateral",
            "financing_debt", "interest_fees", "annual_rate", "contract_start", "contract_maturity",
            "total_assets", "total_liabilities", "maintenance_ratio", "lines", "stress_points", "monitored_lines",
        ]

    def _stress_points(self):
        """The active stress mode's points, read once per response."""
        if "stress_points" not in self.context:
            from risk.lines import active_stress_points

            self.context["stress_points"] = active_stress_points()
        return self.context["stress_points"]

    @extend_schema_field(serializers.DecimalField(max_digits=5, decimal_places=2))
    def get_stress_points(self, account) -> str:
        return serializers.DecimalField(max_digits=5, decimal_places=2).to_representation(self._stress_points())

    @extend_schema_field(LinesSerializer)
    def get_monitored_lines(self, account) -> dict:
        from risk.lines import effective_lines

        return LinesSerializer(effective_lines(account, self._stress_points(), LinesSerializer().fields)).data


class TopUpSerializer(serializers.Serializer):
    target = serializers.DecimalField(max_digits=6, decimal_places=4)
    cash = serializers.DecimalField(max_digits=24, decimal_places=2)
    sell = serializers.DecimalField(max_digits=24, decimal_places=2, allow_null=True)


class CreditAccountDetailSerializer(CreditAccountSerializer):
    positions = PositionSerializer(many=True)
    top_up = serializers.SerializerMethodField()

    class Meta(CreditAccountSerializer.Meta):
        fields = [*CreditAccountSerializer.Meta.fields, "positions", "top_up"]

    def get_top_up(self, account) -> TopUpSerializer:
        from accounts.ratio import top_up

        from risk.lines import effective_line

        restore_to = effective_line(account, "restore_to", self._stress_points())  # as the margin call asks
        result = top_up(account.total_assets_sql, account.total_liabilities_sql, restore_to)
        return TopUpSerializer(result).data


# --- interest: the lines behind a charge (accounts.interest.interest_lines) ----------------------

MAX_INTEREST_RANGE_DAYS = 400


class InterestQuerySerializer(serializers.Serializer):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, both included; by default the settlement period so far."""

    from_ = serializers.DateField(
        required=False, help_text=gettext_lazy("First day (default: the first of the settlement period of “to”).")
    )
    to = serializers.DateField(required=False, help_text=gettext_lazy("Last day (default: yesterday)."))

    def get_fields(self):
        fields = super().get_fields()
        return {"from": fields.pop("from_"), **fields}

    def validate(self, attrs):
        # The fields as the errors call them: the parameters here, the form's labels on the pages
        # (context "field_labels", cases.web.account_history).
        names = {"from": "from", "to": "to", **self.context.get("field_labels", {})}
        end = attrs.get("to") or timezone.localdate() - datetime.timedelta(days=1)
        try:
            start = attrs.get("from") or settlement_period_start(end)
        except ValueError:  # to=0001-01-01 was a 500: its settlement period opens in year 0
            raise serializers.ValidationError({"to": [_(
                "The settlement period of this day begins before year 1: give “%(from)s” too.") % names]}) from None
        if start > end:
            raise serializers.ValidationError({"to": [_("“%(to)s” must not be before “%(from)s”.") % names]})
        if (end - start).days + 1 > MAX_INTEREST_RANGE_DAYS:
            raise serializers.ValidationError(
                {"to": [_("At most %(days)d days at a time.") % {"days": MAX_INTEREST_RANGE_DAYS}]})
        return {"from": start, "to": end}


class InterestLineSerializer(serializers.Serializer):
    day = serializers.DateField()
    kind = serializers.CharField()
    principal = serializers.DecimalField(max_digits=20, decimal_places=2)
    annual_rate = serializers.DecimalField(max_digits=12, decimal_places=6)
    rate = serializers.DecimalField(source="annual_rate", max_digits=12, decimal_places=6)  # the name
    days = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=4)
    posted = serializers.DecimalField(max_digits=20, decimal_places=2)


class InterestStatementSerializer(serializers.Serializer):
    """amount = principal × annual_rate × days / 360 on each line; total = the amounts summed and
    rounded to cents once; posted = what the lines added to interest and fees; not_accrued = the
    days from `from` to `to` not accrued yet, which the lines and totals do not cover."""

    account = serializers.CharField(source="account.account_no")
    from_ = serializers.DateField(source="start")
    to = serializers.DateField(source="end")
    lines = InterestLineSerializer(many=True)
    total = serializers.DecimalField(max_digits=24, decimal_places=2)
    posted = serializers.DecimalField(max_digits=24, decimal_places=2)
    not_accrued = serializers.ListField(child=serializers.DateField())

    def get_fields(self):
        fields = super().get_fields()
        return {"account": fields.pop("account"), "from": fields.pop("from_"), **fields}
