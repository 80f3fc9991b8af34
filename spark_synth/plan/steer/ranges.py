"""Ranges on numeric and datetime columns (issue 16): from what a user writes to a u-interval.

A condition such as `arr_delay >= 60` or `time_hour between 2013-06-01 and 2013-06-30` becomes a
`Span` on the column's unit scale (the model's: integers, days, microseconds, unscaled decimals,
doubles), its bounds moved inward onto the values the column can take (granularity, decimal
places). Generated values are a monotone function of the column's uniform u (docs/plan.md §7),
so the values inside the span are exactly the u of one interval [u_low, u_high]: the compiler
cuts the column's codes at those two points and gives the codes outside no mass, so every row
lands inside by construction; no row is drawn and thrown away.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from spark_synth.errors import GenerateError
from spark_synth.model.marginals import quantile, rounding_step
from spark_synth.model.schema import NumericColumn

_EPOCH_DAY = dt.date(1970, 1, 1)
_EPOCH = dt.datetime(1970, 1, 1)


@dataclass(frozen=True)
class Range:
    """A range as written (values as the user gave them): `low`/`high` None when open."""

    low: Any = None
    high: Any = None
    low_strict: bool = False
    high_strict: bool = False


@dataclass(frozen=True)
class Span:
    """What a numeric column may take: null (`null`), values (`values`) in [low, high] on its unit
    scale, bounds inclusive and None when open."""

    null: bool
    values: bool
    low: int | float | None = None
    high: int | float | None = None

    def meet(self, other: Span) -> Span:
        lows = [x for x in (self.low, other.low) if x is not None]
        highs = [x for x in (self.high, other.high) if x is not None]
        return Span(
            self.null and other.null,
            self.values and other.values,
            max(lows) if lows else None,
            min(highs) if highs else None,
        )

    @property
    def empty(self) -> bool:
        return not self.null and (
            not self.values or (self.low is not None and self.high is not None and self.low > self.high)
        )

    def holds(self, value: Any) -> bool:
        if value is None:
            return self.null
        return self.values and (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self, column: NumericColumn) -> str:
        parts = [] if self.values else ["null"]
        if self.values:
            if self.low is None and self.high is None:
                parts.append("not null")
            else:
                parts.append(f"between {shown(column, self.low)} and {shown(column, self.high)}")
        return " or ".join(parts)


ANY = Span(null=True, values=True)
NOT_NULL = Span(null=False, values=True)
ONLY_NULL = Span(null=True, values=False)


def span_of(column: NumericColumn, wanted: Any, time_zone: str | None = None) -> Span:
    """The Span a condition on `column` allows: None (null), "not null", a value, a Range or a
    (low, high) tuple; GenerateError for anything a number column cannot take."""
    if wanted is None:
        if column.null_fraction <= 0:
            raise GenerateError(f"condition {column.name!r} is null: the column was never null in the real data")
        return ONLY_NULL
    if isinstance(wanted, str) and wanted == "not null":
        return NOT_NULL
    if isinstance(wanted, tuple):
        if len(wanted) != 2:
            raise GenerateError(
                f"condition on {column.name!r}: a range is a pair (low, high), None for an open end; got {wanted!r}"
            )
        wanted = Range(*wanted)
    if isinstance(wanted, list):
        raise GenerateError(
            f"condition on {column.name!r}: a set of values on a {column.kind} column is not "
            "supported; write a range: (low, high) or 'column between low and high'"
        )
    if not isinstance(wanted, Range):
        wanted = Range(wanted, wanted)
    low = (
        None
        if wanted.low is None
        else to_unit(column, wanted.low, up=True, strict=wanted.low_strict, time_zone=time_zone)
    )
    high = (
        None
        if wanted.high is None
        else to_unit(column, wanted.high, up=False, strict=wanted.high_strict, time_zone=time_zone)
    )
    if wanted.low is None and wanted.high is None:
        raise GenerateError(f"condition on {column.name!r}: a range open at both ends; write 'is not null'")
    if low is not None and high is not None and low > high:
        written = f"{wanted.low!s} .. {wanted.high!s}"
        reason = (
            "inverted (low above high)"
            if _raw_inverted(column, wanted, time_zone)
            else "empty: no value the column can take lies inside"
        )
        raise GenerateError(f"condition on {column.name!r}: the range {written} is {reason}")
    if (low is not None and low > column.max) or (high is not None and high < column.min):
        raise GenerateError(
            f"condition on {column.name!r}: the range lies outside the values the model learned "
            f"({shown(column, column.min)} .. {shown(column, column.max)}); the model generates "
            "nothing there"
        )
    return Span(null=False, values=True, low=low, high=high)


def _raw_inverted(column: NumericColumn, wanted: Range, time_zone: str | None) -> bool:
    return to_unit(column, wanted.low, up=False, strict=False, time_zone=time_zone) > to_unit(
        column, wanted.high, up=True, strict=False, time_zone=time_zone
    )


def to_unit(column: NumericColumn, value: Any, up: bool, strict: bool, time_zone: str | None = None) -> int | float:
    """`value` on the column's unit scale, moved onto the nearest value the column can take on
    the inside of the bound: up for a low bound, down for a high one; `strict` excludes it."""
    family = column.type.family
    try:
        if family == "date":
            exact = Decimal((_as_date(value) - _EPOCH_DAY).days)
        elif family in ("timestamp", "timestamp_ntz"):
            exact = Decimal(_micros(value, family, time_zone))
        else:
            if isinstance(value, (bool, dt.date, dt.datetime)):
                raise ValueError
            exact = Decimal(str(value).strip()) * (Decimal(10) ** column.type.scale if family == "decimal" else 1)
            if not exact.is_finite():
                raise ValueError
    except (ValueError, TypeError, InvalidOperation, ArithmeticError):
        raise GenerateError(f"condition on {column.name!r}: {value!r} is not a {_what(column)}") from None
    if not column.exact:
        x = float(exact)
        step = rounding_step(column)
        if step is not None:
            x = (math.ceil(x / step - 1e-9) if up else math.floor(x / step + 1e-9)) * step
            if strict and x == float(exact):
                x += step if up else -step
        elif strict:
            x = math.nextafter(x, math.inf if up else -math.inf)
        return x
    g = column.granularity
    whole = math.ceil(exact) if up else math.floor(exact)
    if strict and whole == exact:
        whole += 1 if up else -1
    return -(-whole // g) * g if up else whole // g * g


def _what(column: NumericColumn) -> str:
    family = column.type.family
    if family == "date":
        return "date (write YYYY-MM-DD)"
    if family.startswith("timestamp"):
        return "timestamp (write YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, an offset such as +01:00 optional)"
    return "number"


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip())


def _micros(value: Any, family: str, time_zone: str | None) -> int:
    """Microseconds since the epoch: UTC for a timestamp (a naive time read in `time_zone`, the
    Spark session's, else the machine's), the wall clock for timestamp_ntz."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        moment = dt.datetime.fromisoformat(str(value).strip())
    if family == "timestamp_ntz":
        delta = moment.replace(tzinfo=None) - _EPOCH
    else:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(time_zone)) if time_zone else moment.astimezone()
        delta = moment - _EPOCH.replace(tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def shown(column: NumericColumn, x: int | float | None) -> str:
    """A unit-scale value as the user reads it (dates and timestamps as ISO text)."""
    if x is None:
        return "open"
    family = column.type.family
    if family == "date":
        return (_EPOCH_DAY + dt.timedelta(days=int(x))).isoformat()
    if family in ("timestamp", "timestamp_ntz"):
        moment = _EPOCH + dt.timedelta(microseconds=int(x))
        return moment.isoformat(sep=" ") + ("" if family == "timestamp_ntz" else " UTC")
    if family == "decimal" and column.type.scale:
        return str(Decimal(int(x)).scaleb(-column.type.scale))
    return str(x)


# --- the u-interval -----------------------------------------------------------------------------


def value_at(column: NumericColumn, q: np.ndarray) -> np.ndarray:
    """The generated value at non-null quantile position q (docs/plan.md §7, in doubles: the
    engine's exact arithmetic may differ in the last unit, which its clip to the span absorbs)."""
    x = quantile(column.quantiles, q)
    step = rounding_step(column)
    if column.exact and column.granularity > 1:
        x = np.floor(x / column.granularity + 0.5) * column.granularity
    elif step is not None:
        x = np.rint(x / step) * step
    return np.clip(x, float(column.min), float(column.max))


def u_interval(column: NumericColumn, span: Span) -> tuple[float, float]:
    """[u_low, u_high] on the column's u scale (null mass first) whose values lie in the span's
    bounds; GenerateError when the model gives the span no mass."""
    q_low = 0.0 if span.low is None else _edge_q(column, lambda x: x >= float(span.low), rising=True)
    q_high = 1.0 if span.high is None else _edge_q(column, lambda x: x <= float(span.high), rising=False)
    if q_low is None or q_high is None or q_high <= q_low:
        raise GenerateError(
            f"condition on {column.name!r}: {span.describe(column)} has probability 0 under the "
            "model (no generated value falls there); widen the range"
        )
    p_null = column.null_fraction
    return p_null + (1 - p_null) * q_low, p_null + (1 - p_null) * q_high


def _edge_q(column: NumericColumn, inside, rising: bool) -> float | None:
    """Where a monotone predicate of the value at q changes: the smallest q inside (`rising`:
    false, then true as q grows) or the largest (true, then false); None if no q is inside."""
    start, end = (0.0, 1.0) if rising else (1.0, 0.0)
    if inside(float(value_at(column, np.array([start]))[0])):
        return start
    if not inside(float(value_at(column, np.array([end]))[0])):
        return None
    outside_q, inside_q = start, end
    for _ in range(100):
        mid = (outside_q + inside_q) / 2
        if mid in (outside_q, inside_q):
            break
        if inside(float(value_at(column, np.array([mid]))[0])):
            inside_q = mid
        else:
            outside_q = mid
    return inside_q


def clipped(column: NumericColumn, span: Span, numeric: dict) -> dict:
    """The plan's numeric field with min/max narrowed to the span (§7's clip keeps every value
    inside even where doubles and the engine's exact arithmetic part in the last unit)."""
    out = dict(numeric)
    if span.low is not None:
        out["min"] = max(column.min, span.low)
    if span.high is not None:
        out["max"] = min(column.max, span.high)
    return out


__all__ = [
    "ANY",
    "NOT_NULL",
    "ONLY_NULL",
    "Range",
    "Span",
    "clipped",
    "shown",
    "span_of",
    "to_unit",
    "u_interval",
    "value_at",
]
