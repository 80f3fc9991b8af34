"""The scheduled-generation job config (YAML), validated with errors that name the field.

    seed: 7
    output: ../out/lake            # relative to this file; one directory per table
    format: parquet                # parquet | orc | csv | json, or any Spark source (delta, iceberg, ...)
    compression: zstd              # optional: the writer's compression codec
    max_rows_per_file: 500000      # optional: Spark's maxRecordsPerFile, bounds the file size
    partition_by: [origin]         # optional: partition columns inside each date partition
    options: {}                    # passed to the Spark writer as they are
    tables:
      flights:
        model: ../out/flights.model.json
        rows_per_day: 1000000
        time_column: time_hour     # optional: moved into each day's window, time of day kept
        table: lake.flights        # optional: write into this catalog table instead of a directory
        where: ["origin = JFK", "arr_delay >= 60"]   # optional: every row satisfies these (as --where)
        rebalance: "carrier=UA:0.5,DL:0.5"           # optional: exact shares of one column (as --rebalance)
    schemas:                       # optional: relational models, every table of a date generated together
      nyc:
        model: ../out/nyc.model.json
        rows_per_day: {flights: 1000000}   # one table's rows; the other tables in proportion
        where: {flights: ["origin = JFK"]}   # optional: conditions per table
    catalog: {enabled: true, database: synthetic}   # optional: embedded Hive metastore
    change_data_feed: false        # optional, format delta: tables created with Delta's change data feed

Where a date's partition goes (spark_synth.lake.schedule.write_day):
- a directory format (parquet, orc, csv, json) without `table`: <output>/<table>/<partition_column>=<date>/,
  written staged and renamed into place;
- `table: db.name`: the catalog table (created partitioned by the date column on first use,
  then INSERT OVERWRITE with dynamic partition overwrite, so only that date is replaced) — the
  way Delta and Iceberg tables are written on clusters that have them;
- delta or iceberg (spark_synth.io.lake_writes.replace_date): the date replaced in one commit of
  the table itself, Delta's replaceWhere or Iceberg's overwritePartitions; Delta at
  <output>/<table>/ or a catalog `table`, Iceberg in a catalog (`table`, or a schema's `namespace`);
- any other format without `table`: <output>/<table>/ with dynamic partition overwrite by date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from spark_synth.io.yaml_config import load_yaml
from spark_synth.model.schema import Strict

FILE_FORMATS = ("parquet", "orc", "csv", "json")


Conditions = list[str] | dict[str, Any]


class JobTable(Strict):
    model: str
    rows_per_day: int = Field(gt=0)
    time_column: str | None = None
    table: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$",
        description="catalog table to write into (saveAsTable / INSERT OVERWRITE)",
    )
    where: Conditions | None = Field(
        default=None, description="conditions every row satisfies, as --where texts or {column: value or [values]}"
    )
    rebalance: str | dict[str, dict[str, float]] | None = Field(
        default=None, description='"column=value:share,..." as --rebalance, or {column: {value: share}}'
    )


class JobSchema(Strict):
    """A relational model (spark-synth fit --config): each date generates all its tables from one
    seed, so that date's foreign keys resolve within that date's parents."""

    model: str
    rows_per_day: dict[str, int] = Field(
        min_length=1, max_length=1, description="{table: rows} for one table; the others in proportion"
    )
    where: dict[str, Conditions] | None = Field(default=None, description="{table: conditions}")
    namespace: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$",
        description="write each table of the model as the catalog table NAMESPACE.TABLE (Iceberg: CATALOG.DB)",
    )

    @model_validator(mode="after")
    def _positive(self) -> JobSchema:
        for table, rows in self.rows_per_day.items():
            if rows <= 0:
                raise ValueError(f"rows_per_day.{table} must be positive, got {rows}")
        return self


class CatalogConfig(Strict):
    """Register each table in an embedded Hive metastore (Derby, under the output root unless
    `metastore` says otherwise) so it can be queried with SQL right after generation."""

    enabled: bool = False
    database: str = Field(default="synthetic", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    metastore: str | None = None


# Spark's own codecs for its file formats (the `compression` writer option).
CODECS = {
    "parquet": ("none", "uncompressed", "snappy", "gzip", "lzo", "brotli", "lz4", "lz4_raw", "zstd"),
    "orc": ("none", "uncompressed", "snappy", "zlib", "lzo", "lz4", "zstd"),
    "csv": ("none", "uncompressed", "bzip2", "deflate", "gzip", "lz4", "snappy", "zstd"),
    "json": ("none", "uncompressed", "bzip2", "deflate", "gzip", "lz4", "snappy", "zstd"),
}


class JobConfig(Strict):
    seed: int = Field(default=0, ge=0, le=(1 << 63) - 1)
    output: str
    format: str = Field(
        default="parquet",
        pattern=r"^[A-Za-z0-9_.]+$",
        description="parquet, orc, csv, json or any Spark data source name (delta, iceberg)",
    )
    compression: str | None = None
    max_rows_per_file: int | None = Field(default=None, gt=0)
    partition_by: list[str] = Field(default_factory=list)
    options: dict[str, str] = Field(default_factory=dict)
    partition_column: str = Field(default="date", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    catalog: CatalogConfig = Field(default_factory=CatalogConfig)
    tables: dict[str, JobTable] = Field(default_factory=dict)
    schemas: dict[str, JobSchema] = Field(default_factory=dict)
    change_data_feed: bool = Field(
        default=False, description="Delta: create tables with delta.enableChangeDataFeed (CDC pipelines read it)"
    )

    @model_validator(mode="after")
    def _lake_targets(self) -> JobConfig:
        """What a lake format needs, named before any date is generated."""
        if self.change_data_feed and self.format != "delta":
            raise ValueError(f"change_data_feed is Delta's change data feed; it needs format: delta, not {self.format}")
        if self.format == "iceberg":
            bare = [f"tables.{n}" for n, t in self.tables.items() if t.table is None]
            bare += [f"schemas.{n}" for n, s in self.schemas.items() if s.namespace is None]
            if bare:
                raise ValueError(
                    f"format iceberg writes catalog tables: give {', '.join(bare)} a table: CATALOG.DB.NAME "
                    "(schemas: namespace: CATALOG.DB)"
                )
        return self

    @model_validator(mode="after")
    def _something_to_generate(self) -> JobConfig:
        if not self.tables and not self.schemas:
            raise ValueError("give at least one entry under 'tables' or 'schemas'")
        return self

    @model_validator(mode="after")
    def _known_codec(self) -> JobConfig:
        """A codec Spark's file writers do not have fails after the first date's work: refuse it
        here (other formats' codecs are their connector's business)."""
        codecs = CODECS.get(self.format)
        if self.compression and codecs and self.compression.lower() not in codecs:
            raise ValueError(
                f"compression {self.compression!r} is not a {self.format} codec; use one of {', '.join(codecs)}"
            )
        return self

    def writer_options(self) -> dict[str, str]:
        """Options for every write: the named settings, then `options` as given."""
        named = {}
        if self.compression:
            named["compression"] = self.compression
        if self.max_rows_per_file:
            named["maxRecordsPerFile"] = str(self.max_rows_per_file)
        return {**named, **self.options}


def load_job_config(path: str | Path) -> tuple[JobConfig, Path]:
    return load_yaml(path, JobConfig, "job config")


def resolve(base: Path, path: str) -> str:
    return path if "://" in path or Path(path).is_absolute() else str((base / path).resolve())
