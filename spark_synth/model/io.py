"""Reading and writing the model file: JSON text only, validated on load, migrations by version."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spark_synth.errors import ModelFileError
from spark_synth.model.json_text import model_json
from spark_synth.model.schema import FORMAT_NAME, SCHEMA_VERSION, Copula, SynthModelFile, generation_order
from spark_synth.model.types import from_unscaled, parse_spark_type, to_unscaled


def _v1_to_v2(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 stores exact columns (integers, dates, timestamps, decimals) as whole numbers of
    their unit: v1's floats are rounded, decimals become unscaled integers, decimal constants
    strings with their exact digits."""
    raw = copy.deepcopy(raw)
    for column in raw.get("columns", []):
        try:
            spark = parse_spark_type(column.get("spark_type"))
        except ValueError:
            continue  # validation reports it with its field path
        kind = column.get("kind")
        if kind in ("continuous", "integer", "decimal", "datetime") and spark.exact:
            scale = spark.scale if spark.family == "decimal" else 0

            def whole(x, scale=scale):
                return to_unscaled(repr(x), scale) if isinstance(x, (int, float)) else x

            column["min"], column["max"] = whole(column.get("min")), whole(column.get("max"))
            quantiles = column.get("quantiles") or {}
            quantiles["values"] = [whole(x) for x in quantiles.get("values", [])]
            if spark.family == "decimal":
                column["unit"] = "unscaled"
                column.pop("decimal_places", None)
        if kind == "constant" and spark.family == "decimal" and isinstance(column.get("value"), (int, float)):
            column["value"] = str(from_unscaled(to_unscaled(repr(column["value"]), spark.scale), spark.scale))
    raw["schema_version"] = 2
    return raw


# Pure dict -> dict upgrades, keyed by the version they upgrade *from*.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


class SynthModel:
    """A fitted model: the validated file content plus convenience accessors."""

    def __init__(self, spec: SynthModelFile):
        self.spec = spec
        _check_dependency_order(spec)

    @property
    def columns(self):
        return self.spec.columns

    @property
    def copula(self) -> Copula:
        """The copula (codes, correlations, dependency tree) of a model that has copula columns;
        the plan compiler and steering reach it only then."""
        if self.spec.copula is None:
            raise ModelFileError("the model has no copula columns (no numbers, categories or booleans)")
        return self.spec.copula

    def column(self, name: str):
        for column in self.spec.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return self.spec.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        return model_json(self.to_dict())

    def save(self, path: str | os.PathLike) -> None:
        write_atomically(path, self.to_json())

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> SynthModel:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(
                f"model file {source} is not valid JSON ({exc.msg} at line {exc.lineno}, column "
                f"{exc.colno}); it may be truncated or corrupt: re-run `spark-synth fit`"
            ) from None
        return cls.from_dict(raw, source)

    @classmethod
    def from_dict(cls, raw: Any, source: str = "<dict>") -> SynthModel:
        if not isinstance(raw, dict):
            raise ModelFileError(f"model file {source}: top level must be a JSON object")
        if raw.get("format") != FORMAT_NAME:
            raise ModelFileError(
                f"model file {source}: field 'format' is {raw.get('format')!r}, expected "
                f"{FORMAT_NAME!r}; is this a spark_synth model file?"
            )
        raw = migrate(raw, source)
        try:
            spec = SynthModelFile.model_validate(raw)
        except ValidationError as exc:
            raise ModelFileError(f"model file {source} is invalid:\n{_describe(exc)}") from None
        return cls(spec)


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Temp file + rename, so a crash never leaves a truncated model file."""
    target = Path(path)
    check_file_to_write(target, "model file")
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, target)


def check_file_to_write(target: Path, what: str) -> None:
    """A file about to be written: not a folder, in a folder that exists (checked before the work
    that produces it wherever the caller can)."""
    if target.is_dir():
        raise ModelFileError(f"{what} {target} is a folder; give a file name, e.g. {target / 'model.json'}")
    if not target.resolve().parent.is_dir():
        raise ModelFileError(f"{what} {target}: the folder {target.parent} does not exist; create it first")


def load_model(path: str | os.PathLike) -> SynthModel:
    """Load and validate a model file; every problem is a ModelFileError naming the field."""
    return SynthModel.from_json(read_model_text(path), str(path))


def read_model_text(path: str | os.PathLike) -> str:
    """A model file's text; a folder, a missing file or a binary file (Parquet, a zip) is a
    ModelFileError saying what the path is instead."""
    target = Path(path)
    if target.is_dir():
        raise ModelFileError(f"model file {target} is a folder; give the model's JSON file (spark-synth fit --model)")
    if not target.is_file():
        raise ModelFileError(f"model file {target} does not exist; create it with `spark-synth fit`")
    return model_text(target.read_bytes(), str(target))


def model_text(data: bytes, source: str) -> str:
    """The text of a model file's bytes. A Parquet file or a zip is named as such rather than
    reported as bad JSON: giving the data instead of the model is the likely mistake."""
    kind = "a Parquet file" if data[:4] == b"PAR1" else "a zip file" if data[:2] == b"PK" else ""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        kind = kind or "not text"
    else:
        if not kind:
            return text
    raise ModelFileError(
        f"model file {source} is {kind}, not a model (a JSON file written by `spark-synth fit --model`)"
    )


def migrate(raw: dict[str, Any], source: str) -> dict[str, Any]:
    """The single-table model `raw` upgraded to SCHEMA_VERSION."""
    version = raw.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(f"model file {source}: field 'schema_version' must be an integer")
    if version > SCHEMA_VERSION or (version < SCHEMA_VERSION and version not in MIGRATIONS):
        raise ModelFileError(
            f"model file {source}: schema_version {version} is not supported by this spark_synth "
            f"(it reads version {SCHEMA_VERSION}); upgrade spark_synth or re-fit the model"
        )
    while version < SCHEMA_VERSION:
        raw = MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors()[:10]:
        path = ".".join(str(p) for p in error["loc"])
        lines.append(f"  - {path or '<root>'}: {error['msg']}")
    if exc.error_count() > 10:
        lines.append(f"  ... and {exc.error_count() - 10} more")
    return "\n".join(lines)


def _check_dependency_order(spec: SynthModelFile) -> None:
    """Dependencies must form a forest (each child one parent, no cycle)."""
    parent_of = {d.child: d.parent for d in spec.dependencies}
    for start in parent_of:
        seen = {start}
        node = start
        while node in parent_of:
            node = parent_of[node]
            if node in seen:
                raise ModelFileError(f"model dependencies form a cycle through column {node!r}")
            seen.add(node)


def dependency_order(spec: SynthModelFile) -> list[str]:
    """Copula columns ordered so that every parent comes before its children."""
    return generation_order(list(spec.copula.columns) if spec.copula else [], spec.dependencies)
