#!/usr/bin/env bash
# `make demo`: start the bundled OCP simulator with the demo scenario (two clusters, primaries unreachable, three
# standby tenants, one with a precheck warning), run `ansible-playbook oceanbase.ocp.precheck_then_failover`
# against it, then run it again to show that nothing changes, and stop the simulator.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/venv.sh
. "$ROOT/scripts/venv.sh"
ocp_venv "$ROOT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/oceanbase-ocp-demo.XXXXXX")
SIM_PID=
cleanup() {
    if [ -n "$SIM_PID" ] && kill -0 "$SIM_PID" 2>/dev/null; then
        kill "$SIM_PID" && wait "$SIM_PID" 2>/dev/null || true
        echo "==> simulator stopped"
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> starting the OCP simulator (demo scenario)"
PYTHONPATH="$ROOT/tests" python -m ocp_simulator --scenario "$ROOT/tests/ocp_simulator/scenarios/demo.yml" \
    --host 127.0.0.1 --port 0 --port-file "$WORK/url" >"$WORK/simulator.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 1 100); do
    [ -s "$WORK/url" ] && break
    kill -0 "$SIM_PID" 2>/dev/null || { cat "$WORK/simulator.log"; exit 1; }
    sleep 0.1
done
[ -s "$WORK/url" ] || { echo "simulator did not start"; cat "$WORK/simulator.log"; exit 1; }

# The collection as users get it: built and installed from its artifact.
export ANSIBLE_COLLECTIONS_PATH="$WORK/collections"
ansible-galaxy collection build --force --output-path "$WORK/dist" "$ROOT" >/dev/null
ansible-galaxy collection install --force -p "$WORK/collections" "$WORK"/dist/oceanbase-ocp-*.tar.gz >/dev/null
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_RETRY_FILES_ENABLED=false
# The connection comes from the environment, exactly as the AWX credential type injects it.
OCP_API_URL=$(cat "$WORK/url")
export OCP_API_URL OCP_USERNAME=admin OCP_PASSWORD='Adm1n-Secret!'
echo "==> OCP simulator at $OCP_API_URL"

echo
echo "==> run 1: ansible-playbook oceanbase.ocp.precheck_then_failover -e @demo/vars.yml --diff"
ansible-playbook oceanbase.ocp.precheck_then_failover -e @"$ROOT/demo/vars.yml" --diff

echo
echo "==> run 2: the same again: every tenant is already primary, nothing changes (changed=0)"
ansible-playbook oceanbase.ocp.precheck_then_failover -e @"$ROOT/demo/vars.yml"
