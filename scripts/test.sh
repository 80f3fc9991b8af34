#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite; CI runs it with no arguments (every test).
# Arguments go to pytest: `-m unit` (no Spark, seconds), `-m "not slow"` (minutes), a file, -k NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYSPARK_PYTHON="$PWD/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv/bin/python"
exec .venv/bin/python -m pytest -q --durations=15 "$@"
