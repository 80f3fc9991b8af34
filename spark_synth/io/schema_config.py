"""The relational schema config (YAML): tables, their primary keys and foreign keys.

    tables:
      airlines: {path: data/airlines.parquet, primary_key: carrier}
      flights:
        path: data/flights.parquet
        foreign_keys:
          - {column: carrier, references: airlines}          # the parent's primary key
          - {column: tailnum, references: planes, orphans: faithful}
          - {column: [origin, time_hour], references: weather}   # a composite key, in its order
        rules: ["air_time <= distance"]          # declared rules, as `spark-synth fit --rule` takes them

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
    column: str | list[str] = Field(description="a column, or the columns matching a composite key in its order")
    references: str = Field(description="parent table; its primary key is the referenced column(s)")
    orphans: Literal["clean", "faithful"] = Field(
        default="clean", description="clean: every key exists in the parent; faithful: reproduce the real orphan rate"
    )

    @property
    def columns(self) -> list[str]:
        return [self.column] if isinstance(self.column, str) else list(self.column)


class TableConfig(Strict):
    path: str | None = None
    table: str | None = None
    format: Literal["parquet", "orc", "csv", "json"] | None = None
    primary_key: str | list[str] | None = None
    foreign_keys: list[ForeignKeyConfig] = Field(default_factory=list)
    rules: list[str] = Field(
        default_factory=list,
        description=(
            'rules declared up front, as `spark-synth fit --rule` takes them ("end >= start"); kept when the '
            "real rows satisfy them in >= 99.9 %"
        ),
    )
    force_rules: bool = Field(default=False, description="keep the declared rules even when the real rows break them")

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
    """Every table has one source, foreign keys reference known tables with a primary key of the
    same width, a column is made by one key only (see _check_shared_columns), and the
    references form no cycle (self-references excepted)."""
    for name, table in config.tables.items():
        if (table.path is None) == (table.table is None):
            raise InputDataError(f"table {name!r}: give exactly one of 'path' or 'table'")
        for fk in table.foreign_keys:
            parent = config.tables.get(fk.references)
            if parent is None:
                raise InputDataError(
                    f"table {name!r}: foreign key {fk.column!r} references unknown table "
                    f"{fk.references!r} (tables: {sorted(config.tables)})"
                )
            if len(parent.key_columns) != len(fk.columns):
                raise InputDataError(
                    f"table {name!r}: foreign key {fk.column!r} references {fk.references!r}, whose primary key "
                    f"is {parent.key_columns or 'not declared'}; give as many columns as the primary key has, "
                    "in its order"
                )
        _check_shared_columns(config, name, table)
    table_order(config)


def _check_shared_columns(config: SchemaConfig, name: str, table: TableConfig) -> None:
    """Generated keys decide their columns' values, so a column may belong to two keys only when
    one implies the other: a composite primary key component that is also a single-column foreign
    key (the component then takes parent keys), or a single-column foreign key inside a composite
    foreign key whose parent has that same foreign key on the matching column."""
    singles = {fk.columns[0]: fk for fk in table.foreign_keys if len(fk.columns) == 1}
    owner: dict[str, str] = {}
    for fk in table.foreign_keys:
        if len(fk.columns) == 1:
            continue
        parent = config.tables[fk.references]
        for column, parent_column in zip(fk.columns, parent.key_columns):
            if column in owner:
                raise InputDataError(
                    f"table {name!r}: column {column!r} is in two composite foreign keys; "
                    "a generated column can follow one key only"
                )
            owner[column] = fk.references
            single = singles.get(column)
            if single is None:
                continue
            implied = any(
                p.columns == [parent_column] and p.references == single.references for p in parent.foreign_keys
            )
            if not implied:
                raise InputDataError(
                    f"table {name!r}: column {column!r} is in foreign keys to {single.references!r} and "
                    f"{fk.references!r}; that only works when {fk.references}.{parent_column} is itself a foreign "
                    f"key to {single.references!r} (declare it there) — otherwise drop one of them"
                )


def table_order(config: SchemaConfig) -> list[str]:
    """Parents before children; a cycle (other than a self-reference) is an error naming it."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = path[path.index(name) :] + [name]
            raise InputDataError(
                f"foreign keys form a cycle: {' -> '.join(cycle)}; break it by removing one foreign key from the config"
            )
        state[name] = "active"
        for fk in config.tables[name].foreign_keys:
            if fk.references != name:
                visit(fk.references, path + [name])
        state[name] = "done"
        order.append(name)

    for name in config.tables:
        visit(name, [])
    return order
