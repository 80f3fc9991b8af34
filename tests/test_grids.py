"""A number's coarser grid net of its point masses (fit/grids.py): Spark-free."""

from __future__ import annotations

import numpy as np
import pytest

from spark_synth.fit.grids import plateaus, share_beyond_plateaus


def _rain(zero_share: float, whole_share_of_rest: float, points: int = 257) -> tuple[list[float], list[float]]:
    """A quantile function: 0 up to zero_share, then amounts in hundredths, the last
    whole_share_of_rest of them whole inches."""
    p = np.linspace(0.0, 1.0, points)
    v = np.where(p <= zero_share, 0.0, np.round(0.01 + (p - zero_share) * 0.5, 2))
    whole = p > 1 - whole_share_of_rest * (1 - zero_share)
    v = np.where(whole, np.ceil(v) + 1, v)
    return p.tolist(), np.maximum.accumulate(v).tolist()


def test_plateaus_are_the_repeated_values_with_their_mass():
    found = plateaus([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 1.5, 2.0])
    assert found == {0.0: 0.5}
    assert plateaus([0.0, 0.5, 1.0], [1.0, 2.0, 3.0]) == {}


def test_a_point_mass_on_the_grid_is_not_counted_as_rounding_the_rest():
    """Weather's rain: 0 in 93 % of hours, so 93 % of values look whole; the amounts are not."""
    p, v = _rain(0.93, 0.0)
    mass = plateaus(p, v)[0.0]
    assert mass == pytest.approx(0.93, abs=0.01)
    assert share_beyond_plateaus(1.0, 0.933, p, v) is None, "the rest holds no whole inches"


@pytest.mark.parametrize("zero_share", [0.3, 0.6, 0.84])
def test_a_grid_the_rest_does_keep_gets_its_share_among_the_rest(zero_share):
    """Visibility: 10 miles in 84 % of hours, and most other readings whole miles too."""
    p, v = _rain(zero_share, 0.0)
    share = zero_share + 0.7 * (1 - zero_share)
    kept = share_beyond_plateaus(1.0, share, p, v)
    assert kept == pytest.approx(0.7, abs=0.02)


def test_without_plateaus_or_grid_nothing_changes():
    p = np.linspace(0, 1, 65).tolist()
    v = np.linspace(3.0, 9.0, 65).tolist()
    assert share_beyond_plateaus(0.5, 0.8, p, v) == 0.8
    assert share_beyond_plateaus(None, None, p, v) is None
