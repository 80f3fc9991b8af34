"""fit(): a Spark DataFrame in, a SynthModel out, in two passes over the data.

Pass 1 (profile.py) decides each column's kind and marginal; pass 2 (joint.py) counts what the
joint structure and the string shapes need; the rest happens on the driver on bounded sums.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from pyspark.sql import DataFrame

from spark_synth import __version__
from spark_synth.errors import InputDataError
from spark_synth.fit.dependence import (chow_liu_edges, conditional_table, correlation_from_sums,
                                        mutual_information)
from spark_synth.fit.joint import JointStats, collect_joint_stats, copula_spec
from spark_synth.fit.kinds import choose_kind
from spark_synth.fit.patterns import build_pattern
from spark_synth.fit.profile import QUANTILE_GRID, ColumnProfile, profile_columns
from spark_synth.fit.types import supported_fields
from spark_synth.model.io import SynthModel
from spark_synth.model.schema import (FORMAT_NAME, SCHEMA_VERSION, CategoricalColumn, ConstantColumn,
                                      Copula, Dependency, IdColumn, NullColumn, NumericColumn,
                                      PatternColumn, Privacy, QuantileFunction, SynthModelFile,
                                      TableInfo)

log = logging.getLogger(__name__)

DEFAULT_MIN_COUNT = 5


@dataclass(frozen=True)
class FitOptions:
    """min_count: privacy threshold k, no value or table cell seen fewer times is stored.
    max_categories: most categories kept per column. bins: equal-probability bins coding numbers
    in dependency tables. min_mutual_information: weakest dependency worth a conditional table."""

    table: str = "table"
    min_count: int = DEFAULT_MIN_COUNT
    max_categories: int = 5000
    bins: int = 32
    min_mutual_information: float = 0.02
    kinds: dict[str, str] = field(default_factory=dict)
    exclude_unsupported: bool = False
    root: str | None = None  # a column the generator drives (relational child counts): no parent


def fit_table(df: DataFrame, options: FitOptions = FitOptions()) -> SynthModel:
    table = options.table
    if options.min_count < 1:
        raise ValueError("min_count must be at least 1")
    fields = supported_fields(df.schema, table, options.exclude_unsupported)
    if not fields:
        raise InputDataError(f"table {table}: no column of a supported type to model")
    unknown = sorted(set(options.kinds) - {f.name for f in fields})
    if unknown:
        raise InputDataError(f"table {table}: kind overrides name unknown columns {unknown}; "
                             f"columns are {[f.name for f in fields]}")
    wants_categories = {n for n, k in options.kinds.items() if k == "categorical"}
    log.info("fit %s: pass 1 (profile) over %d columns", table, len(fields))
    rows, profiles = profile_columns(df, fields, options.max_categories, wants_categories)
    if rows == 0:
        raise InputDataError(f"table {table} is empty: there is nothing to learn from; check the input path/filter")
    kinds = [choose_kind(p, table, options.min_count, options.max_categories, options.kinds.get(p.name))
             for p in profiles]

    columns: dict[str, object] = {}
    copula_names: list[str] = []
    copula_entries: list[dict] = []
    string_names: list[str] = []
    for p, kind in zip(profiles, kinds):
        column = _marginal_column(p, kind, options)
        columns[p.name] = column
        if kind in ("continuous", "integer", "decimal", "datetime", "categorical", "boolean"):
            copula_names.append(p.name)
            copula_entries.append(copula_spec(column, p.family))
        if p.family == "string" and kind in ("categorical", "pattern"):
            string_names.append(p.name)

    stats = JointStats(rows=rows)
    if copula_entries or string_names:
        log.info("fit %s: pass 2 (joint statistics) over %d copula and %d string columns",
                 table, len(copula_entries), len(string_names))
        stats = collect_joint_stats(df, copula_entries, string_names, options.bins)

    by_name = {p.name: p for p in profiles}
    for s, name in enumerate(string_names):
        pattern = build_pattern(stats.shape_counts[s], stats.char_counts[s], stats.prefix_counts[s],
                                options.min_count, by_name[name].max_length or 1)
        stub = columns[name]
        if isinstance(stub, PatternColumn):
            columns[name] = PatternColumn(**dict(_common_fields(stub), kind="pattern", pattern=pattern))
        else:
            columns[name] = stub.model_copy(update={"pattern": pattern})

    code_maps: dict[int, np.ndarray] = {}
    for j, name in enumerate(copula_names):
        column = columns[name]
        if isinstance(column, CategoricalColumn):
            columns[name], code_maps[j] = _final_categorical(column, by_name[name], stats.code_counts[j], options)

    # A categorical column whose every value turned out rare left the copula (it is a pattern now).
    keep = [j for j, n in enumerate(copula_names) if isinstance(columns[n], NumericColumn | CategoricalColumn)]
    copula, dependencies = None, []
    if keep:
        copula, dependencies = _joint_model(stats, copula_names, keep, code_maps, options)
    spec = SynthModelFile(
        format=FORMAT_NAME, schema_version=SCHEMA_VERSION, created_by=f"spark_synth {__version__}",
        table=TableInfo(name=table, row_count=rows), privacy=Privacy(min_count=options.min_count),
        columns=[columns[p.name] for p in profiles], copula=copula, dependencies=dependencies)
    return SynthModel(spec)


def _marginal_column(p: ColumnProfile, kind: str, options: FitOptions):
    common = dict(name=p.name, spark_type=p.spark_type, nullable=p.nullable,
                  null_fraction=round(p.null_fraction, 9))
    if kind == "null":
        return NullColumn(kind="null", **dict(common, null_fraction=1.0))
    if kind == "constant":
        value = p.top[0][0] if p.top else p.min
        if p.family in ("integral",):
            value = int(value)
        return ConstantColumn(kind="constant", value=value, **common)
    if kind == "id":
        return IdColumn(kind="id", start=int(p.min), **common)
    if kind == "pattern":
        return PatternColumn.model_construct(kind="pattern", pattern=None, **common)
    if kind in ("categorical", "boolean"):
        top = [(v, c) for v, c in (p.top or []) if c >= options.min_count][: options.max_categories]
        if p.family == "string":
            top.sort(key=lambda vc: (-vc[1], str(vc[0])))
        else:
            top.sort(key=lambda vc: vc[0])
        values = [v for v, _ in top]
        probabilities = [c / p.non_null for _, c in top]
        return CategoricalColumn.model_construct(
            kind=kind, values=values, probabilities=probabilities,
            other_probability=max(0.0, 1.0 - sum(probabilities)), pattern=None, **common)
    values = list(p.quantiles)
    values[0], values[-1] = p.min, p.max
    values = list(np.maximum.accumulate(np.asarray(values, dtype=np.float64)))
    unit = {"date": "day", "timestamp": "microsecond", "timestamp_ntz": "microsecond"}.get(p.family, "number")
    decimal_places = None
    if kind == "decimal":
        decimal_places = _decimal_scale(p.spark_type)
    elif kind == "continuous":
        decimal_places = p.decimal_places
    return NumericColumn(kind=kind, quantiles=QuantileFunction(probabilities=QUANTILE_GRID, values=values),
                         min=p.min, max=p.max, decimal_places=decimal_places,
                         granularity=p.granularity if unit == "microsecond" else 1, unit=unit, **common)


def _common_fields(column) -> dict:
    return dict(name=column.name, spark_type=column.spark_type, nullable=column.nullable,
                null_fraction=column.null_fraction)


def _decimal_scale(spark_type_json: str) -> int:
    # DataType.json() of a decimal is '"decimal(p,s)"'.
    return int(spark_type_json.strip('"').split(",")[1].rstrip(")"))


def _final_categorical(column: CategoricalColumn, p: ColumnProfile, code_counts: dict[int, int],
                       options: FitOptions) -> tuple[CategoricalColumn, np.ndarray]:
    """Apply the privacy threshold to exact pass-2 counts; returns the column and old->new codes."""
    k = len(column.values)
    non_null = sum(n for code, n in code_counts.items() if code != 0)
    kept = [i for i in range(k) if code_counts.get(i + 1, 0) >= options.min_count]
    code_map = np.full(k + 2, len(kept) + 1, dtype=np.int64)
    code_map[0] = 0
    for new, old in enumerate(kept):
        code_map[old + 1] = new + 1
    values = [column.values[i] for i in kept]
    probabilities = [round(code_counts[i + 1] / non_null, 9) for i in kept]
    other = max(0.0, round(1.0 - sum(probabilities), 9))
    pattern = column.pattern if p.family == "string" else None
    if not kept:
        if pattern is None:
            raise InputDataError(
                f"column {column.name!r}: every value is seen fewer than min_count={options.min_count} "
                "times, so none may be stored; lower min_count or drop the column")
        return PatternColumn(**dict(_common_fields(column), kind="pattern", pattern=pattern)), code_map
    if pattern is None and other > 0:
        # Non-string rare values have no pattern to fall back to: spread their mass instead.
        scale = 1.0 / sum(probabilities)
        probabilities, other = [round(x * scale, 9) for x in probabilities], 0.0
    if probabilities:
        probabilities[0] = round(probabilities[0] + 1.0 - other - sum(probabilities), 9)
    final = CategoricalColumn(kind=column.kind, name=column.name, spark_type=column.spark_type,
                              nullable=column.nullable, null_fraction=column.null_fraction,
                              values=values, probabilities=probabilities, other_probability=other,
                              pattern=pattern if other > 0 else None)
    return final, code_map


def _joint_model(stats: JointStats, names: list[str], keep: list[int], code_maps: dict[int, np.ndarray],
                 options: FitOptions) -> tuple[Copula, list[Dependency]]:
    d = len(names)
    sums = np.array([stats.score_sums.get(j, 0.0) for j in range(d)])
    products = np.zeros((d, d))
    for (i, j), value in stats.score_products.items():
        products[i, j] = products[j, i] = value
    corr = correlation_from_sums(stats.rows, sums, products)[np.ix_(keep, keep)]
    copula = Copula(columns=[names[j] for j in keep], bins=options.bins,
                    correlation=[[round(float(x), 6) for x in row] for row in corr])

    pairs: dict[tuple[int, int], dict[tuple[int, int], int]] = {}
    mi: dict[tuple[int, int], float] = {}
    position = {j: idx for idx, j in enumerate(keep)}
    for (i, j), table in stats.pair_counts.items():
        if i not in position or j not in position:
            continue
        remapped: dict[tuple[int, int], int] = {}
        for (a, b), n in table.items():
            a = int(code_maps[i][a]) if i in code_maps else a
            b = int(code_maps[j][b]) if j in code_maps else b
            remapped[(a, b)] = remapped.get((a, b), 0) + n
        pairs[(position[i], position[j])] = remapped
        mi[(position[i], position[j])] = mutual_information(remapped)
    dependencies = []
    root = copula.columns.index(options.root) if options.root in copula.columns else None
    for parent, child, weight in chow_liu_edges(len(keep), mi, options.min_mutual_information, root):
        first, second = min(parent, child), max(parent, child)
        table = conditional_table(pairs[(first, second)], parent == first, options.min_count)
        if table:
            dependencies.append(Dependency(parent=copula.columns[parent], child=copula.columns[child],
                                           mutual_information=round(weight, 6), table=table))
    return copula, dependencies
