"""Fixtures for the end-to-end tests: the real modules, run by the real ansible-playbook, against the simulator.

Nothing here stubs HTTP. `simulator` is the OCP API simulator on a loopback port; `run_playbook` writes a
playbook, runs `ansible-playbook` in a subprocess and hands back its output and every task result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

TESTS_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS_DIR.parent
E2E_DIR = Path(__file__).resolve().parent
for _path in (TESTS_DIR, E2E_DIR):  # ocp_simulator lives in tests/, harness in tests/e2e/
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from harness import ADMIN_PASSWORD, ADMIN_USER, ACCESS_KEY_ID, ACCESS_KEY_SECRET  # noqa: E402
from ocp_simulator import Simulator  # noqa: E402

DEFAULT_SCENARIO = TESTS_DIR / "ocp_simulator" / "scenarios" / "default.yml"
CALLBACK_DIR = E2E_DIR / "callback_plugins"
BIN_DIR = Path(sys.executable).parent


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory):
    """Where ansible-playbook finds oceanbase.ocp.

    CI points OCP_TEST_COLLECTIONS_PATH at the collection installed from the built artifact, so the tests run
    what users get. Locally, a symlink to the working tree is enough (ansible accepts symlinked collections).
    """
    preset = os.environ.get("OCP_TEST_COLLECTIONS_PATH")
    if preset:
        return preset
    root = tmp_path_factory.mktemp("collections")
    namespace_dir = root / "ansible_collections" / "oceanbase"
    namespace_dir.mkdir(parents=True)
    (namespace_dir / "ocp").symlink_to(REPO_ROOT, target_is_directory=True)
    return str(root)


# The two forms of OCP the collection must survive (docs/ocp-api.md): what OCP's reference documents (nested task
# objects, no tenant role field) and what the first simulator served (flat tasks, the assumed tenantRole field).
API_SHAPES = {
    "documented": {"task_shape": "nested", "expose_tenant_role": False},
    "flat": {"task_shape": "flat", "expose_tenant_role": True},
}


@pytest.fixture
def api_shape():
    """The form of OCP a test runs against. Test modules that must hold in both override this fixture with
    `@pytest.fixture(params=sorted(API_SHAPES))` (from conftest import API_SHAPES)."""
    return "documented"


def load_scenario_file(path, api_shape="documented"):
    """A scenario file as a dict, in the given API shape; tests may tweak it before the simulator loads it."""
    with open(path, encoding="utf-8") as stream:
        loaded = yaml.safe_load(stream)
    loaded.setdefault("options", {}).update(API_SHAPES[api_shape])
    return loaded


@pytest.fixture
def scenario(api_shape):
    """The default scenario as a dict, in the test's API shape; tests may tweak it before the simulator loads it."""
    return load_scenario_file(DEFAULT_SCENARIO, api_shape)


@pytest.fixture
def simulator(scenario):
    with Simulator(scenario=scenario, host="127.0.0.1", port=0) as sim:
        yield sim


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    command: list
    results: list = field(default_factory=list)

    @property
    def output(self):
        return self.stdout + self.stderr

    def _entry(self, name):
        # Ansible names a role's tasks "namespace.collection.role : task name".
        for entry in reversed(self.results):
            if entry["task"] == name or entry["task"].endswith(" : " + name):
                return entry
        raise KeyError(f"task {name!r} has no result; ran: {[e['task'] for e in self.results]}\n{self.output}")

    def task(self, name):
        """The localhost result of the last task called `name` (KeyError if it never ran)."""
        return self._entry(name)["result"]

    def status(self, name):
        return self._entry(name)["status"]


def connection_defaults(url, auth="basic"):
    if auth == "basic":
        return {"api_url": url, "username": ADMIN_USER, "password": ADMIN_PASSWORD}
    if auth == "aksk":
        return {"api_url": url, "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET}
    if auth is None:
        return {}
    raise ValueError(auth)


def base_env(collections_path, workdir, result_file):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OCP_", "ANSIBLE_"))}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections_path,
        "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACK_DIR),
        "ANSIBLE_CALLBACKS_ENABLED": "result_dump",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_HOME": str(workdir / "ansible_home"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
        "OCP_TEST_RESULT_FILE": str(result_file),
        "PATH": f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    return env


def read_results(result_file):
    if not result_file.exists():
        return []
    with open(result_file, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


@pytest.fixture
def ansible_env(collections_path, tmp_path):
    """Environment for any ansible command in a test: collection path, result callback, no stray OCP_* vars."""
    return base_env(collections_path, tmp_path, tmp_path / "results.jsonl")


@pytest.fixture
def run_playbook(simulator, collections_path, tmp_path):
    """Run tasks (a list of task dicts) or a playbook file through the real ansible-playbook.

    By default the play carries module_defaults for group/oceanbase.ocp.ocp with the simulator URL and the admin
    credentials (`auth="aksk"` for access keys, `auth=None` for none: pass them yourself, e.g. in `env`).
    """
    counter = {"n": 0}

    def run(tasks=None, *, playbook=None, check=False, diff=False, verbosity=0, extra_vars=None, env=None,
            auth="basic", args=(), timeout=600):
        counter["n"] += 1
        workdir = tmp_path / f"run{counter['n']}"
        workdir.mkdir()
        result_file = workdir / "results.jsonl"
        if playbook is None:
            play = {"name": "e2e", "hosts": "localhost", "gather_facts": False, "tasks": tasks}
            defaults = connection_defaults(simulator.url, auth)
            if defaults:
                play["module_defaults"] = {"group/oceanbase.ocp.ocp": defaults}
            playbook = workdir / "playbook.yml"
            playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        command = [str(BIN_DIR / "ansible-playbook"), str(playbook)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        if extra_vars:
            vars_file = workdir / "extra_vars.yml"
            vars_file.write_text(yaml.safe_dump(extra_vars), encoding="utf-8")
            command += ["-e", f"@{vars_file}"]
        command += list(args)
        run_env = base_env(collections_path, workdir, result_file)
        run_env.update(env or {})
        proc = subprocess.run(command, cwd=workdir, env=run_env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr, command, read_results(result_file))

    return run
