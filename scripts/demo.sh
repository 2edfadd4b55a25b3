#!/usr/bin/env bash
# Fresh clone -> working demo: sets up .venv, then runs poetry-platform on the bundled JAX
# example against a local index of JAX-shaped wheels on 127.0.0.1 (offline, seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python scripts/demo.py "$@"
