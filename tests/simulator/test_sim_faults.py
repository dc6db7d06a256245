"""Fault injection: every action, rule matching, and rules from the scenario."""

from __future__ import annotations

import time

import pytest
import requests

from ocp_simulator import Simulator
from ocp_simulator.client import wait_until
from sim_testlib import OHAYO_2, STANDBY_CLUSTER, OcpClient, make_scenario

CLUSTERS = "/api/v2/ob/clusters"
FAILOVER_GLOB = "/api/v2/ob/clusters/*/tenants/failover"
FAILOVER_BODY = {"failoverTenantItemList": [{"tenantId": OHAYO_2}]}


def failover_path():
    return "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER


@pytest.mark.parametrize("status, code", [(401, "IAM10000"), (403, "IAM11000"), (404, "COM10002"), (409, "COM10000"),
                                          (500, "COM10000"), (502, "COM10000"), (503, "COM10000")])
def test_status_fault_answers_with_the_ocp_error_envelope(api, sim, status, code):
    sim.add_fault(method="GET", path=CLUSTERS, action="status", status=status, count=1)
    response = api.get(CLUSTERS)
    assert response.status_code == status
    body = response.json()
    assert body["successful"] is False and body["status"] == status and body["error"]["code"] == code
    assert api.get(CLUSTERS).status_code == 200  # count: 1


def test_status_fault_with_own_code_and_message(api, sim):
    sim.add_fault(method="*", path="/api/v2/*", action="status", status=500, code="OBE26017", message="Internal verification failed.")
    body = api.get(CLUSTERS).json()
    assert body["error"]["code"] == "OBE26017" and body["error"]["message"] == "Internal verification failed."


def test_429_has_rate_limit_headers(api, sim):
    sim.add_fault(method="GET", path=CLUSTERS, action="status", status=429, reset=3)
    response = api.get(CLUSTERS)
    assert response.status_code == 429
    assert response.headers["RateLimit-Limit"]
    assert response.headers["RateLimit-Remaining"] == "0"
    assert response.headers["RateLimit-Reset"] == "3"
    assert response.headers["Retry-After"] == "3"
    sim.clear_faults()
    sim.add_fault(method="GET", path=CLUSTERS, action="status", status=429)
    assert api.get(CLUSTERS).headers["RateLimit-Reset"] == "1"


def test_skip_count_and_method_matching(api, sim):
    sim.add_fault(method="GET", path=CLUSTERS, action="status", status=503, skip=1, count=2)
    assert [api.get(CLUSTERS).status_code for attempt in range(5)] == [200, 503, 503, 200, 200]
    sim.add_fault(method="POST", path=CLUSTERS, action="status", status=503)
    assert api.get(CLUSTERS).status_code == 200
    faults = sim.faults()
    assert (faults[0]["seen"], faults[0]["applied"]) == (3, 2)


def test_faults_apply_before_authentication(api, sim):
    sim.add_fault(path=CLUSTERS, action="status", status=502, count=1)
    assert api.get(CLUSTERS, auth=None).status_code == 502


def test_latency(api, sim):
    sim.add_fault(method="GET", path=CLUSTERS, action="latency", seconds=0.3, count=1)
    started = time.monotonic()
    response = api.get(CLUSTERS)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert sim.request_log()[-1]["fault"] == "latency"


def test_drop_closes_the_connection_and_does_not_apply_the_request(api, sim):
    sim.add_fault(method="POST", path=FAILOVER_GLOB, action="drop", count=1)
    with pytest.raises(requests.ConnectionError):
        api.post(failover_path(), json=FAILOVER_BODY)
    assert sim.state.tasks == {}
    entry = sim.request_log()[-1]
    assert (entry["status"], entry["fault"], entry["body"]) == (None, "drop", FAILOVER_BODY)
    assert api.post(failover_path(), json=FAILOVER_BODY).status_code == 200


def test_lost_response_drop_applies_the_request(api, sim):
    sim.add_fault(method="POST", path=FAILOVER_GLOB, action="lost_response", mode="drop", count=1)
    with pytest.raises(requests.ConnectionError):
        api.post(failover_path(), json=FAILOVER_BODY)
    tasks = list(sim.state.tasks.values())
    assert [task["tenantId"] for task in tasks] == [OHAYO_2]
    assert sim.request_log()[-1]["status"] is None
    # The client retrying blindly now hits the running task.
    assert api.post(failover_path(), json=FAILOVER_BODY).status_code == 409


def test_lost_response_delay_applies_the_request_but_the_client_times_out(api, sim):
    sim.add_fault(method="POST", path=FAILOVER_GLOB, action="lost_response", mode="delay", seconds=3, count=1)
    with pytest.raises(requests.Timeout):
        api.post(failover_path(), json=FAILOVER_BODY, timeout=0.5)
    wait_until(lambda: sim.state.tasks, message="the failover task to be created")
    assert [task["tenantId"] for task in sim.state.tasks.values()] == [OHAYO_2]


def test_lost_response_delay_eventually_sends_the_real_response(api, sim):
    sim.add_fault(method="GET", path=CLUSTERS, action="lost_response", mode="delay", seconds=0.2, count=1)
    response = api.get(CLUSTERS)
    assert response.status_code == 200 and response.json()["successful"] is True


def test_malformed_json(api, sim):
    sim.add_fault(method="GET", path=CLUSTERS, action="malformed_json", count=1)
    response = api.get(CLUSTERS)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        response.json()


@pytest.mark.parametrize("status", [None, 504])
def test_html_error_page(api, sim, status):
    rule = {"method": "GET", "path": CLUSTERS, "action": "html", "count": 1}
    if status:
        rule["status"] = status
    sim.add_fault(**rule)
    response = api.get(CLUSTERS)
    assert response.status_code == (status or 502)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text


def test_task_fail_only_for_its_tenant(api, sim):
    sim.add_fault(action="task_fail", subtask="Failover to primary tenant", tenantId=99)
    task_id = api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"]
    wait_until(lambda: api.task(task_id)["status"] == "SUCCESSFUL", message="the failover to succeed")


def test_faults_from_the_scenario_are_active_from_the_start():
    scenario = make_scenario(faults=[{"method": "GET", "path": CLUSTERS, "action": "status", "status": 503, "count": 1,
                                      "name": "ocp-down"}])
    with Simulator(scenario) as sim:
        api = OcpClient(sim.url)
        assert api.get(CLUSTERS).status_code == 503
        assert api.get(CLUSTERS).status_code == 200
        assert sim.request_log()[0]["fault"] == "ocp-down"


def test_fault_control_api(sim):
    response = requests.post(sim.url + "/_sim/faults", json={"path": CLUSTERS, "action": "status", "status": 500}, timeout=30)
    assert response.status_code == 200
    fault_id = response.json()["id"]
    listed = requests.get(sim.url + "/_sim/faults", timeout=30).json()["faults"]
    assert [(fault["id"], fault["action"], fault["status"]) for fault in listed] == [(fault_id, "status", 500)]
    for bad in ({"action": "explode"}, {"action": "status"}, {"action": "latency"}, {"action": "drop", "seconds": 1},
                {"action": "task_fail", "subtask": "No such subtask"}, {"action": "lost_response", "mode": "delay"}):
        response = requests.post(sim.url + "/_sim/faults", json=bad, timeout=30)
        assert response.status_code == 400, bad
        assert response.json()["error"]
    requests.delete(sim.url + "/_sim/faults", timeout=30).raise_for_status()
    assert requests.get(sim.url + "/_sim/faults", timeout=30).json()["faults"] == []


def test_add_fault_rejects_bad_rules(sim):
    with pytest.raises(ValueError):
        sim.add_fault(action="status", status=700)
