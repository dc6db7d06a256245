"""AWX execution environments: ansible-builder must find the collection's Python requirements.

Offline checks only (no container engine here): `ansible-builder introspect` reads meta/execution-environment.yml
of the installed collection, and `ansible-builder create` writes a build context for an EE that lists it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).parent


def test_introspect_finds_the_python_requirements(collections_path):
    proc = subprocess.run([str(BIN / "ansible-builder"), "introspect", collections_path],
                          capture_output=True, text=True, check=False)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = yaml.safe_load(proc.stdout.split("\n", 1)[1])  # first line is a comment naming the folder
    python = [line.split("#")[0].strip() for line in data["python"] if "oceanbase.ocp" in line]
    requirements = Path(__file__).resolve().parents[2] / "requirements.txt"
    expected = [line.split("#")[0].strip() for line in requirements.read_text(encoding="utf-8").splitlines()
                if line.split("#")[0].strip()]
    assert python == expected


def test_create_writes_a_build_context(tmp_path):
    definition = tmp_path / "execution-environment.yml"
    definition.write_text(yaml.safe_dump({
        "version": 3,
        "images": {"base_image": {"name": "quay.io/ansible/awx-ee:latest"}},
        "dependencies": {"galaxy": {"collections": [{"name": "oceanbase.ocp"}]}},
    }), encoding="utf-8")

    proc = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", str(definition), "-c", str(tmp_path / "ctx")],
                          capture_output=True, text=True, check=False)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    requirements = yaml.safe_load((tmp_path / "ctx" / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert requirements["collections"] == [{"name": "oceanbase.ocp"}]
