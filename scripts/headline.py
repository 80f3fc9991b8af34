"""The README's table of headline figures, rebuilt from the benches' result files.

    python scripts/headline.py           # rewrite the block between the headline markers of README.md
    python scripts/headline.py --check   # exit 1 if the README's block differs (tests/test_docs.py)

Each bench lists its headline figures in docs/results/NAME.json (scripts/results.py): what was
measured, spark_synth's figure, the baseline of the same run and their ratio. The table shows them
in the order of BENCHES with the date, commit and machine of the run, linked to the page.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
RESULTS = ROOT / "docs" / "results"
BENCHES = ["bench", "tables", "conditions", "relational", "lake", "tests"]  # the order of the README's rows
START, END = "<!-- headline:start -->", "<!-- headline:end -->"


def _machine(text: str) -> str:
    """'2 cores, 23 GiB' of the stamp's machine line."""
    cores = re.search(r"(\d+) cores", text)
    memory = re.search(r"(\d+) GiB", text)
    return ", ".join(x for x in (cores and f"{cores.group(1)} cores", memory and f"{memory.group(1)} GiB") if x)


def headline_table() -> str:
    rows = []
    for name in BENCHES:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        where = f"[{name}](docs/results/{name}.md), {result['date'][:10]}, {result['commit'].split()[0]}, " + _machine(
            result["machine"]
        )
        for row in result.get("headline") or []:
            cells = [row["what"], row["figure"], row.get("baseline") or "", row.get("ratio") or "", where]
            rows.append("| " + " | ".join(str(c) for c in cells) + " |")
    if not rows:
        return "(no bench has written its results yet: run the benches in docs/performance.md)"
    header = ["| what | spark_synth | baseline, same run | ratio | measured |", "|---|---|---|---|---|"]
    return "\n".join(header + rows)


def replace_block(text: str, table: str) -> str:
    start, end = text.index(START) + len(START), text.index(END)
    return text[:start] + "\n" + table + "\n" + text[end:]


def main() -> int:
    text = README.read_text(encoding="utf-8")
    updated = replace_block(text, headline_table())
    if "--check" in sys.argv[1:]:
        print("README.md headline figures are up to date" if updated == text else "run python scripts/headline.py")
        return 0 if updated == text else 1
    README.write_text(updated, encoding="utf-8")
    print("-> README.md headline figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
