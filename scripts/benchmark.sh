#!/usr/bin/env bash
# `make benchmark`: performance figures of the collection against the OCP simulator (see benchmarks/run.py).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/venv.sh
. "$ROOT/scripts/venv.sh"
ocp_venv "$ROOT"
exec python "$ROOT/benchmarks/run.py" "$@"
