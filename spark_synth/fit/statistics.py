"""A fit's statistics: what it counted, saved so that fits of disjoint slices can be merged.

A daily lake cannot be refitted from scratch every day. `fit(df, stats=PATH)` keeps the counts a
fit derives its model from: each column's pass-1 aggregates (counts add, extremes compare), its
frequent values with their counts, the bucket counts its quantiles came from
(fit/histogram.py), the pass-2 tables in the codes they were counted in (fit/joint.py), the
rules with their shares, and a bottom-k sketch of row hashes (to tell overlapping slices).
fit/merge.py adds slices' statistics and derives one model from the sums, with the same driver
code a fit uses.

These are statistics, not a model: they keep values seen fewer than k times (the privacy
threshold applies after merging: a value rare in each slice but frequent overall is kept), so
they are as sensitive as the data's frequency tables. Keep them beside the data; share models.
Plain JSON, versioned like the model, no pickle.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from spark_synth.errors import InputDataError
from spark_synth.fit.histogram import Histogram
from spark_synth.fit.joint import JointStats
from spark_synth.fit.profile import ColumnProfile
from spark_synth.version import __version__

STATISTICS_FORMAT = "spark_synth.statistics"
STATISTICS_VERSION = 1
ROW_SKETCH = 1024  # row hashes kept: two slices' shared share is estimated within ~1/sqrt(1024)
ROW_SALT = 21
# The options a slice's statistics depend on: slices merge only when these agree.
SHAPING_OPTIONS = (
    "min_count",
    "max_categories",
    "bins",
    "min_mutual_information",
    "kinds",
    "exclude_unsupported",
    "block",
    "rules",
    "rule_share",
    "declared_rules",
)


@dataclass
class TableStatistics:
    """One table's statistics (a slice, or the sum of several)."""

    table: str
    options: dict
    fields: list[dict]  # name, spark_type, nullable: the fitted columns in order
    rows: int
    profiles: list[ColumnProfile]
    copula_entries: list[dict]  # the codes pass 2 counted in (fit/joint.py copula_spec)
    strings: list[str]  # the string columns whose shapes pass 2 counted, in order
    joint: JointStats
    rules: list[dict]  # each with its share of the real rows
    row_hashes: list[int]
    slices: int = 1
    source: dict | None = None
    created_by: str = f"spark_synth {__version__}"

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")), encoding="utf-8")

    def to_json(self) -> dict:
        return {
            "format": STATISTICS_FORMAT,
            "schema_version": STATISTICS_VERSION,
            "created_by": self.created_by,
            "table": self.table,
            "options": self.options,
            "fields": self.fields,
            "rows": self.rows,
            "slices": self.slices,
            "source": self.source,
            "profiles": [_profile_json(p) for p in self.profiles],
            "copula_entries": self.copula_entries,
            "strings": self.strings,
            "joint": _joint_json(self.joint),
            "rules": self.rules,
            "row_hashes": self.row_hashes,
        }


def shaping_options(options) -> dict:
    """The FitOptions fields that shape the statistics, as plain JSON."""
    raw = dataclasses.asdict(options)
    return {name: list(raw[name]) if isinstance(raw[name], tuple) else raw[name] for name in SHAPING_OPTIONS}


def rule_json(rule) -> dict:
    return rule.model_dump(mode="json")


def load_statistics(path: str | os.PathLike) -> TableStatistics:
    """Read a table's statistics file; a clear error for anything else (a model, another version)."""
    return statistics_from_json(read_statistics_json(path), str(path))


def read_statistics_json(path: str | os.PathLike) -> dict:
    """A statistics file's JSON, or an error that says what is wrong with the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputDataError(f"statistics file {path} does not exist; write it with fit(..., stats=PATH)") from None
    except (OSError, ValueError) as e:
        raise InputDataError(f"statistics file {path} is not readable JSON ({e})") from None
    return raw


def statistics_from_json(raw: object, path: str) -> TableStatistics:
    """One table's statistics from their JSON; a clear error for anything else."""
    if isinstance(raw, dict) and raw.get("format") == "spark_synth.relational_statistics":
        raise InputDataError(
            f"{path} holds a schema's statistics (fit --config --stats): a table's fit cannot update it; "
            "use `spark-synth fit --config SCHEMA.yaml --update` or `spark-synth merge` with other schema slices"
        )
    if not isinstance(raw, dict) or raw.get("format") != STATISTICS_FORMAT:
        what = "a model file" if isinstance(raw, dict) and raw.get("format") == "spark_synth.model" else "not one"
        raise InputDataError(
            f"{path} is {what}: merge reads statistics files, written by fit(..., stats=PATH) or "
            "`spark-synth fit --stats PATH`"
        )
    if raw.get("schema_version") != STATISTICS_VERSION:
        raise InputDataError(
            f"statistics file {path} has schema version {raw.get('schema_version')!r}, this spark_synth "
            f"({__version__}) reads version {STATISTICS_VERSION}: refit the slice with this version"
        )
    try:
        return TableStatistics(
            table=raw["table"],
            options=raw["options"],
            fields=raw["fields"],
            rows=int(raw["rows"]),
            slices=int(raw.get("slices", 1)),
            source=raw.get("source"),
            created_by=raw.get("created_by", ""),
            profiles=[_profile_from(p) for p in raw["profiles"]],
            copula_entries=raw["copula_entries"],
            strings=raw["strings"],
            joint=_joint_from(raw["joint"]),
            rules=raw["rules"],
            row_hashes=[int(h) for h in raw["row_hashes"]],
        )
    except (KeyError, TypeError, ValueError) as e:
        raise InputDataError(f"statistics file {path} is damaged ({type(e).__name__}: {e}); refit the slice") from None


# ------------------------------------------------------------------------------ JSON forms


def _plain(value):
    """A pass-1 aggregate as JSON: decimals as text (exact), everything else as it is."""
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _unplain(value):
    if isinstance(value, dict) and set(value) == {"decimal"}:
        return Decimal(value["decimal"])
    return value


PROFILE_FIELDS = ("name", "alias", "family", "spark_type", "nullable", "rows", "non_null", "distinct", "unique")


def _profile_json(p: ColumnProfile) -> dict:
    out = {name: getattr(p, name) for name in PROFILE_FIELDS}
    out["min"], out["max"] = p.min, p.max
    out["top"] = None if p.top is None else [[v, int(n)] for v, n in p.top]
    # "top" is approx_top_k's raw list: the settled one is p.top
    out["aggregates"] = {name: _plain(v) for name, v in sorted(p.aggregates.items()) if name != "top"}
    if p.histogram is not None:
        out["histogram"] = {
            "counts": [_number(n) for n in p.histogram.counts.tolist()],
            "lows": p.histogram.lows.tolist(),
            "highs": p.histogram.highs.tolist(),
        }
    return out


def _profile_from(raw: dict) -> ColumnProfile:
    p = ColumnProfile(**{name: raw[name] for name in PROFILE_FIELDS})
    p.min, p.max = raw["min"], raw["max"]
    p.top = None if raw["top"] is None else [(v, int(n)) for v, n in raw["top"]]
    p.aggregates = {name: _unplain(v) for name, v in raw["aggregates"].items()}
    if raw.get("histogram"):
        h = raw["histogram"]
        counts = np.asarray(h["counts"], dtype=np.float64)  # merged buckets hold shares of rows
        p.histogram = Histogram(
            counts=counts.astype(np.int64) if np.all(counts == np.round(counts)) else counts,
            lows=np.asarray(h["lows"], dtype=np.float64),
            highs=np.asarray(h["highs"], dtype=np.float64),
        )
    return p


COUNT_TABLES = ("shape_counts", "char_counts", "prefix_counts", "length_counts", "text_char_counts")


def _key_json(key):
    return list(key) if isinstance(key, tuple) else key


def _key_from(key):
    return tuple(key) if isinstance(key, list) else key


def _joint_json(stats: JointStats) -> dict:
    out: dict = {
        "rows": stats.rows,
        "code_counts": [[j, [[c, _number(n)] for c, n in t.items()]] for j, t in stats.code_counts.items()],
        "pair_counts": [
            [i, j, [[a, b, _number(n)] for (a, b), n in t.items()]] for (i, j), t in stats.pair_counts.items()
        ],
        "score_sums": [[j, s] for j, s in stats.score_sums.items()],
        "score_products": [[i, j, v] for (i, j), v in stats.score_products.items()],
    }
    for name in COUNT_TABLES:
        out[name] = [[s, [[_key_json(k), n] for k, n in t.items()]] for s, t in getattr(stats, name).items()]
    return out


def _number(n):
    """Counts are whole in a slice; merged tables re-expressed in new codes may hold shares."""
    return int(n) if float(n).is_integer() else float(n)


def _joint_from(raw: dict) -> JointStats:
    stats = JointStats(rows=int(raw["rows"]))
    for j, cells in raw["code_counts"]:
        stats.code_counts[j] = {int(c): n for c, n in cells}
    for i, j, cells in raw["pair_counts"]:
        stats.pair_counts[(i, j)] = {(int(a), int(b)): n for a, b, n in cells}
    stats.score_sums = {int(j): float(s) for j, s in raw["score_sums"]}
    stats.score_products = {(int(i), int(j)): float(v) for i, j, v in raw["score_products"]}
    for name in COUNT_TABLES:
        tables = defaultdict(dict)
        for s, cells in raw[name]:
            tables[int(s)] = {_key_from(k): n for k, n in cells}
        setattr(stats, name, tables)
    return stats
