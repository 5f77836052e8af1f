"""Server-side SVG geometry for the credit-account panel: the maintenance-ratio gauge against the
account's lines and the ratio-history sparkline. Plain numbers for the template's <svg>; no
script, no inline style (the Content-Security-Policy allows neither), colours come from classes.
Coordinates are Decimals rounded to one place: drawing, not money, but no float either."""

from dataclasses import dataclass
from decimal import Decimal

GAUGE_WIDTH = Decimal(300)
GAUGE_PAD = Decimal(10)
SPARK_WIDTH = Decimal(300)
SPARK_HEIGHT = Decimal(80)
SPARK_PAD = Decimal(6)
ONE_PLACE = Decimal("0.1")
HUNDRED = Decimal(100)


def _round(value: Decimal) -> Decimal:
    return value.quantize(ONE_PLACE)


def percent(ratio: Decimal | None) -> Decimal | None:
    """1.2834 → 128.34 (the ratio as a percentage, two places)."""
    return None if ratio is None else (ratio * HUNDRED).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Zone:
    css: str
    x: Decimal
    width: Decimal


@dataclass(frozen=True)
class Tick:
    name: str
    x: Decimal
    value: Decimal  # percent
    label_y: int | None = None  # where its label goes; None: no label (another line has that value)


LABEL_ROWS = (50, 61)
LABEL_WIDTH = Decimal(24)


def _labelled(ticks: list[Tick]) -> list[Tick]:
    """Labels under the ticks, one per value, moved to a second row when they would overlap."""
    placed: dict[int, list[Decimal]] = {row: [] for row in LABEL_ROWS}
    seen = set()
    result = []
    for tick in sorted(ticks, key=lambda t: t.x):
        label_y = None
        if tick.value not in seen:
            seen.add(tick.value)
            label_y = next((row for row in LABEL_ROWS
                            if all(abs(tick.x - x) >= LABEL_WIDTH for x in placed[row])), LABEL_ROWS[-1])
            placed[label_y].append(tick.x)
        result.append(Tick(tick.name, tick.x, tick.value, label_y))
    return result


@dataclass(frozen=True)
class Gauge:
    low: Decimal
    high: Decimal
    zones: list[Zone]
    ticks: list[Tick]
    marker_x: Decimal | None
    ratio_percent: Decimal | None
    off_scale: str  # "", "below" or "above"


def gauge(ratio: Decimal | None, lines: dict[str, Decimal | None]) -> Gauge | None:
    """The ratio on a scale from 100 % to at least 200 % with the zones below close-out (danger),
    close-out to warning, warning to attention, and above attention (ok)."""
    close_out, warning, attention = lines.get("close_out"), lines.get("warning"), lines.get("attention")
    if close_out is None or warning is None or attention is None:
        return None
    low = min(Decimal(1), close_out - Decimal("0.1"))
    high = max(Decimal(2), attention + Decimal("0.5"))
    span = GAUGE_WIDTH - 2 * GAUGE_PAD

    def x(value: Decimal) -> Decimal:
        clamped = min(max(value, low), high)
        return _round(GAUGE_PAD + (clamped - low) / (high - low) * span)

    edges = [("zone-danger", low, close_out), ("zone-warning", close_out, warning),
             ("zone-attention", warning, attention), ("zone-ok", attention, high)]
    zones = [Zone(css, x(start), x(end) - x(start)) for css, start, end in edges if end > start]
    ticks = _labelled([Tick(name, x(value), percent(value))
                       for name in ("close_out", "warning", "attention", "restore_to")
                       if (value := lines.get(name)) is not None])
    off_scale = ""
    if ratio is not None:
        off_scale = "below" if ratio < low else "above" if ratio > high else ""
    return Gauge(low=percent(low), high=percent(high), zones=zones, ticks=ticks,
                 marker_x=None if ratio is None else x(ratio), ratio_percent=percent(ratio), off_scale=off_scale)


@dataclass(frozen=True)
class Sparkline:
    points: str  # "x,y x,y …" for <polyline points>
    last_x: Decimal
    last_y: Decimal
    lines: list[Tick]  # horizontal guide lines; `x` holds their y coordinate
    first_at: object
    last_at: object
    minimum: Decimal
    maximum: Decimal


def sparkline(snapshots, lines: dict[str, Decimal | None]) -> Sparkline | None:
    """Snapshots oldest first (taken_at, maintenance_ratio); those without a ratio (no liability)
    are left out. Guide lines for warning and close-out when they fall inside the range."""
    values = [(s.taken_at, s.maintenance_ratio) for s in snapshots if s.maintenance_ratio is not None]
    if len(values) < 2:
        return None
    ratios = [ratio for _at, ratio in values]
    guides = {name: lines[name] for name in ("warning", "close_out") if lines.get(name) is not None}
    low = min(ratios + list(guides.values()))
    high = max(ratios + list(guides.values()))
    if high == low:
        high = low + Decimal("0.01")
    height = SPARK_HEIGHT - 2 * SPARK_PAD
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / (len(values) - 1)

    def y(value: Decimal) -> Decimal:
        return _round(SPARK_PAD + (high - value) / (high - low) * height)

    coordinates = [(_round(SPARK_PAD + step * index), y(ratio)) for index, ratio in enumerate(ratios)]
    return Sparkline(
        points=" ".join(f"{px},{py}" for px, py in coordinates),
        last_x=coordinates[-1][0], last_y=coordinates[-1][1],
        lines=[Tick(name, y(value), percent(value)) for name, value in guides.items()],
        first_at=values[0][0], last_at=values[-1][0], minimum=percent(min(ratios)), maximum=percent(max(ratios)),
    )
