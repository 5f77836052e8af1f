"""Input and output shapes of the risk API (stress tests, stress mode, forecast)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Security
from accounts.ratio import RATIO_MAX_DIGITS
from risk import forecast
from risk.models import StressMode, StressTest
from risk.selectors import stress_test_summary
from risk.stress import MAX_SHOCK, MAX_SYMBOL_SHOCKS, MIN_SHOCK, SHOCK_OUT_OF_RANGE, UNKNOWN_SYMBOL

SHOCK = {"max_digits": 6, "decimal_places": 4}
#: A shock's field: its range checked with the other fields' errors, in the domain's words.
SHOCK_FIELD = {**SHOCK, "min_value": MIN_SHOCK, "max_value": MAX_SHOCK,
               "error_messages": {"min_value": SHOCK_OUT_OF_RANGE, "max_value": SHOCK_OUT_OF_RANGE}}


@extend_schema_field(OpenApiTypes.OBJECT)
class SymbolShocksField(serializers.Field):
    """{"600000": "-0.20", …}, or [{"symbol": "600000", "shock": "-0.20"}, …]."""

    default_error_messages = {
        "invalid": _("Expected an object mapping symbols to shocks, "
                     "or a list of objects with symbol and shock."),
        "repeated": _("The symbol is given more than once."),
    }

    def to_internal_value(self, data) -> dict[str, Decimal]:
        """Every symbol's problem at once: a bad or out-of-range shock, an unknown or repeated symbol."""
        errors = {}
        if isinstance(data, list):
            # a symbol is text (or a number such as 600000): a list or an object in its place was
            # answered as an unknown symbol named by its Python form, "['a']"
            if not all(isinstance(item, dict) and set(item) == {"symbol", "shock"}
                       and isinstance(item["symbol"], (str, int)) and not isinstance(item["symbol"], bool)
                       for item in data):
                self.fail("invalid")
            pairs = [(item["symbol"], item["shock"]) for item in data]
        elif isinstance(data, dict):
            pairs = list(data.items())
        else:
            self.fail("invalid")
        # "600000" and " 600000 " are one symbol: given both ways, one shock silently replaced the other
        pairs = [(str(symbol).strip(), shock) for symbol, shock in pairs]
        seen: set[str] = set()
        for symbol, _shock in pairs:
            if symbol in seen:
                errors[symbol] = [self.error_messages["repeated"]]
            seen.add(symbol)
        data = dict(pairs)
        if len(data) > MAX_SYMBOL_SHOCKS:  # as the page refuses them
            raise serializers.ValidationError(
                _("At most %(max)s securities may have their own shock.") % {"max": MAX_SYMBOL_SHOCKS})
        shock_field = serializers.DecimalField(**SHOCK_FIELD)
        # a NUL byte is no symbol (and PostgreSQL refuses it in a query): unknown, not a 500
        queried = [symbol for symbol in data if "\x00" not in symbol]
        known = set(Security.objects.filter(symbol__in=queried).values_list("symbol", flat=True))
        shocks = {}
        for symbol, value in data.items():
            if symbol in errors:
                continue
            if symbol not in known:
                errors[symbol] = [UNKNOWN_SYMBOL]
                continue
            try:
                shocks[symbol] = shock_field.run_validation(value)
            except serializers.ValidationError as exc:
                errors[symbol] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)
        return shocks

    def to_representation(self, value):
        return value


class StressTestInputSerializer(serializers.Serializer):
    market_shock = serializers.DecimalField(
        **SHOCK_FIELD, help_text=_("E.g. -0.10: every price ten per cent lower; from -0.99 to 1."))
    symbol_shocks = SymbolShocksField(required=False, default=dict,
                                      help_text=_("Per-symbol shocks; they replace the market shock."))
    open_cases = serializers.BooleanField(required=False, default=False,
                                          help_text=_("Open outreach margin calls below the warning line."))


class StressTestAccountSerializer(serializers.Serializer):
    account_no = serializers.CharField()
    client = serializers.CharField()
    client_name = serializers.CharField()
    ratio = serializers.CharField(allow_null=True)
    shocked_ratio = serializers.CharField()
    line = serializers.CharField()
    top_up_cash = serializers.CharField()
    top_up_sell = serializers.CharField(allow_null=True)


class StressTestLineSerializer(serializers.Serializer):
    line = serializers.CharField(allow_null=True, help_text=_("The firm's default line with stress points."))
    top_up_to = serializers.CharField(help_text=_("Top-ups bring each account back to this line."))
    count = serializers.IntegerField()
    listed = serializers.IntegerField()
    top_up_total = serializers.CharField()
    accounts = StressTestAccountSerializer(many=True)


class StressTestSerializer(serializers.ModelSerializer):
    """A saved stress test with its result (per line, and the restore-to total below close-out)."""

    run_by = serializers.CharField(source="run_by.username")
    stress_points = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    restore_to = serializers.SerializerMethodField()
    outreach_state = serializers.ChoiceField(
        choices=["none", "running", "done"], read_only=True,
        help_text=_("Outreach cases: none (not asked for), running (still being opened) or done."))

    class Meta:
        model = StressTest
        fields = ["id", "run_by", "run_at", "market_shock", "symbol_shocks", "stress_points", "open_cases",
                  "cases_opened", "outreach_state", "outreach_total", "outreach_finished_at", "lines", "restore_to"]

    def get_stress_points(self, obj) -> str:
        """To the hundredth, as the stress mode shows them ("0.00", "5.00"; saved as "0" without one)."""
        return f'{Decimal(obj.result.get("stress_points", "0")):.2f}'

    @extend_schema_field(serializers.DictField(child=StressTestLineSerializer()))
    def get_lines(self, obj):
        return obj.result.get("lines", {})

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_restore_to(self, obj):
        return obj.result.get("restore_to", {})


class StressTestListSerializer(StressTestSerializer):
    """The list leaves out the accounts under each line (see the detail): it serialises the tests
    of risk.selectors.stress_tests_summarised, whose stored results stay in the database."""

    def to_representation(self, instance):
        instance.result = stress_test_summary(instance)  # the figures it read, not the stored result
        return super().to_representation(instance)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_lines(self, obj):
        return obj.result["lines"]


class StressModeInputSerializer(serializers.Serializer):
    points = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True,
                                      help_text=_("Percentage points added to every line; null lifts it."))
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class StressModeSerializer(serializers.ModelSerializer):
    set_by = serializers.CharField(source="set_by.username")

    class Meta:
        model = StressMode
        fields = ["id", "points", "reason", "set_by", "set_at"]


class StressModeStateSerializer(serializers.Serializer):
    """The answer of GET, POST and DELETE /api/v1/risk/stress-mode/ (documents the schema; `stress_mode_data`
    fills it): the active stress mode, or `active` false and the rest null (the reason blank)."""

    active = serializers.BooleanField()
    id = serializers.IntegerField(allow_null=True)
    points = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    set_by = serializers.CharField(allow_null=True)
    set_at = serializers.DateTimeField(allow_null=True)


def stress_mode_data(mode: StressMode | None) -> dict:
    """The active stress mode, or {"active": false, "points": null}."""
    if mode is None:
        return {"active": False, "points": None, "reason": "", "set_by": None, "set_at": None, "id": None}
    return {"active": True, **StressModeSerializer(mode).data}


class ForecastQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=forecast.MAX_DAYS, default=forecast.DEFAULT_DAYS)


class ForecastSerializer(serializers.Serializer):
    account_no = serializers.CharField(source="account.account_no")
    client = serializers.CharField(source="account.client.client_no")
    client_name = serializers.CharField(source="account.client.name")
    ratio = serializers.DecimalField(max_digits=RATIO_MAX_DIGITS, decimal_places=4, allow_null=True)
    warning_line = serializers.DecimalField(max_digits=8, decimal_places=4, allow_null=True)
    probability = serializers.DecimalField(max_digits=5, decimal_places=4,
                                           help_text=_("Of falling below the warning line within the days."))
    volatility = serializers.DecimalField(max_digits=8, decimal_places=4,
                                          help_text=_("Annualised volatility of the long collateral."))
    flags = serializers.ListField(child=serializers.CharField())
    thin_history = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Symbols of the account's securities with too little price history: the default "
                    "volatility is assumed for them (flag default_volatility), not for the others."))
