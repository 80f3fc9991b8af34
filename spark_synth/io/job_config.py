"""The scheduled-generation job config (YAML), validated with errors that name the field.

    seed: 7
    output: ../out/lake            # relative to this file; one directory per table
    format: parquet                # parquet | orc | csv | json
    options: {compression: zstd}   # passed to the Spark writer
    tables:
      flights:
        model: ../out/flights.model.json
        rows_per_day: 1000000
        time_column: time_hour     # optional: moved into each day's window, time of day kept
    catalog: {enabled: true, database: synthetic}   # optional: embedded Hive metastore
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from spark_synth.io.yaml_config import load_yaml
from spark_synth.model.schema import Strict


class JobTable(Strict):
    model: str
    rows_per_day: int = Field(gt=0)
    time_column: str | None = None


class CatalogConfig(Strict):
    """Register each table in an embedded Hive metastore (Derby, under the output root unless
    `metastore` says otherwise) so it can be queried with SQL right after generation."""

    enabled: bool = False
    database: str = Field(default="synthetic", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    metastore: str | None = None


class JobConfig(Strict):
    seed: int = Field(default=0, ge=0, le=(1 << 63) - 1)
    output: str
    format: Literal["parquet", "orc", "csv", "json"] = "parquet"
    options: dict[str, str] = Field(default_factory=dict)
    partition_column: str = "date"
    catalog: CatalogConfig = Field(default_factory=CatalogConfig)
    tables: dict[str, JobTable] = Field(min_length=1)


def load_job_config(path: str | Path) -> tuple[JobConfig, Path]:
    return load_yaml(path, JobConfig, "job config")


def resolve(base: Path, path: str) -> str:
    return path if "://" in path or Path(path).is_absolute() else str((base / path).resolve())
