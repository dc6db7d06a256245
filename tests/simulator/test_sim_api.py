"""The OCP endpoints: envelope, paging, clusters, tenants, precheck, failover, tasks."""

from __future__ import annotations

import re

import pytest
import requests

from ocp_simulator import Simulator
from ocp_simulator.client import wait_until
from sim_testlib import (AUDIT_2, BILLING_2, OHAYO_2, PRIMARY_CLUSTER, REPORTS, SALES_2, STANDBY_CLUSTER, OcpClient,
                         load_sample, make_scenario)

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
FAILOVER = "/api/v2/ob/clusters/%d/tenants/failover"
PRECHECK = "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck"
SUBTASK_CHAIN = ["Reset log restore source", "Failover to primary tenant", "Upgrade tenant data version",
                 "Create tenant service name", "Update primary tenant info task"]


def error_of(response):
    body = response.json()
    assert body["successful"] is False
    assert "data" not in body
    return body["error"]["code"]


def key_tree(value):
    """The keys of a JSON value, recursively (list items merged)."""
    if isinstance(value, dict):
        return {key: key_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        merged = {}
        for item in value:
            tree = key_tree(item)
            if isinstance(tree, dict):
                merged.update(tree)
        return [merged] if merged else []
    return None


def chain_order(subtasks):
    """Subtask names in graph order, following upstreams/downstreams rather than array position."""
    by_id = {subtask["id"]: subtask for subtask in subtasks}
    current = next(subtask for subtask in subtasks if not subtask["upstreams"])
    names = []
    while True:
        names.append(current["name"])
        if not current["downstreams"]:
            return names
        current = by_id[current["downstreams"][0]]


def wait_for_task(api, task_id, status):
    def reached():
        task = api.task(task_id)
        return task if task["status"] == status else None

    return wait_until(reached, message="task %s to be %s" % (task_id, status))


# ----- envelope and paging

def test_success_envelope_shape(api):
    body = api.get("/api/v2/ob/clusters").json()
    assert set(body) == set(load_sample("precheck_sample_response.json"))
    assert body["successful"] is True and body["status"] == 200
    assert TIMESTAMP.match(body["timestamp"])
    assert isinstance(body["duration"], int) and body["duration"] >= 0
    assert re.match(r"^[0-9a-f]{16}$", body["traceId"])
    assert re.match(r"^[0-9a-f]{10}$", body["server"])


def test_error_envelope_shape(api):
    response = api.get("/api/v2/ob/clusters/42")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"successful", "timestamp", "duration", "status", "traceId", "server", "error"}
    assert body["status"] == 404
    assert body["error"] == {"code": "OBE11001", "message": body["error"]["message"], "target": None, "subErrors": []}


def test_paging(api):
    first = api.data("GET", "/api/v2/ob/tenants", params={"size": 4})
    assert first["page"] == {"number": 1, "size": 4, "totalElements": 9, "totalPages": 3}
    assert len(first["contents"]) == 4
    last = api.data("GET", "/api/v2/ob/tenants", params={"size": 4, "page": 3})
    assert len(last["contents"]) == 1
    default = api.data("GET", "/api/v2/ob/tenants")
    assert default["page"]["size"] == 10 and default["page"]["number"] == 1
    assert len(api.data("GET", "/api/v2/ob/tenants", params={"size": 2000})["contents"]) == 9


@pytest.mark.parametrize("params", [{"size": 2001}, {"size": 0}, {"page": 0}, {"page": "x"}, {"sort": "nosuchfield,asc"}])
def test_bad_paging_parameters_get_400(api, params):
    response = api.get("/api/v2/ob/tenants", params=params)
    assert response.status_code == 400
    assert error_of(response) == "COM10001"


def test_sort(api):
    names = [tenant["name"] for tenant in api.data("GET", "/api/v2/ob/tenants", params={"sort": "name,desc", "size": 100})["contents"]]
    assert names == sorted(names, reverse=True)


def test_unknown_api_path_and_wrong_method(api):
    response = api.get("/api/v2/nothing/here")
    assert response.status_code == 404
    assert error_of(response) is None  # no OCP code: Spring's no-handler error (ASSUMED)
    assert response.json()["error"]["message"] == "Could not find the GET method for URL /api/v2/nothing/here"
    response = api.request("DELETE", "/api/v2/ob/clusters")
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert "GET" in response.headers["Allow"]


# ----- clusters and tenants

def test_clusters(api):
    clusters = api.data("GET", "/api/v2/ob/clusters")["contents"]
    assert [(cluster["id"], cluster["name"], cluster["status"]) for cluster in clusters] == [
        (PRIMARY_CLUSTER, "OB424_P", "RUNNING"), (STANDBY_CLUSTER, "OB424_A", "RUNNING")]
    assert api.data("GET", "/api/v2/ob/clusters/%d" % STANDBY_CLUSTER)["name"] == "OB424_A"
    assert api.get("/api/v2/ob/clusters/abc").status_code == 400


def test_tenant_detail(api):
    tenant = api.data("GET", "/api/v2/ob/clusters/%d/tenants/%d" % (STANDBY_CLUSTER, OHAYO_2))
    assert set(tenant) == {"id", "name", "clusterId", "clusterName", "obClusterId", "clusterType", "obTenantId", "mode",
                           "status", "locked", "readonly", "obVersion", "primaryZone", "zones"}
    assert (tenant["name"], tenant["clusterName"], tenant["clusterType"]) == ("ohayo_2", "OB424_A", "STANDBY")
    # Documented: no tenant-level role (the model knows it, from the scenario's tenantRole).
    assert not {"tenantRole", "primaryTenantId", "primaryClusterId"} & set(tenant)
    primary = api.data("GET", "/api/v2/ob/clusters/%d/tenants/%d" % (PRIMARY_CLUSTER, 1001))
    assert primary["clusterType"] == "PRIMARY"
    # REPORTS is a primary in the standby cluster: clusterType is its cluster's type, not its role.
    assert api.data("GET", "/api/v2/ob/clusters/%d/tenants/%d" % (STANDBY_CLUSTER, REPORTS))["clusterType"] == "STANDBY"


def test_tenant_role_fields_only_with_expose_tenant_role():
    with Simulator(make_scenario(options={"expose_tenant_role": True})) as sim:
        api = OcpClient(sim.url)
        tenant = api.data("GET", "/api/v2/ob/clusters/%d/tenants/%d" % (STANDBY_CLUSTER, OHAYO_2))
        primary = api.data("GET", "/api/v2/ob/clusters/%d/tenants/%d" % (STANDBY_CLUSTER, REPORTS))
        listed = api.data("GET", "/api/v2/ob/tenants", params={"name": "ohayo_2"})["contents"]
    assert (tenant["tenantRole"], tenant["primaryTenantId"], tenant["primaryClusterId"]) == ("STANDBY", 1001, PRIMARY_CLUSTER)
    for internal in ("reachable", "primaryReachable", "warnings", "errors", "serviceName", "syncScn", "syncLagSeconds"):
        assert internal not in tenant
    assert primary["tenantRole"] == "PRIMARY" and "primaryTenantId" not in primary
    assert listed == [{key: value for key, value in tenant.items() if key != "zones"}]  # list entries: no zones


def test_tenant_404s(api):
    response = api.get("/api/v2/ob/clusters/42/tenants/%d" % OHAYO_2)
    assert response.status_code == 404 and error_of(response) == "OBE11001"
    response = api.get("/api/v2/ob/clusters/%d/tenants/%d" % (PRIMARY_CLUSTER, OHAYO_2))
    assert response.status_code == 404 and error_of(response) == "OBE21002"


def test_tenant_lists_and_filters(api):
    in_cluster = api.data("GET", "/api/v2/ob/clusters/%d/tenants" % STANDBY_CLUSTER)["contents"]
    assert {tenant["id"] for tenant in in_cluster} == {OHAYO_2, SALES_2, BILLING_2, AUDIT_2, REPORTS}
    oracle = api.data("GET", "/api/v2/ob/tenants", params={"mode": "ORACLE"})["contents"]
    assert {tenant["name"] for tenant in oracle} == {"audit", "audit_2"}
    named = api.data("GET", "/api/v2/ob/tenants", params={"name": "ohayo"})["contents"]
    assert {tenant["name"] for tenant in named} == {"ohayo", "ohayo_2"}
    assert api.data("GET", "/api/v2/ob/tenants", params={"status": "UNAVAILABLE"})["contents"] == []
    assert api.get("/api/v2/ob/clusters/42/tenants").status_code == 404


# ----- failover precheck

def test_precheck_valid(api):
    result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))
    assert result == {"checkResults": [], "clusterId": STANDBY_CLUSTER, "clusterName": "OB424_A", "name": "ohayo_2",
                      "primaryTenantServiceName": "SERVICE_C", "syncScn": 1721727753000000000, "tenantId": OHAYO_2,
                      "valid": True}


def test_precheck_primary_still_reachable_is_obe26107_as_in_the_sample(api):
    sample = load_sample("precheck_sample_response.json")
    result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, BILLING_2))
    assert result["valid"] is False
    assert result["checkResults"] == sample["data"]["checkResults"]
    assert set(sample["data"]) | {"syncScn"} == set(result)


def test_precheck_already_primary_is_obe26013(api):
    result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, REPORTS))
    assert result["valid"] is False
    assert [check["errorCode"] for check in result["checkResults"]] == ["OBE26013"]
    assert "role is PRIMARY" in result["checkResults"][0]["errorMessage"]


def test_precheck_warning_only_stays_valid(api):
    result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, AUDIT_2))
    assert result["valid"] is True
    assert result["checkResults"] == [{"errorCode": "OBE26007", "errorMessage": "The log stream synchronization of the tenant is abnormal.",
                                       "warning": True}]


def test_precheck_primary_not_found_unavailable_and_extra_errors(api, sim):
    requests.patch(sim.url + "/_sim/tenants/%d" % SALES_2, timeout=30, json={
        "primaryTenantId": 99999, "status": "UNAVAILABLE",
        "errors": [{"errorCode": "OBE26001", "errorMessage": "Log backup is not enabled."}]}).raise_for_status()
    result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, SALES_2))
    assert result["valid"] is False
    assert [(check["errorCode"], check["warning"]) for check in result["checkResults"]] == [
        ("OBE26021", False), ("OBE26025", False), ("OBE26001", False)]
    assert result["primaryTenantServiceName"] is None


def test_precheck_follows_primary_reachability_patches(api, sim):
    requests.patch(sim.url + "/_sim/tenants/%d" % OHAYO_2, json={"primaryReachable": True}, timeout=30).raise_for_status()
    assert api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))["checkResults"][0]["errorCode"] == "OBE26107"
    requests.patch(sim.url + "/_sim/tenants/%d" % OHAYO_2, json={"primaryReachable": None}, timeout=30).raise_for_status()
    assert api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))["valid"] is True


def test_precheck_404s(api):
    response = api.post(PRECHECK % (42, OHAYO_2))
    assert response.status_code == 404 and error_of(response) == "OBE11001"
    response = api.post(PRECHECK % (PRIMARY_CLUSTER, OHAYO_2))
    assert response.status_code == 404 and error_of(response) == "OBE21002"


def test_precheck_is_post_only(api):
    assert api.get(PRECHECK % (STANDBY_CLUSTER, OHAYO_2)).status_code == 405


# ----- batch failover

@pytest.mark.parametrize("body, field", [
    ("{not json", "JSON"),
    ("[]", "object"),
    ("{}", "failoverTenantItemList"),
    ('{"failoverTenantItemList": {"tenantId": 2000025}}', "failoverTenantItemList"),
    ('{"failoverTenantItemList": []}', "failoverTenantItemList"),
    ('{"failoverTenantItemList": [2000025]}', "failoverTenantItemList[0]"),
    ('{"failoverTenantItemList": [{"serviceName": "x"}]}', "failoverTenantItemList[0].tenantId"),
    ('{"failoverTenantItemList": [{"tenantId": "2000025"}]}', "failoverTenantItemList[0].tenantId"),
    ('{"failoverTenantItemList": [{"tenantId": true}]}', "failoverTenantItemList[0].tenantId"),
    ('{"failoverTenantItemList": [{"tenantId": 2000025, "serviceName": 7}]}', "failoverTenantItemList[0].serviceName"),
    ('{"failoverTenantItemList": [{"tenantId": 2000025}, {"tenantId": 2000025}]}', "failoverTenantItemList[1].tenantId"),
])
def test_failover_body_validation(api, sim, body, field):
    response = api.post(FAILOVER % STANDBY_CLUSTER, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response) == "COM10001"
    assert field in response.json()["error"]["message"]
    assert sim.state.tasks == {}


def test_failover_needs_json_content_type(api):
    response = api.post(FAILOVER % STANDBY_CLUSTER, data='{"failoverTenantItemList": [{"tenantId": 2000025}]}',
                        headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_failover_is_all_or_nothing(api, sim):
    response = api.failover(STANDBY_CLUSTER, OHAYO_2, 1001)
    assert response.status_code == 404 and error_of(response) == "OBE21002"
    response = api.failover(STANDBY_CLUSTER, OHAYO_2, REPORTS)
    assert response.status_code == 400 and error_of(response) == "OBE26013"
    response = api.failover(42, OHAYO_2)
    assert response.status_code == 404 and error_of(response) == "OBE11001"
    assert sim.state.tasks == {}


def test_failover_task_is_shaped_like_the_documented_sample(api):
    sample = load_sample("failover_sample_response.json")
    response = api.failover(STANDBY_CLUSTER, {"tenantId": OHAYO_2, "serviceName": "serviceA"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == set(sample)
    assert set(body["data"]) == {"contents"}  # no "page" for the batch failover
    # createTime is a documented TaskInstance field the sample happens to lack.
    assert key_tree(body) == dict(key_tree(sample), data={"contents": [dict(key_tree(sample)["data"]["contents"][0], createTime=None)]})
    task = body["data"]["contents"][0]
    expected = sample["data"]["contents"][0]
    for volatile in ("startTime", "executor"):
        assert task.pop(volatile)
        expected.pop(volatile)
    assert TIMESTAMP.match(task.pop("createTime"))
    assert task == expected  # ids, seriesIds, graph, array order, statuses: all as in the sample
    assert chain_order(task["subtasks"]) == SUBTASK_CHAIN


def test_batch_failover_creates_one_task_per_tenant_with_unique_ids(api):
    tasks = api.data("POST", FAILOVER % STANDBY_CLUSTER, json={"failoverTenantItemList": [{"tenantId": OHAYO_2}, {"tenantId": SALES_2}]})
    assert "page" not in tasks
    tasks = tasks["contents"]
    assert [task["tenantId"] for task in tasks] == [OHAYO_2, SALES_2]
    assert [task["id"] for task in tasks] == [12022226, 12022227]
    subtask_ids = [subtask["id"] for task in tasks for subtask in task["subtasks"]]
    assert sorted(subtask_ids) == list(range(13025785, 13025795))


def test_failover_progresses_to_successful_and_tenant_becomes_primary(api, sim):
    task_id = api.data("POST", FAILOVER % STANDBY_CLUSTER,
                       json={"failoverTenantItemList": [{"tenantId": OHAYO_2, "serviceName": "SERVICE_NEW"}]})["contents"][0]["id"]
    seen = set()

    def finished():
        task = api.task(task_id)
        seen.add(task["status"])
        assert task["status"] in ("RUNNING", "SUCCESSFUL")
        return task if task["status"] == "SUCCESSFUL" else None

    task = wait_until(finished, message="the failover to succeed")
    assert TIMESTAMP.match(task["finishTime"])
    by_name = {subtask["name"]: subtask for subtask in task["subtasks"]}
    for upstream, downstream in zip(SUBTASK_CHAIN, SUBTASK_CHAIN[1:]):
        assert by_name[upstream]["finishTime"] <= by_name[downstream]["startTime"]
    assert all(subtask["status"] == "SUCCESSFUL" for subtask in task["subtasks"])
    tenant = sim.state.tenants[OHAYO_2]
    assert (tenant["tenantRole"], tenant["primaryTenantId"], tenant["primaryClusterId"]) == ("PRIMARY", None, None)
    assert tenant["serviceName"] == "SERVICE_NEW"
    # Now primary: precheck and a second failover are refused.
    assert api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))["checkResults"][0]["errorCode"] == "OBE26013"
    assert api.failover(STANDBY_CLUSTER, OHAYO_2).status_code == 400


def test_running_task_shows_progress_and_blocks_a_second_failover(slow_sim):
    api = OcpClient(slow_sim.url)
    task_id = api.data("POST", FAILOVER % STANDBY_CLUSTER, json={"failoverTenantItemList": [{"tenantId": OHAYO_2}]})["contents"][0]["id"]
    task = api.task(task_id)
    assert task["status"] == "RUNNING" and "finishTime" not in task
    statuses = {subtask["name"]: subtask["status"] for subtask in task["subtasks"]}
    assert statuses.pop("Reset log restore source") in ("READY", "RUNNING")
    assert set(statuses.values()) == {"PENDING"}
    response = api.failover(STANDBY_CLUSTER, OHAYO_2)
    assert response.status_code == 409
    assert error_of(response) == "OBE21005"
    assert slow_sim.state.tenants[OHAYO_2]["tenantRole"] == "STANDBY"


# ----- task list, subtask log, retry

def test_task_list_filters_and_order(api):
    first = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
    second = api.failover(STANDBY_CLUSTER, SALES_2).json()["data"]["contents"][0]["id"]

    def ids(**params):
        return [task["id"] for task in api.data("GET", "/api/v2/tasks/instances", params=params)["contents"]]

    assert ids() == [second, first]  # newest first
    assert ids(tenantId=OHAYO_2) == [first]
    assert ids(name="Failover tenant", clusterId=STANDBY_CLUSTER) == [second, first]
    assert ids(clusterId=PRIMARY_CLUSTER) == []
    assert ids(type="MANUAL", status="RUNNING,SUCCESSFUL") == [second, first]
    assert ids(status="FAILED") == []
    assert ids(hostId=1) == []
    assert ids(name="Failover tenant", tenantId=SALES_2, size=1) == [second]
    assert api.get("/api/v2/tasks/instances", params={"tenantId": "x"}).status_code == 400
    response = api.get("/api/v2/tasks/instances/1")
    assert response.status_code == 404 and error_of(response) == "TSK10001"


def test_subtask_log(api):
    task = api.data("POST", FAILOVER % STANDBY_CLUSTER,
                    json={"failoverTenantItemList": [{"tenantId": OHAYO_2, "serviceName": "SERVICE_NEW"}]})["contents"][0]
    wait_for_task(api, task["id"], "SUCCESSFUL")
    service = next(subtask for subtask in task["subtasks"] if subtask["name"] == "Create tenant service name")
    log = api.data("GET", "/api/v2/tasks/instances/%d/subtasks/%d/log" % (task["id"], service["id"]))["log"]
    lines = log.split("\n")
    assert len(lines) >= 3
    assert "SERVICE_NEW" in log
    assert "finished successfully" in lines[-1]
    response = api.get("/api/v2/tasks/instances/%d/subtasks/1/log" % task["id"])
    assert response.status_code == 404


def test_failed_task_then_retry(api, sim):
    sim.add_fault(action="task_fail", subtask="Reset log restore source", tenantId=OHAYO_2, count=1)
    task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
    task = wait_for_task(api, task_id, "FAILED")
    assert TIMESTAMP.match(task["finishTime"])
    statuses = {subtask["name"]: subtask["status"] for subtask in task["subtasks"]}
    assert statuses == {"Reset log restore source": "FAILED", "Failover to primary tenant": "PENDING",
                        "Upgrade tenant data version": "PENDING", "Create tenant service name": "PENDING",
                        "Update primary tenant info task": "PENDING"}
    failed = next(subtask for subtask in task["subtasks"] if subtask["status"] == "FAILED")
    log = api.data("GET", "/api/v2/tasks/instances/%d/subtasks/%d/log" % (task_id, failed["id"]))["log"]
    assert "ERROR" in log.split("\n")[-1] and "ErrorCode" in log.split("\n")[-1]
    assert sim.state.tenants[OHAYO_2]["tenantRole"] == "STANDBY"  # failed before the role switch
    # A failed failover does not block a retry, and a retry is refused for a task that is not FAILED.
    retried = api.data("POST", "/api/v2/tasks/instances/%d/retry" % task_id)
    assert retried["status"] == "RUNNING" and "finishTime" not in retried
    assert (retried["operation"], retried["tenant"]["id"]) == ("RETRY", OHAYO_2)  # a WrappedTaskInstance, as the detail
    task = wait_for_task(api, task_id, "SUCCESSFUL")
    assert task["operation"] == "RETRY"
    assert next(subtask for subtask in task["subtasks"] if subtask["id"] == failed["id"])["runTime"] == 2
    assert sim.state.tenants[OHAYO_2]["tenantRole"] == "PRIMARY"
    assert api.post("/api/v2/tasks/instances/%d/retry" % task_id).status_code == 409
    log = api.data("GET", "/api/v2/tasks/instances/%d/subtasks/%d/log" % (task_id, failed["id"]))["log"]
    assert "(run 2)" in log and "finished successfully" in log.split("\n")[-1]


def test_task_fail_with_custom_message_for_any_tenant(api, sim):
    sim.add_fault(action="task_fail", subtask="Reset log restore source", message="ORA-00600: internal error code")
    tasks = api.data("POST", FAILOVER % STANDBY_CLUSTER, json={"failoverTenantItemList": [{"tenantId": OHAYO_2}, {"tenantId": SALES_2}]})
    for task in tasks["contents"]:
        task = wait_for_task(api, task["id"], "FAILED")
        first = next(subtask for subtask in task["subtasks"] if not subtask["upstreams"])
        log = api.data("GET", "/api/v2/tasks/instances/%d/subtasks/%d/log" % (task["id"], first["id"]))["log"]
        assert log.split("\n")[-1].endswith("ORA-00600: internal error code")
