#!/usr/bin/env bash
# Build what a cluster installs: dist/spark_synth-<version>-py3-none-any.whl (the package with the
# engine jar inside; `pip install` it on the nodes or attach it as a cluster library), and for
# clusters that take files instead, dist/spark_synth.zip (--py-files) and
# dist/spark-synth-engine.jar (--jars). Building needs a JDK 17 and reaches only the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
mkdir -p dist
rm -f dist/spark_synth-*.whl dist/spark_synth.zip dist/spark-synth-engine.jar
"$PY" -m pip wheel --quiet --no-deps -w dist .
"$PY" - <<'PY'
import glob, pathlib, zipfile
wheel = sorted(glob.glob("dist/spark_synth-*.whl"))[-1]
with zipfile.ZipFile(wheel) as w, zipfile.ZipFile("dist/spark_synth.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for name in w.namelist():
        if name.startswith("spark_synth/") and not name.endswith(".jar"):
            z.writestr(name, w.read(name))
        elif name.endswith(".jar"):
            pathlib.Path("dist/spark-synth-engine.jar").write_bytes(w.read(name))
print(wheel, "dist/spark_synth.zip", "dist/spark-synth-engine.jar")
PY
