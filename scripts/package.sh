#!/usr/bin/env bash
# Build dist/spark_synth.zip for `spark-submit --py-files` (the package only: the cluster's Python
# must already have numpy, scipy, pandas, pyarrow and pydantic).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p dist
rm -f dist/spark_synth.zip
python3 - <<'PY'
import pathlib, zipfile
with zipfile.ZipFile("dist/spark_synth.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for path in sorted(pathlib.Path("spark_synth").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            z.write(path)
PY
echo "dist/spark_synth.zip"
