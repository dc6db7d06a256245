"""The alarm list, GET /api/v2/alarm/alarms, and the /_sim/alarms control calls that raise and clear alarms."""

from __future__ import annotations

import pytest
import requests

from ocp_simulator import Simulator
from sim_testlib import OHAYO_2, SALES_2, OcpClient, make_scenario

ALARMS = "/api/v2/alarm/alarms"


def scenario_with_alarms():
    return make_scenario(alarms=[
        {"alarmType": "ob_tenant_unavailable", "tenantId": OHAYO_2, "level": 1, "summary": "tenant ohayo_2 down"},
        {"alarmType": "ob_cluster_down", "scope": "ObCluster", "target": "ob_cluster=OB424_P", "level": 1},
        {"alarmType": "ob_tenant_unavailable", "tenantId": SALES_2, "status": "Inactive"},
    ])


@pytest.fixture
def scenario():
    return scenario_with_alarms()


def control(sim, method, path, **kwargs):
    return requests.request(method, sim.url + path, timeout=10, **kwargs)


def test_scenario_alarms_are_listed_with_documented_fields(api):
    data = api.data("GET", ALARMS, params={"status": "Active", "scope": "ObTenant"})

    assert data["page"]["totalElements"] == 1
    (alarm,) = data["contents"]
    assert alarm["alarmType"] == "ob_tenant_unavailable"
    assert alarm["scope"] == "ObTenant" and alarm["status"] == "Active" and alarm["level"] == 1
    assert alarm["target"] == "ob_cluster=OB424_A:tenant_name=ohayo_2:ob_tenant_id=1002"
    assert alarm["labels"] == {"ob_cluster": "OB424_A", "tenant_name": "ohayo_2", "ob_tenant_id": "1002"}
    assert {"id", "activeAt", "updatedAt", "description", "summary"} <= set(alarm)


def test_filters_and_no_filter(api):
    assert api.data("GET", ALARMS)["page"]["totalElements"] == 3
    assert [a["alarmType"] for a in api.data("GET", ALARMS, params={"scope": "ObCluster"})["contents"]] == ["ob_cluster_down"]
    assert api.data("GET", ALARMS, params={"status": "Inactive"})["contents"][0]["labels"]["tenant_name"] == "sales_2"
    assert api.data("GET", ALARMS, params={"obTenant": "ohayo_2"})["page"]["totalElements"] == 1
    assert api.data("GET", ALARMS, params={"level": "1", "status": "Active"})["page"]["totalElements"] == 2


def test_page_size_is_at_most_200(api):
    response = api.get(ALARMS, params={"size": 201})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "COM10001"


@pytest.mark.parametrize("scenario", [make_scenario(alarms=[
    {"alarmType": "ob_tenant_unavailable", "target": "ob_cluster=c:tenant_name=t%03d:ob_tenant_id=1" % n}
    for n in range(205)])])
def test_every_page(api):
    first = api.data("GET", ALARMS, params={"page": 1, "size": 200})
    second = api.data("GET", ALARMS, params={"page": 2, "size": 200})

    assert first["page"]["totalPages"] == 2 and len(first["contents"]) == 200 and len(second["contents"]) == 5
    assert len({a["id"] for a in first["contents"] + second["contents"]}) == 205


def test_alarms_are_raised_and_cleared_at_run_time(sim, api):
    raised = control(sim, "POST", "/_sim/alarms", json={"alarmType": "ob_tenant_log_sync_broken", "tenantId": SALES_2})
    assert raised.status_code == 200, raised.text
    alarm_id = raised.json()["id"]
    active = api.data("GET", ALARMS, params={"status": "Active", "scope": "ObTenant"})["contents"]
    assert [a["id"] for a in active][0] == alarm_id  # newest first

    cleared = control(sim, "PATCH", "/_sim/alarms/%d" % alarm_id, json={"status": "Inactive"})
    assert cleared.status_code == 200 and cleared.json()["resolvedAt"]
    assert alarm_id not in [a["id"] for a in api.data("GET", ALARMS, params={"status": "Active"})["contents"]]

    again = control(sim, "PATCH", "/_sim/alarms/%d" % alarm_id, json={"status": "Active"}).json()
    assert again["status"] == "Active" and again["activeAt"] >= raised.json()["activeAt"]
    assert sim.request_log()[-1]["path"] == ALARMS  # control calls are not logged, API reads are


def test_bad_control_calls_are_refused(sim):
    assert control(sim, "POST", "/_sim/alarms", json={"tenantId": OHAYO_2}).status_code == 400  # no alarmType
    assert control(sim, "POST", "/_sim/alarms", json={"alarmType": "x", "tenantId": 1}).status_code == 400
    assert control(sim, "POST", "/_sim/alarms", json={"alarmType": "x", "tenantId": OHAYO_2, "level": 9}).status_code == 400
    assert control(sim, "PATCH", "/_sim/alarms/1", json={"status": "Inactive"}).status_code == 404


def test_alarms_need_authentication(sim):
    assert OcpClient(sim.url, auth=None).get(ALARMS).status_code == 401


def test_a_bad_scenario_alarm_is_rejected():
    with pytest.raises(ValueError, match="tenantId 42"):
        Simulator(make_scenario(alarms=[{"alarmType": "x", "tenantId": 42}]))


def test_reset_restores_the_scenario_alarms(sim, api):
    control(sim, "POST", "/_sim/alarms", json={"alarmType": "extra", "tenantId": SALES_2})
    assert control(sim, "POST", "/_sim/reset").status_code == 200
    assert api.data("GET", ALARMS)["page"]["totalElements"] == 3
