#!/usr/bin/env bash
# Runs every test and quality gate of oceanbase.ocp: `make test` and CI (.ci/run) both call this.
#
# Gates: ansible-galaxy build + install of the artifact, ansible-test sanity (no ignore files), ansible-test
# units, ansible-doc of every plugin (modules, the inventory plugin), ansible-lint (production profile),
# antsibull-changelog lint, and pytest (unit, simulator and end-to-end tests; the end-to-end tests run the
# collection installed from the artifact).
# Every gate runs even when an earlier one fails; the script exits non-zero if any failed.
# The EDA tests run the real ansible-rulebook, which needs a Java 17 runtime: the machine's (JAVA_HOME, or java on
# PATH), else openjdk-17-jre-headless installed with apt-get; failing both, they skip and one line here says why.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 2
# shellcheck source=scripts/venv.sh
. "$ROOT/scripts/venv.sh"
ocp_venv "$ROOT" || { echo "error: could not set up the virtualenv" >&2; exit 2; }

PYVER=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/oceanbase-ocp-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
COLLECTION="$WORK/src/ansible_collections/oceanbase/ocp"
INSTALLED="$WORK/installed"
FAILED=()

step() { echo; echo "==> $*"; }
gate() {  # gate NAME COMMAND...: run a gate, remember failures, keep going
    local name="$1"; shift
    step "$name"
    if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; FAILED+=("$name"); fi
}

java_major() {  # the major version a java binary reports, e.g. 17
    "$1" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1
}
find_java17() {  # print the real path of a Java >= 17 binary: JAVA_HOME's, then PATH's, then any installed JVM
    local candidate major
    for candidate in "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" /usr/lib/jvm/*/bin/java; do
        [ -n "$candidate" ] && [ -x "$candidate" ] || continue
        major=$(java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 17 ]; then
            readlink -f "$candidate"
            return 0
        fi
    done
    return 1
}
setup_java() {  # export JAVA_HOME and PATH for ansible-rulebook, or OCP_EDA_SKIP with the reason
    local java why
    if ! java=$(find_java17); then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "no Java 17 runtime found: installing openjdk-17-jre-headless with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless
            java=$(find_java17) || why="apt-get could not install openjdk-17-jre-headless (see above)"
        else
            why="no Java 17 runtime (JAVA_HOME, java on PATH), and apt-get cannot install one here (not root, or no apt-get)"
        fi
    fi
    if [ -n "${why:-}" ]; then
        export OCP_EDA_SKIP="$why"
        echo "WARNING: EDA tests (tests/e2e/test_eda.py: ansible-rulebook) are SKIPPED: $why"
        return 0
    fi
    export JAVA_HOME="${java%/bin/java}"
    # ansible-rulebook runs ansible-galaxy and ansible-playbook from PATH: the venv's bin first, then Java's.
    export PATH="${VIRTUAL_ENV:-$ROOT/.venv}/bin:$JAVA_HOME/bin:$PATH"
    echo "Java for ansible-rulebook: $JAVA_HOME ($("$java" -version 2>&1 | head -n 1))"
}
step "Java 17 runtime for ansible-rulebook (EDA tests)"
setup_java

# ansible-test refuses symlinks and wants .../ansible_collections/NAMESPACE/NAME: copy the files git knows
# (tracked, plus new files not ignored) so the gates see exactly what a commit would hold.
step "copying the collection to $COLLECTION"
mkdir -p "$COLLECTION"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$COLLECTION"

# ansible-test bootstraps pip in each of its virtualenvs with a get-pip script it downloads from a host that is
# not a package index. Seed its cache with pip's wheel (from the package index) and a tiny installer, so the
# sanity tests work offline and online alike.
seed_ansible_test_pip() {
    local version cache wheel_dir
    version=$(python - <<'PY'
import re, ansible_test._internal.python_requirements as m, inspect
print(re.search(r"pip='([^']+)'", inspect.getsource(m.get_venv_packages)).group(1))
PY
) || return 1
    cache="$HOME/.ansible/test/cache"
    wheel_dir="$cache/pip-wheels"
    mkdir -p "$wheel_dir"
    [ -f "$cache/get_pip_${version//./_}.py" ] && ls "$wheel_dir"/pip-"$version"-*.whl >/dev/null 2>&1 && return 0
    python -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$wheel_dir" "pip==$version" || return 1
    cat >"$cache/get_pip_${version//./_}.py" <<PY
"""Stand-in for get-pip.py: installs pip $version from the wheel in $wheel_dir (written by scripts/test.sh)."""
import glob
import sys

WHEEL = glob.glob("$wheel_dir/pip-$version-*.whl")[0]
sys.path.insert(0, WHEEL)
from pip._internal.cli.main import main  # noqa: E402

ARGS = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--no-index", "--find-links", "$wheel_dir"] + ARGS))
PY
}
gate "seed ansible-test's pip bootstrap" seed_ansible_test_pip

build_and_install() {
    (cd "$COLLECTION" && ansible-galaxy collection build --force --output-path "$WORK/dist") &&
        ansible-galaxy collection install --force -p "$INSTALLED" "$WORK"/dist/oceanbase-ocp-*.tar.gz
}
gate "ansible-galaxy collection build + install" build_and_install

no_ignore_files() {
    local found
    found=$(find "$COLLECTION/tests/sanity" -name 'ignore-*.txt' 2>/dev/null)
    [ -z "$found" ] || { echo "sanity ignore files are not allowed: $found"; return 1; }
}
gate "no sanity ignore files" no_ignore_files
gate "ansible-test sanity" bash -c "cd '$COLLECTION' && ansible-test sanity --python '$PYVER' --color no"
# Modules run on managed hosts' Pythons too: compile them with every other Python 3.8+ this machine has
# (on PATH, or installed by pyenv without being activated).
find_python() {
    local version="$1" candidate
    for candidate in "python$version" "$(pyenv root 2>/dev/null)"/versions/"$version".*/bin/"python$version"; do
        if "$candidate" -c '' >/dev/null 2>&1; then command -v "$candidate"; return 0; fi
    done
    return 1
}
compile_other_pythons() {
    local version interpreter rc=0 tested=""
    for version in 3.8 3.9 3.10 3.12 3.13 3.14; do
        [ "$version" = "$PYVER" ] && continue
        interpreter=$(find_python "$version") || continue
        tested="$tested $version"
        (cd "$COLLECTION" && ansible-test sanity --test compile --color no --python "$version" \
            --python-interpreter "$interpreter") || rc=1
    done
    echo "compiled with Python${tested:- (no other Python found)}"
    return $rc
}
gate "ansible-test sanity --test compile (other Pythons)" compile_other_pythons
gate "ansible-test units" bash -c "cd '$COLLECTION' && ansible-test units --python '$PYVER' --color no"

ansible_doc_all() {  # ansible-doc of every plugin, by type (plugins/<dir> -> ansible-doc -t <type>); a WARNING fails
    local dir type plugin rc=0 plugins found=0
    for dir in modules:module inventory:inventory lookup:lookup filter:filter; do
        type=${dir#*:}
        dir=${dir%%:*}
        [ -d "$COLLECTION/plugins/$dir" ] || continue
        plugins=$(find "$COLLECTION/plugins/$dir" -name '*.py' ! -name '__init__.py' -printf '%f\n' | sed 's|\.py$||' | sort)
        for plugin in $plugins; do
            found=1
            echo "ansible-doc -t $type oceanbase.ocp.$plugin"
            ANSIBLE_COLLECTIONS_PATH="$INSTALLED" ansible-doc -t "$type" "oceanbase.ocp.$plugin" >"$WORK/doc-$type-$plugin.txt" 2>&1 ||
                { cat "$WORK/doc-$type-$plugin.txt"; rc=1; }
            grep -q "WARNING" "$WORK/doc-$type-$plugin.txt" && { cat "$WORK/doc-$type-$plugin.txt"; rc=1; }
        done
    done
    [ "$found" = 1 ] || { echo "no plugins found"; return 1; }
    return $rc
}
gate "ansible-doc of every plugin (modules, inventory)" ansible_doc_all
gate "ansible-lint (production profile)" bash -c "cd '$COLLECTION' && ansible-lint --profile production"
gate "antsibull-changelog lint" bash -c "cd '$COLLECTION' && antsibull-changelog lint"
run_pytest() {  # the end-to-end tests run the collection installed from the artifact
    (
        cd "$COLLECTION" || exit 1
        export OCP_TEST_COLLECTIONS_PATH="$INSTALLED" PYTHONPATH="$WORK/src"
        # Most tests wait on the simulator's clock, not the CPU: three workers. The fault matrix runs on its own,
        # unsplit, because it batches cases internally and prints its closing table at the end.
        local rc=0
        python -m pytest -n 3 --ignore=tests/e2e/faults "$@" tests || rc=1
        python -m pytest "$@" tests/e2e/faults || rc=1
        exit $rc
    )
}
gate "pytest (unit, simulator, end-to-end)" run_pytest "$@"

echo
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "FAILED gates: ${FAILED[*]}"
    exit 1
fi
echo "all gates passed"
