"""How the report draws one number column: which bars, on which scale, with which ticks.

Pure logic (no Spark), so the bars can be defined once and counted exactly: every bar is a
half-open interval [edges[i], edges[i + 1]) in the column's own units (days for dates,
microseconds for timestamps), the outer bars open (synthetic values beyond the real range are
counted in the end bars). Counting compares values with edges only, so anyone can recount a bar
with a Spark filter and get the same share.

The scale follows the data: linear unless the middle 98 % of the real values fill less than
LINEAR_SHARE of the range (delays, distances: a long tail would leave most of the width empty),
then logarithmic for positive columns and symmetric-logarithmic (sign(x) log10(1 + |x|)) for
columns that cross zero. Dates and timestamps stay linear.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

MAX_VALUE_BARS = 40  # integer columns with at most this many values get one bar per value
DISPLAY_BINS = 30
LINEAR_SHARE = 0.7
TIME_FAMILIES = ("date", "timestamp", "timestamp_ntz")


def layout(family: str, lo: float, hi: float, quantiles: list[float]) -> dict:
    """The bars of a column from its exact real minimum and maximum and its real quantiles
    (evenly spaced probabilities, 0 to 1): {"kind": "values", "lo", "hi"} (one bar per whole
    number) or {"kind": "histogram", "scale", "edges", "ticks"}, each with "constant"."""
    constant = hi <= lo  # no variation: no association to draw either
    if family == "integral" and hi - lo + 1 <= MAX_VALUE_BARS:
        return {"kind": "values", "lo": lo, "hi": hi, "constant": constant}
    scale = choose_scale(family, lo, hi, quantiles)
    edges = bar_edges(scale, lo, hi, whole=family == "integral")
    ticks_ = ticks(scale, lo, hi, family)
    return {"kind": "histogram", "scale": scale, "edges": edges, "ticks": ticks_, "constant": constant}


def choose_scale(family: str, lo: float, hi: float, quantiles: list[float]) -> str:
    if family in TIME_FAMILIES or hi <= lo or len(quantiles) < 3:
        return "linear"
    q = np.asarray(quantiles, dtype=np.float64)
    middle = np.quantile(q, 0.99) - np.quantile(q, 0.01)  # quantiles of evenly spaced quantiles
    if middle >= LINEAR_SHARE * (hi - lo):
        return "linear"
    return "log" if lo > 0 else "symlog"


def forward(scale: str, x: np.ndarray | float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if scale == "log":
        return np.log10(x)
    if scale == "symlog":
        return np.sign(x) * np.log10(1.0 + np.abs(x))
    return x


def inverse(scale: str, t: np.ndarray | float) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if scale == "log":
        return np.power(10.0, t)
    if scale == "symlog":
        return np.sign(t) * (np.power(10.0, np.abs(t)) - 1.0)
    return t


def bar_edges(scale: str, lo: float, hi: float, whole: bool = False) -> list[float]:
    """DISPLAY_BINS + 1 edges evenly spaced on the scale from lo to hi (fewer when whole numbers
    would leave bars narrower than one unit: those edges are rounded to halves between whole
    numbers and repeated ones dropped, so no bar is empty by construction)."""
    if hi <= lo:
        return [lo, lo + 1.0]
    t = np.linspace(float(forward(scale, lo)), float(forward(scale, hi)), DISPLAY_BINS + 1)
    edges = inverse(scale, t)
    edges[0], edges[-1] = lo, hi
    if whole:
        inner = np.unique(np.floor(edges[1:-1]) + 0.5)
        inner = inner[(inner > lo) & (inner < hi)]
        edges = np.concatenate([[lo], inner, [hi]])
    return [float(e) for e in edges]


def bar_of(values: np.ndarray, shown: dict) -> np.ndarray:
    """The bar index of each (non-null) value: what the report counts."""
    if shown["kind"] == "values":
        bars = int(shown["hi"] - shown["lo"]) + 1
        return np.clip(np.rint(values - shown["lo"]), 0, bars - 1).astype(np.int64)
    inner = np.asarray(shown["edges"][1:-1], dtype=np.float64)
    return np.searchsorted(inner, values, side="right").astype(np.int64)


def bar_count(shown: dict) -> int:
    if shown["kind"] == "values":
        return int(shown["hi"] - shown["lo"]) + 1
    return len(shown["edges"]) - 1


def ticks(scale: str, lo: float, hi: float, family: str) -> list[float]:
    """Values to mark on the x axis, inside [lo, hi]: round numbers on a linear scale (whole days
    for dates), powers of ten (with 2 and 5 between when few) on a logarithmic one, zero and
    signed powers of ten on a symmetric one."""
    if hi <= lo:
        return [lo]
    if scale == "linear":
        step = nice_step((hi - lo) / 5)
        if family == "date":
            step = max(1.0, round(step))
        first = math.ceil(lo / step) * step
        return [float(v) for v in np.arange(first, hi + step * 1e-9, step)][:8]
    powers = range(math.floor(math.log10(max(abs(lo), abs(hi), 1e-300))) + 1, -13, -1)
    marks = {0.0} if scale == "symlog" else set()
    for p in powers:
        for m in (1, 2, 5):
            for sign in (1, -1):
                v = sign * m * 10.0**p
                if lo <= v <= hi and (scale != "symlog" or abs(v) >= 1):
                    marks.add(v)
    decades = sorted(v for v in marks if v == 0 or abs(math.log10(abs(v))) % 1 < 1e-9)
    return decades if len(decades) >= 3 else sorted(marks)


def nice_step(raw: float) -> float:
    """The round number (1, 2 or 5 times a power of ten) nearest above `raw`."""
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def format_value(family: str | None, x: float, digits: int = 4) -> str:
    """A value on the report's scale as a reader writes it: dates and times, else `digits`
    significant digits."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    try:
        if family == "date":
            return (epoch + timedelta(days=x)).strftime("%Y-%m-%d")
        if family in ("timestamp", "timestamp_ntz"):
            return (epoch + timedelta(microseconds=x)).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # beyond year 9999
        pass
    return f"{x:.{digits}g}"
