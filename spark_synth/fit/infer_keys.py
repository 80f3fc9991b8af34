"""Proposing primary and foreign keys for a set of tables, for a person to review.

Primary key candidates: non-null columns whose distinct count equals the row count (names like
id, <table>_id, code, key first). Foreign keys: a column of another table with the candidate's
name (or <parent>_id) whose non-null values are mostly found in the parent (inclusion >= 0.5);
a string column with another name needs inclusion >= 0.9 (flights.origin -> airports.faa).
Integer columns need a matching name: small integers (quantities, years) are found in any id
range. Below 1.0 the proposal keeps the real orphans (orphans: faithful) and says so. One
aggregation per table plus one semi-join per candidate pair; nothing row-sized reaches the driver.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from spark_synth.errors import InputDataError
from spark_synth.names import quote

MIN_INCLUSION = 0.5
MIN_INCLUSION_UNNAMED = 0.9
KEY_TYPES = (T.ByteType, T.ShortType, T.IntegerType, T.LongType, T.StringType)


def infer_keys(tables: dict[str, DataFrame]) -> dict:
    """{table: {"primary_key": col | None, "foreign_keys": [...], "notes": [...]}}"""
    primary: dict[str, str | None] = {}
    for name, df in tables.items():
        candidates = [f.name for f in df.schema.fields if isinstance(f.dataType, KEY_TYPES)]
        if not candidates:
            primary[name] = None
            continue
        row = df.agg(
            F.count(F.lit(1)).alias("__rows"),
            *[F.countDistinct(quote(c)).alias(f"d{i}") for i, c in enumerate(candidates)],
            *[F.count(quote(c)).alias(f"n{i}") for i, c in enumerate(candidates)],
        ).first()
        unique = [c for i, c in enumerate(candidates) if row[f"d{i}"] == row["__rows"] == row[f"n{i}"]]
        primary[name] = max(unique, key=lambda c: (_key_name_score(c, name), -candidates.index(c))) if unique else None
    proposal = {name: {"primary_key": primary[name], "foreign_keys": []} for name in tables}
    for child_name, child in tables.items():
        for parent_name, key in primary.items():
            if key is None or parent_name == child_name:
                continue
            for column in child.columns:
                if column == primary[child_name]:
                    continue
                named = _names_match(column, key, parent_name)
                if not named and not isinstance(child.schema[column].dataType, T.StringType):
                    continue
                inclusion = _inclusion(child, column, tables[parent_name], key)
                if inclusion >= (MIN_INCLUSION if named else MIN_INCLUSION_UNNAMED):
                    fk = {"column": column, "references": parent_name}
                    if inclusion < 1.0:
                        fk["orphans"] = "faithful"
                        fk["note"] = f"{1 - inclusion:.2%} of non-null values are not in {parent_name}.{key}"
                    proposal[child_name]["foreign_keys"].append(fk)
    return proposal


def to_config(proposal: dict, paths: dict[str, str], name: str = "schema") -> str:
    tables = {}
    for table, p in proposal.items():
        entry: dict = {"path": paths[table]}
        if p["primary_key"]:
            entry["primary_key"] = p["primary_key"]
        fks = [{k: v for k, v in fk.items() if k != "note"} for fk in p["foreign_keys"]]
        if fks:
            entry["foreign_keys"] = fks
        tables[table] = entry
    notes = [
        f"# {t}.{fk['column']} -> {fk['references']}: {fk['note']}"
        for t, p in proposal.items()
        for fk in p["foreign_keys"]
        if "note" in fk
    ]
    header = [
        "# Proposed by `spark-synth infer-keys`: review before fitting (keys were inferred from",
        "# uniqueness, names and value inclusion, not declared by the data's owner).",
    ] + notes
    return "\n".join(header) + "\n" + yaml.safe_dump({"name": name, "tables": tables}, sort_keys=False)


def _inclusion(child: DataFrame, column: str, parent: DataFrame, key: str) -> float:
    if child.schema[column].dataType != parent.schema[key].dataType:
        return 0.0
    values = child.where(F.col(quote(column)).isNotNull()).select(F.col(quote(column)).alias("__k"))
    total = values.count()
    if total == 0:
        return 0.0
    found = values.join(parent.select(F.col(quote(key)).alias("__k")).distinct(), "__k", "left_semi").count()
    return found / total


def _key_name_score(column: str, table: str) -> int:
    lower = column.lower()
    singular = table.lower().rstrip("s")
    if lower in ("id", f"{singular}_id", f"{table.lower()}_id"):
        return 3
    if re.search(r"(^|_)(id|key|code)$", lower) or lower in ("faa", "sku", "tailnum", "carrier"):
        return 2
    return 0


def _names_match(column: str, key: str, parent: str) -> bool:
    lower, singular = column.lower(), parent.lower().rstrip("s")
    return lower == key.lower() or lower in (f"{singular}_id", f"{singular}_{key.lower()}")


def paths_by_name(paths: list[str]) -> dict[str, str]:
    """Table name (the file's stem) -> path; two files of one name would silently be one table."""
    named: dict[str, str] = {}
    for p in paths:
        name = Path(p.rstrip("/")).stem
        if name in named:
            raise InputDataError(
                f"{named[name]} and {p} are both table {name!r} (a table is named by its file name); "
                "rename one, or give them in a schema config (spark-synth fit --config) with names of their own"
            )
        named[name] = p
    return named
