# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the switchover operation (module_utils/switchover.py) on the role-change engine, against the unit
tests' FakeOcp (doubles.py) in both task shapes; and of the pieces the switchover modules add (sync lag, precheck
shaping)."""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.client import SWITCHOVER_PATH, iso_epoch, server_time
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import RoleChangeRun
from ansible_collections.oceanbase.ocp.plugins.module_utils.switchover import SWITCHOVER, pair_problems, validate_request
from ansible_collections.oceanbase.ocp.plugins.module_utils.sync_lag import sync_lag_seconds
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    FAILOVER_TASK_NAME,
    NO_EVIDENCE,
    SOURCE_NONE,
    SOURCE_PRECHECK,
    SOURCE_TASKS,
    SOURCE_TENANT,
    SWITCHOVER_TASK_NAME,
    RoleEvidence,
)
from ansible_collections.oceanbase.ocp.plugins.modules.ocp_switchover_precheck import precheck_entry, standby_result
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import (
    CLUSTER_ID,
    OTHER_CLUSTER_ID,
    FakeOcp,
    Then,
    lost_answer,
)

PRIMARY_CLUSTER, STANDBY_CLUSTER = OTHER_CLUSTER_ID, CLUSTER_ID
P, S = 101, 201          # a primary of PRIMARY_CLUSTER and its standby in STANDBY_CLUSTER
P2, S2 = 102, 202


def pair(primary, standby):
    return {"tenant_id": primary, "standby_tenant_id": standby}


def run(ocp, pairs, cluster_id=PRIMARY_CLUSTER, **options):
    options.setdefault("wait_timeout", 60)
    return RoleChangeRun(SWITCHOVER, ocp, cluster_id, pairs, clock=ocp.clock, sleep=ocp.clock.sleep, **options).run()


@pytest.fixture(params=["nested", "flat"])
def ocp(request):
    fake = FakeOcp(shape=request.param)
    for primary, standby in ((P, S), (P2, S2)):
        fake.add_tenant(primary, role="PRIMARY", name="t%d" % primary, cluster_id=PRIMARY_CLUSTER)
        fake.add_tenant(standby, role="STANDBY", name="t%d" % standby, cluster_id=STANDBY_CLUSTER)
    return fake


def posts(ocp):
    return [(call.args[0], call.args[1]) for call in ocp.calls_to("switchover")]


def prechecks(ocp):
    return [call.args for call in ocp.calls_to("failover_precheck")]


def summary(result):
    return [(entry["action"], entry["role_before"], entry["standby_role_before"], entry["role_after"],
             entry["standby_role_after"]) for entry in result["pairs"]]


class TestRun:
    def test_one_batch_post_swaps_both_pairs(self, ocp):
        changed, result, diff = run(ocp, [pair(P, S), pair(P2, S2)])
        assert changed is True
        assert posts(ocp) == [(PRIMARY_CLUSTER, [{"tenantId": P, "standbyTenantId": S},
                                                 {"tenantId": P2, "standbyTenantId": S2}])]
        assert summary(result) == [("switched_over", "PRIMARY", "STANDBY", "STANDBY", "PRIMARY")] * 2
        # no role field and no history: each tenant's failover precheck, in the tenant's own cluster, decided
        assert result["pairs"][0]["role_source"] == result["pairs"][0]["standby_role_source"] == SOURCE_PRECHECK
        assert (STANDBY_CLUSTER, S) in prechecks(ocp) and (PRIMARY_CLUSTER, P) in prechecks(ocp)
        assert [task["status"] for task in result["tasks"]] == ["SUCCESSFUL", "SUCCESSFUL"]
        assert [entry["task_id"] for entry in result["pairs"]] == [task["id"] for task in result["tasks"]]
        assert diff["before"]["pairs"] == [{"tenant_id": P, "name": "t101", "role": "PRIMARY"},
                                           {"tenant_id": S, "name": "t201", "role": "STANDBY"},
                                           {"tenant_id": P2, "name": "t102", "role": "PRIMARY"},
                                           {"tenant_id": S2, "name": "t202", "role": "STANDBY"}]
        assert [entry["role"] for entry in diff["after"]["pairs"]] == ["STANDBY", "PRIMARY"] * 2

    def test_rerun_is_already_switched_from_the_task_history(self, ocp):
        run(ocp, [pair(P, S)])
        ocp.calls = []
        changed, result, dummy = run(ocp, [pair(P, S)])
        assert changed is False and posts(ocp) == []
        assert summary(result) == [("already_switched", "STANDBY", "PRIMARY", "STANDBY", "PRIMARY")]
        assert result["pairs"][0]["role_source"] == SOURCE_TASKS
        assert prechecks(ocp) == []

    def test_switch_back_then_the_next_drill_switches_over_again(self, ocp):
        run(ocp, [pair(P, S)])
        changed, back, dummy = run(ocp, [pair(S, P)], cluster_id=STANDBY_CLUSTER)
        assert changed is True and summary(back) == [("switched_over", "PRIMARY", "STANDBY", "STANDBY", "PRIMARY")]
        assert (ocp.role(P), ocp.role(S)) == ("PRIMARY", "STANDBY")
        # P's own latest task still says STANDBY; S's newer switch back outweighs it
        changed, again, dummy = run(ocp, [pair(P, S)])
        assert changed is True
        assert summary(again) == [("switched_over", "PRIMARY", "STANDBY", "STANDBY", "PRIMARY")]
        assert len(posts(ocp)) == 3

    def test_check_mode_sends_nothing(self, ocp):
        changed, result, diff = run(ocp, [pair(P, S)], check_mode=True)
        assert changed is True and ocp.writes() == []
        assert summary(result) == [("would_switch_over", "PRIMARY", "STANDBY", "STANDBY", "PRIMARY")]
        assert result["tasks"] == []

    def test_a_running_task_is_attached_to_not_submitted_again(self, ocp):
        task_id = ocp.add_task(P, name=SWITCHOVER_TASK_NAME, standby_id=S, seconds=3.0)
        changed, result, dummy = run(ocp, [pair(P, S)])
        assert changed is True and ocp.writes() == []
        [entry] = result["pairs"]
        assert (entry["action"], entry["task_id"], entry["task_status"]) == ("attached_to_running_task", task_id,
                                                                             "SUCCESSFUL")
        assert (entry["role_after"], entry["standby_role_after"]) == ("STANDBY", "PRIMARY")

    def test_a_lost_answer_is_followed_and_never_resubmitted(self, ocp):
        ocp.script("switchover", Then(lost_answer(path=SWITCHOVER_PATH % PRIMARY_CLUSTER)))
        changed, result, dummy = run(ocp, [pair(P, S)])
        assert len(posts(ocp)) == 1
        assert changed is True and result["pairs"][0]["task_status"] == "SUCCESSFUL"

    def test_a_failed_subtask_is_named_with_its_log(self, ocp):
        ocp.fail_next_task(P, "Switchover check", message="ErrorCode = 4179, Operation not allowed now")
        with pytest.raises(RunFailure) as failure:
            run(ocp, [pair(P, S)])
        message = failure.value.message
        [task] = ocp.tasks_of(P)
        assert "task %d FAILED at subtask 'Switchover check'" % task.id in message
        assert "ErrorCode = 4179" in message and failure.value.changed is True
        [entry] = failure.value.result["pairs"]
        assert entry["failed_subtask"]["name"] == "Switchover check"

    def test_a_half_done_task_stops_naming_the_role_variable_or_is_retried(self, ocp):
        ocp.fail_next_task(P, "Update tenant info")
        with pytest.raises(RunFailure):
            run(ocp, [pair(P, S)])
        assert (ocp.role(P), ocp.role(S)) == ("STANDBY", "PRIMARY")
        with pytest.raises(RunFailure) as stopped:
            run(ocp, [pair(P, S)])
        assert "retry_failed_tasks: true (role variable tenant_switchover_retry_failed_tasks)" in stopped.value.message
        changed, result, dummy = run(ocp, [pair(P, S)], retry_failed_tasks=True)
        assert result["pairs"][0]["action"] == "retried_failed_task" and result["pairs"][0]["task_status"] == "SUCCESSFUL"
        assert len(posts(ocp)) == 1 and len(ocp.calls_to("retry_task")) == 1

    def test_roles_reported_by_the_tenant_win_and_are_confirmed_in_both_clusters(self):
        ocp = FakeOcp(shape="flat", expose_roles=True)
        ocp.add_tenant(P, role="PRIMARY", cluster_id=PRIMARY_CLUSTER)
        ocp.add_tenant(S, role="STANDBY", cluster_id=STANDBY_CLUSTER)
        changed, result, dummy = run(ocp, [pair(P, S)])
        assert result["pairs"][0]["role_source"] == SOURCE_TENANT
        assert prechecks(ocp) == []
        # the standby's role after the task is read again outside the primary's cluster
        assert len(ocp.calls_to("list_all_tenants")) == 2

    def test_an_unknown_standby_stops_before_anything_is_sent(self, ocp):
        with pytest.raises(RunFailure) as failure:
            run(ocp, [pair(P, 299)])
        assert "OCP knows no tenant with id 299" in failure.value.message and ocp.writes() == []


def task(task_id, tenant_id, status="SUCCESSFUL", name=SWITCHOVER_TASK_NAME):
    return {"id": task_id, "tenant_id": tenant_id, "status": status, "name": name}


class TestCompleteRoles:
    def complete(self, latest, primary_evidence, standby_evidence):
        return SWITCHOVER.complete_roles(pair(P, S), {P: primary_evidence, S: standby_evidence}, latest)

    def test_the_primary_s_successful_switchover_proves_both(self):
        latest = task(5, P)
        roles = self.complete(latest, RoleEvidence("STANDBY", SOURCE_TASKS, latest), NO_EVIDENCE)
        assert (roles[P].role, roles[S].role, roles[S].source) == ("STANDBY", "PRIMARY", SOURCE_TASKS)

    def test_a_newer_switch_back_of_the_standby_outweighs_it(self):
        older, newer = task(5, P), task(9, S)
        roles = self.complete(older, RoleEvidence("STANDBY", SOURCE_TASKS, older),
                              RoleEvidence("STANDBY", SOURCE_TASKS, newer))
        assert (roles[P].role, roles[S].role) == ("PRIMARY", "STANDBY")

    @pytest.mark.parametrize("status", ["FAILED", "RUNNING"])
    def test_a_newest_task_that_did_not_succeed_leaves_both_open(self, status):
        older, newer = task(5, P), task(9, S, status=status)
        roles = self.complete(older, RoleEvidence("STANDBY", SOURCE_TASKS, older),
                              RoleEvidence(None, SOURCE_NONE, newer))
        assert (roles[P].known, roles[S].known) == (False, False)

    def test_a_failover_of_the_standby_says_nothing_of_the_old_primary(self):
        older, newer = task(5, P), task(9, S, name=FAILOVER_TASK_NAME)
        roles = self.complete(older, RoleEvidence("STANDBY", SOURCE_TASKS, older),
                              RoleEvidence("PRIMARY", SOURCE_TASKS, newer))
        assert (roles[P].role, roles[S].role) == (None, "PRIMARY")

    def test_a_reported_role_stands(self):
        latest = task(5, P)
        roles = self.complete(latest, RoleEvidence("PRIMARY", SOURCE_TENANT), NO_EVIDENCE)
        assert (roles[P].role, roles[P].source, roles[S].role) == ("PRIMARY", SOURCE_TENANT, "PRIMARY")

    def test_no_task_at_all_changes_nothing(self):
        assert self.complete(None, NO_EVIDENCE, NO_EVIDENCE) == {P: NO_EVIDENCE, S: NO_EVIDENCE}


class TestInput:
    def test_valid(self):
        assert validate_request(1, [pair(P, S), pair(P2, S2)], 1800, None) == []

    def test_every_problem_is_named(self):
        problems = validate_request(0, [pair(P, P), pair(-1, S), pair(S, P2)], 0, None)
        assert problems == [
            "cluster_id must be a positive integer ID, got 0",
            "tenant_id must be a positive integer ID, got -1",
            "pair %d: a tenant cannot be its own standby" % P,
            "pairs lists tenant %d, %d more than once: list each once" % (P, S),
            "wait_timeout must be a positive number of seconds, got 0",
        ]

    def test_empty(self):
        assert pair_problems(1, []) == ["pairs must list at least one {tenant_id, standby_tenant_id} pair"]


class TestSyncLag:
    ANSWERED_AT = 1721727755.5  # epoch seconds

    @pytest.mark.parametrize("scn, lag", [
        (1721727753000000000, 2.5),
        ("1721727753250000000", 2.25),          # a Java long sent as a string
        (1721727756000000000, 0.0),             # a little ahead of OCP's clock: no lag, not a negative one
    ])
    def test_lag_from_the_answer_time(self, scn, lag):
        assert sync_lag_seconds(scn, self.ANSWERED_AT) == lag

    @pytest.mark.parametrize("scn", [None, 0, True, 3, "abc", 4611686018427387903, 1721727753000000000 + 7200 * 10 ** 9])
    def test_implausible_or_absent_is_unknown(self, scn):
        assert sync_lag_seconds(scn, self.ANSWERED_AT) is None

    def test_no_server_time_is_unknown(self):
        assert sync_lag_seconds(1721727753000000000, None) is None

    def test_server_time_from_the_envelope_else_the_date_header(self):
        assert iso_epoch("2024-07-23T17:42:35.500+08:00") == self.ANSWERED_AT
        assert iso_epoch("2024-07-23T17:42:35") is None  # no offset: no guess
        assert server_time("2024-07-23T09:42:35.5Z", "Tue, 17 Jan 2023 09:13:57 GMT") == self.ANSWERED_AT
        assert server_time(None, "Tue, 23 Jul 2024 09:42:35 GMT") == 1721727755.0
        assert server_time(None, None) is None


class TestPrecheckShape:
    STANDBY = {"tenantId": S, "name": "t201", "clusterId": STANDBY_CLUSTER, "clusterName": "B",
               "syncScn": 1721727753000000000, "valid": True,
               "checkResults": [{"errorCode": "OBE26007", "errorMessage": "sync abnormal", "warning": True},
                                "not a dict"]}

    def test_entry_from_the_standby_check_results(self):
        raw = {"tenantId": P, "name": "t101", "clusterId": PRIMARY_CLUSTER, "clusterName": "A", "valid": True,
               "standbyCheckResults": self.STANDBY}
        entry = precheck_entry(pair(P, S), raw, 1721727755.5)
        assert entry == {
            "tenant_id": P, "standby_tenant_id": S, "name": "t101", "cluster_id": PRIMARY_CLUSTER, "cluster_name": "A",
            "standby_name": "t201", "standby_cluster_id": STANDBY_CLUSTER, "standby_cluster_name": "B", "valid": True,
            "sync_scn": 1721727753000000000, "sync_lag_seconds": 2.5, "errors": [],
            "warnings": [{"error_code": "OBE26007", "error_message": "sync abnormal"}],
        }

    def test_standby_check_results_as_a_list(self):
        other = dict(self.STANDBY, tenantId=999)
        assert standby_result({"standbyCheckResults": [other, self.STANDBY]}, S) is self.STANDBY
        assert standby_result({"standbyCheckResults": [other]}, S) is other
        assert standby_result({"standbyCheckResults": None}, S) == {}

    def test_valid_with_an_error_is_not_valid(self):
        raw = {"valid": True, "standbyCheckResults": {"checkResults": [{"errorCode": "OBE26021", "errorMessage": "x"}]}}
        entry = precheck_entry(pair(P, S), raw, None)
        assert entry["valid"] is False and entry["sync_lag_seconds"] is None and entry["name"] is None
