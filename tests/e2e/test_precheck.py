"""oceanbase.ocp.ocp_failover_precheck end to end: the real module, run by ansible-playbook, against the simulator."""

from __future__ import annotations

import socket
import time

import pytest
from conftest import API_SHAPES, simulator_in_shape
from harness import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ADMIN_PASSWORD, ADMIN_USER, add_standby_batch, assert_clean_output

MODULE = "oceanbase.ocp.ocp_failover_precheck"
STANDBY_CLUSTER = 3000010
VALID = 2000025  # ohayo_2: its primary is down
PRIMARY_REACHABLE = 2000027  # billing_2: OBE26107
WARNING_ONLY = 2000028  # audit_2: OBE26007 warning, still valid
ALREADY_PRIMARY = 2000029  # reports: OBE26013
BATCH_SIZE = 30
BATCH_FIRST_ID = 2100001
BATCH_PRECHECK_SECONDS = 1.5


@pytest.fixture(params=sorted(API_SHAPES))
def api_shape(request):
    return request.param


@pytest.fixture
def simulator(scenario, api_shape):
    """Every test here runs against both forms of OCP (conftest.API_SHAPES), whatever scenario it brings."""
    with simulator_in_shape(scenario, api_shape) as sim:
        yield sim


def precheck(name, **args):
    return {"name": name, MODULE: dict({"cluster_id": STANDBY_CLUSTER}, **args)}


def precheck_posts(simulator):
    return [entry for entry in simulator.request_log()
            if entry["method"] == "POST" and entry["path"].endswith("/failoverPreCheck")]


def test_valid_invalid_and_warning_only_tenants(run_playbook, simulator):
    run = run_playbook([
        precheck("valid", tenant_id=VALID),
        precheck("invalid", tenant_id=PRIMARY_REACHABLE),
        precheck("warning only", tenant_ids=[WARNING_ONLY]),
    ])
    assert run.rc == 0, run.output
    assert_clean_output(run)

    valid = run.task("valid")
    assert valid["changed"] is False
    assert valid["valid"] is True
    [entry] = valid["prechecks"]
    # The sample's syncScn is 2024-07-23T09:42:33Z: this standby lags since then.
    lag = entry.pop("sync_lag_seconds")
    assert abs(lag - (time.time() - 1721727753)) < 120, lag
    assert entry == {
        "tenant_id": VALID, "name": "ohayo_2", "cluster_id": STANDBY_CLUSTER, "cluster_name": "OB424_A",
        "valid": True, "sync_scn": 1721727753000000000, "primary_tenant_service_name": "SERVICE_C",
        "errors": [], "warnings": [], "role": "STANDBY", "role_source": "precheck",
    }

    invalid = run.task("invalid")
    assert invalid["valid"] is False
    assert run.status("invalid") == "ok"
    [entry] = invalid["prechecks"]
    assert entry["valid"] is False
    assert [error["error_code"] for error in entry["errors"]] == ["OBE26107"]
    assert "primary tenant can still be connected" in entry["errors"][0]["error_message"]

    warning = run.task("warning only")
    assert warning["valid"] is True
    [entry] = warning["prechecks"]
    assert entry["errors"] == []
    assert entry["warnings"] == [{"error_code": "OBE26007",
                                  "error_message": "The log stream synchronization of the tenant is abnormal."}]


@pytest.fixture
def batch_scenario(scenario):
    """The default scenario plus BATCH_SIZE standbys of unreachable primaries, each precheck taking 1.5 s."""
    scenario["timing"]["precheck_seconds"] = BATCH_PRECHECK_SECONDS
    return add_standby_batch(scenario, BATCH_FIRST_ID, BATCH_SIZE, cluster_id=STANDBY_CLUSTER)


def test_a_batch_of_tenants_is_prechecked_concurrently(batch_scenario, run_playbook, simulator):
    # Ask in an order that is neither sorted nor the scenario's.
    tenant_ids = [BATCH_FIRST_ID + (index * 7) % BATCH_SIZE for index in range(BATCH_SIZE)]
    assert len(set(tenant_ids)) == BATCH_SIZE
    run = run_playbook([precheck("batch", tenant_ids=tenant_ids)])
    assert run.rc == 0, run.output

    result = run.task("batch")
    assert result["valid"] is True
    assert [entry["tenant_id"] for entry in result["prechecks"]] == tenant_ids
    assert [entry["name"] for entry in result["prechecks"]] == ["batch_%02d" % (tid - BATCH_FIRST_ID) for tid in tenant_ids]

    posts = precheck_posts(simulator)
    assert len(posts) == BATCH_SIZE
    arrivals = sorted(entry["time"] for entry in posts)
    # Every precheck arrived before the first one could have finished: they overlapped (serially: 45 s).
    assert arrivals[-1] - arrivals[0] < BATCH_PRECHECK_SECONDS, arrivals


def test_max_concurrency_bounds_the_overlap(batch_scenario, run_playbook, simulator):
    tenant_ids = [BATCH_FIRST_ID + index for index in range(6)]
    run = run_playbook([precheck("bounded", tenant_ids=tenant_ids, max_concurrency=3)])
    assert run.rc == 0, run.output
    arrivals = sorted(entry["time"] for entry in precheck_posts(simulator))
    # Two waves of three: the second starts only when the first is done.
    assert arrivals[2] - arrivals[0] < BATCH_PRECHECK_SECONDS
    assert arrivals[3] - arrivals[0] >= BATCH_PRECHECK_SECONDS * 0.9


def test_check_mode(run_playbook, simulator):
    run = run_playbook([precheck("check mode", tenant_id=PRIMARY_REACHABLE)], check=True, diff=True)
    assert run.rc == 0, run.output
    result = run.task("check mode")
    assert result["changed"] is False
    assert result["valid"] is False
    assert "diff" not in result
    assert len(precheck_posts(simulator)) == 1


def test_wrong_password(run_playbook, simulator):
    wrong = "Not-The-Password-42"
    run = run_playbook([precheck("wrong password", tenant_id=VALID, password=wrong)])
    assert run.rc != 0
    assert_clean_output(run, secrets=(ADMIN_PASSWORD, wrong))
    result = run.task("wrong password")
    assert run.status("wrong password") == "failed"
    assert "HTTP 401 IAM10004" in result["msg"]
    assert result["msg"].endswith("Check username/password (or OCP_USERNAME/OCP_PASSWORD).")
    assert "\n" not in result["msg"]
    assert result["error"]["status"] == 401
    assert len(precheck_posts(simulator)) == 1, "a 401 is not retried"


def test_access_key_authentication(run_playbook, simulator):
    run = run_playbook([precheck("aksk", tenant_ids=[VALID, WARNING_ONLY])], auth="aksk")
    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert run.task("aksk")["valid"] is True
    posts = precheck_posts(simulator)
    assert {(entry["auth"], entry["user"], entry["status"]) for entry in posts} == {("aksk", ACCESS_KEY_ID, 200)}


def test_connection_options_from_the_environment(run_playbook, simulator):
    env = {"OCP_API_URL": simulator.url, "OCP_ACCESS_KEY_ID": ACCESS_KEY_ID,
           "OCP_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET, "OCP_REQUEST_TIMEOUT": "20"}
    run = run_playbook([precheck("from env", tenant_id=VALID)], auth=None, env=env)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert run.task("from env")["valid"] is True


def test_a_read_only_user_lacks_permission(run_playbook, simulator):
    run = run_playbook([precheck("viewer", tenant_id=VALID, username="viewer", password="V1ewer-Secret!")])
    assert run.rc != 0
    assert_clean_output(run, secrets=("V1ewer-Secret!",))
    result = run.task("viewer")
    assert "HTTP 403" in result["msg"]
    assert "lacks permission" in result["msg"]


@pytest.mark.parametrize("cluster_id, tenant_id, hint", [
    (STANDBY_CLUSTER, 2999999, "OCP does not know this tenant in this cluster: check tenant_id"),
    (3999999, VALID, "OCP does not know this cluster: check cluster_id"),
], ids=["tenant", "cluster"])
def test_unknown_tenant_or_cluster(run_playbook, simulator, cluster_id, tenant_id, hint):
    run = run_playbook([{"name": "unknown", MODULE: {"cluster_id": cluster_id, "tenant_id": tenant_id}}])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("unknown")
    assert "failed: HTTP 404" in result["msg"]
    assert hint in result["msg"]
    other_hint = "check cluster_id" if "tenant" in hint else "check tenant_id"
    assert other_hint not in result["msg"], "one kind of 404, one hint"
    assert "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (cluster_id, tenant_id) in result["msg"]
    assert len(precheck_posts(simulator)) == 1, "a 404 is not retried"


def test_unknown_path_says_api_url_is_not_ocps_base_url(run_playbook, simulator):
    # A base URL with a path OCP does not serve (as behind a proxy with a wrong prefix): OCP answers 404 for the path.
    run = run_playbook([precheck("wrong base", tenant_id=VALID, api_url=simulator.url + "/ocp")])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("wrong base")
    assert "POST /api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck failed: HTTP 404" % (STANDBY_CLUSTER, VALID) \
        in result["msg"]
    assert "OCP does not know this API path: api_url is probably not OCP's base URL" in result["msg"]
    assert "check tenant_id" not in result["msg"] and "check cluster_id" not in result["msg"]


@pytest.mark.parametrize("suffix", ["/api/v2", "/api/v2/", "/api"])
def test_api_url_ending_in_the_api_prefix_is_refused_before_any_request(run_playbook, simulator, suffix):
    run = run_playbook([precheck("api prefix", tenant_id=VALID, api_url=simulator.url + suffix)])
    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("api prefix")["msg"]
    assert "api_url must not end in %s" % suffix.rstrip("/") in message
    assert "give OCP's base URL, e.g. https://ocp.example.com:8080" in message
    assert simulator.request_log() == []


FRESH = 2100101  # synchronized two seconds before the scenario was built
STALE = 2100102  # an hour behind
NO_SCN = 2100103  # OCP sends no syncScn


@pytest.fixture
def lag_scenario(scenario):
    now_ns = time.time_ns()
    for tenant_id, name, sync_scn in ((FRESH, "fresh", now_ns - 2 * 10 ** 9), (STALE, "stale", now_ns - 3600 * 10 ** 9),
                                      (NO_SCN, "no_scn", None)):
        scenario["tenants"].append({"id": tenant_id, "name": name, "clusterId": STANDBY_CLUSTER, "tenantRole": "STANDBY",
                                    "primaryTenantId": 1001, "primaryClusterId": 3000001, "status": "NORMAL",
                                    "syncScn": sync_scn})
    return scenario


def test_sync_lag_of_a_fresh_and_a_stale_standby_and_without_sync_scn(lag_scenario, run_playbook, simulator):
    started = time.time()
    run = run_playbook([precheck("lag", tenant_ids=[FRESH, STALE, NO_SCN])])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    fresh, stale, no_scn = run.task("lag")["prechecks"]
    elapsed = time.time() - started  # the lag grows while the test runs: the simulator's syncScn stands still
    assert 2 <= fresh["sync_lag_seconds"] <= 2 + elapsed + 60, fresh
    assert 3600 <= stale["sync_lag_seconds"] <= 3600 + elapsed + 60, stale
    assert no_scn["sync_scn"] is None and no_scn["sync_lag_seconds"] is None
    assert run.task("lag")["valid"] is True, "without max_sync_lag_seconds the lag blocks nothing"


def test_max_sync_lag_seconds_blocks_a_stale_standby(lag_scenario, run_playbook, simulator):
    run = run_playbook([precheck("bounded", tenant_ids=[FRESH, STALE], max_sync_lag_seconds=300),
                        precheck("strict", tenant_ids=[FRESH, STALE], max_sync_lag_seconds=300, fail_on_invalid=True)])
    assert run.rc != 0
    assert_clean_output(run)
    bounded = run.task("bounded")
    assert run.status("bounded") == "ok"
    assert bounded["valid"] is False
    fresh, stale = bounded["prechecks"]
    assert fresh["valid"] is True and fresh["errors"] == []
    assert stale["valid"] is False
    [error] = stale["errors"]
    assert error["error_code"] == "SYNC_LAG_TOO_HIGH"
    assert "above max_sync_lag_seconds 300" in error["error_message"]
    assert "lags %.3f s behind" % stale["sync_lag_seconds"] in error["error_message"]
    strict = run.task("strict")
    assert strict["msg"].startswith("Failover precheck failed for 1 of 2 tenants: tenant %d (stale): SYNC_LAG_TOO_HIGH"
                                    % STALE)


def test_a_tenant_that_is_not_a_standby_is_reported_with_its_role(run_playbook, simulator):
    run = run_playbook([precheck("roles", tenant_ids=[VALID, ALREADY_PRIMARY], max_sync_lag_seconds=1e9)])
    assert run.rc == 0, run.output
    standby, primary = run.task("roles")["prechecks"]
    assert (standby["role"], standby["role_source"], standby["valid"]) == ("STANDBY", "precheck", True)
    assert (primary["role"], primary["role_source"], primary["valid"]) == ("PRIMARY", "precheck", False)
    assert [error["error_code"] for error in primary["errors"]] == ["OBE26013"]


def test_transient_503s_are_absorbed_by_retries(run_playbook, simulator):
    simulator.add_fault(method="POST", path="*/failoverPreCheck", action="status", status=503, count=2)
    run = run_playbook([precheck("flaky", tenant_id=VALID)])
    assert run.rc == 0, run.output
    assert run.task("flaky")["valid"] is True
    assert [entry["status"] for entry in precheck_posts(simulator)] == [503, 503, 200]


def test_rate_limiting_is_absorbed(run_playbook, simulator):
    simulator.add_fault(method="POST", path="*/failoverPreCheck", action="status", status=429, count=1, reset=1)
    run = run_playbook([precheck("throttled", tenant_id=VALID)])
    assert run.rc == 0, run.output
    posts = precheck_posts(simulator)
    assert [entry["status"] for entry in posts] == [429, 200]
    assert posts[1]["time"] - posts[0]["time"] >= 0.9


def test_an_html_error_page(run_playbook, simulator):
    simulator.add_fault(method="POST", path="*/failoverPreCheck", action="html", status=502)
    run = run_playbook([precheck("proxy page", tenant_id=VALID)])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("proxy page")
    assert "HTTP 502" in result["msg"]
    assert "got an HTML page ('502 Bad Gateway')" in result["msg"]
    assert "api_url points at OCP itself" in result["msg"]
    assert len(precheck_posts(simulator)) == 5, "502 is retried (4 retries) before giving up"


def test_fail_on_invalid_names_every_invalid_tenant(run_playbook, simulator):
    run = run_playbook([precheck("strict", tenant_ids=[VALID, PRIMARY_REACHABLE, ALREADY_PRIMARY],
                                 fail_on_invalid=True)])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("strict")
    assert result["msg"].startswith("Failover precheck failed for 2 of 3 tenants: ")
    assert ("tenant 2000027 (billing_2): OBE26107 A failover is not allowed because the primary tenant can still be "
            "connected.") in result["msg"]
    assert "tenant 2000029 (reports): OBE26013" in result["msg"]
    assert "2000025" not in result["msg"]
    assert [entry["valid"] for entry in result["prechecks"]] == [True, False, False]
    assert result["valid"] is False


def test_bad_tenant_ids_fail_before_any_request(run_playbook, simulator):
    run = run_playbook([precheck("duplicates", tenant_ids=[VALID, VALID])])
    assert run.rc != 0
    assert "tenant_ids lists these tenant IDs more than once: 2000025." in run.task("duplicates")["msg"]
    assert simulator.request_log() == []


def test_unreachable_url(run_playbook, simulator):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    run = run_playbook([precheck("unreachable", tenant_id=VALID, api_url=closed_url)])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("unreachable")
    assert "could not connect to %s" % closed_url in result["msg"]
    assert "Check api_url and the network" in result["msg"]
    assert "\n" not in result["msg"]


def test_api_url_without_scheme(run_playbook, simulator):
    run = run_playbook([precheck("no scheme", tenant_id=VALID, api_url=simulator.url.replace("http://", ""))])
    assert run.rc != 0
    assert "api_url must be OCP's base URL starting with http:// or https://" in run.task("no scheme")["msg"]
    assert simulator.request_log() == []


def test_admin_user_is_the_default_credential(run_playbook, simulator):
    run_playbook([precheck("basic", tenant_id=VALID)])
    assert {(entry["auth"], entry["user"]) for entry in precheck_posts(simulator)} == {("basic", ADMIN_USER)}


@pytest.mark.parametrize("form", ["check_result", "http_error"])
def test_obe26013_in_either_form_reports_the_role_without_failing(scenario, simulator, run_playbook, form):
    # OCP's docs do not settle whether a tenant of the wrong role is refused in checkResults or with an HTTP error.
    simulator.state.patch_options({"precheck_role_error": form})
    run = run_playbook([precheck("either form", tenant_ids=[VALID, ALREADY_PRIMARY])])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    standby, primary = run.task("either form")["prechecks"]
    assert standby["role"] == "STANDBY" and standby["valid"] is True
    assert (primary["tenant_id"], primary["role"], primary["role_source"], primary["valid"]) == (
        ALREADY_PRIMARY, "PRIMARY", "precheck", False)
    assert [error["error_code"] for error in primary["errors"]] == ["OBE26013"]
    statuses = sorted(r["status"] for r in precheck_posts(simulator))
    assert statuses == ([200, 200] if form == "check_result" else [200, 400])


# ----- batch: true, OCP's batch failover precheck first

BATCH_PRECHECK_PATH = "/api/v2/ob/clusters/%d/tenants/failoverPreCheck" % STANDBY_CLUSTER
ASKED = [PRIMARY_REACHABLE, VALID, WARNING_ONLY, ALREADY_PRIMARY]


def without_lag(prechecks):
    """The prechecks without what moves with the clock (a standby's syncScn follows it a few seconds behind)."""
    return [dict((key, value) for key, value in entry.items() if key not in ("sync_lag_seconds", "sync_scn"))
            for entry in prechecks]


@pytest.mark.parametrize("answer", ["single", "list"], ids=["documented-one-result", "assumed-list"])
def test_batch_asks_the_batch_endpoint_then_the_rest_one_by_one(run_playbook, simulator, answer):
    simulator.state.patch_options({"batch_precheck_answer": answer})
    run = run_playbook([precheck("one by one", tenant_ids=ASKED), precheck("batch", tenant_ids=ASKED, batch=True)])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    one_by_one, batch = run.task("one by one"), run.task("batch")
    # the same results, in the order asked, whichever way they were read
    assert without_lag(batch["prechecks"]) == without_lag(one_by_one["prechecks"])
    assert [entry["tenant_id"] for entry in batch["prechecks"]] == ASKED
    assert (batch["valid"], one_by_one["valid"]) == (False, False)
    assert "batch_prechecked" not in one_by_one
    posts = [entry["path"] for entry in precheck_posts(simulator)][len(ASKED):]  # the batch task's requests
    assert posts[0] == BATCH_PRECHECK_PATH and posts.count(BATCH_PRECHECK_PATH) == 1
    if answer == "single":  # as documented: one tenant's result (the cluster's first standby), the rest on their own
        assert batch["batch_prechecked"] == [VALID]
        assert sorted(posts[1:]) == sorted("/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, t)
                                           for t in ASKED if t != VALID)
    else:  # every standby listed: only the tenant that is not a standby is prechecked on its own
        assert batch["batch_prechecked"] == [PRIMARY_REACHABLE, VALID, WARNING_ONLY]
        assert posts[1:] == ["/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, ALREADY_PRIMARY)]


def test_batch_falls_back_to_one_by_one_when_the_endpoint_fails(run_playbook, simulator):
    simulator.add_fault(method="POST", path=BATCH_PRECHECK_PATH, action="status", status=404)
    run = run_playbook([precheck("batch", tenant_ids=[VALID, WARNING_ONLY], batch=True)])
    assert run.rc == 0, run.output
    result = run.task("batch")
    assert result["batch_prechecked"] == [] and result["valid"] is True
    assert "every tenant is prechecked on its own" in run.output
    assert len(precheck_posts(simulator)) == 3
