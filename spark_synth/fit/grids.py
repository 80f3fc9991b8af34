"""A number's coarser grid, net of its point masses.

The profile counts how many values lie on a coarser grid than the column's decimals (whole inches
among rain amounts measured to 0.01): `grid_share` of the generated values are then rounded to
`grid_step` (docs/plan.md §6). A point mass is generated exactly by the quantile function (its
plateau), so counting it as "on the grid" rounds the *other* values: weather's precipitation is 0
in 93 % of hours, so 93 % of every amount was rounded to whole inches, and 0.01-0.49 became 0:
0.5 % of generated hours had rain against 6.7 % real. The engine rounds every value with the
same chance g, and a plateau already on the grid stays as it is, so g = (share - on-grid plateau
mass) / (1 - on-grid plateau mass) gives the real share on the grid; under MIN_GRID_SHARE there
is no grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from spark_synth.fit.profile import MIN_GRID_SHARE


def plateaus(probabilities: Sequence[float], values: Sequence[float]) -> dict[float, float]:
    """Each value the quantile function repeats, with the probability its plateau spans."""
    p, v = np.asarray(probabilities, dtype=np.float64), np.asarray(values, dtype=np.float64)
    found: dict[float, float] = {}
    for i in np.flatnonzero(v[1:] == v[:-1]):
        found[float(v[i])] = found.get(float(v[i]), 0.0) + float(p[i + 1] - p[i])
    return found


def on_grid(value: float, step: float) -> bool:
    ratio = value / step
    return abs(ratio - round(ratio)) <= 1e-9 * max(1.0, abs(ratio))


def share_beyond_plateaus(
    step: float | None, share: float | None, probabilities: Sequence[float], values: Sequence[float]
) -> float | None:
    """The grid share among the values off the quantile function's plateaus; None when there is
    no grid, or it holds under MIN_GRID_SHARE of them."""
    if step is None or not share:
        return None
    on = sum(w for value, w in plateaus(probabilities, values).items() if on_grid(value, step))
    if on >= 1.0 - 1e-9:
        return share
    rest = float(np.clip((share - on) / (1.0 - on), 0.0, 1.0))
    return round(rest, 9) if rest >= MIN_GRID_SHARE else None
