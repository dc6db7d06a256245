# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of oceanbase.ocp.ocp_failover_precheck with a stub OCP client."""

from __future__ import annotations

import threading
import time

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.oceanbase.ocp.plugins.module_utils import common
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.modules import ocp_failover_precheck
from ansible_collections.oceanbase.ocp.tests.unit.plugins.module_exit import ModuleExit, capture_module_exits

CONNECTION = {"api_url": "https://ocp.example.com:8080", "username": "admin", "password": "Adm1n-Secret!"}

# The sample response of OCP's "Perform a failover precheck" reference.
SAMPLE = {
    "checkResults": [{"errorCode": "OBE26107", "warning": False,
                      "errorMessage": "A failover is not allowed because the primary tenant can still be connected."}],
    "clusterId": 3000010,
    "clusterName": "OB424_A",
    "name": "ohayo_2",
    "primaryTenantServiceName": "SERVICE_C",
    "tenantId": 2000025,
    "valid": False,
}


def valid_result(tenant_id, **extra):
    result = {"checkResults": [], "clusterId": 1, "clusterName": "dr", "name": "t%d" % tenant_id,
              "primaryTenantServiceName": None, "syncScn": 1721727753000000000, "tenantId": tenant_id, "valid": True}
    result.update(extra)
    return result


# The server time of the sample answer ("timestamp": "2024-07-23T17:42:33.754+08:00"), as epoch seconds.
SAMPLE_ANSWERED_AT = 1721727753.754


class StubClient:
    """Answers prechecks from a dict of tenant ID -> raw result (or OcpApiError); records calls.

    Every answer carries the server time `answered_at` (None: the answer had none).
    """

    def __init__(self, answers, delay=0.0, answered_at=SAMPLE_ANSWERED_AT):
        self.answers = answers
        self.delay = delay
        self.answered_at = answered_at
        self.calls = []
        self.lock = threading.Lock()
        self.pool_size = None
        self.closed = False

    def failover_precheck_answer(self, cluster_id, tenant_id):
        with self.lock:
            self.calls.append((cluster_id, tenant_id))
        # Later tenants answer first, so the result order has to come from the request order.
        time.sleep(self.delay / max(1, tenant_id % 7))
        answer = self.answers[tenant_id]
        if isinstance(answer, Exception):
            raise answer
        return answer, self.answered_at

    def close(self):
        self.closed = True


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    capture_module_exits(monkeypatch)


@pytest.fixture
def stub(monkeypatch):
    """Install a StubClient as the module's OCP client: stub(answers, delay=0) -> the client."""
    def install(answers, delay=0.0, answered_at=SAMPLE_ANSWERED_AT):
        client = StubClient(answers, delay, answered_at)

        def factory(**kwargs):
            client.pool_size = kwargs.get("pool_size")
            assert kwargs["password"] == CONNECTION["password"]
            return client

        monkeypatch.setattr(common, "OcpClient", factory)
        return client
    return install


def run_module(args, check_mode=False):
    module_args = dict(CONNECTION, **args)
    if check_mode:
        module_args["_ansible_check_mode"] = True
    with patch_module_args(module_args):
        with pytest.raises(ModuleExit) as caught:
            ocp_failover_precheck.main()
    return caught.value


def test_single_tenant_shapes_the_ocp_result(stub):
    client = stub({2000025: SAMPLE})
    outcome = run_module({"cluster_id": 3000010, "tenant_id": 2000025})
    assert not outcome.failed
    assert outcome.result == {
        "changed": False,
        "cluster_id": 3000010,
        "valid": False,
        "prechecks": [{
            "tenant_id": 2000025,
            "name": "ohayo_2",
            "cluster_id": 3000010,
            "cluster_name": "OB424_A",
            "valid": False,
            "sync_scn": None,
            "sync_lag_seconds": None,
            "primary_tenant_service_name": "SERVICE_C",
            "errors": [{"error_code": "OBE26107",
                        "error_message": "A failover is not allowed because the primary tenant can still be connected."}],
            "warnings": [],
            "role": "STANDBY",
            "role_source": "precheck",
        }],
    }
    assert client.calls == [(3000010, 2000025)]
    assert client.closed


def test_warnings_are_split_from_errors(stub):
    warning = {"errorCode": "OBE26007", "errorMessage": "Log stream synchronization is abnormal.", "warning": True}
    stub({5: valid_result(5, checkResults=[warning])})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [5]})
    precheck = outcome.result["prechecks"][0]
    assert outcome.result["valid"] is True
    assert precheck["errors"] == []
    assert precheck["warnings"] == [{"error_code": "OBE26007", "error_message": "Log stream synchronization is abnormal."}]
    assert precheck["sync_scn"] == 1721727753000000000


def test_many_tenants_run_concurrently_and_keep_the_order_asked(stub):
    tenant_ids = list(range(50, 0, -1))
    client = stub({tenant_id: valid_result(tenant_id) for tenant_id in tenant_ids}, delay=0.5)
    started = time.monotonic()
    outcome = run_module({"cluster_id": 1, "tenant_ids": tenant_ids})
    elapsed = time.monotonic() - started
    assert [precheck["tenant_id"] for precheck in outcome.result["prechecks"]] == tenant_ids
    assert outcome.result["valid"] is True
    assert elapsed < 3, "50 prechecks must overlap, took %.1f s" % elapsed
    assert sorted(call[1] for call in client.calls) == sorted(tenant_ids)
    assert client.pool_size == 50


def test_max_concurrency_bounds_the_pool_and_the_workers(stub, monkeypatch):
    seen = {}
    real = ocp_failover_precheck.run_concurrently

    def spy(func, items, max_workers):
        seen["max_workers"] = max_workers
        return real(func, items, max_workers)

    monkeypatch.setattr(ocp_failover_precheck, "run_concurrently", spy)
    client = stub({tenant_id: valid_result(tenant_id) for tenant_id in range(1, 101)})
    run_module({"cluster_id": 1, "tenant_ids": list(range(1, 101)), "max_concurrency": 80})
    assert seen["max_workers"] == 80
    assert client.pool_size == 80


def test_the_pool_is_no_bigger_than_the_batch(stub):
    # A huge max_concurrency must not make the client build a huge connection pool for a few tenants.
    client = stub({1: valid_result(1), 2: valid_result(2)})
    run_module({"cluster_id": 1, "tenant_ids": [1, 2], "max_concurrency": 10000000})
    assert client.pool_size == 2


def test_valid_is_false_when_any_tenant_is_invalid(stub):
    stub({1: valid_result(1), 2: dict(SAMPLE, tenantId=2)})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2]})
    assert not outcome.failed
    assert outcome.result["valid"] is False
    assert [precheck["valid"] for precheck in outcome.result["prechecks"]] == [True, False]


def test_fail_on_invalid_names_every_invalid_tenant(stub):
    other = {"errorCode": "OBE26019", "errorMessage": "The primary tenant is alive.", "warning": False}
    stub({1: valid_result(1), 2: dict(SAMPLE, tenantId=2), 3: dict(SAMPLE, tenantId=3, name="sales", checkResults=[
        other, {"errorCode": "OBE26001", "errorMessage": "Log backup is not enabled.", "warning": False}])})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2, 3], "fail_on_invalid": True})
    assert outcome.failed
    assert outcome.result["msg"] == (
        "Failover precheck failed for 2 of 3 tenants: "
        "tenant 2 (ohayo_2): OBE26107 A failover is not allowed because the primary tenant can still be connected. | "
        "tenant 3 (sales): OBE26019 The primary tenant is alive.; OBE26001 Log backup is not enabled."
    )
    assert outcome.result["valid"] is False
    assert len(outcome.result["prechecks"]) == 3


def test_fail_on_invalid_passes_when_all_are_valid(stub):
    stub({1: valid_result(1)})
    outcome = run_module({"cluster_id": 1, "tenant_id": 1, "fail_on_invalid": True})
    assert not outcome.failed
    assert outcome.result["valid"] is True


def test_invalid_without_an_error_code_is_still_explained(stub):
    stub({1: valid_result(1, valid=False, name=None)})
    outcome = run_module({"cluster_id": 1, "tenant_id": 1, "fail_on_invalid": True})
    assert outcome.result["msg"] == (
        "Failover precheck failed for 1 of 1 tenants: tenant 1: OCP reported it invalid without an error code")


def test_check_mode_runs_the_precheck(stub):
    client = stub({1: valid_result(1)})
    outcome = run_module({"cluster_id": 1, "tenant_id": 1}, check_mode=True)
    assert not outcome.failed
    assert outcome.result["changed"] is False
    assert client.calls == [(1, 1)]


@pytest.mark.parametrize("args, message", [
    ({"cluster_id": 1, "tenant_ids": []}, "tenant_ids must list at least one tenant ID."),
    ({"cluster_id": 1, "tenant_ids": [3, 1, 3, 2, 1]}, "tenant_ids lists these tenant IDs more than once: 1, 3."),
    ({"cluster_id": 1, "tenant_ids": [1, 0, -4]}, "tenant_ids must be a positive integer ID, got 0, -4"),
    ({"cluster_id": 1, "tenant_id": -1}, "tenant_id must be a positive integer ID, got -1"),
    ({"cluster_id": 1, "tenant_id": True}, "tenant_id must be a positive integer ID, got True"),
    ({"cluster_id": 0, "tenant_id": 1}, "cluster_id must be a positive integer ID, got 0"),
    ({"cluster_id": 1, "tenant_id": 1, "max_concurrency": 0}, "max_concurrency must be at least 1, got 0."),
    ({"cluster_id": 1, "tenant_id": 1, "tenant_ids": [2]}, "parameters are mutually exclusive: tenant_id|tenant_ids"),
    ({"cluster_id": 1}, "one of the following is required: tenant_id, tenant_ids"),
    ({"cluster_id": 1, "tenant_ids": ["x"]}, "Elements value for option 'tenant_ids' is of type"),
])
def test_bad_parameters_fail_before_any_request(stub, args, message):
    client = stub({})
    outcome = run_module(args)
    assert outcome.failed
    assert message in outcome.result["msg"]
    assert client.calls == []


def test_an_ocp_error_fails_with_one_line(stub):
    error = OcpApiError("POST", "/api/v2/ob/clusters/1/tenants/9/failoverPreCheck", "Tenant not found in cluster",
                        status=404, code="OBE21002", trace_id="t1", hint="Check cluster_id/tenant_id.")
    stub({1: valid_result(1), 9: error})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 9]})
    assert outcome.failed
    assert outcome.result["msg"] == str(error)
    assert "\n" not in outcome.result["msg"]
    assert outcome.result["error"]["code"] == "OBE21002"
    assert "prechecks" not in outcome.result


def test_precheck_entry_tolerates_missing_fields():
    assert ocp_failover_precheck.precheck_entry(7, {}) == {
        "tenant_id": 7, "name": None, "cluster_id": None, "cluster_name": None, "valid": False, "sync_scn": None,
        "sync_lag_seconds": None, "primary_tenant_service_name": None, "errors": [], "warnings": [],
        "role": "STANDBY", "role_source": "precheck",
    }
    assert ocp_failover_precheck.precheck_entry(7, {"checkResults": None, "valid": True})["valid"] is True


# --- synchronization lag ----------------------------------------------------------------------------------------

FRESH_SCN = 1721727753000000000  # 0.754 s before SAMPLE_ANSWERED_AT
STALE_SCN = 1721724153000000000  # an hour earlier


@pytest.mark.parametrize("sync_scn, answered_at, expected", [
    (FRESH_SCN, SAMPLE_ANSWERED_AT, 0.754),
    (STALE_SCN, SAMPLE_ANSWERED_AT, 3600.754),
    (1721727753754000001, SAMPLE_ANSWERED_AT, 0.0),  # a hair ahead of OCP's clock: skew, not negative lag
    (1721727753123456789, 1721727754.0, 0.877),  # nanoseconds count, no float rounding of the SCN
    (str(FRESH_SCN), SAMPLE_ANSWERED_AT, 0.754),  # a Java long sent as a string
    (None, SAMPLE_ANSWERED_AT, None),
    (0, SAMPLE_ANSWERED_AT, None),
    (True, SAMPLE_ANSWERED_AT, None),
    (4611686018427387903, SAMPLE_ANSWERED_AT, None),  # OceanBase's SCN_MAX, far in the future
    (946684799 * 10 ** 9, SAMPLE_ANSWERED_AT, None),  # before 2000: not an SCN of a running standby
    (1721727753.5, SAMPLE_ANSWERED_AT, None),
    ("soon", SAMPLE_ANSWERED_AT, None),
    (FRESH_SCN, None, None),  # no server time: no lag rather than this host's clock
])
def test_sync_lag_seconds(sync_scn, answered_at, expected):
    assert ocp_failover_precheck.sync_lag_seconds(sync_scn, answered_at) == expected


def test_lag_of_a_fresh_and_a_stale_standby_and_of_one_without_sync_scn(stub):
    stub({1: valid_result(1, syncScn=FRESH_SCN), 2: valid_result(2, syncScn=STALE_SCN),
          3: valid_result(3, syncScn=None)})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2, 3]})
    assert [entry["sync_lag_seconds"] for entry in outcome.result["prechecks"]] == [0.754, 3600.754, None]
    assert outcome.result["valid"] is True, "without max_sync_lag_seconds the lag blocks nothing"


def test_max_sync_lag_seconds_refuses_a_standby_that_lags_more(stub):
    stub({1: valid_result(1, syncScn=FRESH_SCN), 2: valid_result(2, syncScn=STALE_SCN)})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2], "max_sync_lag_seconds": 30})
    fresh, stale = outcome.result["prechecks"]
    assert fresh["valid"] is True and fresh["errors"] == []
    assert stale["valid"] is False
    assert stale["errors"] == [{"error_code": "SYNC_LAG_TOO_HIGH", "error_message": (
        "The standby lags 3600.754 s behind its primary (syncScn 1721724153000000000), above max_sync_lag_seconds 30:"
        " a failover now would lose up to that much data.")}]
    assert outcome.result["valid"] is False
    assert not outcome.failed


def test_max_sync_lag_seconds_with_fail_on_invalid_names_the_lag(stub):
    stub({2: valid_result(2, syncScn=STALE_SCN)})
    outcome = run_module({"cluster_id": 1, "tenant_id": 2, "max_sync_lag_seconds": 60.5, "fail_on_invalid": True})
    assert outcome.failed
    assert "tenant 2 (t2): SYNC_LAG_TOO_HIGH The standby lags 3600.754 s" in outcome.result["msg"]
    assert "above max_sync_lag_seconds 60.5" in outcome.result["msg"]


def test_an_unknown_lag_fails_the_bound_closed(stub):
    stub({3: valid_result(3, syncScn=None)})
    outcome = run_module({"cluster_id": 1, "tenant_id": 3, "max_sync_lag_seconds": 30})
    [entry] = outcome.result["prechecks"]
    assert entry["valid"] is False
    assert [error["error_code"] for error in entry["errors"]] == ["SYNC_LAG_UNKNOWN"]
    assert "unset it to go on without the bound" in entry["errors"][0]["error_message"]


def test_an_answer_without_server_time_has_no_lag(stub):
    stub({1: valid_result(1, syncScn=FRESH_SCN)}, answered_at=None)
    outcome = run_module({"cluster_id": 1, "tenant_id": 1})
    assert outcome.result["prechecks"][0]["sync_lag_seconds"] is None


@pytest.mark.parametrize("bound", [-1, float("nan"), float("inf")])
def test_bad_max_sync_lag_seconds_fails_before_any_request(stub, bound):
    client = stub({})
    outcome = run_module({"cluster_id": 1, "tenant_id": 1, "max_sync_lag_seconds": bound})
    assert outcome.failed
    assert "max_sync_lag_seconds must be a number of seconds, zero or more" in outcome.result["msg"]
    assert client.calls == []


# --- tenants that are not standbys (OBE26013) ---------------------------------------------------------------------

NOT_STANDBY = {"errorCode": "OBE26013", "warning": False,
               "errorMessage": "The operation is not allowed because the tenant's role is PRIMARY."}


def test_obe26013_as_a_check_result_reports_the_role(stub):
    stub({1: valid_result(1), 2: valid_result(2, valid=False, syncScn=None, checkResults=[NOT_STANDBY])})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2], "max_sync_lag_seconds": 30})
    standby, primary = outcome.result["prechecks"]
    assert (standby["role"], standby["role_source"]) == ("STANDBY", "precheck")
    assert (primary["role"], primary["role_source"]) == ("PRIMARY", "precheck")
    assert primary["valid"] is False
    assert [error["error_code"] for error in primary["errors"]] == ["OBE26013"], "no lag error for a primary"
    assert not outcome.failed


def test_obe26013_as_an_error_answer_does_not_fail_the_module(stub):
    error = OcpApiError("POST", "/api/v2/ob/clusters/1/tenants/2/failoverPreCheck",
                        "The operation is not allowed because the tenant's role is PRIMARY.", status=400,
                        code="OBE26013", trace_id="t2")
    stub({1: valid_result(1), 2: error})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2], "max_sync_lag_seconds": 30})
    assert not outcome.failed
    assert outcome.result["valid"] is False
    assert outcome.result["prechecks"][1] == {
        "tenant_id": 2, "name": None, "cluster_id": 1, "cluster_name": None, "valid": False, "sync_scn": None,
        "sync_lag_seconds": None, "primary_tenant_service_name": None,
        "errors": [{"error_code": "OBE26013",
                    "error_message": "The operation is not allowed because the tenant's role is PRIMARY."}],
        "warnings": [], "role": "PRIMARY", "role_source": "precheck",
    }


def test_other_error_answers_still_fail_the_module(stub):
    error = OcpApiError("POST", "/x", "Internal verification in OceanBase failed.", status=500, code="OBE26017")
    stub({1: valid_result(1), 2: error})
    outcome = run_module({"cluster_id": 1, "tenant_ids": [1, 2]})
    assert outcome.failed
    assert "OBE26017" in outcome.result["msg"]
