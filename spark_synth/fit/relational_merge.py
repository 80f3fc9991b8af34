"""Merging fits of disjoint slices of a relational schema, table by table.

A slice is a whole schema cut so that every parent row sits in the same slice as its children
(a schema split by customer, region or tenant): then the children of each parent are counted in
one slice, and a parent's number of children is the same as in the union. Each table's own
statistics merge as a single table's do (fit/merge.py: the same disjointness check, so a
dimension table repeated whole in every slice is refused unless allow_overlap). What the keys add:

- an integer primary key: the union's extremes, and whether it is 1, 2, 3 ... (max - min + 1 =
  rows) over the union; a string key: the merged model's shapes give its alphabets;
- a foreign key: rows, references and orphans add (null and orphan shares follow); the exact
  histogram of small child counts adds, and the privacy threshold applies to the sums; the
  counts above it and the distribution of all counts are the parent-weighted mixture of the
  slices' quantile functions, which is the union's distribution when slices keep parents with
  their children (quantiles within percentile_approx's error per slice);
- the hidden child-count column stays where the merged table still samples it.

A child row whose parent sits in another slice counted as an orphan in its slice; a schema cut by
day, where today's rows reference yesterday's parents, is not such a slice (fit it whole).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spark_synth.errors import InputDataError
from spark_synth.fit.merge import merge_statistics
from spark_synth.fit.relational import key_alphabets, rank_at_share
from spark_synth.fit.statistics import read_statistics_json, statistics_from_json
from spark_synth.model.io import SynthModel
from spark_synth.model.relational import (
    RELATIONAL_FORMAT,
    RELATIONAL_VERSION,
    ChildCount,
    ForeignKey,
    PrimaryKey,
    RelationalModel,
    RelationalModelFile,
    SmallCount,
    TableModel,
)
from spark_synth.version import __version__

RELATIONAL_STATISTICS_FORMAT = "spark_synth.relational_statistics"
RELATIONAL_STATISTICS_VERSION = 1
QUANTILE_POINTS = 101  # as the fit keeps them (fit/relational.py COUNT_QUANTILES)
MIXTURE_DRAWS = 4096  # points per slice's quantile function when mixing


@dataclass
class SchemaStatistics:
    """A schema's statistics: per table its own statistics and the counts behind its keys."""

    name: str
    min_count: int
    tables: list[dict]  # name, statistics (TableStatistics), primary_key, foreign_keys, child_count
    created_by: str = f"spark_synth {__version__}"

    def save(self, path: str | os.PathLike) -> None:
        tables = [{**t, "statistics": t["statistics"].to_json()} for t in self.tables]
        body = {
            "format": RELATIONAL_STATISTICS_FORMAT,
            "schema_version": RELATIONAL_STATISTICS_VERSION,
            "created_by": self.created_by,
            "name": self.name,
            "min_count": self.min_count,
            "tables": tables,
        }
        Path(path).write_text(json.dumps(body, separators=(",", ":")), encoding="utf-8")


def load_any_statistics(path: str | os.PathLike):
    """A statistics file of one table (TableStatistics) or of a schema (SchemaStatistics)."""
    raw = read_statistics_json(path)
    if isinstance(raw, dict) and raw.get("format") == RELATIONAL_STATISTICS_FORMAT:
        return schema_statistics_from_json(raw, str(path))
    return statistics_from_json(raw, str(path))


def schema_statistics_from_json(raw: dict, path: str) -> SchemaStatistics:
    """A relational statistics file's contents (already parsed), with clear errors."""
    if raw.get("schema_version") != RELATIONAL_STATISTICS_VERSION:
        raise InputDataError(
            f"statistics file {path} has schema version {raw.get('schema_version')!r}, this spark_synth "
            f"({__version__}) reads version {RELATIONAL_STATISTICS_VERSION}: refit the slice with this version"
        )
    try:
        tables = [{**t, "statistics": statistics_from_json(t["statistics"], path)} for t in raw["tables"]]
        return SchemaStatistics(
            name=raw["name"], min_count=int(raw["min_count"]), tables=tables, created_by=raw.get("created_by", "")
        )
    except (KeyError, TypeError, ValueError) as e:
        raise InputDataError(f"statistics file {path} is damaged ({type(e).__name__}: {e}); refit the slice") from None


def merge_schema_statistics(
    slices: list[SchemaStatistics], names: list[str], allow_overlap: bool = False
) -> tuple[RelationalModel, SchemaStatistics]:
    """(relational model, merged statistics) of schema slices fitted apart."""
    check_same_schema(slices, names)
    first = slices[0]
    tables, merged_tables = [], []
    for i, table in enumerate(first.tables):
        name = table["name"]
        parts = [s.tables[i] for s in slices]
        model, statistics = merge_statistics(
            [p["statistics"] for p in parts], [f"{n} (table {name})" for n in names], allow_overlap
        )
        primary_counts = merged_primary_counts([p["primary_key"] for p in parts])
        reference_counts = [
            merged_reference_counts([p["foreign_keys"][k] for p in parts]) for k in range(len(table["foreign_keys"]))
        ]
        copula = model.spec.copula
        child_count = table["child_count"]
        if child_count is not None and (copula is None or child_count["column"] not in copula.columns):
            child_count = None  # every parent has the same count in the union: nothing to drive
        tables.append(
            TableModel(
                name=name,
                rows=statistics.rows,
                model=model.spec,
                primary_key=primary_key(name, primary_counts, model, statistics.rows),
                foreign_keys=[
                    foreign_key(declared, counts, first.min_count)
                    for declared, counts in zip(table["declared_keys"], reference_counts)
                ],
                child_count=None if child_count is None else ChildCount(**child_count),
            )
        )
        merged_tables.append(
            {
                **table,
                "statistics": statistics,
                "primary_key": primary_counts,
                "foreign_keys": reference_counts,
                "child_count": table["child_count"],
            }
        )
    model = RelationalModel(
        RelationalModelFile(format=RELATIONAL_FORMAT, schema_version=RELATIONAL_VERSION, name=first.name, tables=tables)
    )
    return model, SchemaStatistics(name=first.name, min_count=first.min_count, tables=merged_tables)


def check_same_schema(slices: list[SchemaStatistics], names: list[str]) -> None:
    """The same tables, keys and privacy threshold in every slice, else the difference named."""
    first = slices[0]
    shape = _shape(first)
    for other, name in zip(slices[1:], names[1:]):
        if other.min_count != first.min_count:
            raise InputDataError(
                f"{name} was fitted with min_count {other.min_count}, {names[0]} with {first.min_count}: "
                "fit every slice with the same privacy threshold"
            )
        theirs = _shape(other)
        if theirs != shape:
            differ = next(
                (f"table {a[0]!r}" if a[0] == b[0] else f"tables {a[0]!r} and {b[0]!r}")
                for a, b in zip(shape, theirs)
                if a != b
            ) if len(theirs) == len(shape) else f"{len(theirs)} tables against {len(shape)}"  # fmt: skip
            raise InputDataError(
                f"{name} and {names[0]} are fits of different schemas ({differ} differ in their keys): "
                "merge slices fitted with the same schema config"
            )


def _shape(s: SchemaStatistics) -> list[tuple]:
    return [
        (
            t["name"],
            None if t["primary_key"] is None else (t["primary_key"]["kind"], t["primary_key"]["column"]),
            json.dumps(t["declared_keys"], sort_keys=True),
        )
        for t in s.tables
    ]


# ------------------------------------------------------------------------------ keys


def merged_primary_counts(parts: list[dict | None]) -> dict | None:
    if parts[0] is None:
        return None
    if parts[0]["kind"] == "integer":
        extremes = {"min": min(p["min"] for p in parts), "max": max(p["max"] for p in parts)}
        return {**parts[0], **extremes}
    return dict(parts[0])


def primary_key(table: str, counts: dict | None, model: SynthModel, rows: int) -> PrimaryKey | None:
    if counts is None:
        return None
    if counts["kind"] == "integer":
        return PrimaryKey(
            column=counts["column"],
            kind="integer",
            start=counts["min"],
            sequential=counts["max"] - counts["min"] + 1 == rows,
        )
    pattern = getattr(model.column(counts["column"]), "pattern", None)
    if pattern is None:
        raise InputDataError(
            f"table {table!r}: the merged model has no string pattern for primary key {counts['column']!r}"
        )
    return PrimaryKey(column=counts["column"], kind="string", alphabets=key_alphabets(pattern))


def merged_reference_counts(parts: list[dict]) -> dict:
    """A foreign key's counts summed over slices; count distributions mixed by parents."""
    parents = [p["parents"] for p in parts]
    small: dict[str, int] = {}
    for p in parts:
        for n, count in p["small"].items():
            small[n] = small.get(n, 0) + count
    large = [(p["large_quantiles"], p["large_parents"]) for p in parts if p["large_parents"]]
    return {
        "rows": sum(p["rows"] for p in parts),
        "references": sum(p["references"] for p in parts),
        "orphans": sum(p["orphans"] for p in parts),
        "parents": sum(parents),
        "small": small,
        "large_parents": sum(w for _, w in large),
        "large_quantiles": mixture_quantiles([(q, float(w)) for q, w in large]) if large else [],
        "children_per_parent": mixture_quantiles(
            [(p["children_per_parent"], float(w)) for p, w in zip(parts, parents)]
        ),
    }


def foreign_key(declared: dict, counts: dict, min_count: int) -> ForeignKey:
    """The model's foreign key from the (merged) counts, as fit/relational.py _foreign_key makes it:
    small counts seen for at least min_count parents kept exactly, the rest as a popularity curve."""
    parents = counts["parents"]
    kept = {int(n): c for n, c in counts["small"].items() if c >= min_count}
    small = [SmallCount(children=n, share=kept[n] / parents) for n in sorted(kept)]
    tail = None
    if sum(kept.values()) < parents:
        # the rest: small counts under the threshold (point masses) and the counts above them
        rest = [([float(n)] * 2, float(c)) for n, c in counts["small"].items() if int(n) not in kept]
        if counts["large_parents"]:
            rest.append((counts["large_quantiles"], float(counts["large_parents"])))
        tail = rank_at_share(np.asarray(mixture_quantiles(rest), dtype=np.float64)).tolist()
    references = counts["references"]
    quantiles = np.asarray(counts["children_per_parent"], dtype=np.float64)
    return ForeignKey(
        column=declared["column"],
        parent=declared["parent"],
        orphans=declared["orphans"],
        null_fraction=1 - references / counts["rows"] if counts["rows"] else 0.0,
        orphan_fraction=counts["orphans"] / references if references else 0.0,
        rank_at_share=rank_at_share(quantiles).tolist(),
        children_per_parent=quantiles.tolist(),
        small_counts=small,
        tail_rank_at_share=tail,
    )


def mixture_quantiles(parts: list[tuple[list[float], float]], points: int = QUANTILE_POINTS) -> list[float]:
    """Quantiles (0, 1/(points-1), ..., 1) of a mixture of distributions, each given by its
    quantiles at evenly spaced probabilities and a weight: each quantile function read at
    MIXTURE_DRAWS midpoints, pooled with its weight, and the pool's weighted quantiles taken.
    The ends are the mixture's extremes."""
    values, weights = [], []
    mid = (np.arange(MIXTURE_DRAWS) + 0.5) / MIXTURE_DRAWS
    for quantiles, weight in parts:
        q = np.asarray(quantiles, dtype=np.float64)
        values.append(np.interp(mid, np.linspace(0.0, 1.0, len(q)), q))
        weights.append(np.full(MIXTURE_DRAWS, weight / MIXTURE_DRAWS))
    v, w = np.concatenate(values), np.concatenate(weights)
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cumulative = np.cumsum(w) / w.sum()
    grid = np.linspace(0.0, 1.0, points)
    index = np.minimum(np.searchsorted(cumulative, grid, side="left"), len(v) - 1)
    out = v[index]
    out[0] = min(float(np.asarray(q, dtype=np.float64)[0]) for q, _ in parts)
    out[-1] = max(float(np.asarray(q, dtype=np.float64)[-1]) for q, _ in parts)
    return [float(x) for x in out]
