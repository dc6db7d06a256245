"""Seeded task history, the task retry endpoint, and OCP recording tasks late."""

from __future__ import annotations

import datetime
import os
import time

import pytest
import requests

from ocp_simulator import Simulator, load_scenario
from ocp_simulator.client import wait_until
from ocp_simulator.scenario import SCENARIO_DIR
from sim_testlib import OHAYO_2, SALES_2, STANDBY_CLUSTER, OcpClient, make_scenario

TASKS = "/api/v2/tasks/instances"
PRECHECK = "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck"
FIRST_RUNTIME_TASK_ID = 12022226
FAILOVER = "Failover tenant"
SWITCHOVER = "Switchover ob tenant for network mode"


def scenario_file(name):
    return os.path.join(SCENARIO_DIR, name)


def epoch(ocp_time):
    return datetime.datetime.fromisoformat(ocp_time).timestamp()


def task_when(api, task_id, status):
    def reached():
        task = api.task(task_id)
        return task if task["status"] == status else None

    return wait_until(reached, message="task %s to be %s" % (task_id, status))


def statuses(task):
    return {subtask["name"]: subtask["status"] for subtask in task["subtasks"]}


def log_of(api, task_id, subtask_id):
    return api.data("GET", TASKS + "/%d/subtasks/%d/log" % (task_id, subtask_id))["log"]


# ----- seeded history

def test_switchback_history():
    started = time.time()
    with Simulator(scenario_file("switchback.yml")) as sim:
        api = OcpClient(sim.url)
        entries = api.data("GET", TASKS, params={"tenantId": OHAYO_2})["contents"]
        assert [(task["name"], task["status"]) for task in entries] == [(SWITCHOVER, "SUCCESSFUL"), (FAILOVER, "SUCCESSFUL")]
        history = [api.task(entry["id"]) for entry in entries]
        switchover, failover = history
        assert failover["id"] < switchover["id"] < FIRST_RUNTIME_TASK_ID
        assert abs(epoch(failover["createTime"]) - (started - 2 * 86400)) < 5
        assert abs(epoch(switchover["createTime"]) - (started - 86400)) < 5
        for task in history:
            assert set(statuses(task).values()) == {"SUCCESSFUL"}
            assert epoch(task["finishTime"]) <= time.time()
            assert task["tenant"]["id"] == OHAYO_2 and task["cluster"]["id"] == STANDBY_CLUSTER
            for subtask in task["subtasks"]:
                lines = log_of(api, task["id"], subtask["id"]).split("\n")
                assert "(run 1)" in lines[0] and "finished successfully" in lines[-1]
        # History never changes roles by itself: ohayo_2 is the standby the scenario says, of a live primary.
        assert sim.state.tenants[OHAYO_2]["tenantRole"] == "STANDBY"
        assert api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))["checkResults"][0]["errorCode"] == "OBE26107"
        # Run-time tasks get larger ids than any seeded one.
        requests.patch(sim.url + "/_sim/tenants/1001", json={"reachable": False}, timeout=30).raise_for_status()
        new = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]
        assert new["id"] == FIRST_RUNTIME_TASK_ID
        assert [task["id"] for task in api.data("GET", TASKS)["contents"]] == [new["id"], switchover["id"], failover["id"]]


def test_half_done_failover_and_its_retry():
    with Simulator(scenario_file("half_done_failover.yml")) as sim:
        api = OcpClient(sim.url)
        [entry] = api.data("GET", TASKS, params={"tenantId": OHAYO_2, "name": FAILOVER})["contents"]
        task = api.task(entry["id"])
        assert task["status"] == "FAILED" and task["operation"] == "EXECUTE"
        assert statuses(task) == {"Reset log restore source": "SUCCESSFUL", "Failover to primary tenant": "SUCCESSFUL",
                                  "Upgrade tenant data version": "SUCCESSFUL", "Create tenant service name": "FAILED",
                                  "Update primary tenant info task": "PENDING"}
        failed = next(subtask for subtask in task["subtasks"] if subtask["status"] == "FAILED")
        assert "ErrorCode = 4007" in log_of(api, task["id"], failed["id"]).split("\n")[-1]
        assert sim.state.tenants[OHAYO_2]["tenantRole"] == "PRIMARY"
        result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))
        assert [check["errorCode"] for check in result["checkResults"]] == ["OBE26013"]
        # The failed task does not block: the retry runs the failed subtask and those after it.
        retried = api.data("POST", TASKS + "/%d/retry" % task["id"])
        assert (retried["status"], retried["operation"]) == ("RUNNING", "RETRY")
        assert {subtask["name"]: subtask["operation"] for subtask in retried["subtasks"]}["Create tenant service name"] == "RETRY"
        done = task_when(api, task["id"], "SUCCESSFUL")
        assert set(statuses(done).values()) == {"SUCCESSFUL"}
        assert {subtask["name"]: subtask["runTime"] for subtask in done["subtasks"]} == {
            "Reset log restore source": 1, "Failover to primary tenant": 1, "Upgrade tenant data version": 1,
            "Create tenant service name": 2, "Update primary tenant info task": 1}
        log = log_of(api, task["id"], failed["id"])
        assert "(run 1)" in log and "(run 2)" in log and "SERVICE_C" in log
        assert sim.state.tenants[OHAYO_2]["serviceName"] == "SERVICE_C"
        assert api.post(TASKS + "/%d/retry" % task["id"]).status_code == 409


def test_seeded_running_task_progresses_blocks_and_applies_its_effect():
    scenario = make_scenario(subtask_seconds=0.3, tasks=[
        {"name": FAILOVER, "clusterId": STANDBY_CLUSTER, "tenantId": OHAYO_2, "status": "RUNNING", "ageSeconds": 0.2,
         "serviceName": "SERVICE_SEEDED"}])
    with Simulator(scenario) as sim:
        api = OcpClient(sim.url)
        [task] = api.data("GET", TASKS)["contents"]
        assert task["status"] == "RUNNING" and task["id"] == FIRST_RUNTIME_TASK_ID - 1
        assert sim.state.tenants[OHAYO_2]["tenantRole"] == "STANDBY"
        assert api.failover(STANDBY_CLUSTER, OHAYO_2).status_code == 409
        task_when(api, task["id"], "SUCCESSFUL")
        tenant = sim.state.tenants[OHAYO_2]
        assert (tenant["tenantRole"], tenant["primaryTenantId"], tenant["serviceName"]) == ("PRIMARY", None, "SERVICE_SEEDED")


def test_seeded_running_task_older_than_its_plan_is_in_its_last_subtask():
    scenario = make_scenario(subtask_seconds=0.5, tasks=[
        {"name": FAILOVER, "clusterId": STANDBY_CLUSTER, "tenantId": OHAYO_2, "status": "RUNNING", "ageSeconds": 3600}])
    with Simulator(scenario) as sim:
        api = OcpClient(sim.url)
        task = api.data("GET", TASKS)["contents"][0]
        assert task["status"] == "RUNNING"
        assert statuses(task)["Update primary tenant info task"] == "RUNNING"
        assert list(statuses(task).values()).count("SUCCESSFUL") == 4
        task_when(api, task["id"], "SUCCESSFUL")
        assert sim.state.tenants[OHAYO_2]["tenantRole"] == "PRIMARY"


def test_seeded_tasks_get_ids_by_creation_time_and_finish_before_the_start():
    started = time.time()
    scenario = make_scenario(subtask_seconds=60, tasks=[
        {"name": FAILOVER, "clusterId": STANDBY_CLUSTER, "tenantId": SALES_2, "status": "SUCCESSFUL", "ageSeconds": 30},
        {"name": FAILOVER, "clusterId": STANDBY_CLUSTER, "tenantId": OHAYO_2, "status": "FAILED", "ageSeconds": 7200,
         "failedSubtask": "Reset log restore source", "failureMessage": "ORA-00600: seeded"},
    ])
    with Simulator(scenario) as sim:
        api = OcpClient(sim.url)
        newest, oldest = [api.task(entry["id"]) for entry in api.data("GET", TASKS)["contents"]]
        assert (newest["tenant"]["id"], oldest["tenant"]["id"]) == (SALES_2, OHAYO_2)
        assert (oldest["id"], newest["id"]) == (FIRST_RUNTIME_TASK_ID - 2, FIRST_RUNTIME_TASK_ID - 1)
        # Subtask ids are unique and below the run-time ones.
        ids = [subtask["id"] for task in (newest, oldest) for subtask in task["subtasks"]]
        assert len(set(ids)) == 10 and max(ids) < 13025785
        # 5 x 60 s does not fit in 30 s: the plan is compressed so that the task finished before the start.
        assert newest["status"] == "SUCCESSFUL" and epoch(newest["finishTime"]) <= started + 1
        assert oldest["status"] == "FAILED"
        first = next(subtask for subtask in oldest["subtasks"] if not subtask["upstreams"])
        assert log_of(api, oldest["id"], first["id"]).endswith("ORA-00600: seeded")
        # Seeded history changes no role.
        assert sim.state.tenants[SALES_2]["tenantRole"] == "STANDBY"


@pytest.mark.parametrize("task, complaint", [
    ({"name": "Upgrade tenant"}, "name must be one of"),
    ({"clusterId": 42}, "unknown cluster"),
    ({"tenantId": 42}, "unknown tenant"),
    ({"status": "PENDING"}, "status must be"),
    ({"status": "FAILED"}, "failedSubtask"),
    ({"status": "FAILED", "failedSubtask": "Switchover standby tenant to primary"}, "failedSubtask"),
    ({"failedSubtask": "Reset log restore source"}, "FAILED task only"),
    ({"ageSeconds": -1}, "ageSeconds"),
    ({"standbyTenantId": 1001}, "switchover only"),
    ({"name": SWITCHOVER}, "standbyTenantId"),
    ({"bogus": 1}, "bogus"),
])
def test_broken_seeded_tasks_are_refused(task, complaint):
    entry = dict({"name": FAILOVER, "clusterId": STANDBY_CLUSTER, "tenantId": OHAYO_2, "status": "SUCCESSFUL",
                  "ageSeconds": 10}, **task)
    with pytest.raises(ValueError, match=complaint):
        load_scenario(make_scenario(tasks=[entry]))


def test_two_running_seeded_tasks_of_one_tenant_are_refused():
    entry = {"name": FAILOVER, "clusterId": STANDBY_CLUSTER, "tenantId": OHAYO_2, "status": "RUNNING", "ageSeconds": 1}
    with pytest.raises(ValueError, match="already has a RUNNING"):
        load_scenario(make_scenario(tasks=[entry, dict(entry)]))


# ----- retry

def test_only_a_failed_task_can_be_retried(slow_sim):
    api = OcpClient(slow_sim.url)
    task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
    response = api.post(TASKS + "/%d/retry" % task_id)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "TSK10007" and "RUNNING" in response.json()["error"]["message"]
    response = api.post(TASKS + "/99/retry")
    assert response.status_code == 404 and response.json()["error"]["code"] == "TSK10001"


def test_retry_fails_again_while_the_fault_still_applies(api, sim):
    sim.add_fault(action="task_fail", subtask="Upgrade tenant data version", tenantId=OHAYO_2)  # no count: every run
    task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
    task_when(api, task_id, "FAILED")
    api.data("POST", TASKS + "/%d/retry" % task_id)
    task = task_when(api, task_id, "FAILED")
    assert statuses(task)["Upgrade tenant data version"] == "FAILED"
    assert {subtask["name"]: subtask["runTime"] for subtask in task["subtasks"]}["Upgrade tenant data version"] == 2
    sim.clear_faults()
    api.data("POST", TASKS + "/%d/retry" % task_id)
    task = task_when(api, task_id, "SUCCESSFUL")
    assert {subtask["name"]: subtask["runTime"] for subtask in task["subtasks"]}["Upgrade tenant data version"] == 3


def test_retry_is_refused_while_another_task_of_the_tenant_runs():
    with Simulator(make_scenario(subtask_seconds=0.05)) as sim:
        api = OcpClient(sim.url)
        sim.add_fault(action="task_fail", subtask="Reset log restore source", tenantId=OHAYO_2, count=1)
        failed_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
        task_when(api, failed_id, "FAILED")
        requests.patch(sim.url + "/_sim/timing", json={"subtask_seconds": 600}, timeout=30).raise_for_status()
        assert api.failover(STANDBY_CLUSTER, OHAYO_2).status_code == 200  # a FAILED task does not block a new one
        response = api.post(TASKS + "/%d/retry" % failed_id)
        assert response.status_code == 409


# ----- OCP recording tasks late

def test_tasks_are_recorded_late():
    with Simulator(make_scenario(subtask_seconds=600, timing_extra={"task_record_delay_seconds": 0.6})) as sim:
        api = OcpClient(sim.url)
        created = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]
        assert created["status"] == "RUNNING"
        response = api.get(TASKS + "/%d" % created["id"])
        assert response.status_code == 404 and response.json()["error"]["code"] == "TSK10001"
        assert api.data("GET", TASKS, params={"tenantId": OHAYO_2})["contents"] == []
        # OCP's own state knows the task: a second failover of the tenant conflicts.
        assert api.failover(STANDBY_CLUSTER, OHAYO_2).status_code == 409
        assert [task["id"] for task in sim.state.tasks.values()] == [created["id"]]
        wait_until(lambda: api.get(TASKS + "/%d" % created["id"]).status_code == 200, message="the task to be recorded")
        assert [task["id"] for task in api.data("GET", TASKS)["contents"]] == [created["id"]]


def test_record_delay_changes_at_run_time(api, sim):
    response = requests.patch(sim.url + "/_sim/timing", json={"task_record_delay_seconds": 30}, timeout=30)
    assert response.status_code == 200 and response.json()["task_record_delay_seconds"] == 30
    created = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]
    assert api.get(TASKS + "/%d" % created["id"]).status_code == 404
    assert api.get(TASKS + "/%d/subtasks/%d/log" % (created["id"], created["subtasks"][0]["id"])).status_code == 404
    for bad in ({"task_record_delay_seconds": -1}, {"subtask_seconds": "fast"}, {"nope": 1},
                {"subtask_seconds_by_name": {"Nope": 1}}):
        response = requests.patch(sim.url + "/_sim/timing", json=bad, timeout=30)
        assert response.status_code == 400 and response.json()["error"]
