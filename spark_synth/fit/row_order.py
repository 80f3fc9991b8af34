"""Row order: an id column whose real rows rise with another column (a record number counted up
over the years, an order number with its date).

Ids are written in row order (start + row * step), and every other column is drawn given the
tree, so the two came out independent: on the survey table (35,549 rows, record_id ~ year
Spearman 1.00) the gap was 1.00 and the table captured 0.55 of its dependence. The row's position
is a parent the engine always has, so a *tree root* can follow it: its normal is
rho * Phi^-1((row + 0.5) / rows) + sqrt(1 - rho^2) * its own (docs/plan.md §6 step 1), and the
tree carries the order to every column below it.

The fit (one bounded aggregation, only for tables with an id column):
- candidates: the copula columns without nulls (a root's null share sits at the bottom of its
  uniform, which the position would fill with the first rows), up to MAX_CANDIDATES;
- per id column and candidate, the sums of fit/regression.py over one parent code: rows, the
  position score s = Phi^-1((id - min + 0.5) / (max - min + 1)) (the id's place in its range, as
  the engine's row's place in the rows), s^2, the candidate's normal score a (its copula u, as
  pass 2 codes it), a^2, a * s, and the moments of the latent normal over the span a stands for
  (a category's code, a number's point mass), which turn the observed correlation into the
  latent one the engine draws;
- choice: the pair whose Gaussian mutual information -log(1 - rho^2)/2, less log(n)/(2n) for its
  one stored number, is largest and at least network.MIN_GAIN. The column becomes the root of
  its tree component (fit/dependence.py chow_liu_edges) and the id column stores it (model
  RowOrder).

Privacy: one correlation per table; no value is stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from scipy.special import ndtri

from spark_synth.fit.joint import coded_with_ties, scale_from_spec
from spark_synth.fit.regression import EDGE, STATISTICS, RegressionCandidate, fitted, latent_moments, score_sums
from spark_synth.model.schema import RowOrder
from spark_synth.model.types import parse_spark_type
from spark_synth.names import quote

log = logging.getLogger(__name__)

MAX_CANDIDATES = 64  # copula columns scored against an id column (a wide table: its first ones)


@dataclass(frozen=True)
class IdRange:
    """An id column of the fit: its alias in the frame and its real range."""

    name: str
    alias: str
    low: int
    high: int


@dataclass(frozen=True)
class Ordered:
    """The chosen pair: the id column, the root that follows the row's position, and the gain."""

    id_column: str
    order: RowOrder
    gain: float


def position_scores(ids: np.ndarray, low: int, high: int) -> np.ndarray:
    """Each id's place in its range as a normal score, the engine's row place (row + 0.5) / rows
    on the fit's side: ids are written as start + row * step."""
    place = (ids.astype(np.float64) - low + 0.5) / (high - low + 1)
    return ndtri(np.clip(place, EDGE, 1.0 - EDGE))


def batch_sums(
    ids: np.ndarray, low: int, high: int, codes: np.ndarray, u: np.ndarray, tie: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """One batch's STATISTICS sums of one (id, candidate) pair over its rows whose id and
    candidate are non-null (a candidate has no nulls; a null id row, in a merged frame, is left).
    `tie`: the u interval each candidate value spans (joint.coded_with_ties: a category's code, a
    number's point mass), so a year's 26 codes are corrected for what one code hides."""
    keep = (codes > 0) & ~np.isnan(ids)
    s = position_scores(ids[keep], low, high)
    a = ndtri(np.clip(u[keep], EDGE, 1.0 - EDGE))
    latent = latent_moments(tie[0][keep], tie[1][keep], a)
    return score_sums(np.zeros(len(a), dtype=np.int64), 1, a, latent, s)[0]


def choose(
    ids: list[IdRange], candidates: list[str], sums: np.ndarray, rows: int, min_count: int, min_gain: float
) -> Ordered | None:
    """The (id, candidate) pair of the largest net gain, at least min_gain; None otherwise. `sums`:
    (ids, candidates, STATISTICS). Pure."""
    best: Ordered | None = None
    for i, identity in enumerate(ids):
        for j, name in enumerate(candidates):
            candidate = RegressionCandidate(name, "", identity.name)
            found = fitted(candidate, sums[i, j][None, :], rows, min_count, drawn_normal=True)
            if found is None or found.gain < min_gain or (best is not None and found.gain <= best.gain):
                continue
            best = Ordered(identity.name, RowOrder(column=name, rho=found.regression.rho), found.gain)
    return best


def fit_row_order(
    frame: DataFrame,
    ids: list[IdRange],
    candidates: list[str],
    entries: dict[str, dict],
    bins: int,
    rows: int,
    min_count: int,
    min_gain: float,
) -> Ordered | None:
    """One mapInArrow over the id and candidate columns, summed on the driver (ids x candidates x
    STATISTICS numbers, whatever the row count); then `choose`."""
    candidates = candidates[:MAX_CANDIDATES]
    if not ids or not candidates:
        return None
    spec = json.dumps(
        {
            "ids": [[i.alias, i.low, i.high] for i in ids],
            "copula": [entries[n] for n in candidates],
            "bins": bins,
        }
    )
    inputs = [i.alias for i in ids] + [entries[n]["input"] for n in candidates]
    projected = frame.select(*[F.col(quote(a)) for a in dict.fromkeys(inputs)])

    def task(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        yield from _partition_sums(json.loads(spec), batches)

    summed = projected.mapInArrow(task, "key long, x double").groupBy("key").agg(F.sum("x").alias("x"))
    sums = np.zeros((len(ids), len(candidates), STATISTICS))
    for key, x in summed.collect():  # bounded: ids x candidates x STATISTICS rows
        sums.flat[int(key)] = x
    chosen = choose(ids, candidates, sums, rows, min_count, min_gain)
    if chosen is not None:
        log.info(
            "fit: %s rises with %s (rho %.3f, gain %.4f nats per row): %s follows the row's position",
            chosen.id_column,
            chosen.order.column,
            chosen.order.rho,
            chosen.gain,
            chosen.order.column,
        )
    return chosen


def _partition_sums(spec: dict, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    entries, bins = spec["copula"], spec["bins"]
    scales = [scale_from_spec(e, bins) for e in entries]
    types = [parse_spark_type(e["column"]["spark_type"]) for e in entries]
    sums = np.zeros((len(spec["ids"]), len(entries), STATISTICS))
    for batch in batches:
        if batch.num_rows == 0:
            continue
        coded = [coded_with_ties(batch.column(e["input"]), e, s, t) for e, s, t in zip(entries, scales, types)]
        for i, (alias, low, high) in enumerate(spec["ids"]):
            ids = batch.column(alias).to_numpy(zero_copy_only=False).astype(np.float64)
            for j, (codes, u, tie) in enumerate(coded):
                sums[i, j] += batch_sums(ids, low, high, codes, u, tie)
    yield pa.RecordBatch.from_arrays(
        [pa.array(np.arange(sums.size), pa.int64()), pa.array(sums.ravel(), pa.float64())], names=["key", "x"]
    )
