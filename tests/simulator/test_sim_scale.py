"""The model stays fast at scale: 5000 tenants, 2000 seeded tasks, a 1000-tenant batch failover.

Run with -s to see the figures. The bounds are generous (a shared 2-core machine); typical figures
are a few tens of milliseconds.
"""

from __future__ import annotations

import statistics
import time

import pytest
import requests

from ocp_simulator import Simulator
from sim_testlib import ADMIN

PAIRS = 2500  # 5000 tenants
HISTORY = 2000
BATCH = 1000
BOUND_SECONDS = 5.0


def big_scenario():
    tenants = []
    for index in range(PAIRS):
        tenants.append({"id": 10000 + index, "name": "p%05d" % index, "clusterId": 1, "tenantRole": "PRIMARY", "reachable": False})
        tenants.append({"id": 20000 + index, "name": "s%05d" % index, "clusterId": 2, "tenantRole": "STANDBY",
                        "primaryTenantId": 10000 + index, "syncLagSeconds": 1.0})
    history = [{"name": "Failover tenant", "clusterId": 2, "tenantId": 20000 + index % PAIRS, "status": "SUCCESSFUL",
                "ageSeconds": 100000 - index} for index in range(HISTORY)]
    return {"users": [{"username": "admin", "password": ADMIN[1]}], "clusters": [{"id": 1, "name": "P"}, {"id": 2, "name": "A"}],
            "tenants": tenants, "tasks": history, "timing": {"subtask_seconds": 600, "precheck_seconds": 0}}


@pytest.fixture(scope="module")
def big():
    simulator = Simulator(big_scenario()).start()
    session = requests.Session()
    session.auth = ADMIN
    yield simulator, session
    simulator.stop()


def timed(call, repeat=1):
    times = []
    for attempt in range(repeat):
        started = time.perf_counter()
        response = call()
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text[:500]
    return statistics.median(times), response


def test_scale(big):
    sim, session = big
    body = {"failoverTenantItemList": [{"tenantId": 20000 + index} for index in range(BATCH)]}
    post_seconds, response = timed(lambda: session.post(sim.url + "/api/v2/ob/clusters/2/tenants/failover", json=body, timeout=120))
    assert len(response.json()["data"]["contents"]) == BATCH
    tasks_seconds, response = timed(lambda: session.get(sim.url + "/api/v2/tasks/instances", params={"size": 2000}, timeout=120), 3)
    page = response.json()["data"]
    assert page["page"]["totalElements"] == BATCH + HISTORY and len(page["contents"]) == 2000
    assert [task["status"] for task in page["contents"][:BATCH]] == ["RUNNING"] * BATCH
    tenants_seconds, response = timed(lambda: session.get(sim.url + "/api/v2/ob/tenants", params={"size": 2000}, timeout=120), 3)
    assert response.json()["data"]["page"]["totalElements"] == 2 * PAIRS
    detail_seconds, _response = timed(lambda: session.get(sim.url + "/api/v2/tasks/instances/12022226", timeout=120), 3)
    model = sim.model
    started = time.perf_counter()
    for attempt in range(1000):
        model.refresh()
    refresh_seconds = (time.perf_counter() - started) / 1000
    print("\nscale: %d tenants, %d seeded tasks" % (2 * PAIRS, HISTORY))
    print("  batch failover POST of %d tenants: %.3f s" % (BATCH, post_seconds))
    print("  task list page of 2000 (of %d tasks, %d running): %.3f s (median of 3)" % (BATCH + HISTORY, BATCH, tasks_seconds))
    print("  tenant list page of 2000 (of %d): %.3f s (median of 3)" % (2 * PAIRS, tenants_seconds))
    print("  task detail: %.4f s; refresh() with nothing due: %.1f us" % (detail_seconds, refresh_seconds * 1e6))
    assert max(post_seconds, tasks_seconds, tenants_seconds) < BOUND_SECONDS
    assert refresh_seconds < 0.001  # settled and pending tasks cost nothing until an event is due
    # A second batch for the same tenants conflicts: all or nothing, no task added.
    response = session.post(sim.url + "/api/v2/ob/clusters/2/tenants/failover", json=body, timeout=120)
    assert response.status_code == 409
    assert len(sim.state.tasks) == BATCH + HISTORY
