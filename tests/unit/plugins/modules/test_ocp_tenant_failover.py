# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ocp_tenant_failover module, a thin module on the role-change engine: its option checks, how
run() builds the engine, and how main() turns the engine's outcome into exit_json/fail_json. The engine itself is
tested in module_utils/test_role_change.py; here it runs against FakeOcp on a fake clock."""

from __future__ import annotations

import pytest

from ansible.module_utils.common import warnings
from ansible.module_utils.common.warnings import get_warning_messages
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import FAILOVER
from ansible_collections.oceanbase.ocp.plugins.module_utils import role_change
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import RoleChangeRun
from ansible_collections.oceanbase.ocp.plugins.modules import ocp_tenant_failover as module_under_test
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import (
    CLUSTER_ID,
    FakeClock,
    FakeOcp,
    api_error,
    install_client,
)
from ansible_collections.oceanbase.ocp.tests.unit.plugins.module_exit import ModuleExit, capture_module_exits

CONNECTION = {"api_url": "https://ocp.example.com:8080", "username": "admin", "password": "Adm1n-Secret!"}


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    capture_module_exits(monkeypatch)


@pytest.fixture(autouse=True)
def no_ocp_environment(monkeypatch):
    for name in ("OCP_API_URL", "OCP_USERNAME", "OCP_PASSWORD", "OCP_ACCESS_KEY_ID", "OCP_ACCESS_KEY_SECRET",
                 "OCP_VALIDATE_CERTS", "OCP_CA_PATH", "OCP_REQUEST_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def engines(monkeypatch):
    """Every RoleChangeRun the module builds, as (args, kwargs); the runs use the FakeOcp's clock."""
    built = []

    def spy(*args, **kwargs):
        built.append((args, kwargs))
        client = args[1]
        return RoleChangeRun(*args, **dict(kwargs, clock=client.clock, sleep=client.clock.sleep))

    monkeypatch.setattr(role_change, "RoleChangeRun", spy)  # the module builds its run through role_change.run_operation
    return built


@pytest.fixture
def ocp(monkeypatch, engines):
    fake = install_client(monkeypatch, FakeOcp(FakeClock()))
    fake.add_tenant(1, name="ohayo_2")
    fake.add_tenant(2, name="sales_2")
    return fake


def main(check_mode=False, diff=False, **args):
    module_args = dict(CONNECTION, cluster_id=CLUSTER_ID)
    module_args.update(args)
    if check_mode:
        module_args["_ansible_check_mode"] = True
    if diff:
        module_args["_ansible_diff"] = True
    with patch_module_args(module_args):
        with pytest.raises(ModuleExit) as caught:
            module_under_test.main()
    return caught.value


def tenants(*tenant_ids):
    return [{"tenant_id": tenant_id} for tenant_id in tenant_ids]


class TestOptions:
    @pytest.mark.parametrize("args, message", [
        ({"tenants": []}, "Invalid input, nothing was sent to OCP: tenants must list at least one tenant to fail over"),
        ({"tenants": tenants(1, 2, 1)},
         "Invalid input, nothing was sent to OCP: tenants lists tenant_id 1 more than once: list each once"),
        ({"tenants": tenants(1), "cluster_id": 0}, "cluster_id must be a positive integer ID, got 0"),
        ({"tenants": tenants(-1)}, "tenant_id must be a positive integer ID, got -1"),
        ({"tenants": tenants(1), "wait_timeout": -3}, "wait_timeout must be a positive number of seconds, got -3"),
        ({"tenants": tenants(1), "wait_sleep": 0}, "wait_sleep must be a positive number of seconds, got 0"),
        ({"tenants": [], "wait_timeout": 0},
         "tenants must list at least one tenant to fail over; wait_timeout must be a positive number of seconds"),
        ({"tenants": [{"service_name": "SVC"}]}, "tenants[0] gives neither tenant_id nor name: give exactly one"),
        ({"tenants": ["2000025"]}, "dictionary requested"),  # ansible-core's own words: it names no option
        ({"tenants": tenants(1), "tenant": 1}, "Unsupported parameters"),
        ({"tenants": tenants(1), "retry_failed_tasks": "sometimes"}, "retry_failed_tasks"),
        ({"tenants": tenants(1), "request_timeout": 0},
         "Invalid connection options, nothing was sent to OCP: request_timeout must be a positive number"),
    ])
    def test_bad_options_fail_before_anything_is_sent(self, ocp, args, message):
        outcome = main(**args)
        assert outcome.failed
        assert message in outcome.result["msg"]
        assert ocp.calls == []

    def test_the_defaults(self, ocp, engines):
        main(tenants=tenants(1))
        [(args, kwargs)] = engines
        assert (kwargs["check_mode"], kwargs["retry_failed_tasks"], kwargs["return_subtasks"], kwargs["wait"],
                kwargs["wait_timeout"], kwargs["wait_sleep"]) == (False, False, True, True, 1800, None)
        assert ocp.client_kwargs["validate_certs"] is True and ocp.client_kwargs["request_timeout"] == 30


class TestRun:
    def test_run_builds_the_failover_engine_from_the_options(self, ocp, engines):
        main(check_mode=True, tenants=[{"tenant_id": 1, "service_name": "SVC"}], retry_failed_tasks=True,
             return_subtasks=False, wait=False, wait_timeout=77, wait_sleep=0.5)
        [(args, kwargs)] = engines
        assert args[0] is FAILOVER and args[1] is ocp and args[2] == CLUSTER_ID
        # by id: the name is left to the engine's read (names.resolve_tenants reads nothing for ids)
        assert args[3] == [{"tenant_id": 1, "name": None, "service_name": "SVC"}]
        assert (kwargs["check_mode"], kwargs["retry_failed_tasks"], kwargs["return_subtasks"], kwargs["wait"],
                kwargs["wait_timeout"], kwargs["wait_sleep"]) == (True, True, False, False, 77, 0.5)
        assert kwargs["warn"].__self__.__class__.__name__ == "OcpModule"

    def test_the_engines_warnings_are_the_modules(self, ocp, monkeypatch):
        monkeypatch.setattr(warnings, "_global_warnings", {})
        ocp.when(1.0, lambda: ocp.add_task(1, seconds=30.0))  # another job's failover of the same tenant
        outcome = main(tenants=tenants(1))
        assert not outcome.failed
        assert outcome.result["tenants"][0]["concurrent_task_ids"]
        assert any("Another failover task of tenant 1 (ohayo_2) appeared" in warning
                   for warning in get_warning_messages())


class TestMain:
    def test_success_exits_with_the_engines_result(self, ocp):
        outcome = main(tenants=[{"tenant_id": 1, "service_name": "SVC"}, {"tenant_id": 2}])
        assert not outcome.failed
        result = outcome.result
        assert set(result) == {"changed", "cluster_id", "tenants", "tasks", "polls"}
        assert result["changed"] is True
        assert [(entry["tenant_id"], entry["action"], entry["role_after"]) for entry in result["tenants"]] == [
            (1, "failed_over", "PRIMARY"), (2, "failed_over", "PRIMARY")]
        assert ocp.submissions() == [[{"tenantId": 1, "serviceName": "SVC"}, {"tenantId": 2}]]
        assert ocp.closed

    def test_the_diff_only_in_diff_mode(self, ocp):
        outcome = main(diff=True, tenants=tenants(1))
        assert outcome.result["diff"]["before"] == {"cluster_id": CLUSTER_ID, "tenants": [
            {"tenant_id": 1, "name": "ohayo_2", "role": "STANDBY"}]}
        assert outcome.result["diff"]["after"]["tenants"][0]["role"] == "PRIMARY"

    def test_check_mode_sends_nothing(self, ocp):
        outcome = main(check_mode=True, tenants=tenants(1, 2))
        assert not outcome.failed and outcome.result["changed"] is True
        assert [entry["action"] for entry in outcome.result["tenants"]] == ["would_fail_over"] * 2
        assert ocp.writes() == [] and ocp.clock.now == 0

    def test_a_refusal_fails_with_the_result_and_the_ocp_error(self, ocp):
        ocp.script("failover", api_error(409, "OBE21005", "Tenant ohayo_2 already has a running task.", method="POST",
                                         path="/api/v2/ob/clusters/%d/tenants/failover" % CLUSTER_ID))
        outcome = main(tenants=tenants(1))
        assert outcome.failed
        result = outcome.result
        assert result["msg"].startswith("OCP refused the failover request for tenant 1, so nothing was submitted")
        assert result["changed"] is False
        assert result["error"] == {"status": 409, "code": "OBE21005", "message": "Tenant ohayo_2 already has a running"
                                   " task.", "trace_id": None, "method": "POST",
                                   "path": "/api/v2/ob/clusters/%d/tenants/failover" % CLUSTER_ID}
        assert [entry["tenant_id"] for entry in result["tenants"]] == [1]
        assert result["tasks"] == [] and result["polls"] == 0
        assert ocp.closed

    def test_a_failure_without_an_ocp_error_has_no_error_key(self, ocp):
        ocp.fail_next_task(1, "Reset log restore source")
        outcome = main(tenants=tenants(1))
        assert outcome.failed and outcome.result["changed"] is True
        assert "error" not in outcome.result
        assert outcome.result["tenants"][0]["failed_subtask"]["name"] == "Reset log restore source"
        assert len(outcome.result["tasks"]) == 1

    def test_an_error_while_reading_fails_in_one_line(self, ocp):
        ocp.script("list_tenants", api_error(401, "IAM10004", "wrong user or password", trace_id="abc"))
        outcome = main(tenants=tenants(1))
        assert outcome.failed and outcome.result["changed"] is False
        assert "\n" not in outcome.result["msg"] and "IAM10004" in outcome.result["msg"]
        assert outcome.result["error"]["status"] == 401
        assert ocp.writes() == []
