#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the test suite; CI runs it with no arguments (every test).
# Arguments go to pytest: `-m unit` (no Spark, seconds), `-m "not slow"` (minutes), a file, -k NAME.
# With no arguments the `lake` tests (Delta Lake, Iceberg) run too, in .venv-lake, the environment
# with the PySpark their connectors are built for (scripts/setup.sh makes it). They run beside the
# main suite at a lower priority: much of either waits on JVM start-ups, and CI has 30 minutes.
# For the same reason the tests that start processes of their own (the README's tour, a Spark
# Connect server, the wheel's fresh venv, a standalone cluster) run as a stream of their own,
# beside the rest of the main suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -gt 0 ]; then
  export PYSPARK_PYTHON="$PWD/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv/bin/python"
  exec .venv/bin/python -m pytest -q --durations=15 "$@"
fi
status=0
lake_pid=""
lake_log=$(mktemp)
if [ -x .venv-lake/bin/python ]; then
  PYSPARK_PYTHON="$PWD/.venv-lake/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv-lake/bin/python" \
    nice -n 10 .venv-lake/bin/python -m pytest -q --durations=10 -m lake -p no:cacheprovider \
    --basetemp="$(mktemp -d)" >"$lake_log" 2>&1 &
  lake_pid=$!
elif [ "${CI:-}" = true ]; then
  echo "CI: the lake tests did not run: no .venv-lake (scripts/setup.sh could not fetch the connectors)" >&2
  status=1
else
  echo "test: the lake tests (Delta Lake, Iceberg) are skipped: no .venv-lake (see scripts/setup.sh's line above)" >&2
fi
# (the 400-column fit on a 1 GB driver too: the main suite would wait 2-3 minutes on it idle, and
# this stream used to finish minutes before the main one)
own_processes=(tests/test_readme.py tests/test_connect.py tests/test_wheel.py tests/test_cluster.py
  tests/test_first_hour.py::test_wide_table_fits_on_the_default_driver_memory)
own_log=$(mktemp)
export PYSPARK_PYTHON="$PWD/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv/bin/python"
.venv/bin/python -m pytest -q --durations=10 -m "not lake" -p no:cacheprovider --basetemp="$(mktemp -d)" \
  "${own_processes[@]}" >"$own_log" 2>&1 &
own_pid=$!
.venv/bin/python -m pytest -q --durations=15 -m "not lake" "${own_processes[@]/#/--deselect=}" || status=$?
wait "$own_pid" || status=$?
echo "--- tests that start processes of their own ---"
cat "$own_log"
rm -f "$own_log"
if [ -n "$lake_pid" ]; then
  wait "$lake_pid" || status=$?
  echo "--- lake tests (.venv-lake) ---"
  cat "$lake_log"
fi
rm -f "$lake_log"
exit $status
