"""Column names as users have them, and the positional aliases spark_synth works on instead.

Real tables have names Spark's resolver trips over: dots (`user.id` after flattening JSON),
backticks, spaces, names that differ only in case (`Amount`, `amount`) under the default
case-insensitive analysis. Every internal frame is renamed by *position* (DataFrame.toDF, no
name resolution) to `__c0, __c1, ...`; the real names live in the model and are put back on the
generated output by position again. Exact duplicates cannot be told apart anywhere, so they
are an error that names them.
"""

from __future__ import annotations

from collections import Counter

from pyspark.sql import DataFrame

from spark_synth.errors import InputDataError

ALIAS_PREFIX = "__c"


def quote(name: str) -> str:
    """A name as a Spark SQL identifier: backticks around it, inner backticks doubled."""
    return "`" + name.replace("`", "``") + "`"


def alias(position: int) -> str:
    return f"{ALIAS_PREFIX}{position}"


def aliases(count: int) -> list[str]:
    return [alias(i) for i in range(count)]


def check_unique_names(names: list[str], table: str) -> None:
    """Two columns with exactly the same name are an error naming them."""
    duplicates = sorted(n for n, c in Counter(names).items() if c > 1)
    if duplicates:
        raise InputDataError(
            f"table {table}: column name(s) {duplicates} occur more than once; rename the columns so "
            "every name is unique (e.g. df.toDF(*new_names)) before fitting"
        )


def case_insensitive_clashes(names: list[str]) -> list[list[str]]:
    """Groups of distinct names that are equal ignoring case (`Amount`, `amount`)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.lower(), []).append(name)
    return [group for group in groups.values() if len(group) > 1]


def positional(df: DataFrame, table: str = "table") -> tuple[DataFrame, list[str]]:
    """(df renamed to __c0, __c1, ... by position, the real names in order)."""
    names = list(df.columns)
    check_unique_names(names, table)
    return df.toDF(*aliases(len(names))), names


def restore(df: DataFrame, names: list[str]) -> DataFrame:
    """The positional frame `df` with its real names back (by position, no resolution)."""
    return df.toDF(*names)
