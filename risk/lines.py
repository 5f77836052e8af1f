"""The lines an account's ratio is watched against: its own or the firm's default (PRODUCT.md),
raised by the active stress mode's percentage points. One definition for Python and SQL."""

from decimal import Decimal

from django.conf import settings

from accounts.ratio import LINE_NAMES
from risk.models import StressMode

HUNDRED = Decimal(100)


def active_stress_points() -> Decimal:
    """Percentage points the active stress mode adds to every line (0 when none is set)."""
    points = StressMode.objects.filter(lifted_at__isnull=True).values_list("points", flat=True).first()
    return points if points is not None else Decimal(0)


def hysteresis_band() -> Decimal:
    return Decimal(settings.MARGIN_HYSTERESIS)


def effective_line(account, name: str, stress_points: Decimal = Decimal(0)) -> Decimal | None:
    """The account's line `name` (attention, warning, close_out, restore_to, withdrawal,
    immediate) as a ratio (1.40 = 140 %), raised by the stress points; None if it has none."""
    line = account.line(name)
    return None if line is None else line + stress_points / HUNDRED


def effective_lines(account, stress_points: Decimal = Decimal(0), names=LINE_NAMES) -> dict[str, Decimal | None]:
    """Each of the lines `names` of the account, as `effective_line` gives it, by name."""
    return {name: effective_line(account, name, stress_points) for name in names}


def line_sql(name: str, stress_points: Decimal, alias: str = "a") -> str:
    """SQL for the same line of the credit account row `alias` (NULL when it has none)."""
    default = settings.MARGIN_DEFAULT_LINES.get(name)
    own = f"{alias}.{name}_line"
    base = f"COALESCE({own}, {Decimal(default)})" if default is not None else own
    return f"({base} + {stress_points / HUNDRED})"
