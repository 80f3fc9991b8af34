"""Where every bench writes what it measured: docs/results/NAME.md (for people) and NAME.json.

A figure in the docs is rerun, never typed: each bench ends with `write_results(...)`, which
stamps the page with the date, the commit, the machine and the exact command that produced it.
Headline figures (`headline=`) also go to the JSON file, from which `scripts/headline.py`
builds the README's table of headline figures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"


def _run(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def commit() -> str:
    """The short commit, marked when the working tree differs from it."""
    sha = _run("git", "rev-parse", "--short", "HEAD") or "unknown"
    dirty = _run("git", "status", "--porcelain", "--untracked-files=no")
    return f"{sha} (with uncommitted changes)" if dirty else sha


def machine() -> str:
    """Cores, CPU, memory, OS and the versions that move the figures."""
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "",
        )
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        memory = 0.0
    java = ""
    with contextlib.suppress(OSError, IndexError, subprocess.TimeoutExpired):
        java = subprocess.run(["java", "-version"], capture_output=True, text=True, timeout=30).stderr.splitlines()[0]
    try:
        import pyspark

        spark = f"PySpark {pyspark.__version__}"
    except ImportError:
        spark = "no PySpark"
    return (
        f"{os.cpu_count()} cores ({cpu or platform.machine()}), {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {java.replace('openjdk version ', 'Java ')}, "
        f"{spark}"
    )


def command() -> str:
    script = Path(sys.argv[0])
    with contextlib.suppress(ValueError):
        script = script.resolve().relative_to(ROOT)
    return "python " + " ".join(shlex.quote(a) for a in [str(script), *sys.argv[1:]])


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; numbers as given (format them before), None as an empty cell."""

    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(
    name: str, title: str, body: str, headline: dict[str, Any] | None = None, data: dict[str, Any] | None = None
) -> Path:
    """docs/results/NAME.md: the title, the stamp (date, commit, machine, command) and the body;
    docs/results/NAME.json: the same stamp with the headline figures and raw data."""
    if os.environ.get("SPARK_SYNTH_RESULTS") == "off":  # a test running a bench must not rewrite its page
        print(f"results for {name} not written (SPARK_SYNTH_RESULTS=off)")
        return RESULTS / f"{name}.md"
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "machine": machine(),
        "command": command(),
    }
    page = (
        f"# {title}\n\n"
        f"Written by `{stamp['command']}`: rerun it to refresh this page, do not edit it by hand.\n\n"
        + table(
            ["run", ""],
            [
                ["date", stamp["date"]],
                ["commit", stamp["commit"]],
                ["machine", stamp["machine"]],
                ["command", f"`{stamp['command']}`"],
            ],
        )
        + "\n\n"
        + body.strip()
        + "\n"
    )
    path = RESULTS / f"{name}.md"
    path.write_text(page, encoding="utf-8")
    (RESULTS / f"{name}.json").write_text(
        json.dumps({**stamp, "headline": headline or {}, "data": data or {}}, indent=1, sort_keys=True, default=str)
        + "\n",
        encoding="utf-8",
    )
    print(f"results -> {path.relative_to(ROOT)}")
    return path


class Tee:
    """Standard output copied into a buffer while a bench runs, so the page holds exactly what the
    bench printed (`with Tee() as out: ...; out.text()`)."""

    def __init__(self) -> None:
        import io

        self._buffer = io.StringIO()
        self._stdout = sys.stdout

    def write(self, text: str) -> int:
        self._stdout.write(text)
        return self._buffer.write(text)

    def flush(self) -> None:
        self._stdout.flush()

    def __enter__(self) -> Tee:
        sys.stdout = self
        return self

    def __exit__(self, *exc: object) -> None:
        sys.stdout = self._stdout

    def text(self) -> str:
        return self._buffer.getvalue()


def fenced(text: str) -> str:
    """Printed output as a Markdown block, kept exactly as printed."""
    return "```\n" + text.strip("\n") + "\n```"


def publish(name: str, title: str, main: Any, headline: Any = None) -> Any:
    """Run a bench's `main()` with its output recorded, then write that output as
    docs/results/NAME.md. `headline(result)`, given main's return value, lists the README's
    headline rows: [{"what", "figure", "baseline", "ratio"}]. A bench that fails writes nothing."""
    with Tee() as out:
        result = main()
    rows = headline(result) if headline is not None else []
    write_results(name, title, fenced(out.text()), headline=rows, data=result if isinstance(result, dict) else None)
    return result
