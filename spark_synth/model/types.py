"""Spark types as the model file writes them (DataType.json(): '"long"', '"decimal(38,18)"'),
read without PySpark so the file format can be validated anywhere, and the limits of each type.

A column's *family* decides how its values are represented in the model: integral, date,
timestamp and decimal columns are exact integers on a unit scale (the value, days since
1970-01-01, microseconds since 1970-01-01 00:00 UTC, the unscaled decimal), fractional columns
are doubles.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Context, Decimal

INTEGER_LIMITS = {
    "byte": (-(2**7), 2**7 - 1),
    "short": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}
FAMILIES = {
    "byte": "integral",
    "short": "integral",
    "integer": "integral",
    "long": "integral",
    "float": "fractional",
    "double": "fractional",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp_ntz",
}
EXACT_FAMILIES = ("integral", "date", "timestamp", "timestamp_ntz", "decimal")
MAX_DECIMAL_PRECISION = 38
# Days and microseconds Spark can hold: 0001-01-01 .. 9999-12-31 (23:59:59.999999).
DATE_LIMITS = (-719_162, 2_932_896)
TIMESTAMP_LIMITS = (-62_135_596_800_000_000, 253_402_300_799_999_999)

_DECIMAL = re.compile(r"decimal\((\d+),\s*(-?\d+)\)")
_SIZED_STRING = re.compile(r"(var)?char\((\d+)\)")


@dataclass(frozen=True)
class SparkType:
    name: str  # the simple name: long, decimal, string, ...
    family: str
    precision: int = 0
    scale: int = 0

    @property
    def exact(self) -> bool:
        """Values are integers on the family's unit scale (see module docstring)."""
        return self.family in EXACT_FAMILIES

    def limits(self) -> tuple[int, int] | None:
        """Smallest and largest value on the unit scale, None for doubles and strings."""
        if self.family == "integral":
            return INTEGER_LIMITS[self.name]
        if self.family == "date":
            return DATE_LIMITS
        if self.family in ("timestamp", "timestamp_ntz"):
            return TIMESTAMP_LIMITS
        if self.family == "decimal":
            largest = 10**self.precision - 1
            return -largest, largest
        return None

    def bounds(self) -> tuple[int, int]:
        """limits() of an exact type (integers, dates, timestamps, decimals), which has them."""
        limits = self.limits()
        if limits is None:
            raise ValueError(f"a {self.name} column has no whole-number limits")
        return limits


def parse_spark_type(text: str) -> SparkType:
    """The SparkType of a DataType.json() string; ValueError naming the problem otherwise."""
    try:
        name = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise ValueError(f"spark_type {text!r} is not a JSON string such as '\"long\"'") from None
    if not isinstance(name, str):
        raise ValueError(f"spark_type {text!r} is not a supported column type (a JSON string such as '\"long\"')")
    name = name.strip().lower()
    if name.startswith("string collate "):
        return SparkType("string", "string")
    if name in FAMILIES:
        return SparkType(name, FAMILIES[name])
    if _SIZED_STRING.fullmatch(name):
        return SparkType("string", "string")
    match = _DECIMAL.fullmatch(name)
    if match:
        precision, scale = int(match.group(1)), int(match.group(2))
        if not 1 <= precision <= MAX_DECIMAL_PRECISION or not 0 <= scale <= precision:
            raise ValueError(f"spark_type {name!r}: a decimal needs 1 <= precision <= 38 and 0 <= scale <= precision")
        return SparkType("decimal", "decimal", precision, scale)
    raise ValueError(
        f"spark_type {text!r} is not a type spark_synth can generate (one of {sorted(FAMILIES)} or decimal(p,s))"
    )


def family(data_type) -> str | None:
    """The family of a PySpark DataType ('integral', 'fractional', 'decimal', 'string',
    'boolean', 'date', 'timestamp', 'timestamp_ntz'), or None when spark_synth cannot model the
    type. Read from the type's name, so neither this module nor its callers' tests need PySpark."""
    name = data_type.typeName()
    if name in ("varchar", "char"):
        return "string"
    return "decimal" if name == "decimal" else FAMILIES.get(name)


# Python's default decimal context keeps 28 digits: a decimal(38, x) needs more.
EXACT = Context(prec=80)


def to_unscaled(value, scale: int) -> int:
    """value * 10^scale as an int, exactly (value: Decimal, int, float or str; rounded half-even)."""
    return int(EXACT.to_integral_value(EXACT.scaleb(Decimal(value), scale)))


def from_unscaled(unscaled: int, scale: int) -> Decimal:
    """The decimal with these digits and `scale` places, exactly ("12.50" for 1250, 2)."""
    return EXACT.scaleb(Decimal(unscaled), -scale)
