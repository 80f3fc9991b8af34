#!/usr/bin/env bash
# The habits CI checks: ruff's lint rules and its formatting (pyproject.toml [tool.ruff]), and mypy
# on the typed layers (pyproject.toml [tool.mypy]: the public API, model/ and the plan compiler).
# `bash scripts/lint.sh --fix` lets ruff fix and format what it can first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
paths=(spark_synth tests scripts jobs setup.py)
if [ "${1:-}" = "--fix" ]; then
  .venv/bin/ruff check --fix "${paths[@]}"
  .venv/bin/ruff format "${paths[@]}"
fi
.venv/bin/ruff check "${paths[@]}"
.venv/bin/ruff format --check "${paths[@]}"
.venv/bin/mypy
