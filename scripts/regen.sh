#!/usr/bin/env bash
# Regenerate generated/ from openapi/api-v2.json; see scripts/regen.py for the steps.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec "$PYTHON" -m scripts.regen "$@"
