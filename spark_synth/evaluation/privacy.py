"""Privacy checks on Spark: exact copies of real rows, and an audit of the model file's values."""

from __future__ import annotations

from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from spark_synth.model.io import SynthModel
from spark_synth.model.schema import CategoricalColumn, ConstantColumn
from spark_synth.names import quote


def exact_copies(real: DataFrame, synthetic: DataFrame) -> dict[str, float]:
    """Synthetic rows equal (nulls equal too) to some real row, against the real table's own
    duplicate rate: a generator that copies nothing still repeats what the real data repeats."""
    real_rows = real.count()
    real_duplicates = real_rows - real.distinct().count()
    distinct_real = real.distinct()
    condition = reduce(lambda a, b: a & b, [synthetic[c].eqNullSafe(distinct_real[c]) for c in real.columns])
    synthetic_rows = synthetic.count()
    copies = synthetic.join(distinct_real, condition, "left_semi").count()
    return {
        "real_rows": real_rows,
        "synthetic_rows": synthetic_rows,
        "copied_rows": copies,
        "copy_rate": copies / synthetic_rows if synthetic_rows else 0.0,
        "real_duplicate_rate": real_duplicates / real_rows if real_rows else 0.0,
    }


def audit_model(
    real: DataFrame, model: SynthModel, columns: dict[str, str] | None = None, min_count: int | None = None
) -> list[dict]:
    """Every category or constant value stored in the model that occurs fewer than `min_count`
    (default: the model's own threshold) times in `real`; empty for a model fitted on `real`.
    `columns` maps the model's names to `real`'s (its positional aliases), default the same."""
    k = min_count or model.spec.privacy.min_count
    columns = columns or {c: c for c in real.columns}
    findings = []
    for column in model.columns:
        if isinstance(column, CategoricalColumn):
            stored = list(column.values)
        elif isinstance(column, ConstantColumn):
            stored = [column.value]
        else:
            continue
        if column.name not in columns or not stored:
            continue
        name = columns[column.name]
        stored_counts = real.where(F.col(quote(name)).isin(stored)).groupBy(quote(name)).count()
        counts = {row[0]: row[1] for row in stored_counts.collect()}  # bounded: stored values only
        for value in stored:
            if counts.get(value, 0) < k:
                findings.append(
                    {"column": column.name, "value": value, "real_count": counts.get(value, 0), "min_count": k}
                )
    return findings
