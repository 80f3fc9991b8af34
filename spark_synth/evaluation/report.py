"""evaluate(): fidelity, privacy and utility of synthetic data against the real table, as a
Report with stable keys (report.json) and a page of plots (report.html)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.errors import InputDataError
from spark_synth.evaluation.distance import distance_to_closest_record
from spark_synth.evaluation.html import render
from spark_synth.evaluation.pairs import PairScore, column_pair_trends_and_pictures
from spark_synth.evaluation.privacy import audit_model, exact_copies
from spark_synth.evaluation.realism import allowed_words, drawn_groups, string_realism
from spark_synth.evaluation.shapes import ShapeScore, column_shapes_and_distributions
from spark_synth.evaluation.utility import utility
from spark_synth.io.progress import progress
from spark_synth.io.session import require_spark
from spark_synth.model.io import SynthModel
from spark_synth.model.rules import rule_columns
from spark_synth.model.schema import PatternColumn
from spark_synth.names import alias, aliases, check_unique_names, positional, quote
from spark_synth.sql.rules import rule_counts
from spark_synth.version import __version__

log = logging.getLogger(__name__)
REPORT_VERSION = 1


@dataclass
class Report:
    """score: mean of Column Shapes and Column Pair Trends (SDMetrics' default filter)."""

    shapes: list[ShapeScore]
    pairs: list[PairScore]
    null_rates: dict[str, dict[str, float]]
    privacy: dict = field(default_factory=dict)
    distributions: dict = field(default_factory=dict)
    utility: dict | None = None
    realism: dict = field(default_factory=dict)
    rules: list = field(default_factory=list)
    pair_pictures: list = field(default_factory=list)
    about: dict = field(default_factory=dict)
    details: dict = field(init=False)
    score: float = field(init=False)

    def __post_init__(self) -> None:
        shapes = _mean([s.score for s in self.shapes])
        trends_all = _mean([p.score for p in self.pairs])
        filtered = [p.score for p in self.pairs if p.meets_filter]
        trends = _mean(filtered) if filtered else trends_all
        self.score = _mean([x for x in (shapes, trends) if not np.isnan(x)])
        self.details = {
            "report_version": REPORT_VERSION,
            "about": self.about,
            "score": self.score,
            "column_shapes": shapes,
            "column_pair_trends": trends,
            "column_pair_trends_all_pairs": trends_all,
            "columns": sorted((asdict(s) for s in self.shapes), key=lambda s: s["score"]),
            "pairs": sorted(({**asdict(p), "columns": list(p.columns)} for p in self.pairs), key=lambda p: p["score"]),
            "null_rates": self.null_rates,
            "privacy": self.privacy,
            "utility": self.utility,
            "realism": self.realism,
            "rules": self.rules,
            "distributions": self.distributions,
            "pair_pictures": self.pair_pictures,
        }

    def save(self, directory: str | Path) -> Path:
        """Write report.json and report.html into `directory`; returns the JSON path. Each file is
        written whole under a temporary name and then renamed, so a crash leaves the previous
        report or none, never a half-written one that looks complete."""
        target = Path(directory)
        check_report_path(target)
        target.mkdir(parents=True, exist_ok=True)
        path = target / "report.json"
        page = render(self.details)
        text = json.dumps(_finite(self.details), indent=1, allow_nan=False, default=float)
        for name, content in (("report.html", page), ("report.json", text)):
            staged = target / f".{name}.{os.getpid()}.tmp"
            try:
                staged.write_text(content, encoding="utf-8")
                os.replace(staged, target / name)
            finally:
                staged.unlink(missing_ok=True)
        return path


def check_report_path(directory: str | Path) -> None:
    """A report goes into a directory: refuse a path that is a file (or under one) before any work."""
    target = Path(directory)
    for part in (target, *target.parents):
        if part.exists() and not part.is_dir():
            what = "the report path" if part == target else f"{part}, in the report path,"
            raise InputDataError(
                f"{what} is a file, but a report is a directory (report.json, report.html): "
                f"give a directory, e.g. {target.with_suffix('')}_report"
            )


def evaluate(
    real: DataFrame,
    synthetic: DataFrame,
    model: SynthModel | None = None,
    target: str | None = None,
    seed: int = 0,
    about: dict | None = None,
) -> Report:
    """Compare every column and pair of columns over all rows, with Spark aggregations; privacy
    (exact copies over all rows, distance to closest record on bounded samples, and with a
    model an audit of the values it stores); with a target, utility of a Spark ML model.
    Both tables are compared by position under aliases (names.py), the report uses the real
    names."""
    require_spark(real.sparkSession.version, "evaluation")
    _check_inputs(real, synthetic)
    if target is not None and target not in real.columns:
        raise InputDataError(f"target column {target!r} is not in the tables (columns: {real.columns})")
    names = list(real.columns)
    at = {name: i for i, name in enumerate(synthetic.columns)}
    real, _ = positional(real, "real")
    synthetic = synthetic.toDF(*aliases(len(names))).select(*[alias(at[n]) for n in names]).toDF(*aliases(len(names)))
    real_name = dict(zip(aliases(len(names)), names))
    spark = real.sparkSession
    steps = (
        ["column shapes", "column pair trends", "null rates", "privacy", "realism"]
        + (["rules"] if model is not None and model.spec.rules else [])
        + (["utility"] if target else [])
    )

    def step(name: str):
        return progress(spark, f"evaluate ({steps.index(name) + 1}/{len(steps)}): {name}")

    with step("column shapes"):
        shapes, distributions = column_shapes_and_distributions(real, synthetic)
    shapes = [ShapeScore(real_name[s.column], s.metric, s.score) for s in shapes]
    distributions = {real_name[c]: d for c, d in distributions.items()}
    with step("column pair trends"):
        scored, pictures = column_pair_trends_and_pictures(real, synthetic)
        pairs = [replace(p, columns=(real_name[p.columns[0]], real_name[p.columns[1]])) for p in scored]
        for picture in pictures:
            picture["columns"] = [real_name[c] for c in picture["columns"]]
            if "boxes" in picture:
                for key in ("number", "category"):
                    picture["boxes"][key] = real_name[picture["boxes"][key]]
    with step("null rates"):
        nulls = {real_name[c]: {"real": r, "synthetic": s} for c, (r, s) in _null_rates(real, synthetic).items()}
    with step("privacy"):
        privacy: dict = {
            "exact_copies": exact_copies(real, synthetic),
            "distance_to_closest_record": distance_to_closest_record(real, synthetic, seed=seed),
        }
        if model is not None:
            privacy["model_audit"] = audit_model(real, model, {n: a for a, n in real_name.items()})
    with step("realism"):
        strings = [a for a, f in zip(aliases(len(names)), real.schema.fields) if isinstance(f.dataType, T.StringType)]
        allowed = (
            {alias_of: allowed_words(model.spec.columns, real_name[alias_of]) for alias_of in strings} if model else {}
        )
        by_name = {c.name: c for c in model.spec.columns} if model else {}
        typed = {a: by_name.get(real_name[a]) for a in strings}
        vocabularies = {
            a: c.vocabulary.name if getattr(c, "vocabulary", None) else c.semantic
            for a, c in typed.items()
            if getattr(c, "vocabulary", None) or getattr(c, "semantic", None)
        }
        drawn = {
            a: drawn_groups(c) for a, c in typed.items() if isinstance(c, PatternColumn) and c.vocabulary is not None
        }
        realism = {
            real_name[c]: r for c, r in string_realism(real, synthetic, strings, allowed, vocabularies, drawn).items()
        }
    rules = []
    if "rules" in steps:
        with step("rules"):
            rules = _rules(real, synthetic, model, {n: a for a, n in real_name.items()})
    useful = None
    if target is not None:
        with step("utility"):
            useful = _renamed(
                utility(real, synthetic, aliases(len(names))[names.index(target)], seed=seed, label=target), real_name
            )
    copies = privacy["exact_copies"]
    header = {
        "name": (about or {}).get("name") or (model.spec.table.name if model else None),
        **(about or {}),
        "table": model.spec.table.name if model else None,
        # the lake table version the model was fitted on (Delta/Iceberg fits), for the audit
        "fitted_on": model.spec.table.source.model_dump() if model and model.spec.table.source else None,
        "real_rows": copies["real_rows"],
        "synthetic_rows": copies["synthetic_rows"],
        "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
    }
    return Report(shapes, pairs, nulls, privacy, distributions, useful, realism, rules, pictures, header)


def _rules(real: DataFrame, synthetic: DataFrame, model: SynthModel, alias_of: dict[str, str]) -> list[dict]:
    """Each of the model's rules with its share of rows in the real and the synthetic table."""
    present = [r for r in model.spec.rules if all(n in alias_of for n in rule_columns(r))]
    counted = {
        name: rule_counts(frame, present, alias_of.__getitem__)
        for name, frame in (("real", real), ("synthetic", synthetic))
    }
    return [
        {
            "rule": rule.text(),
            "form": rule.form,
            "fitted_share": rule.share,
            "real": counted["real"][i].share,
            "real_rows": counted["real"][i].rows,
            "synthetic": counted["synthetic"][i].share,
            "synthetic_rows": counted["synthetic"][i].rows,
        }
        for i, rule in enumerate(present)
    ]


def _renamed(result: dict, real_name: dict[str, str]) -> dict:
    """The utility result with real column names."""
    features = {k: [real_name[c] for c in v] for k, v in result["features"].items()}
    return {**result, "target": real_name[result["target"]], "features": features}


def _check_inputs(real: DataFrame, synthetic: DataFrame) -> None:
    check_unique_names(real.columns, "real")
    check_unique_names(synthetic.columns, "synthetic")
    real_types = dict(real.dtypes)
    synth_types = dict(synthetic.dtypes)
    if not set(real_types) & set(synth_types):
        raise InputDataError(
            f"the real and the synthetic table have no column in common (real: {sorted(real_types)[:10]}, "
            f"synthetic: {sorted(synth_types)[:10]}); evaluate a synthetic table generated from a model of this one"
        )
    if real_types != synth_types:
        missing = sorted(set(real_types) - set(synth_types))
        extra = sorted(set(synth_types) - set(real_types))
        changed = sorted(c for c in set(real_types) & set(synth_types) if real_types[c] != synth_types[c])
        raise InputDataError(
            f"real and synthetic schemas differ: missing {missing}, extra {extra}, "
            f"different types {changed}; evaluate tables with the same columns"
        )
    if synthetic.limit(1).count() == 0:
        raise InputDataError("the synthetic table is empty; generate rows first")
    if real.limit(1).count() == 0:
        raise InputDataError("the real table is empty: there is nothing to compare the synthetic rows with")


def _null_rates(real: DataFrame, synthetic: DataFrame) -> dict[str, tuple[float, float]]:
    def rates(df: DataFrame) -> dict[str, float]:
        row = df.agg(F.count(F.lit(1)).alias("__n"), *[F.count(F.col(quote(c))).alias(c) for c in df.columns]).first()
        return {c: 1 - row[c] / row["__n"] for c in df.columns}  # bounded: one row

    r, s = rates(real), rates(synthetic)
    return {c: (r[c], s[c]) for c in real.columns}


def _finite(x):
    """NaN/inf (e.g. a correlation of a constant column) become null in JSON."""
    if isinstance(x, float) and not np.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")
