"""The simulator as a server: request log, control API, stop/start, scenarios, command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests

from ocp_simulator import Simulator, load_scenario
from ocp_simulator.client import wait_until
from ocp_simulator.scenario import SCENARIO_DIR
from sim_testlib import ADMIN, OHAYO_2, SALES_2, STANDBY_CLUSTER, OcpClient, make_scenario

CLUSTERS = "/api/v2/ob/clusters"
TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def control(sim, method, path, **kwargs):
    response = requests.request(method, sim.url + path, timeout=30, **kwargs)
    response.raise_for_status()
    return response.json()


# ----- request log

def test_request_log_entries(api, sim):
    api.get(CLUSTERS, params={"size": 5, "sort": ["name,asc", "id,desc"]})
    api.post("/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER, data="not json",
             headers={"Content-Type": "application/json"})
    requests.get(sim.url + "/_sim/state", timeout=30)  # control calls are not logged
    entries = control(sim, "GET", "/_sim/requests")["requests"]
    assert entries == sim.request_log()
    first, second = entries
    assert set(first) == {"seq", "time", "method", "path", "query", "body", "status", "auth", "user", "fault"}
    assert (first["seq"], first["method"], first["path"], first["status"]) == (1, "GET", CLUSTERS, 200)
    assert first["query"] == {"size": ["5"], "sort": ["name,asc", "id,desc"]}
    assert first["body"] is None and first["fault"] is None
    assert (first["auth"], first["user"]) == ("basic", "admin")
    assert isinstance(first["time"], float)
    assert (second["seq"], second["status"], second["body"]) == (2, 400, "not json")
    control(sim, "DELETE", "/_sim/requests")
    assert sim.request_log() == []
    api.get(CLUSTERS)
    sim.clear_request_log()
    assert sim.request_log() == []


# ----- control API

def test_state_dump_and_tenant_patch(api, sim):
    state = control(sim, "GET", "/_sim/state")
    assert {"clusters", "tenants", "tasks", "timing", "options"} == set(state)
    assert len(state["clusters"]) == 2 and len(state["tenants"]) == 9 and state["tasks"] == []
    patched = control(sim, "PATCH", "/_sim/tenants/%d" % OHAYO_2, json={"tenantRole": "PRIMARY", "primaryTenantId": None})
    assert patched["tenantRole"] == "PRIMARY"
    assert api.failover(STANDBY_CLUSTER, OHAYO_2).status_code == 400
    assert requests.patch(sim.url + "/_sim/tenants/1", json={"tenantRole": "PRIMARY"}, timeout=30).status_code == 404
    assert requests.patch(sim.url + "/_sim/tenants/%d" % OHAYO_2, json={"noSuchField": 1}, timeout=30).status_code == 400


def test_reset_to_the_start_scenario_or_a_new_one(api, sim):
    api.failover(STANDBY_CLUSTER, OHAYO_2)
    sim.add_fault(path="/nowhere", action="drop")
    control(sim, "POST", "/_sim/reset")
    assert sim.state.tasks == {} and sim.request_log() == [] and sim.faults() == []
    assert api.failover(STANDBY_CLUSTER, OHAYO_2).json()["data"]["contents"][0]["id"] == 12022226  # ids start over
    other = make_scenario(clusters=[{"id": 7, "name": "solo"}], tenants=[])
    control(sim, "POST", "/_sim/reset", json=other)
    assert [cluster["name"] for cluster in api.data("GET", CLUSTERS)["contents"]] == ["solo"]
    assert requests.post(sim.url + "/_sim/reset", json={"bogus": 1}, timeout=30).status_code == 400


# ----- lifecycle

def test_stop_and_start_keep_port_and_state(api, sim):
    url = sim.url
    task_id = api.failover(STANDBY_CLUSTER, SALES_2).json()["data"]["contents"][0]["id"]
    sim.stop()
    with pytest.raises(requests.ConnectionError):
        api.get(CLUSTERS)
    sim.start()
    assert sim.url == url
    # The task kept running while the server was down, as OCP's would.
    wait_until(lambda: api.task(task_id)["status"] == "SUCCESSFUL", message="the failover to succeed")
    # The log survived too; the refused call never reached the server.
    paths = [entry["path"] for entry in sim.request_log()]
    assert paths[0] == "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER
    assert CLUSTERS not in paths


def test_context_manager_and_default_scenario():
    with Simulator() as sim:
        assert sim.running
        assert OcpClient(sim.url).get(CLUSTERS).status_code == 200
    assert not sim.running


def test_a_taken_port_is_an_os_error(sim):
    with pytest.raises(OSError):
        Simulator(port=sim.port).start()


# ----- scenarios

def test_scenario_files_load(tmp_path):
    demo = load_scenario(os.path.join(SCENARIO_DIR, "demo.yml"))
    standbys = [tenant for tenant in demo["tenants"] if tenant["tenantRole"] == "STANDBY"]
    primaries = [tenant for tenant in demo["tenants"] if tenant["tenantRole"] == "PRIMARY"]
    assert len(demo["clusters"]) == 2 and len(standbys) == 3
    assert len({tenant["clusterId"] for tenant in standbys}) == 1
    assert not any(tenant["reachable"] for tenant in primaries)
    assert sum(1 for tenant in standbys if tenant["warnings"]) == 1
    assert demo["timing"]["subtask_seconds"] == 0.5

    default = load_scenario(os.path.join(SCENARIO_DIR, "default.yml"))
    assert {"username": "admin", "password": "Adm1n-Secret!", "permissions": ["read", "write"]} in default["users"]
    assert {user["username"]: user["permissions"] for user in default["users"]}["viewer"] == ["read"]
    assert {"access_key_id": "AKEXAMPLE0001", "access_key_secret": "SKexample-secret-0001", "username": "admin"} in default["access_keys"]

    as_json = tmp_path / "scenario.json"
    as_json.write_text(json.dumps(make_scenario()))
    assert len(load_scenario(str(as_json))["tenants"]) == 9
    assert load_scenario(default) == default  # a loaded scenario loads again unchanged


@pytest.mark.parametrize("broken, complaint", [
    ({"nonsense": 1}, "nonsense"),
    ({"tenants": [{"id": 1, "name": "t", "clusterId": 404}]}, "unknown cluster"),
    ({"users": [{"username": "u"}]}, "password"),
    ({"access_keys": [{"access_key_id": "a", "access_key_secret": "s", "username": "ghost"}]}, "ghost"),
    ({"timing": {"subtask_seconds_by_name": {"Nope": 1}}}, "Nope"),
    ({"faults": [{"action": "explode"}]}, "explode"),
])
def test_broken_scenarios_are_refused(broken, complaint):
    with pytest.raises(ValueError, match=complaint):
        load_scenario(broken)


def test_scenario_errors_never_show_passwords():
    with pytest.raises(ValueError) as raised:
        load_scenario({"users": [{"password": "Sup3r-Secret"}]})
    assert "Sup3r-Secret" not in str(raised.value)


# ----- command line

def start_cli(tmp_path, *extra):
    port_file = tmp_path / "url"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    process = subprocess.Popen(
        [sys.executable, "-m", "ocp_simulator", "--scenario", os.path.join(SCENARIO_DIR, "default.yml"),
         "--port", "0", "--port-file", str(port_file)] + list(extra),
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: port_file.exists() or process.poll() is not None, message="the simulator to write its port file")
    assert process.poll() is None, process.communicate()
    return process, port_file.read_text().strip()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_until_signalled(tmp_path, stop_signal):
    process, url = start_cli(tmp_path)
    try:
        assert url.startswith("http://127.0.0.1:")
        response = requests.get(url + CLUSTERS, auth=ADMIN, timeout=30)
        assert response.status_code == 200
        process.send_signal(stop_signal)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout.splitlines()[0] == "OCP simulator listening on %s" % url
    assert "Traceback" not in stderr


def test_cli_refuses_a_broken_scenario(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("nonsense: 1\n")
    result = subprocess.run([sys.executable, "-m", "ocp_simulator", "--scenario", str(broken)], env=dict(os.environ, PYTHONPATH=TESTS_DIR),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "nonsense" in result.stderr
