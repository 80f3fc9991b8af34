"""The public Python API: fit, merge, generate, generate_schema, load_model, register.

Fitting is fit/'s work. Generating reads top to bottom: the request is checked and compiled
into plans (spark_synth/plan/, pure Python), then an engine runs them (spark_synth/engine/).
"""

from __future__ import annotations

import os
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from spark_synth.engine.jvm import ensure_engine
from spark_synth.engine.run import run
from spark_synth.errors import ArgumentError
from spark_synth.fit import DEFAULT_MIN_COUNT, FitOptions, fit_table
from spark_synth.fit.budget import check_max_model_mb
from spark_synth.fit.fitter import check_max_parents
from spark_synth.fit.merge import check_slice_schema, merge_statistics
from spark_synth.fit.relational_merge import SchemaStatistics, load_any_statistics, merge_schema_statistics
from spark_synth.fit.statistics import TableStatistics, load_statistics
from spark_synth.io.lake_tables import LakeRead, read_lake
from spark_synth.model.io import SynthModel, load_model
from spark_synth.model.relational import RelationalModel
from spark_synth.model.schema import TableSource
from spark_synth.model.types import family
from spark_synth.plan.request import check_rows, check_run, plan_request
from spark_synth.plan.schema import plan_schema
from spark_synth.sessions import session_time_zone

__all__ = ["fit", "generate", "generate_schema", "load_model", "merge", "read_lake", "register"]


def fit(
    df: DataFrame | LakeRead,
    *,
    table: str = "table",
    min_count: int = DEFAULT_MIN_COUNT,
    kinds: dict[str, str] | None = None,
    exclude_unsupported: bool = False,
    max_categories: int = 5000,
    within: str = "categorical",
    block: str = "auto",
    formats: str = "auto",
    rules: str | list[str] = "auto",
    rule_share: float = 0.999,
    force_rules: bool = False,
    max_parents: int = 2,
    max_model_mb: float | None = None,
    stats: str | os.PathLike | None = None,
    update: str | os.PathLike | None = None,
) -> SynthModel:
    """Learn a model of `df` in a few bounded Spark passes. `df` may be a Delta or Iceberg table
    read at a pinned version, `read_lake(spark, "delta", path=P, version=3)`: the model then
    records the table, format and version (refitting that version gives the same model).

    kinds: per-column kind overrides, e.g. {"zip": "pattern"}, or a string column's semantic type
    (a public vocabulary its rare values are drawn from), e.g. {"where": "time_zone"}. min_count: privacy threshold k,
    no category value or table cell seen fewer times is stored. within: which dependency-tree
    parents give a numeric child its own quantiles inside each of their codes: "categorical"
    (default), "all" (numeric parents' bins too: closer pairs, models 2-4x larger) or "none".
    block: "auto" (default) samples a block of numeric columns from the full Gaussian copula where
    the dependency tree misses their correlations (shares of a whole) and the block fits the data
    better than the tree's tables it replaces; "none": always the tree.
    formats: "auto" (default) lets a pattern column's format (phone format, postcode shape, null)
    follow the column it depends on most (a country); "none" draws formats independently.
    rules: "auto" (default) finds rules that hold in >= rule_share of the real rows (B null when A
    is null, A <= B, hour = sched div 100, (origin, dest) -> distance, valid year/month/day) and
    makes every generated row satisfy them; "none" skips the search; a list of rules as text
    (["end >= start", "total = net + tax"]) declares them and searches for the others. A declared
    rule the real rows break in more than 1 - rule_share of the rows it speaks of is refused with
    that share, unless force_rules. `spark-synth rules M.json` lists a model's rules; its `rules`
    section may be edited by hand.
    max_parents: 1 gives every column one parent (the Chow-Liu tree); 2 (default) lets a column
    also depend on a second one where the data pays for the larger table (a route's destination
    on its carrier and its origin; fit/network.py), or a number follow another number inside its
    parent's codes (a region's latitude and longitude; fit/regression.py); 3 also lets a number
    follow two numbers (diamonds' table on its depth and its size; fit/regression_pairs.py).
    A model merged from statistics (update=, merge()) is a tree.
    max_model_mb: the model file's size budget in MiB: second parents are left out, least gain
    per byte first, to stay within it. None (default): 2 MiB for second parents only, a larger
    tree is kept as it is; a number: a model whose tree alone is larger is refused, naming its
    largest parts and the size it needs.
    stats: also write the fit's statistics (counts, frequent values with their counts, bucket
    counts; fit/statistics.py) to this JSON file, so that fits of disjoint slices can be combined
    with merge(). They keep values rarer than min_count: keep them with the data, share models.
    update: the statistics of the slices fitted so far; the model returned is their merge with
    this slice (and `stats`, if given, receives the merged statistics).
    """
    previous = None if update is None else load_statistics(update)  # refused before any Spark work
    source = None
    if isinstance(df, LakeRead):  # a Delta or Iceberg table at a pinned version: the model records it
        recorded = dict(df.source)
        since = recorded.pop("since", None)
        if previous is not None:
            check_increment(recorded, since, previous.source, str(update))
        source = TableSource(**recorded)
        df = df.frame
    if not isinstance(df, DataFrame):
        raise ArgumentError(
            f"fit takes a Spark DataFrame, not {type(df).__name__}: read the table first, e.g. "
            "fit(spark.read.parquet(path))"
        )
    if previous is not None:
        supported = [(f.name, f.dataType.json()) for f in df.schema.fields if family(f.dataType) is not None]
        check_slice_schema(previous, supported, str(update))
    _check_whole("min_count", min_count, "the privacy threshold k")
    _check_whole("max_categories", max_categories, "the most values a categorical column keeps")
    check_max_parents(max_parents)
    check_max_model_mb(max_model_mb)
    if isinstance(rule_share, bool) or not isinstance(rule_share, (int, float)):
        raise ArgumentError(f"rule_share must be a number between 0.5 and 1, not {rule_share!r}")
    if within not in ("categorical", "all", "none"):
        raise ArgumentError(f"within must be 'categorical', 'all' or 'none', not {within!r}")
    if block not in ("auto", "none"):
        raise ArgumentError(f"block must be 'auto' or 'none', not {block!r}")
    if formats not in ("auto", "none"):
        raise ArgumentError(f"formats must be 'auto' or 'none', not {formats!r}")
    declared: tuple[str, ...] = ()
    if isinstance(rules, (list, tuple)):
        declared, rules = tuple(rules), "auto"
    if rules not in ("auto", "none") or not all(isinstance(r, str) for r in declared):
        raise ArgumentError(f"rules must be 'auto', 'none' or a list of rules as text, not {rules!r}")
    if not 0.5 <= rule_share <= 1.0:
        raise ArgumentError(f"rule_share must be between 0.5 and 1, not {rule_share!r}")
    counted: dict | None = {} if stats is not None or update is not None else None
    model = fit_table(
        df,
        FitOptions(
            table=table,
            min_count=min_count,
            kinds=dict(kinds or {}),
            exclude_unsupported=exclude_unsupported,
            max_categories=max_categories,
            within=within,
            block=block,
            formats=formats,
            rules=rules,
            rule_share=rule_share,
            declared_rules=declared,
            force_rules=force_rules,
            max_parents=max_parents,
            max_model_mb=max_model_mb,
        ),
        statistics=counted,
    )
    if counted is not None:
        slice_statistics: TableStatistics = counted["table"]
        slice_statistics.source = None if source is None else source.model_dump(mode="json")
        if previous is not None:
            merged = merge(previous, slice_statistics, stats=stats, names=[str(update), "this slice"])
            assert isinstance(merged, SynthModel)  # two tables' statistics merge into a table's model
            return merged
        assert stats is not None  # counted only when statistics are asked for
        slice_statistics.save(stats)
    return _with_source(model, source)


def check_increment(source: dict, since: int | None, recorded: dict | None, update: str) -> None:
    """A lake table added with update=: its rows since the version the statistics record, or
    (another table) all of them; never the whole table again, which would count rows twice."""
    if recorded is None or (recorded["format"], recorded["location"]) != (source["format"], source["location"]):
        return
    if since is None:
        raise ArgumentError(
            f"{update} already holds version {recorded['version']} of {source['location']}: read only the rows "
            f"appended since, read_lake(..., since={recorded['version']}) (the CLI's fit --update does)"
        )
    if since != recorded["version"]:
        raise ArgumentError(
            f"{update} holds {source['location']} up to version {recorded['version']}, but the rows read start after "
            f"version {since}: read_lake(..., since={recorded['version']})"
        )


def _with_source(model: SynthModel, source: TableSource | None) -> SynthModel:
    if source is None:
        return model
    return SynthModel(model.spec.model_copy(update={"table": model.spec.table.model_copy(update={"source": source})}))


def merge(
    *slices: str | os.PathLike | TableStatistics | SchemaStatistics,
    stats: str | os.PathLike | None = None,
    allow_overlap: bool = False,
    names: list[str] | None = None,
) -> SynthModel | RelationalModel:
    """One model from the statistics of fits of disjoint slices of a table (the days of a lake),
    as fit(df, stats=PATH) wrote them: it matches a fit of their union (fit/merge.py says how
    closely). The privacy threshold applies to the merged counts. `stats`: also write the merged
    statistics (merge them again with later slices). Slices that share most of their rows are
    refused unless allow_overlap (equal rows that recur across slices). Statistics of a schema
    (`spark-synth fit --config S.yaml --stats PATH`) merge table by table into a relational
    model (fit/relational_merge.py: slices must keep each parent with its children)."""
    loaded = [s if isinstance(s, (TableStatistics, SchemaStatistics)) else load_any_statistics(s) for s in slices]
    given = [isinstance(s, (TableStatistics, SchemaStatistics)) for s in slices]
    names = names or [f"slice {i + 1}" if g else str(s) for i, (s, g) in enumerate(zip(slices, given))]
    kinds = {isinstance(s, SchemaStatistics) for s in loaded}
    if len(kinds) > 1:
        table_one = names[next(i for i, s in enumerate(loaded) if not isinstance(s, SchemaStatistics))]
        raise ArgumentError(
            f"{table_one} holds one table's statistics and the others a schema's: merge schema slices "
            "(fit --config --stats) with each other, and table slices with each other"
        )
    if kinds == {True}:
        relational, merged_schema = merge_schema_statistics(loaded, names, allow_overlap)  # type: ignore[arg-type]
        if stats is not None:
            merged_schema.save(stats)
        return relational
    model, merged = merge_statistics(loaded, names, allow_overlap)  # type: ignore[arg-type]
    if stats is not None:
        merged.save(stats)
    source = merged.source
    return _with_source(model, None if source is None else TableSource(**source))


def generate(
    spark: SparkSession,
    model: SynthModel,
    rows: int,
    seed: int = 0,
    partitions: int | None = None,
    where: dict | list[str] | None = None,
    rebalance: dict[str, dict] | None = None,
) -> DataFrame:
    """A lazy DataFrame of `rows` synthetic rows with the source schema; the same
    (model, seed, rows, where) gives the same rows for any partition count or cluster.

    where: conditions every row satisfies, the other columns following the model given them
    (exactly, no rejection): {"carrier": "UA"}, {"origin": ["JFK", "LGA"]}, {"tailnum": None}
    (null), {"tailnum": "not null"}, a range {"arr_delay": (60, None)} (closed; None: open), or
    texts ["carrier = UA", "origin in (JFK, LGA)", "arr_delay >= 60",
    "time_hour between 2013-06-01 and 2013-06-30"] (timestamps without an offset in the session's
    time zone).
    rebalance: {"status": {"1": 0.5, "0": 0.5}}: the column takes exactly these shares of the
    rows (allocated as row ranges), the other columns following the model given each value."""
    if not isinstance(model, SynthModel):
        raise ArgumentError(_not_a_model("generate", model, "generate_schema(spark, model, scale)"))
    check_rows(rows)
    check_run(seed, partitions)
    time_zone = session_time_zone(spark) if where or rebalance else None
    scans = plan_request(model, rows, where, rebalance, time_zone)
    return run(spark, scans, seed, partitions)


def generate_schema(
    spark: SparkSession,
    model: RelationalModel,
    scale: float = 1.0,
    seed: int = 0,
    partitions: int | None = None,
    where: dict[str, Any] | None = None,
) -> dict[str, DataFrame]:
    """Lazy DataFrames per table of a relational model (parents first), each with its source
    schema and round(scale * real rows) rows; keys are computed from the row index, so primary
    keys are unique and foreign keys resolve without a join. `where` maps tables to their
    conditions: {"orders": ["quantity >= 3"]}."""
    if not isinstance(model, RelationalModel):
        raise ArgumentError(_not_a_model("generate_schema", model, "generate(spark, model, rows)"))
    check_run(seed, partitions)
    scans = plan_schema(model, scale, where, session_time_zone(spark) if where else None)
    return {name: run(spark, [scan], seed, partitions) for name, scan in scans.items()}


def _check_whole(name: str, value: Any, meaning: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArgumentError(f"{name} ({meaning}) must be a whole number of at least 1, got {value!r}")


def _not_a_model(function: str, model: Any, other: str) -> str:
    """Why `model` cannot go to `function`: a path, or the other kind of model."""
    wanted = "relational" if function == "generate_schema" else "single-table"
    if isinstance(model, (SynthModel, RelationalModel)):
        return f"{function} takes a {wanted} model; this one is not: use {other}"
    if isinstance(model, (str, os.PathLike)):
        return (
            f"{function} takes a model, not a path: load it first, {function}(spark, load_model({str(model)!r}), ...)"
        )
    return f"{function} takes a {wanted} model (from fit or load_model), not {type(model).__name__}"


def register(spark: SparkSession) -> None:
    """Make `spark.read.format("spark_synth").option("model", path).option("rows", n).load()`
    work in a session that was not started with the engine jar (sessions from
    spark_synth.io.get_spark, or spark-submit --jars spark-synth-engine.jar, already have it)."""
    ensure_engine(spark)
