"""Pictures of one pair of columns, real beside synthetic, from the pair tables the Column Pair
Trends pass already counts (no extra pass over the data).

Each column of a pair is cut as the score cuts it: a number into 10 equal-width bins over its
real range (outer bins open), a category into its most frequent real values with the rest pooled
as "(other)"; nulls are their own row or column when present. The picture is a table of shares
of all rows for each side:
- two numbers: a binned scatter (shares of rows per pair of bins);
- two categories: a cross-tab;
- a category and a number: the same cross-tab plus, per category, box-plot quartiles of the
  number estimated from its 10 bins (linear within a bin: accurate to a tenth of the range).
"""

from __future__ import annotations

import numpy as np

from spark_synth.evaluation.display import format_value

MAX_LEVELS = 8  # categories per axis; the rest pooled as "(other)"


def picture(a: dict, b: dict, real: tuple[dict, int], synthetic: tuple[dict, int]) -> dict:
    """`a`, `b`: the pair's column plans (pairs._plan); real/synthetic: ({(code_a, code_b): rows},
    total rows)."""
    axis_a, axis_b = _axis(a, real[0], 0), _axis(b, real[0], 1)
    numbers = a["numeric"] + b["numeric"]
    out = {
        "kind": ("categories", "mixed", "numbers")[numbers],
        "rows": axis_a["labels"],
        "cols": axis_b["labels"],
        "real": _matrix(real, axis_a, axis_b),
        "synthetic": _matrix(synthetic, axis_a, axis_b),
    }
    matrix = np.asarray(out["real"])
    pooled = 0.0
    if not a["numeric"]:
        pooled += matrix[out["rows"].index("(other)")].sum()
    if not b["numeric"]:
        pooled += matrix[:, out["cols"].index("(other)")].sum()
    out["pooled"] = round(float(min(pooled, 1.0)), 6)  # share of real rows in "(other)"
    if out["kind"] == "mixed":
        number, category = (a, b) if a["numeric"] else (b, a)
        out["boxes"] = {
            "number": number["name"],
            "family": number["family"],
            "category": category["name"],
            **{side: _boxes(out[side], number, transpose=a["numeric"]) for side in ("real", "synthetic")},
            "levels": out["cols"] if a["numeric"] else out["rows"],
        }
    return out


def _axis(plan: dict, table: dict, position: int) -> dict:
    """The codes of one column shown as rows (position 0) or columns (1): a list of labels and the
    label index of each code."""
    seen: dict[int, int] = {}
    for cell, n in table.items():
        seen[cell[position]] = seen.get(cell[position], 0) + n
    if plan["numeric"]:
        edges = [plan["lo"], *plan["edges"], plan["hi"]]
        labels = [f"{_short(plan, lo)}..{_short(plan, hi)}" for lo, hi in zip(edges[:-1], edges[1:])]
        codes = {c: c - 1 for c in range(1, len(edges))}
    else:
        values = plan["values"]
        kept = [c for c in sorted(seen, key=lambda c: (-seen[c], c)) if 1 <= c <= len(values)][:MAX_LEVELS]
        labels = [str(values[c - 1]) for c in kept]
        codes = {c: i for i, c in enumerate(kept)}
        labels.append("(other)")
        for c in range(1, len(values) + 2):
            codes.setdefault(c, len(labels) - 1)
    if seen.get(0):
        labels.append("(null)")
        codes[0] = len(labels) - 1
    return {"labels": labels, "codes": codes}


def _matrix(side: tuple[dict, int], rows: dict, cols: dict) -> list[list[float]]:
    table, total = side
    out = np.zeros((len(rows["labels"]), len(cols["labels"])))
    for (x, y), n in table.items():
        i, j = rows["codes"].get(x), cols["codes"].get(y)
        if i is not None and j is not None:  # nulls absent from the real table stay uncounted
            out[i, j] += n
    return (out / max(total, 1)).round(6).tolist()


def _boxes(matrix: list[list[float]], number: dict, transpose: bool) -> list[dict | None]:
    """Per category, quartiles (5 %, 25 %, 50 %, 75 %, 95 %) of the number from its bins."""
    m = np.asarray(matrix)
    if transpose:  # the number is the rows
        m = m.T
    edges = np.array([number["lo"], *number["edges"], number["hi"]])
    bins = len(edges) - 1
    out: list[dict | None] = []
    for row in m:
        counts = row[:bins]
        total = counts.sum()
        if total <= 0:
            out.append(None)
            continue
        cumulative = np.concatenate([[0.0], np.cumsum(counts) / total])
        marks = np.interp([0.05, 0.25, 0.5, 0.75, 0.95], cumulative, edges)
        out.append({k: float(v) for k, v in zip(("p05", "q1", "median", "q3", "p95"), marks)})
    return out


def _short(plan: dict, x: float) -> str:
    if plan["family"] not in ("date", "timestamp", "timestamp_ntz") and 100 <= abs(x) < 1e7:
        return f"{x:.0f}"
    return format_value(plan["family"], x, digits=3)
