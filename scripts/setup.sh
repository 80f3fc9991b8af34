#!/usr/bin/env bash
# Create .venv (if missing) and install spark_synth with its test extras, pinned by constraints.txt.
# Needs Python >= 3.11 and Java 17 on PATH; reaches only the package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e ".[test]"
java -version >/dev/null 2>&1 || { echo "Java 17 is required by Spark (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
