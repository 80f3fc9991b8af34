"""Reading a YAML config into a strict pydantic model, with errors that name file and field."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from spark_synth.errors import InputDataError

Config = TypeVar("Config", bound=BaseModel)


def load_yaml(path: str | Path, model: type[Config], what: str) -> tuple[Config, Path]:
    """The validated config and its directory (relative paths in it are resolved against it)."""
    source = Path(path)
    if not source.is_file():
        raise InputDataError(f"{what} {source} does not exist")
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputDataError(f"{what} {source} is not valid YAML{where}: {problem}") from None
    try:
        return model.model_validate(raw), source.parent
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        raise InputDataError(f"{what} {source} is invalid: {problems}") from None
