"""Every Python and shell block of README.md runs, as a reader would run it from a clone.

The blocks run in order in a scratch directory that holds the clone's top-level entries (as
links), so their relative paths (the bundled sample, conf/, data/) resolve and their outputs land
in the scratch directory: the Python blocks in one process, one after the other (a tour builds on
the block before), each shell block in its own `bash -euo pipefail` with the package's console
scripts on PATH. A block preceded by `<!-- skip: REASON -->` is not run; the reason says why (the
test suite itself, a cluster, an outside service).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!--\s*skip:\s*(?P<skip>[^>]*?)\s*-->\s*\n)?```(?P<lang>python|bash)\n(?P<code>.*?)```", re.S)

pytestmark = pytest.mark.slow


def readme_blocks() -> list[tuple[str, str, str | None]]:
    """(language, code, skip reason or None) of every python and bash block, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(m["lang"], m["code"], m["skip"]) for m in BLOCK.finditer(text)]


def test_the_readme_runs(tmp_path):
    for entry in ROOT.iterdir():
        if entry.name not in (".git", "out"):
            (tmp_path / entry.name).symlink_to(entry)
    env = dict(
        os.environ,
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    blocks = [(lang, code) for lang, code, skip in readme_blocks() if skip is None]
    assert any(lang == "python" for lang, _ in blocks) and any(lang == "bash" for lang, _ in blocks)
    python = "\n".join(code for lang, code in blocks if lang == "python")
    ran = subprocess.run(
        [sys.executable, "-c", python], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1800
    )
    assert ran.returncode == 0, f"README's Python blocks failed:\n{ran.stderr[-4000:]}"
    for code in (code for lang, code in blocks if lang == "bash"):
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", code],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        assert ran.returncode == 0, f"README block failed:\n{code}\n{ran.stderr[-4000:]}"
    assert (tmp_path / "lake" / "flights" / "date=2026-11-21").is_dir()  # the lake job wrote its dates
    assert (tmp_path / "nyc" / "flights").is_dir() and (tmp_path / "report" / "report.html").is_file()
