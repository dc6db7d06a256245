# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of ocp_tenant_info and ocp_task_info on the project's FakeOcp, in both task shapes OCP sends, with and
without the (assumed) tenantRole field: run() for what they read and return, main() for their options."""

from __future__ import annotations

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import RunFailure
from ansible_collections.oceanbase.ocp.plugins.modules import ocp_task_info, ocp_tenant_info
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import (
    FAILOVER,
    FAILOVER_GRAPH_ORDER,
    SWITCHOVER,
    FakeClock,
    FakeOcp,
    Returns,
    api_error,
    install_client,
)
from ansible_collections.oceanbase.ocp.tests.unit.plugins.module_exit import ModuleExit, capture_module_exits

DR, OTHER = 3000020, 3000021
T1, T10, MOVING, SOLO, HALF, ELSEWHERE = 2000101, 2000110, 2000150, 2000160, 2000140, 2000201
CONNECTION = {"api_url": "https://ocp.example.com:8080", "username": "admin", "password": "Adm1n-Secret!"}


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    capture_module_exits(monkeypatch)


@pytest.fixture(params=[("nested", False), ("flat", True)], ids=["nested-no_role_field", "flat-role_field"])
def ocp(request):
    """t1 failed over (primary), t10 failed over then switched back (standby), moving in the middle of a failover,
    half_done with a failover FAILED after its role switch, solo without any history; t1 of another cluster."""
    shape, expose_roles = request.param
    fake = FakeOcp(FakeClock(), shape=shape, expose_roles=expose_roles)
    fake.clusters = {DR: "obcluster_dr", OTHER: "obcluster_dr2"}
    fake.add_tenant(T10, "STANDBY", "t10", DR)
    fake.add_tenant(T1, "PRIMARY", "t1", DR)
    fake.add_tenant(SOLO, "PRIMARY", "solo", DR)
    fake.add_tenant(HALF, "PRIMARY", "half_done", DR)
    fake.add_tenant(MOVING, "STANDBY", "moving", DR)
    fake.add_tenant(ELSEWHERE, "STANDBY", "t1", OTHER)
    fake.add_task(T1, FAILOVER, "SUCCESSFUL", ago=7200)
    fake.add_task(T10, FAILOVER, "SUCCESSFUL", ago=7200)
    fake.add_task(T10, SWITCHOVER, "SUCCESSFUL", ago=3600)
    fake.add_task(HALF, FAILOVER, "FAILED", failed_subtask="Create tenant service name", ago=600)
    fake.add_task(MOVING, FAILOVER, "RUNNING", seconds=600)
    return fake


class FakeModule:
    def __init__(self, params):
        self.params = params
        self.check_mode = False

    def fail_json(self, msg, **result):
        raise AssertionError("fail_json: %s" % msg)


def tenant_params(**overrides):
    return dict(dict(cluster_id=None, cluster_name=None, tenant_id=None, name=None, precheck_unknown_roles=False),
                **overrides)


def task_params(**overrides):
    return dict(dict(task_id=None, cluster_id=None, tenant_id=None, name=None, status=None, return_subtasks=True),
                **overrides)


def tenant_info(ocp, **params):
    changed, result, diff = ocp_tenant_info.run(FakeModule(tenant_params(**params)), ocp)
    assert changed is False and diff is None
    return result["tenants"]


def task_info(ocp, **params):
    changed, result, diff = ocp_task_info.run(FakeModule(task_params(**params)), ocp)
    assert changed is False and diff is None
    return result["tasks"]


def task_of(ocp, tenant_id, name=FAILOVER):
    [task] = [task for task in ocp.tasks_of(tenant_id) if task.name == name]
    return task.id


def methods(ocp):
    return [call.method for call in ocp.calls]


def expected(ocp, role_field, role_from_tasks):
    """(role, role_source): the tenantRole field when OCP sends it, else what the tasks prove, else nothing."""
    if ocp.expose_roles:
        return role_field, "tenant"
    return (role_from_tasks, "tasks") if role_from_tasks else (None, "none")


class TestTenantInfo:
    def test_every_tenant_with_its_role_from_the_evidence(self, ocp):
        tenants = tenant_info(ocp)
        assert [(t["cluster_id"], t["tenant_id"]) for t in tenants] == [
            (DR, T1), (DR, T10), (DR, HALF), (DR, MOVING), (DR, SOLO), (OTHER, ELSEWHERE)]
        found = dict((t["tenant_id"], t) for t in tenants)
        assert (found[T1]["role"], found[T1]["role_source"]) == expected(ocp, "PRIMARY", "PRIMARY")
        assert (found[T1]["name"], found[T1]["cluster_name"], found[T1]["mode"]) == ("t1", "obcluster_dr", "MYSQL")
        # only the latest role-changing task counts: t10 was switched back
        assert (found[T10]["role"], found[T10]["role_source"]) == expected(ocp, "STANDBY", "STANDBY")
        assert found[T10]["latest_role_task"]["id"] == task_of(ocp, T10, SWITCHOVER)
        # a FAILED latest task, a running one, none at all: no evidence from the tasks
        expected_role = expected(ocp, "PRIMARY", None)[0]
        assert (found[HALF]["role"], found[HALF]["latest_role_task"]["status"]) == (expected_role, "FAILED")
        assert found[MOVING]["running_task"]["id"] == task_of(ocp, MOVING)
        assert found[MOVING]["running_task"]["progress"]["running"] == 1
        assert (found[SOLO]["role"], found[SOLO]["role_source"]) == expected(ocp, "PRIMARY", None)
        assert found[SOLO]["latest_role_task"] is None and found[SOLO]["running_task"] is None
        assert all("tenant_role" not in t and "id" not in t for t in tenants)
        # pages, not tenants: one tenant list, one task list per role-changing task name, for all of OCP
        assert methods(ocp) == ["list_all_tenants", "list_tasks", "list_tasks"]
        assert sorted(call.kwargs["name"] for call in ocp.calls_to("list_tasks")) == [FAILOVER, SWITCHOVER]

    def test_a_cluster_by_name(self, ocp):
        tenants = tenant_info(ocp, cluster_name="obcluster_dr")
        assert [t["tenant_id"] for t in tenants] == [T1, T10, HALF, MOVING, SOLO]
        assert [call.kwargs for call in ocp.calls_to("list_clusters")] == [{"name": "obcluster_dr"}]
        assert [call.kwargs["clusterId"] for call in ocp.calls_to("list_tasks")] == [DR, DR]

    def test_one_tenant_by_name_narrows_the_task_lists(self, ocp):
        [t1] = tenant_info(ocp, cluster_id=DR, name="t1")
        assert (t1["tenant_id"], t1["latest_role_task"]["id"]) == (T1, task_of(ocp, T1))
        assert [call.kwargs["tenantId"] for call in ocp.calls_to("list_tasks")] == [T1, T1]

    def test_one_tenant_by_id_reads_its_detail(self, ocp):
        [t10] = tenant_info(ocp, cluster_id=DR, tenant_id=T10)
        assert t10["name"] == "t10"
        assert methods(ocp) == ["get_tenant", "list_tasks", "list_tasks"]

    def test_a_repeated_list_entry_is_reported_once(self, ocp):
        listed = ocp.list_tenants(DR)
        ocp.calls = []
        ocp.script("list_tenants", Returns(listed + listed[:1]))
        assert [t["tenant_id"] for t in tenant_info(ocp, cluster_id=DR)] == [T1, T10, HALF, MOVING, SOLO]

    def test_precheck_only_where_nothing_decided_and_nothing_runs(self, ocp):
        found = dict((t["tenant_id"], t) for t in tenant_info(ocp, cluster_id=DR, precheck_unknown_roles=True))
        prechecked = sorted(call.args[1] for call in ocp.calls_to("failover_precheck"))
        if ocp.expose_roles:
            assert prechecked == []
            return
        assert prechecked == [HALF, SOLO]
        assert (found[SOLO]["role"], found[SOLO]["role_source"]) == ("PRIMARY", "precheck")
        assert (found[HALF]["role"], found[HALF]["role_source"]) == ("PRIMARY", "precheck")
        assert (found[MOVING]["role"], found[MOVING]["role_source"]) == (None, "none")

    def test_precheck_as_an_error_answer_and_a_refused_one(self, ocp):
        if ocp.expose_roles:
            pytest.skip("nothing is prechecked when OCP sends tenantRole")
        ocp.precheck_role_error = True
        ocp.precheck_answers[HALF] = api_error(409, "OBE21005", "Tenant half_done has a running operation.",
                                               method="POST")
        found = dict((t["tenant_id"], t) for t in tenant_info(ocp, cluster_id=DR, precheck_unknown_roles=True))
        assert (found[SOLO]["role"], found[SOLO]["role_source"]) == ("PRIMARY", "precheck")
        assert (found[HALF]["role"], found[HALF]["role_source"]) == (None, "none")
        assert "OBE21005" in found[HALF]["precheck_error"] and "precheck_error" not in found[SOLO]

    @pytest.mark.parametrize("overrides, problem", [
        ({"tenant_id": 1}, "tenant_id and name need the tenant's cluster: set cluster_id or cluster_name as well"),
        ({"name": "t1"}, "tenant_id and name need the tenant's cluster: set cluster_id or cluster_name as well"),
        ({"cluster_id": -1}, "cluster_id must be a positive integer ID, got -1"),
        ({"cluster_id": 1, "tenant_id": True}, "tenant_id must be a positive integer ID, got True"),
        ({"cluster_name": ""}, "cluster_name must not be empty"),
    ])
    def test_input_problems(self, overrides, problem):
        assert ocp_tenant_info.input_problems(tenant_params(**overrides)) == [problem]


class TestTaskInfo:
    def test_one_task_in_either_shape(self, ocp):
        [task] = task_info(ocp, task_id=task_of(ocp, MOVING))
        assert (task["cluster_id"], task["tenant_id"], task["status"]) == (DR, MOVING, "RUNNING")
        assert [subtask["name"] for subtask in task["subtasks"]] == FAILOVER_GRAPH_ORDER
        assert task["progress"] == {"total": 5, "successful": 0, "running": 1, "failed": 0, "pending": 4}
        assert task["failed_subtask"] is None and task["finish_time"] is None and task["duration_seconds"] is None
        assert methods(ocp) == ["get_task"]

    def test_a_failed_task_names_its_subtask_and_log(self, ocp):
        [task] = task_info(ocp, task_id=task_of(ocp, HALF))
        failed = [subtask for subtask in task["subtasks"] if subtask["status"] == "FAILED"]
        assert task["failed_subtask"]["id"] == failed[0]["id"]
        assert task["failed_subtask"]["name"] == "Create tenant service name"
        assert len(task["failed_subtask"]["log_tail"]) == 10
        assert task["progress"]["failed"] == 1 and task["duration_seconds"] == 4.0  # it stopped after four of five subtasks

    def test_an_unknown_task_says_it_may_not_be_recorded_yet(self, ocp):
        with pytest.raises(RunFailure) as raised:
            task_info(ocp, task_id=1)
        assert raised.value.message.startswith("OCP has no task 1 (GET /api/v2/tasks/instances/1 failed: HTTP 404 TSK10001")
        assert "recorded" in raised.value.message and raised.value.result == {"tasks": []}

    def test_exact_name_and_statuses_newest_first(self, ocp):
        tasks = task_info(ocp, name=FAILOVER, status=["SUCCESSFUL", "FAILED"])
        assert [task["id"] for task in tasks] == [task_of(ocp, HALF), task_of(ocp, T10), task_of(ocp, T1)]
        [call] = ocp.calls_to("list_tasks")
        assert call.kwargs == {"name": FAILOVER, "status": "FAILED,SUCCESSFUL"}
        assert task_info(ocp, name="Failover") == []  # OCP's fuzzy filter finds "Failover tenant"; the module does not

    def test_details_only_where_the_list_lacks_the_order(self, ocp):
        tasks = task_info(ocp, cluster_id=DR, return_subtasks=False)
        assert len(tasks) == 5 and all("subtasks" not in task for task in tasks)
        assert [task["progress"]["total"] for task in tasks] == [5, 5, 3, 5, 5]  # newest first
        # nested list entries lack the graph: the FAILED task's detail is read for its first failed subtask
        assert [call.args[0] for call in ocp.calls_to("get_task")] == (
            [] if ocp.shape == "flat" else [task_of(ocp, HALF)])
        ocp.calls = []
        task_info(ocp, tenant_id=T10)
        assert sorted(call.args[0] for call in ocp.calls_to("get_task")) == (
            [] if ocp.shape == "flat" else sorted([task_of(ocp, T10), task_of(ocp, T10, SWITCHOVER)]))

    def test_input_problems(self):
        assert ocp_task_info.input_problems(task_params(status=[], task_id=0)) == [
            "task_id must be a positive integer ID, got 0",
            "status must list at least one status (leave it out for every status)"]


def main(module, **args):
    with patch_module_args(dict(CONNECTION, **args)):
        with pytest.raises(ModuleExit) as caught:
            module.main()
    return caught.value


class TestMain:
    def test_tenant_info_reads_in_check_mode(self, monkeypatch, ocp):
        install_client(monkeypatch, ocp)
        outcome = main(ocp_tenant_info, cluster_name="obcluster_dr", name="t10", _ansible_check_mode=True)
        assert not outcome.failed and outcome.result["changed"] is False
        assert [t["tenant_id"] for t in outcome.result["tenants"]] == [T10]

    def test_task_info_reads_in_check_mode(self, monkeypatch, ocp):
        install_client(monkeypatch, ocp)
        outcome = main(ocp_task_info, status=["RUNNING"], _ansible_check_mode=True)
        assert not outcome.failed and [t["tenant_id"] for t in outcome.result["tasks"]] == [MOVING]

    @pytest.mark.parametrize("module, args, message", [
        (ocp_tenant_info, {"cluster_id": DR, "cluster_name": "obcluster_dr"},
         "parameters are mutually exclusive: cluster_id|cluster_name"),
        (ocp_tenant_info, {"cluster_id": DR, "tenant_id": T1, "name": "t1"},
         "parameters are mutually exclusive: tenant_id|name"),
        (ocp_tenant_info, {"cluster_name": "obcluster", "name": "t1"},
         "OCP has no cluster named 'obcluster' (similar names: 'obcluster_dr', 'obcluster_dr2')"),
        (ocp_task_info, {"task_id": 1, "status": ["RUNNING"]}, "parameters are mutually exclusive: task_id|status"),
        (ocp_task_info, {"status": ["DONE"]}, "value of status must be one or more of: RUNNING, FAILED, SUCCESSFUL"),
    ])
    def test_bad_options(self, monkeypatch, ocp, module, args, message):
        install_client(monkeypatch, ocp)
        outcome = main(module, **args)
        assert outcome.failed and message in outcome.result["msg"]
        assert ocp.writes() == []
