#!/usr/bin/env bash
# Set up, then fit the bundled flights sample, generate 10 million rows on local Spark and print
# where they went and a fidelity summary. Extra arguments go to `spark-synth demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PYSPARK_PYTHON="$PWD/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$PWD/.venv/bin/python"
exec .venv/bin/spark-synth demo "$@"
