#!/usr/bin/env bash
# Build dist/spark_synth.zip for `spark-submit --py-files` and dist/spark-synth-engine.jar for
# `--jars` (the JVM generation engine). The cluster's Python must already have numpy, scipy,
# pandas, pyarrow and pydantic.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
mkdir -p dist
rm -f dist/spark_synth.zip
"$PY" - <<'PY'
import pathlib, shutil, zipfile
with zipfile.ZipFile("dist/spark_synth.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for path in sorted(pathlib.Path("spark_synth").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            z.write(path)
from spark_synth.generate.jvm import engine_jar
shutil.copy(engine_jar(), "dist/spark-synth-engine.jar")
PY
echo "dist/spark_synth.zip dist/spark-synth-engine.jar"
