"""The model file's JSON layout: one line per row of numbers, an indented outline above them.

`json.dumps(indent=1)` puts every number on a line of its own: a table of 20,000 cells (flights'
tail numbers by route) took a quarter of its bytes in newlines and indentation, and the size
budget (fit/budget.py) counts the file's bytes. Here a list or object that holds only scalars
(a quantile function's values, a conditional table's row, a correlation matrix's row) is written
on one line; every container above them is indented one space per level as before. The text is
the same JSON to any reader, and the same model gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any


def model_json(value: Any) -> str:
    """`value` (JSON types only) as the model file's text; NaN and infinities are refused."""
    return _text(value, 0)


def _text(value: Any, depth: int) -> str:
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    if not any(isinstance(item, dict | list) for item in items):
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    pad = "\n" + " " * (depth + 1)
    if isinstance(value, dict):
        parts = [f"{json.dumps(key, ensure_ascii=False)}: {_text(item, depth + 1)}" for key, item in value.items()]
        return "{" + pad + ("," + pad).join(parts) + "\n" + " " * depth + "}"
    parts = [_text(item, depth + 1) for item in value]
    return "[" + pad + ("," + pad).join(parts) + "\n" + " " * depth + "]"
