"""Documented shapes: nested task list/detail entries, flat POST answers, cluster types, role signals."""

from __future__ import annotations

import pytest
import requests

from ocp_simulator import Simulator
from ocp_simulator.client import wait_until
from sim_testlib import (ACCESS_KEY_ID, ACCESS_KEY_SECRET, OHAYO_2, PRIMARY_CLUSTER, REPORTS, SALES_2, STANDBY_CLUSTER,
                         OcpClient, make_scenario)
from ocp_simulator.client import AkSkAuth

TASKS = "/api/v2/tasks/instances"
PRECHECK = "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck"
NESTED_KEYS = {"id", "name", "taskDefinitionId", "cluster", "tenant", "creator", "status", "type", "operation",
               "executor", "prohibitRollback", "createTime", "startTime", "subtasks"}
BASIC_KEYS = {"id", "name", "cluster", "tenant", "creator", "status", "startTime", "subtasks"}  # list entries
BASIC_SUBTASK_KEYS = {"id", "name", "description", "status", "operation"}
FLAT_KEYS = {"id", "name", "taskDefinitionId", "clusterId", "tenantId", "creator", "status", "type", "operation",
             "executor", "prohibitRollback", "createTime", "startTime", "subtasks"}


def listed(api, **params):
    return api.data("GET", TASKS, params=params)["contents"]


def test_task_list_and_detail_are_nested_by_default(api):
    posted = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]
    assert FLAT_KEYS == set(posted)  # the POST answer keeps the documented sample's flat form
    assert posted["creator"] == "admin"
    [entry] = listed(api)
    assert set(entry) == BASIC_KEYS  # BasicTaskInstance: no type, operation, executor, createTime, ...
    assert all(set(subtask) == BASIC_SUBTASK_KEYS for subtask in entry["subtasks"])  # BasicSubtaskInstance: no graph
    assert entry["cluster"] == {"id": STANDBY_CLUSTER, "name": "OB424_A", "obClusterId": 2, "type": "STANDBY"}
    assert entry["tenant"] == {"id": OHAYO_2, "name": "ohayo_2", "obTenantId": 1002, "mode": "MYSQL"}
    assert entry["creator"] == {"id": 100, "name": "admin"}
    assert (entry["id"], entry["name"], entry["status"], entry["startTime"]) == (
        posted["id"], "Failover tenant", "RUNNING", posted["startTime"])
    detail = api.task(posted["id"])
    assert set(detail) == NESTED_KEYS  # WrappedTaskInstance
    assert (detail["operation"], detail["type"], detail["createTime"]) == ("EXECUTE", "MANUAL", posted["createTime"])
    assert detail["cluster"] == entry["cluster"] and detail["tenant"] == entry["tenant"]
    assert [subtask["id"] for subtask in detail["subtasks"]] == [subtask["id"] for subtask in posted["subtasks"]]


def test_nested_task_gets_finish_time_when_done(api):
    task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]

    def finished():
        task = api.task(task_id)
        return task if task["status"] == "SUCCESSFUL" else None

    task = wait_until(finished, message="the failover to succeed")
    assert set(task) == NESTED_KEYS | {"finishTime"}


@pytest.mark.parametrize("shape", ["nested", "flat"])
def test_task_filters_work_in_both_shapes(shape):
    with Simulator(make_scenario(options={"task_shape": shape})) as sim:
        api = OcpClient(sim.url)
        first = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
        second = api.failover(STANDBY_CLUSTER, SALES_2).json()["data"]["contents"][0]["id"]

        def ids(**params):
            return [task["id"] for task in listed(api, **params)]

        assert ids() == [second, first]
        assert ids(tenantId=OHAYO_2) == [first]
        assert ids(clusterId=STANDBY_CLUSTER, tenantId=SALES_2) == [second]
        assert ids(clusterId=PRIMARY_CLUSTER) == []
        assert ids(name="failover") == [second, first]  # fuzzy
        assert ids(clusterName="424_a") == [second, first]
        assert ids(cluterName="OB424_P") == []  # the reference's own spelling
        assert ids(tenantName="ohayo_2", clusterId=STANDBY_CLUSTER) == [first]
        assert api.get(TASKS, params={"tenantName": "ohayo_2"}).status_code == 400
        entry = listed(api, tenantId=OHAYO_2)[0]
        keys = set(entry) - {"finishTime"}  # present once the task has finished, which a slow machine may see here
        if shape == "flat":
            assert keys == FLAT_KEYS and (entry["clusterId"], entry["tenantId"], entry["creator"]) == (
                STANDBY_CLUSTER, OHAYO_2, "admin")
        else:
            assert keys == BASIC_KEYS and entry["tenant"]["id"] == OHAYO_2


def test_task_shape_and_other_options_change_at_run_time(api, sim):
    api.failover(STANDBY_CLUSTER, OHAYO_2)
    assert "tenant" in listed(api)[0]
    response = requests.patch(sim.url + "/_sim/options", json={"task_shape": "flat"}, timeout=30)
    assert response.status_code == 200 and response.json()["task_shape"] == "flat"
    assert listed(api)[0]["tenantId"] == OHAYO_2
    for bad in ({"task_shape": "round"}, {"nope": 1}, {"expose_tenant_role": "yes"}):
        response = requests.patch(sim.url + "/_sim/options", json=bad, timeout=30)
        assert response.status_code == 400 and response.json()["error"]


def test_creator_is_the_authenticated_user_with_its_id():
    scenario = make_scenario(users=[{"username": "admin", "password": "Adm1n-Secret!", "id": 7}])
    scenario["access_keys"] = [{"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET, "username": "admin"}]
    with Simulator(scenario) as sim:
        api = OcpClient(sim.url, auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET))
        api.failover(STANDBY_CLUSTER, OHAYO_2)
        assert listed(api)[0]["creator"] == {"id": 7, "name": "admin"}


def test_clusters_have_a_type(api):
    clusters = api.data("GET", "/api/v2/ob/clusters")["contents"]
    assert [(cluster["name"], cluster["type"]) for cluster in clusters] == [("OB424_P", "PRIMARY"), ("OB424_A", "STANDBY")]
    assert set(clusters[0]) == {"id", "name", "obClusterId", "type", "status", "obVersion"}
    scenario = make_scenario()
    scenario["clusters"][1]["type"] = "PRIMARY"
    with Simulator(scenario) as sim:
        assert OcpClient(sim.url).data("GET", "/api/v2/ob/clusters/%d" % STANDBY_CLUSTER)["type"] == "PRIMARY"


def test_tenant_list_entries_carry_cluster_type_and_no_role(api):
    tenants = api.data("GET", "/api/v2/ob/tenants", params={"size": 100})["contents"]
    assert {tenant["clusterType"] for tenant in tenants if tenant["clusterId"] == STANDBY_CLUSTER} == {"STANDBY"}
    assert not any("tenantRole" in tenant for tenant in tenants)


# ----- failover precheck of a tenant that is not a standby

def test_precheck_role_error_as_check_result_by_default(api):
    result = api.data("POST", PRECHECK % (STANDBY_CLUSTER, REPORTS))
    assert result["valid"] is False
    assert [(check["errorCode"], check["warning"]) for check in result["checkResults"]] == [("OBE26013", False)]


def test_precheck_role_error_as_http_error():
    with Simulator(make_scenario(options={"precheck_role_error": "http_error"})) as sim:
        api = OcpClient(sim.url)
        response = api.post(PRECHECK % (STANDBY_CLUSTER, REPORTS))
        assert response.status_code == 400
        body = response.json()
        assert body["successful"] is False and "data" not in body
        assert body["error"]["code"] == "OBE26013" and "role is PRIMARY" in body["error"]["message"]
        assert api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))["valid"] is True  # standbys are unaffected


# ----- when a failover changes the role

def test_role_changes_when_the_role_switching_subtask_succeeds(api, sim):
    # ASSUMED (role_change_at: subtask): ACTIVATE STANDBY has run, so a task failing later leaves the tenant PRIMARY.
    sim.add_fault(action="task_fail", subtask="Upgrade tenant data version", tenantId=OHAYO_2, count=1)
    task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
    wait_until(lambda: api.task(task_id)["status"] == "FAILED", message="the failover to fail")
    assert sim.state.tenants[OHAYO_2]["tenantRole"] == "PRIMARY"
    assert api.data("POST", PRECHECK % (STANDBY_CLUSTER, OHAYO_2))["checkResults"][0]["errorCode"] == "OBE26013"


def test_role_change_at_task_success_option():
    with Simulator(make_scenario(options={"role_change_at": "task_success"})) as sim:
        api = OcpClient(sim.url)
        sim.add_fault(action="task_fail", subtask="Upgrade tenant data version", tenantId=OHAYO_2, count=1)
        task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
        wait_until(lambda: api.task(task_id)["status"] == "FAILED", message="the failover to fail")
        assert sim.state.tenants[OHAYO_2]["tenantRole"] == "STANDBY"
        api.data("POST", TASKS + "/%d/retry" % task_id)
        wait_until(lambda: api.task(task_id)["status"] == "SUCCESSFUL", message="the retry to succeed")
        assert sim.state.tenants[OHAYO_2]["tenantRole"] == "PRIMARY"
