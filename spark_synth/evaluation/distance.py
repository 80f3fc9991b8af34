"""Distance to closest record (DCR), SDMetrics' definition, on bounded samples.

Distance between two rows = mean over columns of: numbers and datetimes |a - b| / range of the
reference column (capped at 1; a zero range counts any difference as 1), categories 0 if equal
else 1; both null = 0, one null = 1. The DCR of a row is its distance to the nearest reference
row. Set against a real hold-out: if synthetic rows sit as far from the real rows as fresh real
rows do, the generator has not memorised records; a synthetic DCR distribution piled up at 0
means it has. Units: a DCR is a share of columns (0 = an identical row, 1 = every column as far
apart as the column's range).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from scipy.stats import mannwhitneyu

from spark_synth.model.types import family
from spark_synth.names import quote
from spark_synth.sql.encodings import NUMERIC_FAMILIES, numeric_expression

CHUNK_ROWS = 200


def dcr(data: pd.DataFrame, reference: pd.DataFrame, numeric: list[str]) -> np.ndarray:
    """DCR of every row of `data` to `reference` (same columns; `numeric` ones by range)."""
    columns = list(reference.columns)
    if not columns:
        raise ValueError("no columns to measure distances on")
    prepared = []
    for name in columns:
        if name in numeric:
            ref = reference[name].to_numpy(dtype=np.float64, na_value=np.nan)
            span = np.nanmax(ref) - np.nanmin(ref) if np.isfinite(ref).any() else 0.0
            prepared.append(("number", data[name].to_numpy(dtype=np.float64, na_value=np.nan), ref, span))
        else:
            codes, _ = pd.factorize(pd.concat([data[name], reference[name]], ignore_index=True), use_na_sentinel=False)
            prepared.append(("category", codes[: len(data)], codes[len(data) :], 0.0))
    out = np.empty(len(data))
    for start in range(0, len(data), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, len(data))
        total = np.zeros((stop - start, len(reference)))
        for kind, values, ref, span in prepared:
            a = values[start:stop, None]
            if kind == "category":
                total += a != ref[None, :]
                continue
            with np.errstate(invalid="ignore"):
                diff = np.abs(a - ref[None, :])
                d = (diff > 0).astype(float) if span == 0 else np.minimum(diff / span, 1.0)
            a_null, r_null = np.isnan(a), np.isnan(ref)[None, :]
            d = np.where(a_null ^ r_null, 1.0, np.where(a_null & r_null, 0.0, d))
            total += d
        out[start:stop] = total.min(axis=1) / len(prepared)
    return out


def distance_to_closest_record(
    real: DataFrame, synthetic: DataFrame, rows: int = 1000, reference_rows: int = 5000, seed: int = 0
) -> dict:
    """DCR of `rows` synthetic rows and of `rows` real hold-out rows to `reference_rows` other
    real rows (disjoint random samples). Bounded: only the samples reach the driver."""
    numeric = [f.name for f in real.schema.fields if family(f.dataType) in NUMERIC_FAMILIES]
    usable = [f.name for f in real.schema.fields if family(f.dataType) is not None]
    real_n, synth_n = real.count(), synthetic.count()
    split = real.withColumn("__u", F.rand(seed))
    ref_share = min(0.5, reference_rows * 1.2 / real_n)
    hold_share = min(0.5, rows * 1.2 / real_n)
    reference = _sample(split.where(F.col("__u") < ref_share), usable, reference_rows)
    holdout = _sample(split.where(F.col("__u") >= 1 - hold_share), usable, rows)
    synth = _sample(synthetic.where(F.rand(seed + 1) < min(1.0, rows * 1.2 / synth_n)), usable, rows)
    synthetic_dcr = dcr(synth, reference, numeric)
    holdout_dcr = dcr(holdout, reference, numeric)
    # P(synthetic DCR < hold-out DCR), ties half: Mann-Whitney U of the two samples.
    closer = 1.0 - mannwhitneyu(synthetic_dcr, holdout_dcr).statistic / (len(synthetic_dcr) * len(holdout_dcr))
    return {
        "synthetic_rows": len(synth),
        "holdout_rows": len(holdout),
        "reference_rows": len(reference),
        "synthetic_median": float(np.median(synthetic_dcr)),
        "holdout_median": float(np.median(holdout_dcr)),
        "synthetic_p05": float(np.quantile(synthetic_dcr, 0.05)),
        "holdout_p05": float(np.quantile(holdout_dcr, 0.05)),
        "synthetic_zero_share": float(np.mean(synthetic_dcr == 0)),
        "holdout_zero_share": float(np.mean(holdout_dcr == 0)),
        # 0.5 when synthetic rows are as close to real rows as fresh real rows are; near 1 = copying
        "closer_than_holdout_probability": float(closer),
        "histogram": dcr_histogram(synthetic_dcr, holdout_dcr),
    }


HISTOGRAM_BINS = 20


def dcr_histogram(synthetic: np.ndarray, holdout: np.ndarray) -> dict:
    """Shares of the synthetic and of the hold-out sample per distance bin: HISTOGRAM_BINS equal
    bins from 0 to the largest distance of either (distances are shares of columns, 0 to 1),
    the first closed at 0 so that exact copies show as a bar of their own height."""
    top = float(max(synthetic.max(initial=0.0), holdout.max(initial=0.0))) or 1.0
    edges = np.linspace(0.0, top, HISTOGRAM_BINS + 1)

    def shares(values: np.ndarray) -> list[float]:
        counts, _ = np.histogram(values, bins=edges)
        return (counts / max(len(values), 1)).round(6).tolist()

    return {"edges": edges.round(6).tolist(), "synthetic": shares(synthetic), "holdout": shares(holdout)}


def _sample(df: DataFrame, columns: list[str], limit: int) -> pd.DataFrame:
    """At most `limit` rows, numbers and datetimes as doubles (bounded collect)."""
    fields = {f.name: family(f.dataType) for f in df.schema.fields}
    exprs = [
        numeric_expression(c, fields[c]).alias(c) if fields[c] in NUMERIC_FAMILIES else F.col(quote(c)) for c in columns
    ]
    return df.select(*exprs).limit(limit).toPandas()  # bounded: at most `limit` sampled rows
