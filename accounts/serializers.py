from rest_framework import serializers

from accounts.models import CreditAccount, Position
from accounts.ratio import CENT


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
    """A credit account with its ratio computed in SQL (selectors.credit_accounts_visible_to)."""

    client = serializers.CharField(source="client.client_no")
    client_name = serializers.CharField(source="client.name")
    total_assets = serializers.DecimalField(source="total_assets_sql", max_digits=24, decimal_places=2)
    total_liabilities = serializers.DecimalField(source="total_liabilities_sql", max_digits=24, decimal_places=2)
    maintenance_ratio = serializers.DecimalField(source="maintenance_ratio_sql", max_digits=12, decimal_places=4,
                                                 allow_null=True)
    lines = LinesSerializer()

    class Meta:
        model = CreditAccount
        fields = [
            "account_no", "client", "client_name", "contract_no", "credit_limit", "cash", "other_collateral",
            "financing_debt", "interest_fees", "annual_rate", "contract_start", "contract_maturity",
            "total_assets", "total_liabilities", "maintenance_ratio", "lines",
        ]


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

        result = top_up(account.total_assets_sql, account.total_liabilities_sql, account.line("restore_to"))
        return TopUpSerializer(result).data
