"""The relational schema config (YAML): tables, their primary keys and foreign keys.

    tables:
      airlines: {path: data/airlines.parquet, primary_key: carrier}
      flights:
        path: data/flights.parquet
        foreign_keys:
          - {column: carrier, references: airlines}          # the parent's primary key
          - {column: tailnum, references: planes, orphans: faithful}

Relative paths are read relative to the config file. `table:` names a catalog table instead of
a path. Errors name the table and column and say what to change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from spark_synth.errors import InputDataError
from spark_synth.io.yaml_config import load_yaml
from spark_synth.model.schema import Strict


class ForeignKeyConfig(Strict):
    column: str
    references: str = Field(description="parent table; its primary key is the referenced column")
    orphans: Literal["clean", "faithful"] = Field(
        default="clean", description="clean: every key exists in the parent; faithful: reproduce the real orphan rate")


class TableConfig(Strict):
    path: str | None = None
    table: str | None = None
    format: Literal["parquet", "orc", "csv", "json"] | None = None
    primary_key: str | list[str] | None = None
    foreign_keys: list[ForeignKeyConfig] = Field(default_factory=list)

    @property
    def key_columns(self) -> list[str]:
        if self.primary_key is None:
            return []
        return [self.primary_key] if isinstance(self.primary_key, str) else list(self.primary_key)


class SchemaConfig(Strict):
    name: str = "schema"
    tables: dict[str, TableConfig] = Field(min_length=1)


def load_schema_config(path: str | Path) -> tuple[SchemaConfig, Path]:
    """The validated config and the directory relative paths are resolved against."""
    config, base = load_yaml(path, SchemaConfig, "schema config")
    check_references(config)
    return config, base


def check_references(config: SchemaConfig) -> None:
    """Every table has one source, foreign keys reference known tables with a single-column
    primary key, and the references form no cycle (self-references excepted)."""
    for name, table in config.tables.items():
        if (table.path is None) == (table.table is None):
            raise InputDataError(f"table {name!r}: give exactly one of 'path' or 'table'")
        for fk in table.foreign_keys:
            parent = config.tables.get(fk.references)
            if parent is None:
                raise InputDataError(f"table {name!r}: foreign key {fk.column!r} references unknown table "
                                     f"{fk.references!r} (tables: {sorted(config.tables)})")
            if len(parent.key_columns) != 1:
                raise InputDataError(
                    f"table {name!r}: foreign key {fk.column!r} references {fk.references!r}, whose primary key "
                    f"is {parent.key_columns or 'not declared'}; foreign keys need a single-column primary key "
                    "(composite keys are not supported yet)")
    table_order(config)


def table_order(config: SchemaConfig) -> list[str]:
    """Parents before children; a cycle (other than a self-reference) is an error naming it."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = path[path.index(name):] + [name]
            raise InputDataError(f"foreign keys form a cycle: {' -> '.join(cycle)}; break it by removing one "
                                 "foreign key from the config")
        state[name] = "active"
        for fk in config.tables[name].foreign_keys:
            if fk.references != name:
                visit(fk.references, path + [name])
        state[name] = "done"
        order.append(name)

    for name in config.tables:
        visit(name, [])
    return order
