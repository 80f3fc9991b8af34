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

# The lake connectors (Delta Lake, Apache Iceberg), for the lake tests and the project's own
# sessions: the pinned list is spark_synth/io/connectors.py. Maven fetches them (checksums
# strict) into a cache outside the checkout, leaving out what Spark ships itself; then
# .venv-lake gets the PySpark they are built for. Without Maven (or Maven Central) this is
# skipped in one line and everything else works as before.
connectors() { .venv/bin/python -c 'import sys; from spark_synth.io.connectors import main; sys.exit(main(sys.argv[1:]))' "$@"; }
connectors_dir=$(connectors dir)
lake_pyspark=$(connectors pyspark)
pom=$(connectors pom)
pom_stamp=$(printf '%s' "$pom" | sha256sum | cut -c1-16)
if [ "$(cat "$connectors_dir/.stamp" 2>/dev/null)" != "$pom_stamp" ]; then
  if ! command -v mvn >/dev/null; then
    echo "setup: skipped the Delta Lake and Iceberg connectors (no Maven on PATH): install Maven and rerun scripts/setup.sh for --format delta/iceberg and the lake tests" >&2
  else
    work=$(mktemp -d)
    printf '%s\n' "$pom" > "$work/pom.xml"
    if mvn -q -B -C -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
        -DexcludeGroupIds="$(connectors excludes)" \
        -DoutputDirectory="$work/jars" >"$work/maven.log" 2>&1; then
      rm -rf "$connectors_dir" && mkdir -p "$(dirname "$connectors_dir")" && mv "$work/jars" "$connectors_dir"
      echo "$pom_stamp" > "$connectors_dir/.stamp"
      echo "setup: Delta Lake and Iceberg connectors in $connectors_dir" >&2
    else
      echo "setup: skipped the Delta Lake and Iceberg connectors (Maven could not fetch them: $(grep -m1 ERROR "$work/maven.log" | cut -c1-200)); rerun scripts/setup.sh where Maven Central is reachable" >&2
    fi
    rm -rf "$work"
  fi
fi
if [ -f "$connectors_dir/.stamp" ]; then
  lake_stamp="$stamp-$lake_pyspark"
  if [ "$(cat .venv-lake/.spark_synth_setup 2>/dev/null)" != "$lake_stamp" ]; then
    [ -x .venv-lake/bin/python ] || "$PYTHON" -m venv .venv-lake
    grep -v -E '^(pyspark|py4j)==' constraints.txt > .venv-lake/constraints.txt
    .venv-lake/bin/python -m pip install --quiet --upgrade pip "setuptools>=77" wheel
    .venv-lake/bin/python -m pip install --quiet --no-build-isolation -c .venv-lake/constraints.txt \
      "pyspark[connect]==$lake_pyspark" -e ".[test]"
    echo "$lake_stamp" > .venv-lake/.spark_synth_setup
  fi
fi
