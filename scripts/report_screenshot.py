"""docs/report-demo.png: the top of the demo's report.html as headless Chromium draws it.

    python scripts/report_screenshot.py [--report DIR] [--width 1280] [--height 2600]

Without --report it runs `spark-synth demo` into a temporary directory first (about two minutes).
Needs Debian's `chromium` (or chromium-browser / google-chrome) on PATH. The picture is made by
this script only, never edited by hand.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "report-demo.png"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--report", help="a directory holding report.html (default: run the demo)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=2600)
    args = parser.parse_args()
    browser = next(
        (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
    )
    if browser is None:
        raise SystemExit("no Chromium on PATH (Debian: apt-get install chromium)")
    report = Path(args.report) if args.report else _demo()
    page = report / "report.html"
    if not page.is_file():
        raise SystemExit(f"{page} does not exist; give --report DIR holding a report.html")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={args.width},{args.height}",
            f"--screenshot={TARGET}",
            page.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
    )
    print(f"{page} -> {TARGET} ({TARGET.stat().st_size:,} bytes)")
    return 0


def _demo() -> Path:
    out = Path(tempfile.mkdtemp(prefix="report_screenshot-"))
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "spark_synth.cli", "demo", "--output", str(out)], check=True, env=env)
    return out / "report"


if __name__ == "__main__":
    raise SystemExit(main())
