# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit-test stand-ins for AnsibleModule.exit_json/fail_json: they raise ModuleExit with what the module returns."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule


class ModuleExit(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed = failed
        self.result = result


def exit_json(self, **result):
    raise ModuleExit(False, result)


def fail_json(self, msg, **result):
    raise ModuleExit(True, dict(result, msg=msg))


def capture_module_exits(monkeypatch):
    """Make exit_json/fail_json raise ModuleExit for the rest of the test."""
    monkeypatch.setattr(AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(AnsibleModule, "fail_json", fail_json)
