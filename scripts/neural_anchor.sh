#!/usr/bin/env bash
# The neural anchor's own virtual environment (.venv-mostly: mostlyai-engine with torch, ~2.8 GB,
# a benchmark-only dependency never imported by the package), then scripts/neural_anchor.py with
# the arguments given.
set -euo pipefail
cd "$(dirname "$0")/.."
MOSTLYAI_ENGINE_VERSION="2.7.3"
if ! .venv-mostly/bin/python -c "import mostlyai.engine" 2>/dev/null; then
  python3.11 -m venv .venv-mostly
  .venv-mostly/bin/pip install -q "mostlyai-engine==${MOSTLYAI_ENGINE_VERSION}"
fi
exec .venv-mostly/bin/python scripts/neural_anchor.py "$@"
