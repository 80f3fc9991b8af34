#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite; CI runs it with no arguments (every test).
# Arguments go to pytest: `-m unit` (no Spark, seconds), `-m "not slow"` (minutes), a file, -k NAME.
# With no arguments the `lake` tests (Delta Lake, Iceberg) run after the others in .venv-lake,
# the environment with the PySpark their connectors are built for (scripts/setup.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -gt 0 ]; then
  export PYSPARK_PYTHON="$PWD/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv/bin/python"
  exec .venv/bin/python -m pytest -q --durations=15 "$@"
fi
status=0
PYSPARK_PYTHON="$PWD/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv/bin/python" \
  .venv/bin/python -m pytest -q --durations=15 -m "not lake" || status=$?
if [ -x .venv-lake/bin/python ]; then
  PYSPARK_PYTHON="$PWD/.venv-lake/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv-lake/bin/python" \
    .venv-lake/bin/python -m pytest -q --durations=10 -m lake || status=$?
elif [ "${CI:-}" = true ]; then
  echo "CI: the lake tests did not run: no .venv-lake (scripts/setup.sh could not fetch the connectors)" >&2
  status=1
fi
exit $status
