"""The relational model file: one single-table model per table plus how its keys are made.

    {"format": "spark_synth.relational", "schema_version": 1, "name": ..., "tables": [
       {"name": "planes", "rows": 3322, "model": {...single-table model...},
        "primary_key": {"column": "tailnum", "kind": "string", "alphabets": ["N", "0123456789", ...]},
        "foreign_keys": []}, ...]}

Keys are never values from the real data: a primary key is a bijection of the row index
(integers: start + a permutation of [0, N); strings: a mixed-radix encoding into per-position
alphabets learned under the privacy threshold; composite keys: the mixed-radix digits of the
row index, one digit per component — a parent reference, a sequence start + step * digit, or a
learned category), and a foreign key is the parent's key of a parent index drawn from the
learned popularity curve. Tables are listed parents first.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from spark_synth.errors import ModelFileError
from spark_synth.model.io import SynthModel, migrate, write_atomically
from spark_synth.model.json_text import model_json
from spark_synth.model.schema import CategoryValue, FiniteFloat, Probability, Strict, SynthModelFile

SHARE_POINTS = 257
SHARE_EXPONENT = 3
RELATIONAL_FORMAT = "spark_synth.relational"
RELATIONAL_VERSION = 1


class PrimaryKey(Strict):
    column: str
    kind: Literal["integer", "string"]
    start: int = 0  # integer keys: start + permutation of the row index
    sequential: bool = False  # integer keys that were 1, 2, 3, ... stay in order
    alphabets: list[str] = Field(default_factory=list)  # string keys: allowed characters per position

    @model_validator(mode="after")
    def _alphabets(self) -> PrimaryKey:
        if self.kind == "string" and (not self.alphabets or any(not a for a in self.alphabets)):
            raise ValueError("string keys need a non-empty alphabet per position")
        return self

    @property
    def columns(self) -> list[str]:
        return [self.column]

    @property
    def capacity(self) -> int | None:
        """How many distinct keys exist (None: the integer type's range)."""
        return math.prod(len(a) for a in self.alphabets) if self.kind == "string" else None


class KeyComponent(Strict):
    """One column of a composite primary key; its digit of the row index picks its value."""

    column: str
    kind: Literal["reference", "sequence", "category"]
    size: int = Field(ge=1, description="distinct values in the real data (the first component grows with scale)")
    parent: str | None = None  # reference: the parent table of this table's foreign key on `column`
    start: int = 0  # sequence: start + step * digit, on the column's numeric scale (days, microseconds)
    step: int = 1
    values: list[CategoryValue] = Field(default_factory=list)  # category: learned values (privacy-filtered)

    @model_validator(mode="after")
    def _fields(self) -> KeyComponent:
        if self.kind == "reference" and not self.parent:
            raise ValueError(f"component {self.column!r}: a reference needs 'parent'")
        if self.kind == "category" and len(self.values) < self.size:
            raise ValueError(f"component {self.column!r}: {self.size} categories need as many values")
        if self.kind == "sequence" and self.step < 1:
            raise ValueError(f"component {self.column!r}: step must be at least 1")
        return self


class CompositeKey(Strict):
    kind: Literal["composite"]
    components: list[KeyComponent] = Field(min_length=2)

    @property
    def columns(self) -> list[str]:
        return [c.column for c in self.components]

    def sizes(self, rows: int) -> list[int]:
        """Digit sizes for `rows` rows: the first component takes what the others leave."""
        rest = math.prod(c.size for c in self.components[1:])
        return [max(1, -(-rows // rest))] + [c.size for c in self.components[1:]]


def share_grid(points: int = SHARE_POINTS) -> np.ndarray:
    """The shares at which a foreign key's popularity curves (rank_at_share, tail_rank_at_share)
    are stored: 1 - (1 - t)^SHARE_EXPONENT for t = 0, 1/(points-1), ..., 1; fine near share 1,
    where the many parents with few children live. The fit stores at them, the plan reads them."""
    t = np.linspace(0.0, 1.0, points)
    return 1.0 - (1.0 - t) ** SHARE_EXPONENT


class SmallCount(Strict):
    """The share of parents with exactly `children` children (a count seen for at least k parents)."""

    children: int = Field(ge=0)
    share: Probability


class ForeignKey(Strict):
    column: str | list[str] = Field(description="one column, or the columns of a composite key in its order")
    parent: str
    orphans: Literal["clean", "faithful"] = "clean"
    null_fraction: Probability
    orphan_fraction: Probability
    # Inverse cumulative popularity: rank fraction of the parent (most referenced first) at the
    # shares 1 - (1 - k/(n-1))^3 of all references (finer near 1, where rare parents are).
    # Drawing u -> rank gives each parent its learned share of children.
    rank_at_share: list[Probability] = Field(min_length=2)
    children_per_parent: list[FiniteFloat] = Field(min_length=2, description="quantiles 0..1 of child counts")
    # Small counts kept exactly (0, 1, 2, ... children, each seen for >= k parents); the other
    # parents (the tail) follow tail_rank_at_share, the popularity curve of the tail alone, on
    # the same share grid as rank_at_share. Absent (older models): rank_at_share for all parents.
    small_counts: list[SmallCount] | None = None
    tail_rank_at_share: list[Probability] | None = None

    @property
    def columns(self) -> list[str]:
        return [self.column] if isinstance(self.column, str) else list(self.column)


class ChildCount(Strict):
    """A hidden copula column of a parent table: how many rows of `child` reference it through
    the foreign key `foreign_key`. At generation its uniform is not drawn but set from the
    parent's popularity rank under that key, so the parent's other columns follow the number of
    children it actually gets (planes with more seats fly more)."""

    column: str
    child: str
    foreign_key: list[str]


class TableModel(Strict):
    name: str
    rows: int = Field(ge=1)
    model: SynthModelFile
    primary_key: PrimaryKey | CompositeKey | None = None
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    child_count: ChildCount | None = None


class RelationalModelFile(Strict):
    format: Literal["spark_synth.relational"]
    schema_version: Literal[1]
    name: str
    tables: list[TableModel] = Field(min_length=1)

    @model_validator(mode="after")
    def _order(self) -> RelationalModelFile:
        seen: set[str] = set()
        for table in self.tables:
            for fk in table.foreign_keys:
                if fk.parent != table.name and fk.parent not in seen:
                    raise ValueError(f"table {table.name!r} references {fk.parent!r}, which must be listed before it")
                parent = table if fk.parent == table.name else next(t for t in self.tables if t.name == fk.parent)
                if parent.primary_key is None:
                    raise ValueError(f"table {table.name!r} references {fk.parent!r}, which has no primary key")
                width = len(parent.primary_key.columns) if isinstance(parent.primary_key, CompositeKey) else 1
                if len(fk.columns) != width:
                    raise ValueError(
                        f"table {table.name!r}: foreign key {fk.columns} has {len(fk.columns)} column(s), "
                        f"the primary key of {fk.parent!r} has {width}"
                    )
            seen.add(table.name)
        for table in self.tables:
            count = table.child_count
            if count is None:
                continue
            child = next((t for t in self.tables if t.name == count.child), None)
            if child is None or not any(
                fk.columns == count.foreign_key and fk.parent == table.name for fk in child.foreign_keys
            ):
                raise ValueError(
                    f"table {table.name!r}: child_count names {count.child}.{count.foreign_key}, "
                    f"which is not a foreign key to {table.name!r}"
                )
            if count.column not in (table.model.copula.columns if table.model.copula else []):
                raise ValueError(f"table {table.name!r}: child_count column {count.column!r} is not a copula column")
        return self


def generated_foreign_keys(foreign_keys: list, key_columns: list[str]) -> list:
    """The foreign keys (model or config entries) that make their own columns at generation: a
    single-column key on a column that a composite key — this table's primary key, or a
    composite foreign key — already makes is implied by it (the config check ensures that)."""
    made = {c for fk in foreign_keys if len(fk.columns) > 1 for c in fk.columns}
    if len(key_columns) > 1:
        made.update(key_columns)
    return [fk for fk in foreign_keys if len(fk.columns) > 1 or fk.columns[0] not in made]


class RelationalModel:
    def __init__(self, spec: RelationalModelFile):
        self.spec = spec
        self.tables = {t.name: t for t in spec.tables}
        self.models = {t.name: SynthModel(t.model) for t in spec.tables}

    def save(self, path: str | os.PathLike) -> None:
        write_atomically(
            path,
            model_json(self.spec.model_dump(mode="json", exclude_none=True)),
        )


def is_relational(raw: Any) -> bool:
    return isinstance(raw, dict) and raw.get("format") == RELATIONAL_FORMAT


def is_relational_file(path: str | os.PathLike) -> bool:
    """Whether a model file is relational (reads only its beginning)."""
    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(4096)
    except (OSError, UnicodeDecodeError):  # not a readable text file: load_model says what it is
        return False
    return f'"{RELATIONAL_FORMAT}"' in head


def load_relational(path: str | os.PathLike) -> RelationalModel:
    from spark_synth.model.io import read_model_text

    target = Path(path)
    try:
        raw = json.loads(read_model_text(target))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"model file {target} cannot be read as JSON: {exc}") from None
    if not is_relational(raw):
        raise ModelFileError(f"model file {target}: 'format' is {raw.get('format')!r}, expected {RELATIONAL_FORMAT!r}")
    if raw.get("schema_version") != RELATIONAL_VERSION:
        raise ModelFileError(
            f"model file {target}: schema_version {raw.get('schema_version')!r} is not supported "
            f"(this spark_synth reads {RELATIONAL_VERSION})"
        )
    for table in raw.get("tables") or []:
        if isinstance(table, dict) and isinstance(table.get("model"), dict):
            table["model"] = migrate(table["model"], f"{target} (table {table.get('name')!r})")
    try:
        return RelationalModel(RelationalModelFile.model_validate(raw))
    except ValidationError as exc:
        problems = "\n".join(f"  - {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise ModelFileError(f"model file {target} is invalid:\n{problems}") from None
