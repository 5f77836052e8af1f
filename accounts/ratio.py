"""The maintenance collateral ratio (维持担保比例), exactly as PRODUCT.md defines it.

ratio = (cash + market value of all securities held + other collateral)
        / (financing debt + market value of shares borrowed and sold + interest and fees)

Full market value, no haircut. No liability means no ratio (None), never a division error.
The same arithmetic runs in Python (one account) and in SQL (many accounts in one query,
`with_ratio`); both round the ratio to RATIO_PLACES decimals, half up.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, ExpressionWrapper, F, Func, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Round

LINE_NAMES = ("attention", "warning", "close_out", "restore_to", "withdrawal", "immediate")
RATIO_PLACES = 4
RATIO_QUANTUM = Decimal(1).scaleb(-RATIO_PLACES)
CENT = Decimal("0.01")
ZERO = Decimal("0")

_AMOUNT = DecimalField(max_digits=24, decimal_places=4)
_RATIO = DecimalField(max_digits=12, decimal_places=RATIO_PLACES)


def market_value(quantity: int, price: Decimal) -> Decimal:
    return Decimal(quantity) * price


def total_assets(*, cash: Decimal, other_collateral: Decimal, long_value: Decimal) -> Decimal:
    return cash + other_collateral + long_value


def total_liabilities(*, financing_debt: Decimal, short_value: Decimal, interest_fees: Decimal) -> Decimal:
    return financing_debt + short_value + interest_fees


def maintenance_ratio(assets: Decimal, liabilities: Decimal) -> Decimal | None:
    if liabilities <= 0:
        return None
    return (assets / liabilities).quantize(RATIO_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TopUp:
    """What restores a target ratio: add `cash`, or sell `sell` worth of securities and repay."""

    target: Decimal
    cash: Decimal
    sell: Decimal | None


def top_up(assets: Decimal, liabilities: Decimal, target: Decimal) -> TopUp:
    """C = t·D − A in cash, or S = (t·D − A) / (t − 1) sold and repaid; rounded up to the cent."""
    shortfall = target * liabilities - assets
    if liabilities <= 0 or shortfall <= 0:
        return TopUp(target=target, cash=ZERO.quantize(CENT), sell=ZERO.quantize(CENT))
    cash = shortfall.quantize(CENT, rounding=ROUND_CEILING)
    sell = (shortfall / (target - 1)).quantize(CENT, rounding=ROUND_CEILING) if target > 1 else None
    return TopUp(target=target, cash=cash, sell=sell)


class DecimalDivide(Func):
    """a / b as a decimal division everywhere: SQLite keeps whole-number NUMERIC values as
    integers and would divide them as integers (150000 / 120000 = 1)."""

    arity = 2
    template = "(%(expressions)s)"
    arg_joiner = " / "

    def as_sqlite(self, compiler, connection, **extra_context):
        numerator, numerator_params = compiler.compile(self.source_expressions[0])
        denominator, denominator_params = compiler.compile(self.source_expressions[1])
        return f"(CAST({numerator} AS REAL) / {denominator})", [*numerator_params, *denominator_params]


def _position_sum(kind: str):
    from accounts.models import Position

    value = ExpressionWrapper(F("quantity") * F("security__price"), output_field=_AMOUNT)
    return Coalesce(
        Subquery(
            Position.objects.filter(account=OuterRef("pk"), kind=kind)
            .order_by()
            .values("account")
            .annotate(total=Sum(value))
            .values("total"),
            output_field=_AMOUNT,
        ),
        Value(ZERO),
        output_field=_AMOUNT,
    )


def with_ratio(queryset):
    """Annotate credit accounts with long_value, short_value, total_assets_sql,
    total_liabilities_sql and maintenance_ratio_sql, all in the one query."""
    return queryset.annotate(
        long_value=_position_sum("long"),
        short_value=_position_sum("short"),
    ).annotate(
        total_assets_sql=ExpressionWrapper(
            F("cash") + F("other_collateral") + F("long_value"), output_field=_AMOUNT
        ),
        total_liabilities_sql=ExpressionWrapper(
            F("financing_debt") + F("short_value") + F("interest_fees"), output_field=_AMOUNT
        ),
    ).annotate(
        maintenance_ratio_sql=Case(
            When(Q(total_liabilities_sql__gt=0),
                 then=Round(
                     DecimalDivide(F("total_assets_sql"), F("total_liabilities_sql"), output_field=_RATIO),
                     RATIO_PLACES,
                 )),
            default=None,
            output_field=_RATIO,
        )
    )
