#!/usr/bin/env bash
# Set up what is missing, then run the main job on the embedded default data.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m arrays.transfer --scheme fast "$@"
