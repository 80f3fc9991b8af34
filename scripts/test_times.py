"""How long each test marker takes on this machine: docs/results/tests.md (and the README's row).

    python scripts/test_times.py           # -m unit and -m "not slow"
    python scripts/test_times.py --all     # and the whole suite, as CI runs it

Each run is `python -m pytest -q -m MARKER` in a fresh process with the project's venv, timed
from start to end (Spark's start-up included), with the count of tests it ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from results import publish  # noqa: E402

BOOTSTRAP: list[str] = []
RUNS = [("unit", "-m unit"), ("not slow", '-m "not slow"'), ("all", "")]


def bootstrap() -> list[str]:
    """The page this command writes cannot be linked to before its first run: that first run
    leaves out the two link checks that lead to it (and says so on the page)."""
    if (ROOT / "docs" / "results" / "tests.md").exists():
        return []
    print("first run: the link checks of CONTRIBUTING.md and docs/results/README.md (which link to this page) left out")
    return [
        f"--deselect=tests/test_docs.py::test_every_relative_link_resolves[{page}]"
        for page in ("CONTRIBUTING.md", "docs/results/README.md")
    ]


def timed(marker: list[str]) -> tuple[float, str]:
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *marker, *BOOTSTRAP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(marker)} failed: {summary}")
    return elapsed, summary


def main() -> dict:
    BOOTSTRAP[:] = bootstrap()
    runs = RUNS if "--all" in sys.argv[1:] else RUNS[:2]
    out = {}
    for name, marker in runs:
        args = ["-m", marker.split(" ", 1)[1].strip('"')] if marker else []
        elapsed, summary = timed(args)
        passed = re.search(r"(\d+) passed", summary)
        out[name] = {
            "seconds": round(elapsed, 1),
            "passed": int(passed.group(1)) if passed else 0,
            "command": f"bash scripts/test.sh {marker}".strip(),
        }
        print(f"{out[name]['command']:<36} {out[name]['passed']:>4} tests  {elapsed:7.1f} s  ({summary})", flush=True)
    return out


def headline(out: dict) -> list[dict]:
    return [
        {
            "what": f"`{r['command']}`",
            "figure": f"{r['passed']} tests in {r['seconds']:.0f} s",
            "baseline": "",
            "ratio": "",
        }
        for r in out.values()
    ]


if __name__ == "__main__":
    publish("tests", "How long the test markers take", main, headline)
