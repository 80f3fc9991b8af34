"""Fitting a relational schema: one single-table model per table, plus key statistics.

Per primary key: uniqueness is checked; integers keep their start (and whether they were a
1, 2, 3... sequence), strings keep per-position alphabets of their most common learned shape
(privacy-filtered like every pattern); a composite key keeps per component its distinct count
and how to make values (a foreign key's parent, a sequence start and step, or the learned
categories). Per foreign key (one column or a composite key's columns): null and orphan rates, and the
distribution of children per parent including parents without children, summarised as
quantiles and as a popularity curve (share of references -> parent rank). Per parent table, the
number of children under its busiest generated foreign key joins the parent's copula as a hidden
column (CHILD_COUNT), so the parent's columns learn how they go with it. Joins and group-bys
run in Spark; only quantile vectors reach the driver.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.errors import InputDataError
from spark_synth.fit.fitter import DEFAULT_MIN_COUNT, FitOptions, fit_table
from spark_synth.fit.rules import check_declared
from spark_synth.io.readers import read_table
from spark_synth.io.schema_config import ForeignKeyConfig, SchemaConfig, table_order
from spark_synth.model.io import SynthModel
from spark_synth.model.keyspace import key_shapes
from spark_synth.model.relational import (
    RELATIONAL_FORMAT,
    RELATIONAL_VERSION,
    SHARE_POINTS,
    ChildCount,
    CompositeKey,
    ForeignKey,
    KeyComponent,
    PrimaryKey,
    RelationalModel,
    RelationalModelFile,
    SmallCount,
    TableModel,
    generated_foreign_keys,
    share_grid,
)
from spark_synth.model.schema import CategoricalColumn, NumericColumn, PatternModel
from spark_synth.names import alias, positional, restore

log = logging.getLogger(__name__)
COUNT_QUANTILES = 101
SMALL_COUNTS_UP_TO = 32  # child counts up to this are kept exactly (when seen for >= k parents)
INTEGER_TYPES = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
CHILD_COUNT = "__spark_synth_children"


@dataclass(frozen=True)
class _Table:
    """A table by position: `df` has the positional aliases, `names` the real names."""

    df: DataFrame
    names: list[str]

    def col(self, column: str) -> Column:
        return F.col(alias(self.names.index(column)))

    def real(self) -> DataFrame:
        return restore(self.df, self.names)


def fit_schema(
    spark: SparkSession,
    config: SchemaConfig,
    base_dir: Path,
    min_count: int = DEFAULT_MIN_COUNT,
    statistics: dict | None = None,
    max_parents: int = 2,
    max_model_mb: float | None = None,
) -> RelationalModel:
    """The relational model of a schema config. With `statistics` (a dict), also its statistics
    for merging (fit/relational_merge.py): statistics["schema"] gets each table's statistics
    and the counts behind its keys."""
    if statistics is not None:
        composite = [n for n, t in config.tables.items() if len(t.key_columns) > 1]
        if composite:
            raise InputDataError(
                f"table {composite[0]!r} has a composite primary key, whose distinct counts do not add up across "
                "slices: statistics for merging need single-column keys (fit this schema without --stats)"
            )
    frames = {
        name: _Table(*positional(read_schema_table(spark, name, table, base_dir), name))
        for name, table in config.tables.items()
    }
    for name, table in config.tables.items():
        _check_columns(name, frames[name], table.key_columns + [c for fk in table.foreign_keys for c in fk.columns])
        # Declared rules are checked for every table before the first is fitted.
        check_declared(
            table.rules, {n: f.dataType.json() for n, f in zip(frames[name].names, frames[name].df.schema)}, name
        )
    tables = []
    counted: list[dict] = []
    for name in table_order(config):
        table = config.tables[name]
        frame = frames[name]
        table_stats: dict | None = None if statistics is None else {}
        rows = frame.df.count()
        if rows == 0:
            raise InputDataError(f"table {name!r} is empty; a relational model needs rows in every table")
        log.info("fit schema: table %s (%d rows)", name, rows)
        if table.key_columns:
            _check_unique(name, frame, table.key_columns, rows)
        driver = _busiest_foreign_key(config, name, frames) if table.key_columns else None
        # String key columns keep character shapes (their alphabets make the keys), never words.
        keys = {
            c: "unique"
            for c in table.key_columns
            if len(table.key_columns) == 1 and isinstance(frame.df.schema[frame.names.index(c)].dataType, T.StringType)
        }
        declared = {
            "declared_rules": tuple(table.rules),
            "force_rules": table.force_rules,
            "max_parents": max_parents,
            "max_model_mb": max_model_mb,
        }
        options = FitOptions(table=name, min_count=min_count, kinds=keys, **declared)
        if driver is not None:
            child, fk = driver
            options = FitOptions(
                table=name, min_count=min_count, root=CHILD_COUNT, kinds={**keys, CHILD_COUNT: "integer"}, **declared
            )
            model = fit_table(
                _with_child_count(frame, table.key_columns, frames[child], fk.columns), options, statistics=table_stats
            )
            child_count = ChildCount(column=CHILD_COUNT, child=child, foreign_key=fk.columns)
            if not model.spec.copula or CHILD_COUNT not in model.spec.copula.columns:
                child_count = None  # e.g. every parent has the same count: nothing to drive
        else:
            model = fit_table(frame.real(), options, statistics=table_stats)
            child_count = None
        primary_key = None
        key_counts: dict = {}
        if table.key_columns:
            if len(table.key_columns) == 1:
                primary_key = _primary_key(name, frame, model, table.key_columns[0], rows, key_counts)
            else:
                primary_key = _composite_key(name, frame, model, table)
        foreign_keys = []
        reference_counts: list[dict] = []
        for fk in table.foreign_keys:
            parent_key = config.tables[fk.references].key_columns
            raw: dict = {}
            foreign_keys.append(
                _foreign_key(
                    frame, frames[fk.references], fk.columns, parent_key, fk.references, fk.orphans, min_count, raw
                )
            )
            reference_counts.append(raw)
        if table_stats is not None:
            counted.append(
                {
                    "name": name,
                    "statistics": table_stats["table"],
                    "primary_key": key_counts or None,
                    "foreign_keys": reference_counts,
                    "child_count": None if child_count is None else child_count.model_dump(mode="json"),
                    "declared_keys": [
                        {"column": fk.column, "parent": fk.parent, "orphans": fk.orphans} for fk in foreign_keys
                    ],
                }
            )
        tables.append(
            TableModel(
                name=name,
                rows=rows,
                model=model.spec,
                primary_key=primary_key,
                foreign_keys=foreign_keys,
                child_count=child_count,
            )
        )
    if statistics is not None:
        statistics["schema"] = {"name": config.name, "min_count": min_count, "tables": counted}
    return RelationalModel(
        RelationalModelFile(
            format=RELATIONAL_FORMAT, schema_version=RELATIONAL_VERSION, name=config.name, tables=tables
        )
    )


def _busiest_foreign_key(
    config: SchemaConfig, name: str, frames: dict[str, _Table]
) -> tuple[str, ForeignKeyConfig] | None:
    """The generated foreign key into `name` with the most referencing rows: its popularity
    ranking is the one the parent's columns are fitted against."""
    best, best_rows = None, 0
    for child, table in config.tables.items():
        for fk in generated_foreign_keys(table.foreign_keys, table.key_columns):
            if fk.references != name:
                continue
            rows = frames[child].df.where(_all_present(frames[child], fk.columns)).count()
            if rows > best_rows:
                best, best_rows = (child, fk), rows
    return best


def _with_child_count(parent: _Table, key: list[str], child: _Table, columns: list[str]) -> DataFrame:
    """The parent (real names) with CHILD_COUNT: its number of referencing child rows (0 when none)."""
    counts = (
        child.df.where(_all_present(child, columns))
        .groupBy(*[child.col(c).alias(f"__key{i}") for i, c in enumerate(columns)])
        .agg(F.count(F.lit(1)).alias(CHILD_COUNT))
    )
    condition = F.lit(True)
    for i, k in enumerate(key):
        condition = condition & (parent.df[alias(parent.names.index(k))] == counts[f"__key{i}"])
    joined = parent.df.join(counts, condition, "left")
    return joined.select(
        *[parent.df[c] for c in parent.df.columns],
        F.coalesce(F.col(CHILD_COUNT), F.lit(0)).cast("long").alias(CHILD_COUNT),
    ).toDF(*parent.names, CHILD_COUNT)


def read_schema_table(spark: SparkSession, name: str, table, base_dir: Path) -> DataFrame:
    path = table.path
    if path is not None and "://" not in path and not Path(path).is_absolute():
        path = str((base_dir / path).resolve())
    try:
        return read_table(spark, path, table.format, table.table)
    except InputDataError as exc:
        raise InputDataError(f"table {name!r}: {exc}") from None


def _check_columns(name: str, frame: _Table, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.names]
    if missing:
        raise InputDataError(
            f"table {name!r} has no column(s) {missing} named in the schema config (its columns: {frame.names})"
        )


def _check_unique(name: str, frame: _Table, key: list[str], rows: int) -> None:
    df = frame.df
    cols = [frame.col(c) for c in key]
    nulls = (
        df.where(F.greatest(*[c.isNull().cast("int") for c in cols]) == 1).count()
        if len(cols) > 1
        else df.where(cols[0].isNull()).count()
    )
    if nulls:
        raise InputDataError(
            f"table {name!r}: primary key {key} is null in {nulls} rows; a primary key "
            "must be non-null (fix the data or declare another key)"
        )
    distinct = df.select(*cols).distinct().count()
    if distinct != rows:
        raise InputDataError(
            f"table {name!r}: primary key {key} is not unique in the real data "
            f"({rows - distinct} duplicate rows); declare a unique key"
        )


def _primary_key(name: str, frame: _Table, model: SynthModel, column: str, rows: int, counts: dict) -> PrimaryKey:
    """`counts` receives what a merge needs: the key's kind, and an integer key's extremes."""
    data_type = frame.df.schema[frame.names.index(column)].dataType
    if isinstance(data_type, INTEGER_TYPES):
        low, high = frame.df.agg(F.min(frame.col(column)), F.max(frame.col(column))).first()
        counts.update(kind="integer", column=column, min=int(low), max=int(high))
        return PrimaryKey(column=column, kind="integer", start=int(low), sequential=int(high) - int(low) + 1 == rows)
    if isinstance(data_type, T.StringType):
        pattern = getattr(model.column(column), "pattern", None)
        if pattern is None:
            raise InputDataError(f"table {name!r}: primary key {column!r} has no learned string pattern")
        counts.update(kind="string", column=column)
        return PrimaryKey(column=column, kind="string", alphabets=key_alphabets(pattern))
    raise InputDataError(
        f"table {name!r}: primary key {column!r} has type {data_type.simpleString()}; keys must be integers or strings"
    )


def _composite_key(name: str, frame: _Table, model: SynthModel, table) -> CompositeKey:
    """Components in the declared order; the first one grows with the scale factor."""
    columns = table.key_columns
    distinct = frame.df.agg(*[F.countDistinct(frame.col(c)).alias(f"d{i}") for i, c in enumerate(columns)]).first()
    references = {fk.columns[0]: fk.references for fk in table.foreign_keys if len(fk.columns) == 1}
    components = []
    for i, column in enumerate(columns):
        size = int(distinct[f"d{i}"])
        learned = model.column(column)
        if column in references:
            components.append(KeyComponent(column=column, kind="reference", size=size, parent=references[column]))
        elif isinstance(learned, NumericColumn) and learned.kind in ("integer", "datetime"):
            components.append(
                KeyComponent(
                    column=column, kind="sequence", size=size, start=int(learned.min), step=int(learned.granularity)
                )
            )
        elif isinstance(learned, CategoricalColumn) and learned.values:
            values = list(learned.values)  # privacy-filtered already
            components.append(KeyComponent(column=column, kind="category", size=min(size, len(values)), values=values))
        else:
            raise InputDataError(
                f"table {name!r}: composite primary key column {column!r} ({learned.kind}) cannot be generated; "
                "a component must be a foreign key, an integer, date or timestamp, or a categorical column"
            )
    return CompositeKey(kind="composite", components=components)


def key_alphabets(pattern: PatternModel) -> list[str]:
    """Allowed characters per position of the most common shape (learned, privacy-filtered)."""
    return list(max(key_shapes(pattern), key=lambda s: s.share).alphabets)


def _foreign_key(
    child: _Table,
    parent: _Table,
    columns: list[str],
    parent_key: list[str],
    parent_name: str,
    orphans: str,
    min_count: int,
    merge_counts: dict | None = None,
) -> ForeignKey:
    """A composite foreign key counts as null when any of its columns is (SQL's MATCH SIMPLE).
    `merge_counts` (if given) receives the sums a merge adds up (fit/relational_merge.py): rows,
    references, orphans, parents, the exact histogram of small child counts (before the privacy
    threshold) and the quantiles of the counts above them."""
    aliases = [f"__key{i}" for i in range(len(columns))]
    present = _all_present(child, columns)
    totals = child.df.agg(F.count(F.lit(1)).alias("rows"), F.count(F.when(present, 1)).alias("non_null")).first()
    keys = parent.df.select(*[parent.col(k).alias(a) for k, a in zip(parent_key, aliases)]).distinct()
    referencing = child.df.where(present).select(*[child.col(c).alias(a) for c, a in zip(columns, aliases)])
    orphan_rows = referencing.join(keys, aliases, "left_anti").count()
    per_parent = keys.join(referencing.groupBy(*aliases).count(), aliases, "left").select(
        F.coalesce(F.col("count"), F.lit(0)).cast("double").alias("n")
    )
    grid = [float(x) for x in np.linspace(0.0, 1.0, COUNT_QUANTILES)]
    counts = per_parent.agg(F.percentile_approx("n", grid, 100_000)).first()[0]  # bounded: quantiles
    small, tail = _small_counts(per_parent, grid, min_count, merge_counts)
    if merge_counts is not None:
        merge_counts.update(
            rows=int(totals["rows"]),
            references=int(totals["non_null"]),
            orphans=int(orphan_rows),
            children_per_parent=[float(c) for c in counts],
        )
    return ForeignKey(
        column=columns[0] if len(columns) == 1 else columns,
        parent=parent_name,
        orphans=orphans,
        null_fraction=1 - totals["non_null"] / totals["rows"],
        orphan_fraction=orphan_rows / totals["non_null"] if totals["non_null"] else 0.0,
        rank_at_share=rank_at_share(np.asarray(counts, dtype=np.float64)).tolist(),
        children_per_parent=[float(c) for c in counts],
        small_counts=small,
        tail_rank_at_share=tail,
    )


def _small_counts(
    per_parent: DataFrame, grid: list[float], min_count: int, merge_counts: dict | None = None
) -> tuple[list[SmallCount], list | None]:
    """Exact shares of parents with 0..SMALL_COUNTS_UP_TO children (counts seen for at least
    min_count parents: a histogram, never one parent), and the popularity curve of the rest.
    `merge_counts` (if given) receives the parents, the whole small histogram and the quantiles
    of the counts above it (one more aggregation)."""
    histogram = (
        per_parent.where(F.col("n") <= SMALL_COUNTS_UP_TO)
        .groupBy("n")
        .count()
        .collect()  # bounded: at most SMALL_COUNTS_UP_TO + 1 rows
    )
    parents = per_parent.count()
    if merge_counts is not None:
        large = per_parent.where(F.col("n") > SMALL_COUNTS_UP_TO).agg(
            F.count(F.lit(1)), F.percentile_approx("n", grid, 100_000)
        )
        large_parents, large_quantiles = large.first()  # bounded: one row of quantiles
        merge_counts.update(
            parents=int(parents),
            small={str(int(r["n"])): int(r["count"]) for r in histogram},
            large_parents=int(large_parents),
            large_quantiles=[float(q) for q in large_quantiles] if large_parents else [],
        )
    kept = {int(r["n"]): r["count"] for r in histogram if r["count"] >= min_count}
    small = [SmallCount(children=c, share=kept[c] / parents) for c in sorted(kept)]
    rest = per_parent.where(~F.col("n").isin([float(c) for c in kept])) if kept else per_parent
    if sum(kept.values()) >= parents:
        return small, None
    quantiles = rest.agg(F.percentile_approx("n", grid, 100_000)).first()[0]  # bounded: quantiles
    return small, rank_at_share(np.asarray(quantiles, dtype=np.float64)).tolist()


def rank_at_share(count_quantiles: np.ndarray, points: int = SHARE_POINTS, steps: int = 4096) -> np.ndarray:
    """Invert the popularity curve: parents sorted by children (most first); for each share s of
    all references, the rank fraction by which that share is used up."""
    ranks = (np.arange(steps) + 0.5) / steps
    p = np.linspace(0.0, 1.0, len(count_quantiles))
    descending = np.interp(1.0 - ranks, p, count_quantiles)
    shares = share_grid(points)
    if descending.sum() <= 0:
        return shares
    cumulative = np.concatenate([[0.0], np.cumsum(descending) / descending.sum()])
    edges = np.arange(steps + 1) / steps
    out = np.interp(shares, cumulative, edges)
    # Parents without children sit at the end of the ranking: the last share ends where the
    # cumulative share first reaches 1, not after them.
    out[0], out[-1] = 0.0, edges[int(np.argmax(cumulative >= 1.0 - 1e-12))]
    return np.clip(out, 0.0, 1.0)


def _all_present(frame: _Table, columns: list[str]) -> Column:
    """A (composite) key is present when none of its columns is null (SQL's MATCH SIMPLE)."""
    present = F.lit(True)
    for column in columns:
        present = present & frame.col(column).isNotNull()
    return present
