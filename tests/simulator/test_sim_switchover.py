"""Switchover: precheck, single and batch switchover, the task, the role swap and the switch back."""

from __future__ import annotations

import datetime

import pytest
import requests

from ocp_simulator import Simulator
from ocp_simulator.client import wait_until
from ocp_simulator.switchover import SUBTASK_NAMES
from sim_testlib import (AUDIT_2, BILLING_2, OHAYO_2, PRIMARY_CLUSTER, SALES_2, STANDBY_CLUSTER, OcpClient,
                         load_sample, make_scenario)

OHAYO, SALES, BILLING, AUDIT = 1001, 1002, 1003, 1004  # primaries; only billing can be reached
PRECHECK = "/api/v2/ob/clusters/%d/tenants/%d/switchoverPreCheck"
SWITCHOVER = "/api/v2/ob/clusters/%d/tenants/%d/switchover"
BATCH = "/api/v2/ob/clusters/%d/tenants/switchover"
FAILOVER_PRECHECK = "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck"
TASK_NAME = "Switchover ob tenant for network mode"


def pair(primary, standby):
    return {"tenantId": primary, "standbyTenantId": standby}


def precheck(api, cluster_id, primary, standby):
    return api.data("POST", PRECHECK % (cluster_id, primary), json=pair(primary, standby))


def codes(result):
    return [(check["errorCode"], check["warning"]) for check in result["standbyCheckResults"]["checkResults"]]


def error(response):
    body = response.json()
    assert body["successful"] is False and "data" not in body
    return body["error"]["code"], body["error"]["message"]


def patch_tenant(sim, tenant_id, **fields):
    requests.patch(sim.url + "/_sim/tenants/%d" % tenant_id, json=fields, timeout=30).raise_for_status()


def wait_for(api, task_id, status):
    def reached():
        task = api.task(task_id)
        return task if task["status"] == status else None

    return wait_until(reached, message="task %s to be %s" % (task_id, status))


def chain(subtasks):
    by_id = {subtask["id"]: subtask for subtask in subtasks}
    current = next(subtask for subtask in subtasks if not subtask["upstreams"])
    names = [current["name"]]
    while current["downstreams"]:
        current = by_id[current["downstreams"][0]]
        names.append(current["name"])
    return names


# ----- precheck

def test_precheck_valid_pair(api):
    response = api.post(PRECHECK % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    body = response.json()
    result = body["data"]
    assert set(result) == {"valid", "tenantId", "name", "clusterId", "clusterName", "standbyCheckResults"}
    assert (result["valid"], result["tenantId"], result["name"], result["clusterId"], result["clusterName"]) == (
        True, BILLING, "billing", PRIMARY_CLUSTER, "OB424_P")
    standby = result["standbyCheckResults"]
    assert set(standby) == {"valid", "tenantId", "name", "clusterId", "clusterName", "syncScn", "primaryTenantServiceName",
                            "checkResults"}
    assert (standby["valid"], standby["tenantId"], standby["name"], standby["clusterId"], standby["clusterName"],
            standby["primaryTenantServiceName"], standby["checkResults"]) == (
        True, BILLING_2, "billing_2", STANDBY_CLUSTER, "OB424_A", "SERVICE_B", [])
    # syncLagSeconds: 2.0 -> the position is 2 s behind the answer's own timestamp.
    answered = datetime.datetime.fromisoformat(body["timestamp"]).timestamp()
    assert isinstance(standby["syncScn"], int)
    assert abs(answered - standby["syncScn"] / 1e9 - 2.0) < 0.002


@pytest.mark.parametrize("cluster_id, primary, standby, expected", [
    # the path tenant is not a primary (and the "standby" is not a standby)
    (STANDBY_CLUSTER, OHAYO_2, OHAYO, [("OBE26013", False), ("OBE26013", False)]),
    # the standby belongs to another primary
    (PRIMARY_CLUSTER, BILLING, SALES_2, [("OBE26025", False)]),
    # the primary cannot be connected
    (PRIMARY_CLUSTER, OHAYO, OHAYO_2, [("OBE26021", False)]),
])
def test_precheck_refusals(api, cluster_id, primary, standby, expected):
    result = precheck(api, cluster_id, primary, standby)
    assert result["valid"] is False and result["standbyCheckResults"]["valid"] is False
    assert codes(result) == expected


def test_precheck_role_message_names_the_role(api):
    result = precheck(api, STANDBY_CLUSTER, OHAYO_2, OHAYO)
    messages = [check["errorMessage"] for check in result["standbyCheckResults"]["checkResults"]]
    assert "role is STANDBY" in messages[0] and "role is PRIMARY" in messages[1]


def test_precheck_unavailable_tenants_and_scenario_results(api, sim):
    patch_tenant(sim, BILLING_2, status="UNAVAILABLE",
                 switchoverErrors=[{"errorCode": "OBE26017", "errorMessage": "Internal verification failed."}])
    patch_tenant(sim, BILLING, switchoverWarnings=[{"errorCode": "OBE26007", "errorMessage": "Log sync is slow."}])
    result = precheck(api, PRIMARY_CLUSTER, BILLING, BILLING_2)
    assert codes(result) == [("OBE26021", False), ("OBE26007", True), ("OBE26017", False)]
    patch_tenant(sim, BILLING_2, status="NORMAL", switchoverErrors=[])
    result = precheck(api, PRIMARY_CLUSTER, BILLING, BILLING_2)
    assert result["valid"] is True and codes(result) == [("OBE26007", True)]
    patch_tenant(sim, BILLING, status="UNAVAILABLE")
    assert codes(precheck(api, PRIMARY_CLUSTER, BILLING, BILLING_2))[0] == ("OBE26021", False)


def test_precheck_role_error_as_http_error():
    with Simulator(make_scenario(options={"precheck_role_error": "http_error"})) as sim:
        response = OcpClient(sim.url).post(PRECHECK % (STANDBY_CLUSTER, OHAYO_2), json=pair(OHAYO_2, OHAYO))
    assert response.status_code == 400
    code, message = error(response)
    assert code == "OBE26013" and "role is STANDBY" in message


@pytest.mark.parametrize("path, body, status, code", [
    (PRECHECK % (42, BILLING), pair(BILLING, BILLING_2), 404, "OBE11001"),
    (PRECHECK % (STANDBY_CLUSTER, BILLING), pair(BILLING, BILLING_2), 404, "OBE21002"),
    (PRECHECK % (PRIMARY_CLUSTER, BILLING), pair(BILLING, 424242), 404, "OBE21003"),  # a standby id known nowhere
    (PRECHECK % (PRIMARY_CLUSTER, BILLING), {"tenantId": BILLING}, 400, "COM10001"),
    (PRECHECK % (PRIMARY_CLUSTER, BILLING), pair(SALES, BILLING_2), 400, "COM10001"),
    (PRECHECK % (PRIMARY_CLUSTER, BILLING), pair(BILLING, True), 400, "COM10001"),
    (PRECHECK % (PRIMARY_CLUSTER, BILLING), pair(BILLING, BILLING), 400, "COM10001"),
])
def test_precheck_errors(api, path, body, status, code):
    response = api.post(path, json=body)
    assert response.status_code == status
    assert error(response)[0] == code


def test_precheck_needs_json(api):
    response = api.post(PRECHECK % (PRIMARY_CLUSTER, BILLING), data="tenantId=1003", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


# ----- single switchover

def test_switchover_task_is_flat_like_the_sample_and_swaps_the_roles(api, sim):
    sample_task = load_sample("failover_sample_response.json")["data"]["contents"][0]
    response = api.post(SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    assert response.status_code == 200, response.text
    task = response.json()["data"]
    assert set(task) == set(sample_task) | {"createTime"}  # one TaskInstance, not contents
    assert (task["name"], task["status"], task["operation"], task["creator"]) == (TASK_NAME, "RUNNING", "EXECUTE", "admin")
    assert (task["clusterId"], task["tenantId"]) == (PRIMARY_CLUSTER, BILLING)  # the primary's, as the path
    assert chain(task["subtasks"]) == list(SUBTASK_NAMES)
    assert sorted(subtask["seriesId"] for subtask in task["subtasks"]) == [0, 1, 2, 3, 4]
    assert [subtask["name"] for subtask in task["subtasks"]] != list(SUBTASK_NAMES)  # listed out of order, like the sample
    done = wait_for(api, task["id"], "SUCCESSFUL")
    assert {subtask["status"] for subtask in done["subtasks"]} == {"SUCCESSFUL"}
    assert done["tenant"]["id"] == BILLING and done["cluster"]["id"] == PRIMARY_CLUSTER
    billing, billing_2 = sim.state.tenants[BILLING], sim.state.tenants[BILLING_2]
    assert (billing["tenantRole"], billing["primaryTenantId"], billing["primaryClusterId"]) == ("STANDBY", BILLING_2, STANDBY_CLUSTER)
    assert (billing_2["tenantRole"], billing_2["primaryTenantId"]) == ("PRIMARY", None)
    # The old primary is now the new primary's standby: a failover precheck treats it so (its primary is alive).
    result = api.data("POST", FAILOVER_PRECHECK % (PRIMARY_CLUSTER, BILLING))
    assert [check["errorCode"] for check in result["checkResults"]] == ["OBE26107"]
    assert api.data("POST", FAILOVER_PRECHECK % (STANDBY_CLUSTER, BILLING_2))["checkResults"][0]["errorCode"] == "OBE26013"
    # Switch back with the pair reversed.
    assert precheck(api, STANDBY_CLUSTER, BILLING_2, BILLING)["valid"] is True
    back = api.data("POST", SWITCHOVER % (STANDBY_CLUSTER, BILLING_2), json=pair(BILLING_2, BILLING))
    wait_for(api, back["id"], "SUCCESSFUL")
    assert (billing["tenantRole"], billing["primaryTenantId"]) == ("PRIMARY", None)
    assert (billing_2["tenantRole"], billing_2["primaryTenantId"]) == ("STANDBY", BILLING)
    history = api.data("GET", "/api/v2/tasks/instances", params={"name": "Switchover"})["contents"]
    assert [(entry["id"], entry["tenant"]["id"]) for entry in history] == [(back["id"], BILLING_2), (task["id"], BILLING)]


def test_switchover_task_logs_name_both_tenants(api):
    task = api.data("POST", SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    wait_for(api, task["id"], "SUCCESSFUL")
    for subtask in task["subtasks"]:
        log = api.data("GET", "/api/v2/tasks/instances/%d/subtasks/%d/log" % (task["id"], subtask["id"]))["log"]
        assert "finished successfully" in log.split("\n")[-1]
        if subtask["name"] == "Switchover standby tenant to primary":
            assert "SWITCHOVER TO PRIMARY TENANT = billing_2" in log
        if subtask["name"] == "Switchover primary tenant to standby":
            assert "SWITCHOVER TO STANDBY TENANT = billing" in log


def test_switchover_task_is_listed_under_the_primary_only(api):
    # ASSUMED: a task has one tenantId; the switchover's is the primary's.
    task = api.data("POST", SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))

    def ids(**params):
        return [entry["id"] for entry in api.data("GET", "/api/v2/tasks/instances", params=params)["contents"]]

    assert ids(tenantId=BILLING) == [task["id"]]
    assert ids(tenantId=BILLING_2) == []
    assert ids(clusterId=PRIMARY_CLUSTER) == [task["id"]]


@pytest.mark.parametrize("primary, standby, code", [
    (OHAYO, OHAYO_2, "OBE26021"),  # primary cannot be connected
    (BILLING, SALES_2, "OBE26025"),  # not its standby
    (SALES, OHAYO, "OBE26013"),  # the "standby" is a primary
])
def test_switchover_refusals(api, sim, primary, standby, code):
    response = api.post(SWITCHOVER % (PRIMARY_CLUSTER, primary), json=pair(primary, standby))
    assert response.status_code == 400
    assert error(response)[0] == code
    assert sim.state.tasks == {}


def test_switchover_of_a_standby_is_refused(api):
    response = api.post(SWITCHOVER % (STANDBY_CLUSTER, OHAYO_2), json=pair(OHAYO_2, OHAYO))
    assert response.status_code == 400 and error(response)[0] == "OBE26013"


def test_switchover_refused_by_a_scenario_error(api, sim):
    patch_tenant(sim, BILLING_2, switchoverErrors=[{"errorCode": "OBE26017", "errorMessage": "Internal verification failed."}])
    response = api.post(SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    assert response.status_code == 400 and error(response) == ("OBE26017", "Internal verification failed.")
    patch_tenant(sim, BILLING_2, switchoverErrors=[],
                 switchoverWarnings=[{"errorCode": "OBE26007", "errorMessage": "Log sync is slow."}])
    assert api.post(SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2)).status_code == 200


def test_running_role_changing_task_conflicts(slow_sim):
    api = OcpClient(slow_sim.url)
    patch_tenant(slow_sim, AUDIT, reachable=True)
    api.data("POST", SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    response = api.post(BATCH % PRIMARY_CLUSTER, json={"tenantParamList": [pair(AUDIT, AUDIT_2), pair(BILLING, BILLING_2)]})
    assert response.status_code == 409 and error(response)[0] == "OBE21005"
    assert len(slow_sim.state.tasks) == 1  # all or nothing: no task for audit either
    assert api.post(BATCH % PRIMARY_CLUSTER, json={"tenantParamList": [pair(AUDIT, AUDIT_2)]}).status_code == 200
    # A running switchover blocks a failover of its standby, and a running failover blocks a switchover.
    assert api.failover(STANDBY_CLUSTER, BILLING_2).status_code == 409
    api.data("POST", "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER,
             json={"failoverTenantItemList": [{"tenantId": OHAYO_2}]})
    patch_tenant(slow_sim, OHAYO, reachable=True)
    response = api.post(SWITCHOVER % (PRIMARY_CLUSTER, OHAYO), json=pair(OHAYO, OHAYO_2))
    assert response.status_code == 409 and error(response)[0] == "OBE21005"


def test_switchover_subtask_failure_then_retry(api, sim):
    sim.add_fault(action="task_fail", subtask="Switchover standby tenant to primary", tenantId=BILLING_2, count=1)
    task = api.data("POST", SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    failed = wait_for(api, task["id"], "FAILED")
    assert {subtask["name"]: subtask["status"] for subtask in failed["subtasks"]}["Switchover standby tenant to primary"] == "FAILED"
    # Between the two ALTER SYSTEM SWITCHOVER statements both tenants are standbys.
    assert (sim.state.tenants[BILLING]["tenantRole"], sim.state.tenants[BILLING_2]["tenantRole"]) == ("STANDBY", "STANDBY")
    api.data("POST", "/api/v2/tasks/instances/%d/retry" % task["id"])
    wait_for(api, task["id"], "SUCCESSFUL")
    assert (sim.state.tenants[BILLING]["tenantRole"], sim.state.tenants[BILLING_2]["tenantRole"]) == ("STANDBY", "PRIMARY")


def test_failover_fault_rules_do_not_touch_switchovers(api, sim):
    sim.add_fault(action="task_fail", subtask="Failover to primary tenant")
    task = api.data("POST", SWITCHOVER % (PRIMARY_CLUSTER, BILLING), json=pair(BILLING, BILLING_2))
    wait_for(api, task["id"], "SUCCESSFUL")


# ----- batch switchover

def test_batch_switchover(api, sim):
    patch_tenant(sim, SALES, reachable=True)
    body = {"tenantParamList": [pair(BILLING, BILLING_2), pair(SALES, SALES_2)]}
    response = api.post(BATCH % PRIMARY_CLUSTER, json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"contents"}
    assert [(task["tenantId"], task["clusterId"], task["name"]) for task in data["contents"]] == [
        (BILLING, PRIMARY_CLUSTER, TASK_NAME), (SALES, PRIMARY_CLUSTER, TASK_NAME)]
    for task in data["contents"]:
        wait_for(api, task["id"], "SUCCESSFUL")
    assert [sim.state.tenants[tenant]["tenantRole"] for tenant in (BILLING, SALES, BILLING_2, SALES_2)] == [
        "STANDBY", "STANDBY", "PRIMARY", "PRIMARY"]


def test_batch_switchover_is_all_or_nothing(api, sim):
    body = {"tenantParamList": [pair(BILLING, BILLING_2), pair(OHAYO, OHAYO_2)]}  # ohayo cannot be connected
    response = api.post(BATCH % PRIMARY_CLUSTER, json=body)
    assert response.status_code == 400 and error(response)[0] == "OBE26021"
    response = api.post(BATCH % STANDBY_CLUSTER, json={"tenantParamList": [pair(BILLING, BILLING_2)]})
    assert response.status_code == 404 and error(response)[0] == "OBE21002"  # the primary is not in the path's cluster
    response = api.post(BATCH % 42, json={"tenantParamList": [pair(BILLING, BILLING_2)]})
    assert response.status_code == 404 and error(response)[0] == "OBE11001"
    assert sim.state.tasks == {}


@pytest.mark.parametrize("body, where", [
    ("{not json", "JSON"),
    ("[]", "object"),
    ("{}", "tenantParamList"),
    ('{"tenantParamList": {"tenantId": 1003, "standbyTenantId": 2000027}}', "tenantParamList"),
    ('{"tenantParamList": []}', "tenantParamList"),
    ('{"tenantParamList": [1003]}', "tenantParamList[0]"),
    ('{"tenantParamList": [{"tenantId": 1003}]}', "tenantParamList[0].standbyTenantId"),
    ('{"tenantParamList": [{"tenantId": "1003", "standbyTenantId": 2000027}]}', "tenantParamList[0].tenantId"),
    ('{"tenantParamList": [{"tenantId": 1003, "standbyTenantId": 1003}]}', "tenantParamList[0].standbyTenantId"),
    ('{"tenantParamList": [{"tenantId": 1003, "standbyTenantId": 2000027}, {"tenantId": 2000027, "standbyTenantId": 1003}]}',
     "tenantParamList[1].tenantId"),
    ('{"failoverTenantItemList": [{"tenantId": 1003}]}', "tenantParamList"),
])
def test_batch_switchover_body_validation(api, sim, body, where):
    response = api.post(BATCH % PRIMARY_CLUSTER, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    code, message = error(response)
    assert code == "COM10001" and where in message
    assert sim.state.tasks == {}


def test_batch_switchover_needs_json(api):
    response = api.post(BATCH % PRIMARY_CLUSTER, data='{"tenantParamList": []}', headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
