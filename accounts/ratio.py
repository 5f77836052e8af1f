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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk import formats

LINE_NAMES = ("attention", "warning", "close_out", "restore_to", "withdrawal", "immediate")
RATIO_PLACES = 4
#: Digits of a stored or shown ratio: a liability of a few cents (interest left after the debt is
#: repaid) against an account's assets is a ratio of hundreds of millions. 28 is the precision of
#: Python's decimal arithmetic above, and holds any ratio of amounts the money columns hold.
RATIO_MAX_DIGITS = 28
RATIO_QUANTUM = Decimal(1).scaleb(-RATIO_PLACES)
CENT = Decimal("0.01")
ZERO = Decimal("0")

_AMOUNT = DecimalField(max_digits=24, decimal_places=4)
_RATIO = DecimalField(max_digits=RATIO_MAX_DIGITS, decimal_places=RATIO_PLACES)


LINE_LABELS = {
    "attention": gettext_lazy("attention line"),
    "warning": gettext_lazy("warning line"),
    "close_out": gettext_lazy("close-out line"),
    "restore_to": gettext_lazy("restore-to line"),
    "withdrawal": gettext_lazy("withdrawal line"),
    "immediate": gettext_lazy("immediate close-out line"),
}
#: (upper, lower, strictly): the upper line must lie above the lower one (or on it, when not strictly).
#: An alert fires for each of attention, warning and close-out in that order as the ratio falls, the
#: immediate line lies below close-out, a margin call's top-up restores above close-out, and a
#: withdrawal needs at least the attention line.
#: The highest line an account may have (1,000 %): the withdrawal line, highest of all, is 300 % by
#: default. Far above it lies only a slip (99 for 0.99), which a stress mode then raised past what a
#: line can hold, and every revaluation failed.
MAX_LINE = Decimal("10")
LINE_ORDER = (
    ("attention", "warning", True),
    ("warning", "close_out", True),
    ("close_out", "immediate", True),
    ("restore_to", "close_out", True),
    ("withdrawal", "attention", False),
)


def line_problems(own: dict[str, Decimal | None], defaults: dict[str, str | Decimal]) -> dict[str, str]:
    """{line name: message} for an account's own lines (`own`, None where it takes the firm's
    default) that are not above zero, above MAX_LINE or out of order with the others, own or default:
    one message per line, on the line the account itself sets."""
    problems: dict[str, str] = {}
    for name, value in own.items():
        if value is not None and value <= 0:
            problems[name] = _("must be above zero")
        elif value is not None and value > MAX_LINE:
            problems[name] = _("must be at most %(value)s") % {"value": formats.ratio_percent(MAX_LINE)}

    def effective(name):
        value = own.get(name)
        if value is None and defaults.get(name) is not None:
            value = Decimal(defaults[name])
        return value

    for upper, lower, strictly in LINE_ORDER:
        high, low = effective(upper), effective(lower)
        if high is None or low is None or high > low or (high == low and not strictly):
            continue
        if own.get(lower) is not None and lower not in problems:
            message = _("must be below the %(line)s (%(value)s)") if strictly else _(
                "must not be above the %(line)s (%(value)s)")
            problems[lower] = message % {"line": LINE_LABELS[upper], "value": formats.ratio_percent(high)}
        elif own.get(upper) is not None and upper not in problems:
            message = _("must be above the %(line)s (%(value)s)") if strictly else _(
                "must not be below the %(line)s (%(value)s)")
            problems[upper] = message % {"line": LINE_LABELS[lower], "value": formats.ratio_percent(low)}
    return problems


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
    """C = t·D − A in cash, or S = (t·D − A) / (t − 1) sold and repaid; rounded up to the cent.

    No sale restores the line (`sell` None) when t is at or below 100 %, or when the assets are
    below the liabilities (a ratio under 100 %): S is then more than the liabilities, and more
    than everything the account holds; only cash does."""
    shortfall = target * liabilities - assets
    if liabilities <= 0 or shortfall <= 0:
        return TopUp(target=target, cash=ZERO.quantize(CENT), sell=ZERO.quantize(CENT))
    cash = shortfall.quantize(CENT, rounding=ROUND_CEILING)
    sellable = target > 1 and assets >= liabilities
    sell = (shortfall / (target - 1)).quantize(CENT, rounding=ROUND_CEILING) if sellable else None
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
