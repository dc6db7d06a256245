"""oceanbase.ocp.ocp_tenant_info and ocp_task_info end to end: the real modules, run by ansible-playbook, against the
simulator, in both task shapes OCP sends (parametrised), with and without the assumed tenantRole field.

The scenario has the names that trap a fuzzy match (clusters obcluster_dr / obcluster_dr2, tenants t1 / t10), names
that are shared (clusters twin, tenants dup), and tenants for every kind of role evidence: a successful failover
(t1, primary), a successful switchover (t10, standby again), a failover that FAILED after its role switch (half_done),
a running failover (moving), and none at all (trade_dr, solo).
"""

from __future__ import annotations

import pytest
import requests
from harness import assert_clean_output

TENANT_INFO = "oceanbase.ocp.ocp_tenant_info"
TASK_INFO = "oceanbase.ocp.ocp_task_info"
FAILOVER = "oceanbase.ocp.ocp_tenant_failover"
TASKS_PATH = "/api/v2/tasks/instances"
FAILOVER_TASK = "Failover tenant"
SWITCHOVER_TASK = "Switchover ob tenant for network mode"
GRAPH_ORDER = ["Reset log restore source", "Failover to primary tenant", "Upgrade tenant data version",
               "Create tenant service name", "Update primary tenant info task"]
SWITCHOVER_ORDER = ["Check switchover status", "Switchover primary tenant to standby",
                    "Switchover standby tenant to primary", "Set log restore source", "Update primary tenant info task"]

DR, DR2, PRIMARY_CLUSTER = 3000020, 3000021, 3000002
T1, T10, TRADE, DUP_A, DUP_B, HALF, MOVING, SOLO = 2000101, 2000110, 2000120, 2000130, 2000131, 2000140, 2000150, 2000160
T1_ELSEWHERE = 2000201
FAILURE_MESSAGE = "ORA-00600: internal error code, arguments: [service_name]"
# The running failover stays in this subtask for the whole test.
SLOW_SUBTASK_SECONDS = 600

SHAPES = [
    pytest.param({"task_shape": "nested", "expose_tenant_role": False}, id="nested-no_role_field"),
    pytest.param({"task_shape": "flat", "expose_tenant_role": True}, id="flat-role_field"),
]


def standby(tenant_id, name, cluster_id, primary_id, **fields):
    return dict({"id": tenant_id, "name": name, "clusterId": cluster_id, "tenantRole": "STANDBY",
                 "primaryTenantId": primary_id, "primaryClusterId": PRIMARY_CLUSTER, "status": "NORMAL"}, **fields)


@pytest.fixture(params=SHAPES)
def options(request):
    return request.param


@pytest.fixture
def scenario(scenario, options):
    """The default scenario plus the clusters, tenants and task history described at the top."""
    scenario["options"] = dict(options)
    scenario["timing"]["subtask_seconds_by_name"] = {"Upgrade tenant data version": SLOW_SUBTASK_SECONDS}
    scenario["clusters"] += [
        {"id": PRIMARY_CLUSTER, "name": "obcluster_pr"},
        {"id": DR, "name": "obcluster_dr"},
        {"id": DR2, "name": "obcluster_dr2"},
        {"id": 3000030, "name": "twin"},
        {"id": 3000031, "name": "twin"},
    ]
    scenario["tenants"] += [
        {"id": 1101, "name": "trade", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY", "reachable": False},
        {"id": T1, "name": "t1", "clusterId": DR, "tenantRole": "PRIMARY", "status": "NORMAL"},
        standby(T10, "t10", DR, 1101),
        standby(TRADE, "trade_dr", DR, 1101, mode="ORACLE"),
        standby(DUP_A, "dup", DR, 1101),
        standby(DUP_B, "dup", DR, 1101),
        {"id": HALF, "name": "half_done", "clusterId": DR, "tenantRole": "PRIMARY", "status": "NORMAL"},
        standby(MOVING, "moving", DR, 1101),
        {"id": SOLO, "name": "solo", "clusterId": DR, "tenantRole": "PRIMARY", "status": "NORMAL"},
        standby(T1_ELSEWHERE, "t1", DR2, 1101),
    ]
    scenario["tasks"] = [
        {"name": FAILOVER_TASK, "clusterId": DR, "tenantId": T1, "status": "SUCCESSFUL", "ageSeconds": 86400},
        # t10 was failed over once, then switched back to standby: only the latest task counts.
        {"name": FAILOVER_TASK, "clusterId": DR, "tenantId": T10, "status": "SUCCESSFUL", "ageSeconds": 7200},
        {"name": SWITCHOVER_TASK, "clusterId": DR, "tenantId": T10, "standbyTenantId": 1101, "status": "SUCCESSFUL",
         "ageSeconds": 3600},
        {"name": FAILOVER_TASK, "clusterId": DR, "tenantId": HALF, "status": "FAILED",
         "failedSubtask": "Create tenant service name", "failureMessage": FAILURE_MESSAGE, "ageSeconds": 600},
        {"name": FAILOVER_TASK, "clusterId": DR, "tenantId": MOVING, "status": "RUNNING", "ageSeconds": 0},
    ]
    return scenario


def task_id_of(simulator, tenant_id, name=FAILOVER_TASK):
    [task_id] = [task["id"] for task in simulator.state.tasks.values()
                 if task["tenantId"] == tenant_id and task["name"] == name]
    return task_id


def requests_to(simulator, path=None, method="GET"):
    return [entry for entry in simulator.request_log()
            if entry["method"] == method and (path is None or entry["path"] == path)]


def by_name(tenants):
    return dict(((entry["cluster_id"], entry["name"]), entry) for entry in tenants if entry["name"] != "dup")


def info(title, /, **args):
    return {"name": title, TENANT_INFO: args}


def tasks(title, /, **args):
    return {"name": title, TASK_INFO: args}


def expected_role(options, role_field, role_from_tasks):
    """The role the module must report: the tenantRole field when OCP sends it, else the task evidence."""
    if options["expose_tenant_role"]:
        return role_field, "tenant"
    return role_from_tasks, ("tasks" if role_from_tasks else "none")


# ----- ocp_tenant_info

def test_every_tenant_with_its_role_and_tasks(run_playbook, simulator, options):
    run = run_playbook([info("all")], check=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("all")
    assert result["changed"] is False
    tenants = result["tenants"]
    # every tenant of the scenario, ordered by cluster and id
    assert [(t["cluster_id"], t["tenant_id"]) for t in tenants] == sorted(
        (t["clusterId"], t["id"]) for t in simulator.state.tenants.values())
    found = by_name(tenants)

    t1 = found[(DR, "t1")]
    assert (t1["tenant_id"], t1["cluster_name"], t1["mode"], t1["status"]) == (T1, "obcluster_dr", "MYSQL", "NORMAL")
    assert (t1["role"], t1["role_source"]) == expected_role(options, "PRIMARY", "PRIMARY")
    assert t1["latest_role_task"]["id"] == task_id_of(simulator, T1)
    assert (t1["latest_role_task"]["name"], t1["latest_role_task"]["status"]) == (FAILOVER_TASK, "SUCCESSFUL")
    assert t1["running_task"] is None
    assert "ob_tenant_id" in t1 and "cluster_type" in t1 and "tenant_role" not in t1

    t10 = found[(DR, "t10")]
    assert (t10["role"], t10["role_source"]) == expected_role(options, "STANDBY", "STANDBY")
    assert (t10["latest_role_task"]["name"], t10["latest_role_task"]["id"]) == (
        SWITCHOVER_TASK, task_id_of(simulator, T10, SWITCHOVER_TASK))

    # a failover that FAILED after its role switch: no evidence from the tasks (the tenant is primary in fact)
    half = found[(DR, "half_done")]
    assert (half["role"], half["role_source"]) == expected_role(options, "PRIMARY", None)
    assert (half["latest_role_task"]["status"], half["latest_role_task"]["progress"]["failed"]) == ("FAILED", 1)

    # a running failover: shown with its progress; its role is changing, so the tasks say nothing
    moving = found[(DR, "moving")]
    assert (moving["role"], moving["role_source"]) == expected_role(options, "PRIMARY", None)  # switched already
    running = moving["running_task"]
    assert (running["id"], running["name"], running["status"]) == (task_id_of(simulator, MOVING), FAILOVER_TASK,
                                                                   "RUNNING")
    assert running["progress"]["total"] == 5 and running["progress"]["running"] == 1
    assert running["finish_time"] is None and running["start_time"]
    assert moving["latest_role_task"] == running

    # no role evidence at all: null, never guessed
    for name in ("trade_dr", "solo"):
        tenant = found[(DR, name)]
        assert tenant["latest_role_task"] is None and tenant["running_task"] is None
        assert (tenant["role"], tenant["role_source"]) == expected_role(
            options, "STANDBY" if name == "trade_dr" else "PRIMARY", None)
    assert found[(DR, "trade_dr")]["mode"] == "ORACLE"

    # requests grow with pages, not tenants: one tenant list, one task list per role-changing task name
    gets = requests_to(simulator)
    assert [entry["path"] for entry in gets if entry["path"] != TASKS_PATH] == ["/api/v2/ob/tenants"]
    assert sorted(entry["query"]["name"][0] for entry in gets if entry["path"] == TASKS_PATH) == [
        FAILOVER_TASK, SWITCHOVER_TASK]
    assert requests_to(simulator, method="POST") == []


def test_cluster_by_name_is_exact(run_playbook, simulator, options):
    run = run_playbook([info("dr", cluster_name="obcluster_dr"), info("dr2", cluster_name="obcluster_dr2")])
    assert run.rc == 0, run.output
    dr = run.task("dr")["tenants"]
    assert [t["tenant_id"] for t in dr] == [T1, T10, TRADE, DUP_A, DUP_B, HALF, MOVING, SOLO]
    assert set(t["cluster_name"] for t in dr) == {"obcluster_dr"}
    assert [(t["tenant_id"], t["name"], t["cluster_id"]) for t in run.task("dr2")["tenants"]] == [
        (T1_ELSEWHERE, "t1", DR2)]
    task_lists = [entry["query"] for entry in requests_to(simulator, TASKS_PATH)]
    assert sorted(query["clusterId"][0] for query in task_lists) == [str(DR)] * 2 + [str(DR2)] * 2


def test_one_tenant_by_name_or_id(run_playbook, simulator, options):
    run = run_playbook([
        info("t1 by name", cluster_name="obcluster_dr", name="t1"),
        info("t10 by id", cluster_id=DR, tenant_id=T10),
        info("moving by name", cluster_id=DR, name="moving"),
    ])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    [t1] = run.task("t1 by name")["tenants"]  # not t10, not the t1 of obcluster_dr2
    assert (t1["tenant_id"], t1["name"], t1["cluster_id"]) == (T1, "t1", DR)
    assert (t1["role"], t1["role_source"]) == expected_role(options, "PRIMARY", "PRIMARY")
    [t10] = run.task("t10 by id")["tenants"]
    assert (t10["tenant_id"], t10["name"], t10["cluster_name"]) == (T10, "t10", "obcluster_dr")
    assert (t10["role"], t10["role_source"]) == expected_role(options, "STANDBY", "STANDBY")
    assert t10["zones"]  # the tenant detail was read
    [moving] = run.task("moving by name")["tenants"]
    assert moving["running_task"]["status"] == "RUNNING"
    # the task lists are narrowed to the one tenant
    tenant_filters = sorted(entry["query"].get("tenantId", [None])[0] for entry in requests_to(simulator, TASKS_PATH))
    assert tenant_filters == sorted([str(T1)] * 2 + [str(T10)] * 2 + [str(MOVING)] * 2)


@pytest.mark.parametrize("args, expected", [
    ({"cluster_name": "obcluster"},
     "OCP has no cluster named 'obcluster' (similar names: 'obcluster_dr', 'obcluster_dr2', 'obcluster_pr'): check"
     " cluster_name, or give cluster_id"),
    ({"cluster_name": "twin"}, "the cluster name 'twin' is shared by 2 clusters (ids 3000030, 3000031): give"
                               " cluster_id instead"),
    ({"cluster_id": DR, "name": "t"},
     "cluster 3000020 has no tenant named 't' (similar names: 't1', 't10', 'trade_dr')"),
    ({"cluster_name": "obcluster_dr", "name": "T1"}, "cluster 3000020 has no tenant named 'T1' (similar names: 't1',"
                                                     " 't10')"),
    ({"cluster_id": DR, "name": "dup"},
     "the tenant name 'dup' is shared by 2 tenants of cluster 3000020 (ids 2000130, 2000131): give tenant_id instead"),
    ({"tenant_id": T1}, "tenant_id and name need the tenant's cluster: set cluster_id or cluster_name as well"),
    ({"cluster_id": DR, "tenant_id": T1, "name": "t1"}, "parameters are mutually exclusive: tenant_id|name"),
    ({"cluster_id": DR, "cluster_name": "obcluster_dr"}, "parameters are mutually exclusive: cluster_id|cluster_name"),
    ({"cluster_id": 0}, "cluster_id must be a positive integer ID, got 0"),
])
def test_names_that_do_not_resolve_fail_clearly(run_playbook, simulator, args, expected, options):
    run = run_playbook([info("bad", **args)])
    assert run.rc != 0
    assert_clean_output(run)
    assert expected in run.task("bad")["msg"]
    assert requests_to(simulator, method="POST") == []


def test_unknown_tenant_id_is_ocps_404(run_playbook, options):
    run = run_playbook([info("unknown", cluster_id=DR, tenant_id=2999999)])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("unknown")
    assert result["error"]["status"] == 404 and "2999999" in result["msg"]


def test_precheck_opt_in_fills_unknown_roles(run_playbook, simulator, options):
    run = run_playbook([info("prechecked", cluster_id=DR, precheck_unknown_roles=True)])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    found = by_name(run.task("prechecked")["tenants"])
    prechecks = [entry["path"] for entry in requests_to(simulator, method="POST")]
    if options["expose_tenant_role"]:
        # every role was known already: nothing to precheck
        assert prechecks == []
        assert set(t["role_source"] for t in found.values()) == {"tenant"}
        return
    assert (found[(DR, "trade_dr")]["role"], found[(DR, "trade_dr")]["role_source"]) == ("STANDBY", "precheck")
    assert (found[(DR, "solo")]["role"], found[(DR, "solo")]["role_source"]) == ("PRIMARY", "precheck")
    assert (found[(DR, "half_done")]["role"], found[(DR, "half_done")]["role_source"]) == ("PRIMARY", "precheck")
    # decided tenants and the one whose role is changing are not prechecked
    assert (found[(DR, "moving")]["role"], found[(DR, "moving")]["role_source"]) == (None, "none")
    assert found[(DR, "t1")]["role_source"] == "tasks"
    prechecked = sorted(int(path.split("/")[-2]) for path in prechecks)
    assert prechecked == sorted([TRADE, DUP_A, DUP_B, HALF, SOLO])


def test_a_refused_precheck_leaves_the_role_null_and_says_why(run_playbook, simulator, options):
    if options["expose_tenant_role"]:
        pytest.skip("no precheck runs when OCP sends tenantRole")
    simulator.add_fault(method="POST", path="/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (DR, SOLO),
                        action="status", status=409, code="OBE21005")
    run = run_playbook([info("solo", cluster_id=DR, name="solo", precheck_unknown_roles=True)])
    assert run.rc == 0, run.output
    [solo] = run.task("solo")["tenants"]
    assert (solo["role"], solo["role_source"]) == (None, "none")
    assert "OBE21005" in solo["precheck_error"]


def test_many_tenants_cost_pages_not_requests(run_playbook, simulator, scenario, options):
    """2100 tenants: two pages of the tenant list (2000 a page), still one task list per task name."""
    for index in range(2100):
        scenario["tenants"].append(standby(2300000 + index, "bulk_%04d" % index, DR2, 1101))
    simulator.reset(scenario)
    run = run_playbook([info("bulk", cluster_name="obcluster_dr2")])
    assert run.rc == 0, run.output
    assert len(run.task("bulk")["tenants"]) == 2101
    gets = [entry["path"] for entry in requests_to(simulator)]
    assert gets.count("/api/v2/ob/clusters/%d/tenants" % DR2) == 2
    assert gets.count(TASKS_PATH) == 2 and gets.count("/api/v2/ob/clusters") == 1
    assert len(gets) == 5


# ----- ocp_task_info

def test_one_task_by_id(run_playbook, simulator, options):
    succeeded, failed = task_id_of(simulator, T1), task_id_of(simulator, HALF)
    run = run_playbook([tasks("ok", task_id=succeeded), tasks("failed", task_id=failed)], check=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    [task] = run.task("ok")["tasks"]
    assert (task["id"], task["name"], task["status"], task["cluster_id"], task["tenant_id"]) == (
        succeeded, FAILOVER_TASK, "SUCCESSFUL", DR, T1)
    assert [subtask["name"] for subtask in task["subtasks"]] == GRAPH_ORDER
    assert task["progress"] == {"total": 5, "successful": 5, "running": 0, "failed": 0, "pending": 0}
    assert task["failed_subtask"] is None
    assert task["start_time"] and task["finish_time"] and task["duration_seconds"] >= 0
    assert run.task("ok")["changed"] is False

    [task] = run.task("failed")["tasks"]
    assert task["status"] == "FAILED" and task["tenant_id"] == HALF
    assert task["progress"]["failed"] == 1 and task["progress"]["successful"] == 3
    failure = task["failed_subtask"]
    assert failure["name"] == "Create tenant service name"
    assert failure["id"] == [s["id"] for s in task["subtasks"] if s["status"] == "FAILED"][0]
    assert FAILURE_MESSAGE in failure["log_tail"][-1]


def test_filters_with_exact_names(run_playbook, simulator, options):
    run = run_playbook([
        tasks("failed failovers", cluster_id=DR, name=FAILOVER_TASK, status=["FAILED"]),
        tasks("running", status=["RUNNING"]),
        tasks("part of a name", name="Failover"),
        tasks("of t10", tenant_id=T10),
        tasks("of the cluster", cluster_id=DR, return_subtasks=False),
        tasks("nothing", cluster_id=DR2),
    ])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert [t["id"] for t in run.task("failed failovers")["tasks"]] == [task_id_of(simulator, HALF)]
    [running] = run.task("running")["tasks"]
    assert (running["id"], running["progress"]["running"]) == (task_id_of(simulator, MOVING), 1)
    assert run.task("part of a name")["tasks"] == []  # OCP's filter matches "Failover tenant"; the module does not
    assert [t["name"] for t in run.task("of t10")["tasks"]] == [SWITCHOVER_TASK, FAILOVER_TASK]  # newest first
    listed = run.task("of the cluster")["tasks"]
    assert len(listed) == 5 and all("subtasks" not in t for t in listed)
    assert [t["id"] for t in listed] == sorted((t["id"] for t in listed), reverse=True)
    assert sorted(t["status"] for t in listed) == ["FAILED", "RUNNING", "SUCCESSFUL", "SUCCESSFUL", "SUCCESSFUL"]
    assert all(t["progress"]["total"] == 5 for t in listed)
    [half] = [t for t in listed if t["status"] == "FAILED"]
    assert half["failed_subtask"]["name"] == "Create tenant service name"
    assert run.task("nothing")["tasks"] == []


def test_details_are_read_only_where_the_list_lacks_the_order(run_playbook, simulator, options):
    """Nested list entries name their subtasks without the graph: one detail per task for the subtask order. Flat
    entries carry it. A FAILED task's detail is read for its failed subtask even without subtasks."""
    run = run_playbook([tasks("with subtasks", cluster_id=DR)])
    assert run.rc == 0, run.output
    for task in run.task("with subtasks")["tasks"]:
        order = GRAPH_ORDER if task["name"] == FAILOVER_TASK else SWITCHOVER_ORDER
        assert [subtask["name"] for subtask in task["subtasks"]] == order
    details = [entry for entry in requests_to(simulator) if entry["path"].startswith(TASKS_PATH + "/")
               and not entry["path"].endswith("/log")]
    assert len(details) == (0 if options["task_shape"] == "flat" else 5)

    simulator.clear_request_log()
    run = run_playbook([tasks("without", cluster_id=DR, return_subtasks=False)])
    assert run.rc == 0, run.output
    details = [entry["path"] for entry in requests_to(simulator) if entry["path"].startswith(TASKS_PATH + "/")
               and not entry["path"].endswith("/log")]
    assert details == ([] if options["task_shape"] == "flat" else [TASKS_PATH + "/%d" % task_id_of(simulator, HALF)])


def test_wait_for_a_task_with_until(run_playbook, simulator, options):
    """The EXAMPLES pattern: submit by name without waiting, then poll ocp_task_info with until:, through OCP
    recording the task late (404 for the first attempts)."""
    # The task runs for over 8 s, so the first attempt finds it unrecorded or running even on a slow machine.
    requests.patch(simulator.url + "/_sim/timing", timeout=5, json={
        "task_record_delay_seconds": 2, "subtask_seconds_by_name": {"Upgrade tenant data version": 8}}).raise_for_status()
    run = run_playbook([
        {"name": "submit", "register": "submitted",
         FAILOVER: {"cluster_name": "obcluster_dr", "tenants": [{"name": "trade_dr"}], "wait": False}},
        {"name": "watch", "register": "watched", TASK_INFO: {"task_id": "{{ submitted.tenants[0].task_id }}"},
         "until": "watched is succeeded and watched.tasks[0].status in ['SUCCESSFUL', 'FAILED']",
         "retries": 30, "delay": 1},
        {"name": "report", "ansible.builtin.debug": {
            "msg": "Task {{ watched.tasks[0].id }}: {{ watched.tasks[0].status }},"
                   " {{ watched.tasks[0].progress.successful }}/{{ watched.tasks[0].progress.total }} subtasks done"}},
    ])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    task_id = run.task("submit")["tenants"][0]["task_id"]
    assert task_id == task_id_of(simulator, TRADE)
    watched = run.task("watch")
    assert watched["attempts"] > 1
    assert watched["tasks"][0]["status"] == "SUCCESSFUL"
    assert run.task("report")["msg"] == "Task %d: SUCCESSFUL, 5/5 subtasks done" % task_id


@pytest.mark.parametrize("args, expected", [
    ({"task_id": 99999999}, "OCP has no task 99999999"),
    ({"task_id": 1, "cluster_id": DR}, "parameters are mutually exclusive: task_id|cluster_id"),
    ({"status": ["DONE"]}, "value of status must be one or more of: RUNNING, FAILED, SUCCESSFUL"),
    ({"tenant_id": -1}, "tenant_id must be a positive integer ID, got -1"),
])
def test_task_info_bad_input(run_playbook, args, expected, options):
    run = run_playbook([tasks("bad", **args)])
    assert run.rc != 0
    assert_clean_output(run)
    assert expected in run.task("bad")["msg"]
