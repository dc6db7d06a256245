# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of ocp_tenant_info and ocp_task_info: run() against an in-memory OCP that sends either task shape."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError, RunFailure
from ansible_collections.oceanbase.ocp.plugins.modules import ocp_task_info, ocp_tenant_info

CLUSTER = 3000020
FAILOVER = "Failover tenant"
SWITCHOVER = "Switchover ob tenant for network mode"


def subtasks(statuses, graph=True):
    """Five subtasks listed backwards (OCP lists them in no order); with the graph (detail) or without (list)."""
    entries = []
    for index, status in enumerate(statuses):
        entry = {"id": 100 + index, "name": "step %d" % index, "status": status, "description": "", "operation": "EXECUTE"}
        if graph:
            entry.update(seriesId=10 - index, upstreams=[99 + index] if index else [],
                         downstreams=[101 + index] if index < len(statuses) - 1 else [])
        entries.append(entry)
    return list(reversed(entries))


def task(task_id, tenant_id, name=FAILOVER, status="SUCCESSFUL", progress=None, cluster_id=CLUSTER):
    return {"id": task_id, "name": name, "status": status, "clusterId": cluster_id, "tenantId": tenant_id,
            "startTime": "2024-07-23T17:42:34.000+08:00",
            "finishTime": None if status == "RUNNING" else "2024-07-23T17:43:34.500+08:00",
            "subtasks": progress or ["SUCCESSFUL"] * 5}


class FakeOcp:
    """OcpClient's read methods over tenants and tasks. `shape` is how the task list and detail send tasks: flat
    (clusterId/tenantId, full subtasks everywhere) or nested (cluster/tenant objects; list entries without the
    subtask graph). Name filters are fuzzy, as OCP's are."""

    def __init__(self, tenants, tasks, shape="nested"):
        self.tenants = tenants
        self.tasks = tasks
        self.shape = shape
        self.calls = []

    def _view(self, raw, entry):
        view = copy.deepcopy(raw)
        view["subtasks"] = subtasks(raw["subtasks"], graph=not (entry and self.shape == "nested"))
        if self.shape == "nested":
            view["cluster"] = {"id": view.pop("clusterId"), "name": "obcluster_dr"}
            view["tenant"] = {"id": view.pop("tenantId"), "name": "tenant"}
        return view

    def list_all_tenants(self, **filters):
        self.calls.append(("list_all_tenants", filters))
        return copy.deepcopy(self.tenants)

    def list_tenants(self, cluster_id, **filters):
        self.calls.append(("list_tenants", cluster_id, filters))
        found = [t for t in self.tenants if t["clusterId"] == cluster_id]
        if "name" in filters:
            found = [t for t in found if filters["name"].lower() in t["name"].lower()]
        return copy.deepcopy(found)

    def list_clusters(self, **filters):
        self.calls.append(("list_clusters", filters))
        return [{"id": CLUSTER, "name": "obcluster_dr"}, {"id": CLUSTER + 1, "name": "obcluster_dr2"}]

    def get_tenant(self, cluster_id, tenant_id):
        self.calls.append(("get_tenant", cluster_id, tenant_id))
        return copy.deepcopy([t for t in self.tenants if t["id"] == tenant_id][0])

    def list_tasks(self, **filters):
        self.calls.append(("list_tasks", filters))
        found = self.tasks
        if "name" in filters:
            found = [t for t in found if filters["name"].lower() in t["name"].lower()]
        for key in ("clusterId", "tenantId"):
            if key in filters:
                found = [t for t in found if t[key] == filters[key]]
        if "status" in filters:
            found = [t for t in found if t["status"] in filters["status"].split(",")]
        return [self._view(t, entry=True) for t in found]

    def get_task(self, task_id):
        self.calls.append(("get_task", task_id))
        found = [t for t in self.tasks if t["id"] == task_id]
        if not found:
            raise OcpApiError("GET", "/api/v2/tasks/instances/%d" % task_id, "Task not found", status=404, code="TSK10001")
        return self._view(found[0], entry=False)

    def get_subtask_log(self, task_id, subtask_id):
        self.calls.append(("get_subtask_log", task_id, subtask_id))
        return "line 1\nline 2\nERROR boom in %d" % subtask_id

    def failover_precheck(self, cluster_id, tenant_id):
        self.calls.append(("failover_precheck", tenant_id))
        if tenant_id == 2000160:
            return {"valid": False, "checkResults": [{"errorCode": "OBE26013", "warning": False,
                                                      "errorMessage": "the tenant's role is PRIMARY"}]}
        return {"valid": True, "checkResults": []}

    def named(self, name):
        return [call for call in self.calls if call[0] == name]


class FakeModule:
    def __init__(self, params):
        self.params = params
        self.check_mode = False

    def fail_json(self, msg, **result):
        raise AssertionError("fail_json: %s" % msg)


def tenant(tenant_id, name, role=None, cluster_id=CLUSTER):
    entry = {"id": tenant_id, "name": name, "clusterId": cluster_id, "clusterName": "obcluster_dr", "mode": "MYSQL",
             "status": "NORMAL", "obTenantId": 1002, "clusterType": "STANDBY"}
    if role:
        entry["tenantRole"] = role
    return entry


TENANTS = [tenant(2000110, "t10"), tenant(2000101, "t1"), tenant(2000160, "solo"), tenant(2000150, "moving"),
           tenant(2000101, "t1")]  # t1 twice: a list read over a page edge
TASKS = [
    task(12000001, 2000101, FAILOVER, "SUCCESSFUL"),
    task(12000002, 2000110, FAILOVER, "SUCCESSFUL"),
    task(12000003, 2000110, SWITCHOVER, "SUCCESSFUL"),
    task(12000004, 2000150, FAILOVER, "RUNNING", ["SUCCESSFUL", "SUCCESSFUL", "RUNNING", "PENDING", "PENDING"]),
    task(12000005, 2000101, "Failover tenant (archive)", "FAILED", ["SUCCESSFUL", "FAILED", "PENDING", "PENDING", "PENDING"]),
]


def tenant_params(**overrides):
    params = dict(cluster_id=None, cluster_name=None, tenant_id=None, name=None, precheck_unknown_roles=False)
    params.update(overrides)
    return params


def task_params(**overrides):
    params = dict(task_id=None, cluster_id=None, tenant_id=None, name=None, status=None, return_subtasks=True)
    params.update(overrides)
    return params


@pytest.fixture(params=["nested", "flat"])
def ocp(request):
    return FakeOcp(TENANTS, TASKS, shape=request.param)


class TestTenantInfo:
    def test_roles_from_the_latest_exactly_named_task(self, ocp):
        changed, result, diff = ocp_tenant_info.run(FakeModule(tenant_params()), ocp)
        assert changed is False and diff is None
        entries = dict((entry["name"], entry) for entry in result["tenants"])
        assert [entry["tenant_id"] for entry in result["tenants"]] == [2000101, 2000110, 2000150, 2000160]
        assert (entries["t1"]["role"], entries["t1"]["role_source"]) == ("PRIMARY", "tasks")
        # a task whose name merely contains "Failover tenant" is no evidence
        assert entries["t1"]["latest_role_task"]["id"] == 12000001
        assert (entries["t10"]["role"], entries["t10"]["latest_role_task"]["name"]) == ("STANDBY", SWITCHOVER)
        moving = entries["moving"]
        assert (moving["role"], moving["role_source"]) == (None, "none")
        assert moving["running_task"]["progress"] == {"total": 5, "successful": 2, "running": 1, "failed": 0,
                                                      "pending": 2}
        assert (entries["solo"]["role"], entries["solo"]["latest_role_task"]) == (None, None)
        assert entries["solo"]["ob_tenant_id"] == 1002 and "tenant_role" not in entries["solo"]
        # pages, not tenants: one tenant list and one task list per role-changing task name, for all of OCP
        assert [call[0] for call in ocp.calls] == ["list_all_tenants", "list_tasks", "list_tasks"]
        assert sorted(call[1]["name"] for call in ocp.named("list_tasks")) == [FAILOVER, SWITCHOVER]
        assert all("clusterId" not in call[1] for call in ocp.named("list_tasks"))

    def test_the_role_field_wins(self, ocp):
        ocp.tenants = [tenant(2000101, "t1", role="STANDBY")]
        changed, result, diff = ocp_tenant_info.run(FakeModule(tenant_params(cluster_id=CLUSTER)), ocp)
        [entry] = result["tenants"]
        assert (entry["role"], entry["role_source"]) == ("STANDBY", "tenant")
        assert [call[1]["clusterId"] for call in ocp.named("list_tasks")] == [CLUSTER, CLUSTER]
        assert ocp.named("list_clusters") == []

    def test_one_tenant_by_name_narrows_the_task_lists(self, ocp):
        changed, result, diff = ocp_tenant_info.run(FakeModule(tenant_params(cluster_name="obcluster_dr", name="t1")), ocp)
        assert [entry["tenant_id"] for entry in result["tenants"]] == [2000101]
        assert [call[1]["tenantId"] for call in ocp.named("list_tasks")] == [2000101, 2000101]

    def test_precheck_only_where_nothing_decided_and_nothing_runs(self, ocp):
        changed, result, diff = ocp_tenant_info.run(FakeModule(tenant_params(precheck_unknown_roles=True)), ocp)
        entries = dict((entry["name"], entry) for entry in result["tenants"])
        assert [call[1] for call in ocp.named("failover_precheck")] == [2000160]
        assert (entries["solo"]["role"], entries["solo"]["role_source"]) == ("PRIMARY", "precheck")
        assert entries["moving"]["role"] is None

    @pytest.mark.parametrize("overrides, problem", [
        ({"tenant_id": 1}, "tenant_id and name need the tenant's cluster"),
        ({"name": "t1"}, "tenant_id and name need the tenant's cluster"),
        ({"cluster_id": -1}, "cluster_id must be a positive integer ID, got -1"),
        ({"cluster_name": ""}, "cluster_name must not be empty"),
    ])
    def test_input_problems(self, overrides, problem):
        assert any(problem in text for text in ocp_tenant_info.input_problems(tenant_params(**overrides)))


class TestTaskInfo:
    def test_one_task_in_either_shape(self, ocp):
        changed, result, diff = ocp_task_info.run(FakeModule(task_params(task_id=12000004)), ocp)
        [entry] = result["tasks"]
        assert (entry["id"], entry["cluster_id"], entry["tenant_id"], entry["status"]) == (12000004, CLUSTER, 2000150,
                                                                                          "RUNNING")
        assert [subtask["name"] for subtask in entry["subtasks"]] == ["step %d" % n for n in range(5)]
        assert entry["progress"]["running"] == 1 and entry["failed_subtask"] is None
        assert entry["finish_time"] is None and entry["duration_seconds"] is None
        assert ocp.named("get_task") == [("get_task", 12000004)]

    def test_a_failed_task_names_its_subtask_and_log(self, ocp):
        changed, result, diff = ocp_task_info.run(FakeModule(task_params(task_id=12000005)), ocp)
        [entry] = result["tasks"]
        assert entry["failed_subtask"] == {"id": 101, "name": "step 1", "log_tail": ["line 1", "line 2",
                                                                                   "ERROR boom in 101"]}
        assert entry["duration_seconds"] == 60.5

    def test_an_unknown_task_says_it_may_not_be_recorded_yet(self, ocp):
        with pytest.raises(RunFailure) as raised:
            ocp_task_info.run(FakeModule(task_params(task_id=1)), ocp)
        assert raised.value.message.startswith("OCP has no task 1 (GET /api/v2/tasks/instances/1 failed: HTTP 404")
        assert "recorded" in raised.value.message and raised.value.result == {"tasks": []}
        assert raised.value.error.code == "TSK10001"

    def test_exact_name_and_statuses(self, ocp):
        changed, result, diff = ocp_task_info.run(FakeModule(task_params(name=FAILOVER,
                                                                         status=["SUCCESSFUL", "FAILED"])), ocp)
        assert [entry["id"] for entry in result["tasks"]] == [12000002, 12000001]  # newest first, not the archive one
        [call] = ocp.named("list_tasks")
        assert call[1] == {"name": FAILOVER, "status": "FAILED,SUCCESSFUL"}

    def test_details_only_where_needed(self, ocp):
        changed, result, diff = ocp_task_info.run(FakeModule(task_params(return_subtasks=False)), ocp)
        assert all("subtasks" not in entry for entry in result["tasks"])
        assert [entry["progress"]["total"] for entry in result["tasks"]] == [5] * 5
        failed = [entry for entry in result["tasks"] if entry["status"] == "FAILED"]
        assert failed[0]["failed_subtask"]["name"] == "step 1"
        # nested list entries lack the graph: the FAILED task's detail is read for its first failed subtask
        assert ocp.named("get_task") == ([] if ocp.shape == "flat" else [("get_task", 12000005)])

        ocp.calls = []
        ocp_task_info.run(FakeModule(task_params(tenant_id=2000110)), ocp)
        expected = [] if ocp.shape == "flat" else [("get_task", 12000003), ("get_task", 12000002)]
        assert sorted(ocp.named("get_task")) == sorted(expected)

    def test_input_problems(self):
        assert ocp_task_info.input_problems(task_params(status=[], task_id=0)) == [
            "task_id must be a positive integer ID, got 0",
            "status must list at least one status (leave it out for every status)"]
