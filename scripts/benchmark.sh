#!/usr/bin/env bash
# `make benchmark`: performance figures of the collection against the OCP simulator (benchmarks/run.py, explained in
# benchmarks/README.md). Options pass through: `bash scripts/benchmark.sh --help`, or for a quick run
# `bash scripts/benchmark.sh --only scale --sizes 10 1000 --scale-repeat 1`.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/venv.sh
. "$ROOT/scripts/venv.sh"
ocp_venv "$ROOT"
exec python "$ROOT/benchmarks/run.py" "$@"
