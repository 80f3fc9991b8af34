"""docs/cli.md from the command line's own parser: the reference cannot drift from `--help`.

python scripts/cli_docs.py           # rewrite docs/cli.md
python scripts/cli_docs.py --check   # exit 1 if docs/cli.md differs (tests/test_docs.py checks it too)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = ROOT / "docs" / "cli.md"
WIDTH = "100"  # argparse wraps help at the terminal's width: fixed, so the page is the same everywhere


def cli_reference() -> str:
    """The page: every command's `spark-synth COMMAND --help`, as argparse prints it."""
    os.environ["COLUMNS"] = WIDTH
    sys.path.insert(0, str(ROOT))
    from spark_synth.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    parts = [
        "# Command line reference",
        "",
        "Written by `python scripts/cli_docs.py` from the parser itself (`tests/test_docs.py` fails when it",
        "differs): each block is what `spark-synth [COMMAND] --help` prints. Long steps log their progress",
        "(tasks, rows, rate, time left) every 5 s; errors print one line and exit with status 2.",
        "",
        "## spark-synth",
        "",
        "```",
        parser.format_help().rstrip(),
        "```",
    ]
    for name, sub in commands.choices.items():
        parts += ["", f"## spark-synth {name}", "", "```", sub.format_help().rstrip(), "```"]
    return "\n".join(parts) + "\n"


def main() -> int:
    check = "--check" in sys.argv[1:]
    text = cli_reference()
    if check:
        same = CLI_DOC.exists() and CLI_DOC.read_text(encoding="utf-8") == text
        print("docs/cli.md is up to date" if same else "docs/cli.md differs: run python scripts/cli_docs.py")
        return 0 if same else 1
    CLI_DOC.write_text(text, encoding="utf-8")
    print(f"-> {CLI_DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
