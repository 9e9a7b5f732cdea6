#!/usr/bin/env bash
# Set up what is missing, then run the whole test suite (slow ngspice tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest --slow -q --durations=12 "$@"
