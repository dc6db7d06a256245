"""Sync positions and answer times, the three kinds of 404, cluster and tenant lists with paging."""

from __future__ import annotations

import datetime
import re
import time

import pytest
import requests

from ocp_simulator import Simulator
from sim_testlib import BILLING_2, OHAYO_2, PRIMARY_CLUSTER, REPORTS, SALES_2, STANDBY_CLUSTER, OcpClient, make_scenario

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")
PRECHECK = "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck"


def answer(api, path):
    response = api.post(path)
    assert response.status_code == 200, response.text
    body = response.json()
    return datetime.datetime.fromisoformat(body["timestamp"]).timestamp(), body["data"]


# ----- synchronization position and the answer's time

def test_sync_lag_stays_constant_as_time_passes(api):
    lags = []
    for attempt in range(2):
        answered, result = answer(api, PRECHECK % (STANDBY_CLUSTER, SALES_2))  # syncLagSeconds: 2.0
        assert isinstance(result["syncScn"], int) and result["syncScn"] > 1.7e18
        lags.append(answered - result["syncScn"] / 1e9)
        time.sleep(0.3)
    assert all(abs(lag - 2.0) < 0.002 for lag in lags), lags


def test_literal_sync_scn_and_none(api, sim):
    assert answer(api, PRECHECK % (STANDBY_CLUSTER, OHAYO_2))[1]["syncScn"] == 1721727753000000000
    assert answer(api, PRECHECK % (STANDBY_CLUSTER, REPORTS))[1]["syncScn"] is None  # neither syncScn nor syncLagSeconds
    requests.patch(sim.url + "/_sim/tenants/%d" % BILLING_2, json={"syncLagSeconds": None, "syncScn": 5}, timeout=30).raise_for_status()
    assert answer(api, PRECHECK % (STANDBY_CLUSTER, BILLING_2))[1]["syncScn"] == 5


def test_scenario_refuses_both_sync_keys():
    scenario = make_scenario()
    scenario["tenants"][4]["syncLagSeconds"] = 1.0  # ohayo_2 has a syncScn already
    with pytest.raises(ValueError, match="not both"):
        Simulator(scenario)


def test_envelope_timestamp_is_the_server_time_of_the_answer(api):
    before = time.time()
    body = api.get("/api/v2/ob/clusters").json()
    after = time.time()
    assert TIMESTAMP.match(body["timestamp"])
    stamp = datetime.datetime.fromisoformat(body["timestamp"]).timestamp()
    assert before - 0.001 <= stamp <= after + 0.001


# ----- three kinds of 404

def test_unknown_cluster_tenant_and_path_are_told_apart_by_code(api):
    cases = {
        "cluster": api.get("/api/v2/ob/clusters/42/tenants/%d" % OHAYO_2),
        "tenant": api.get("/api/v2/ob/clusters/%d/tenants/%d" % (PRIMARY_CLUSTER, OHAYO_2)),
        "path": api.get("/api/v2/ob/clusterz/%d" % PRIMARY_CLUSTER),
        "task": api.get("/api/v2/tasks/instances/1"),
    }
    assert {kind: response.status_code for kind, response in cases.items()} == dict.fromkeys(cases, 404)
    errors = {kind: response.json()["error"] for kind, response in cases.items()}
    assert {kind: error["code"] for kind, error in errors.items()} == {
        "cluster": "OBE11001", "tenant": "OBE21002", "path": None, "task": "TSK10001"}
    assert "Cluster 42" in errors["cluster"]["message"] and "Task instance 1" in errors["task"]["message"]
    assert all(response.json()["successful"] is False for response in cases.values())


# ----- clusters

def test_cluster_list_paging_and_name_filter(api):
    page = api.data("GET", "/api/v2/ob/clusters", params={"size": 1, "page": 2})
    assert page["page"] == {"number": 2, "size": 1, "totalElements": 2, "totalPages": 2}
    assert [cluster["name"] for cluster in page["contents"]] == ["OB424_A"]
    assert [cluster["id"] for cluster in api.data("GET", "/api/v2/ob/clusters", params={"name": "424_p"})["contents"]] == [PRIMARY_CLUSTER]
    assert api.data("GET", "/api/v2/ob/clusters", params={"name": "nothing"})["contents"] == []
    detail = api.data("GET", "/api/v2/ob/clusters/%d" % PRIMARY_CLUSTER)
    assert detail == {"id": PRIMARY_CLUSTER, "name": "OB424_P", "obClusterId": 1, "type": "PRIMARY", "status": "RUNNING",
                      "obVersion": "4.2.4.0"}
    assert api.data("GET", "/api/v2/ob/clusters", params={"sort": "name,desc"})["contents"][0]["name"] == "OB424_P"


# ----- tenant lists with many tenants

def many_tenants(count):
    tenants = [{"id": 100000 + index, "name": "tenant_%05d" % index, "clusterId": PRIMARY_CLUSTER if index % 2 else STANDBY_CLUSTER}
               for index in range(count)]
    return make_scenario(tenants=tenants)


def test_tenant_list_paging_with_5000_tenants():
    with Simulator(many_tenants(5000)) as sim:
        api = OcpClient(sim.url)
        seen = []
        for number in (1, 2, 3):
            page = api.data("GET", "/api/v2/ob/tenants", params={"size": 2000, "page": number})
            assert page["page"] == {"number": number, "size": 2000, "totalElements": 5000, "totalPages": 3}
            seen.extend(tenant["id"] for tenant in page["contents"])
        assert seen == [100000 + index for index in range(5000)]
        assert api.data("GET", "/api/v2/ob/tenants", params={"size": 2000, "page": 4})["contents"] == []
        assert api.get("/api/v2/ob/tenants", params={"size": 2001}).status_code == 400
        in_cluster = api.data("GET", "/api/v2/ob/clusters/%d/tenants" % PRIMARY_CLUSTER, params={"size": 2000, "page": 2})
        assert in_cluster["page"]["totalElements"] == 2500 and len(in_cluster["contents"]) == 500
        assert all(tenant["clusterId"] == PRIMARY_CLUSTER for tenant in in_cluster["contents"])
        named = api.data("GET", "/api/v2/ob/tenants", params={"name": "TENANT_0490", "size": 2000})
        assert named["page"]["totalElements"] == 10  # tenant_04900 .. tenant_04909: fuzzy, case-insensitive
        last = api.data("GET", "/api/v2/ob/tenants", params={"size": 3, "sort": "name,desc"})["contents"]
        assert [tenant["name"] for tenant in last] == ["tenant_04999", "tenant_04998", "tenant_04997"]
