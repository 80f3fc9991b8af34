#!/usr/bin/env bash
# Create .venv (if missing) and install spark_synth editable with its test and lint extras, pinned
# by constraints.txt. Needs Python >= 3.11 and Java 17 on PATH (a JDK in a checkout: the engine is
# compiled on first use; installed wheels carry it); reaches only the package registry. A second
# run with the same pyproject.toml, setup.py and constraints.txt installs nothing (a stamp in .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=$(cat pyproject.toml setup.py constraints.txt | sha256sum | cut -c1-16)
if [ "$(cat .venv/.spark_synth_setup 2>/dev/null)" != "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip "setuptools>=77" wheel
  # No build isolation: an editable install compiles nothing, so it needs no PySpark to build with.
  .venv/bin/python -m pip install --quiet --no-build-isolation -c constraints.txt -e ".[test,lint]"
  echo "$stamp" > .venv/.spark_synth_setup
fi
java -version >/dev/null 2>&1 || { echo "Java 17 is required by Spark (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
