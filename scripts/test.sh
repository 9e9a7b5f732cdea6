#!/usr/bin/env bash
# Set up what is missing, then lint (ruff) and run the whole test suite (slow ngspice tests included),
# on one pytest-xdist worker per CPU (pyproject.toml's addopts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m ruff check .
exec .venv/bin/python -m pytest --slow -q --durations=12 "$@"
