#!/usr/bin/env bash
# Source me: creates (once) and activates the project virtualenv in .venv with tests/requirements.txt.
# Needs only Python >= 3.11 (ansible-core 2.19's floor); set PYTHON to choose the interpreter.

ocp_pick_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "error: need Python >= 3.11 (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

ocp_venv() {
    local venv="$1/.venv" requirements="$1/tests/requirements.txt" python stamp
    stamp="$venv/.requirements.sha256"
    if [ ! -x "$venv/bin/python" ]; then
        python=$(ocp_pick_python) || return 1
        echo "==> creating virtualenv $venv with $("$python" --version 2>&1)"
        "$python" -m venv "$venv" || return 1
    fi
    if [ "$(sha256sum "$requirements" | cut -d' ' -f1)" != "$(cat "$stamp" 2>/dev/null)" ]; then
        echo "==> installing $requirements"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip || return 1
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" || return 1
        sha256sum "$requirements" | cut -d' ' -f1 >"$stamp"
    fi
    # shellcheck disable=SC1091
    . "$venv/bin/activate"
}
