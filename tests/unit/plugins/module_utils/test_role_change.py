# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/role_change.py, the engine, through its first operation (the failover), against
FakeOcp on a fake clock.

Most tests run against both forms of OCP: the documented one (nested task list entries without the subtask graph,
no tenant role field: roles come from tasks and prechecks) and the flat one with the assumed tenantRole field.
"""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils import client as ocp_client
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import FAILOVER
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import (
    FOLLOW_INTERVAL,
    SERVER_ERROR_FOLLOW_SECONDS,
    RoleChangeRun,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import SOURCE_PRECHECK, RoleEvidence
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import (
    CLUSTER_ID,
    FAILOVER_GRAPH_ORDER,
    OTHER_CLUSTER_ID,
    SWITCHOVER,
    FakeClock,
    FakeOcp,
    Returns,
    Then,
    api_error,
    as_usual,
    lost_answer,
    never_sent,
    ocp_time,
)

FORMS = {
    "documented": dict(shape="nested", expose_roles=False),
    "flat-with-roles": dict(shape="flat", expose_roles=True),
}
ENTRY_KEYS = {"tenant_id", "name", "service_name", "role_before", "role_after", "role_source", "action", "task_id",
              "task_status", "started_at", "finished_at", "duration_seconds", "concurrent_task_ids",
              "earlier_failed_task_id"}
FAILOVER_PATH = ocp_client.FAILOVER_PATH % CLUSTER_ID
HALF_DONE_AT = "Create tenant service name"  # after "Failover to primary tenant": the role has switched
BEFORE_SWITCH_AT = "Reset log restore source"


@pytest.fixture(params=sorted(FORMS))
def form(request):
    return request.param


@pytest.fixture
def ocp(form):
    return FakeOcp(FakeClock(), **FORMS[form])


def documented(ocp):
    return ocp.shape == "nested"


def standby_source(ocp):
    """role_source of a standby without history: the tenantRole field where sent, else the precheck."""
    return "tenant" if ocp.expose_roles else "precheck"


def engine(ocp, tenants, **options):
    items = [tenant if isinstance(tenant, dict) else {"tenant_id": tenant, "service_name": None} for tenant in tenants]
    options.setdefault("wait_timeout", 600)
    warnings = []
    run = RoleChangeRun(FAILOVER, ocp, CLUSTER_ID, items, warn=warnings.append, clock=ocp.clock,
                        sleep=ocp.clock.sleep, **options)
    run.warnings = warnings
    return run


class Outcome:
    def __init__(self, changed, result, diff, warnings):
        self.changed, self.result, self.diff, self.warnings = changed, result, diff, warnings
        self.tenants = result["tenants"]

    def entry(self, tenant_id):
        return next(entry for entry in self.tenants if entry["tenant_id"] == tenant_id)


def run(ocp, *tenants, **options):
    run_ = engine(ocp, tenants, **options)
    changed, result, diff = run_.run()
    return Outcome(changed, result, diff, run_.warnings)


def fail(ocp, *tenants, **options):
    run_ = engine(ocp, tenants, **options)
    with pytest.raises(RunFailure) as raised:
        run_.run()
    raised.value.warnings = run_.warnings
    raised.value.tenants = raised.value.result.get("tenants")
    return raised.value


def standbys(ocp, *tenant_ids):
    for tenant_id in tenant_ids:
        ocp.add_tenant(tenant_id)


def make_primary(ocp, tenant_id):
    """A tenant that is primary, with the evidence each form of OCP gives: a successful failover task (always) and
    the role field (where sent)."""
    ocp.add_tenant(tenant_id, role="PRIMARY")
    return ocp.add_task(tenant_id, status="SUCCESSFUL")


def half_done(ocp, tenant_id):
    """A failover that FAILED after the role switch: the tenant is primary, the task FAILED."""
    ocp.add_tenant(tenant_id, role="PRIMARY")
    return ocp.add_task(tenant_id, status="FAILED", failed_subtask=HALF_DONE_AT)


def calls_after(ocp, method, after):
    """Calls to ``method`` logged after the first call to ``after``."""
    start = ocp.calls.index(ocp.calls_to(after)[0])
    return [call for call in ocp.calls[start + 1:] if call.method == method]


# --- 2. Planning ------------------------------------------------------------------------------------------------


class TestPlan:
    def test_a_standby_is_failed_over_in_one_batch_and_one_wait(self, ocp):
        standbys(ocp, 1, 2)
        outcome = run(ocp, {"tenant_id": 1, "service_name": "SERVICE_A"}, 2)
        assert ocp.submissions() == [[{"tenantId": 1, "serviceName": "SERVICE_A"}, {"tenantId": 2}]]
        assert outcome.changed is True
        assert [(entry["action"], entry["task_status"], entry["role_before"], entry["role_after"],
                 entry["role_source"]) for entry in outcome.tenants] == [
            ("failed_over", "SUCCESSFUL", "STANDBY", "PRIMARY", standby_source(ocp))] * 2
        assert (ocp.role(1), ocp.role(2)) == ("PRIMARY", "PRIMARY")
        # one polling loop for the batch: one RUNNING list a round
        running_lists = [call for call in ocp.calls_to("list_tasks") if call.kwargs.get("status") == "RUNNING"]
        assert len(running_lists) == outcome.result["polls"] > 0
        assert 5.0 <= ocp.clock.now <= 6.0

    def test_a_primary_is_left_alone(self, ocp):
        deciding = make_primary(ocp, 1)
        outcome = run(ocp, 1)
        entry = outcome.entry(1)
        assert ocp.writes() == [] and outcome.changed is False
        assert (entry["action"], entry["role_before"], entry["role_after"]) == (
            "already_primary", "PRIMARY", "PRIMARY")
        assert entry["role_source"] == ("tenant" if ocp.expose_roles else "tasks")
        assert (entry["task_id"], entry["task_status"]) == (deciding, "SUCCESSFUL")  # the task that proves it
        assert outcome.result["tasks"] == [] and outcome.result["polls"] == 0
        assert outcome.diff["before"] == outcome.diff["after"]

    def test_a_primary_without_any_history_is_told_by_the_precheck(self):
        ocp = FakeOcp(FakeClock(), **FORMS["documented"])
        ocp.add_tenant(1, role="PRIMARY")
        outcome = run(ocp, 1)
        entry = outcome.entry(1)
        assert (entry["action"], entry["role_source"], entry["task_id"]) == ("already_primary", "precheck", None)
        assert [call.args for call in ocp.calls_to("failover_precheck")] == [(CLUSTER_ID, 1)]
        assert ocp.writes() == []

    def test_the_precheck_is_asked_only_when_nothing_else_tells(self):
        ocp = FakeOcp(FakeClock(), **FORMS["flat-with-roles"])
        standbys(ocp, 1)
        run(ocp, 1)
        assert ocp.calls_to("failover_precheck") == []

    def test_a_second_run_changes_nothing(self, ocp):
        standbys(ocp, 1, 2)
        first = run(ocp, 1, 2)
        again = run(ocp, 1, 2)
        assert len(ocp.submissions()) == 1
        assert again.changed is False
        assert [entry["action"] for entry in again.tenants] == ["already_primary"] * 2
        assert [entry["task_id"] for entry in again.tenants] == [entry["task_id"] for entry in first.tenants]

    def test_a_running_failover_task_is_attached_to(self, ocp):
        standbys(ocp, 1)
        running = ocp.add_task(1, seconds=3.0)
        outcome = run(ocp, 1)
        entry = outcome.entry(1)
        assert ocp.writes() == []
        assert (entry["action"], entry["task_id"], entry["task_status"], entry["role_after"]) == (
            "attached_to_running_task", running, "SUCCESSFUL", "PRIMARY")
        assert outcome.changed is True

    def test_a_tenant_with_a_running_task_is_not_prechecked(self):
        # Its running task settles what the run does (attach, or block): no precheck is spent on its role.
        ocp = FakeOcp(FakeClock(), **FORMS["documented"])
        standbys(ocp, 1, 2)
        running = ocp.add_task(1, seconds=3.0)
        outcome = run(ocp, 1, 2)
        assert [call.args for call in ocp.calls_to("failover_precheck")] == [(CLUSTER_ID, 2)]
        assert (outcome.entry(1)["action"], outcome.entry(1)["task_id"]) == ("attached_to_running_task", running)
        assert (outcome.entry(1)["role_before"], outcome.entry(1)["role_after"]) == (None, "PRIMARY")
        assert ocp.submissions() == [[{"tenantId": 2}]]

    def test_a_wait_that_only_follows_prechecks_nothing(self):
        # submit=false after a submission with wait=false (the role's wait): every tenant has its task.
        ocp = FakeOcp(FakeClock(), **FORMS["documented"])
        standbys(ocp, 1, 2)
        run(ocp, 1, 2, wait=False, known_roles={})
        prechecks_before = len(ocp.calls_to("failover_precheck"))
        outcome = run(ocp, 1, 2, submit=False)
        assert len(ocp.calls_to("failover_precheck")) == prechecks_before
        assert [entry["task_status"] for entry in outcome.tenants] == ["SUCCESSFUL"] * 2
        assert len(ocp.submissions()) == 1

    def test_known_roles_stand_in_for_the_precheck(self):
        ocp = FakeOcp(FakeClock(), **FORMS["documented"])
        standbys(ocp, 1, 2)
        ocp.add_tenant(3, role="PRIMARY")
        known = {1: RoleEvidence("STANDBY", SOURCE_PRECHECK), 3: RoleEvidence("PRIMARY", SOURCE_PRECHECK)}
        outcome = run(ocp, 1, 2, 3, known_roles=known)
        # 2 had no given evidence: the engine prechecks it itself
        assert [call.args for call in ocp.calls_to("failover_precheck")] == [(CLUSTER_ID, 2)]
        assert ocp.submissions() == [[{"tenantId": 1}, {"tenantId": 2}]]
        assert [(entry["action"], entry["role_source"]) for entry in outcome.tenants] == [
            ("failed_over", "precheck"), ("failed_over", "precheck"), ("already_primary", "precheck")]

    def test_the_task_history_wins_over_known_roles(self):
        ocp = FakeOcp(FakeClock(), **FORMS["documented"])
        make_primary(ocp, 1)  # its SUCCESSFUL failover task says PRIMARY
        outcome = run(ocp, 1, known_roles={1: RoleEvidence("STANDBY", SOURCE_PRECHECK)})
        assert ocp.writes() == []
        assert (outcome.entry(1)["action"], outcome.entry(1)["role_source"]) == ("already_primary", "tasks")

    def test_a_running_task_of_another_operation_blocks_the_whole_run(self, ocp):
        ocp.add_tenant(1, role="PRIMARY")
        switchover = ocp.add_task(1, name=SWITCHOVER, seconds=60.0)
        standbys(ocp, 2)
        failure = fail(ocp, 1, 2)
        assert failure.message == (
            "Nothing was sent to OCP: tenant 1 (tenant_1) has a running 'Switchover ob tenant for network mode' task"
            " %d: wait until it has finished, then run again." % switchover)
        assert ocp.writes() == [] and failure.changed is False

    def test_a_failure_before_the_role_switch_is_submitted_again_once(self, ocp):
        standbys(ocp, 1)
        earlier = ocp.add_task(1, status="FAILED", failed_subtask=BEFORE_SWITCH_AT)
        outcome = run(ocp, 1)
        entry = outcome.entry(1)
        assert ocp.submissions() == [[{"tenantId": 1}]]
        assert (entry["action"], entry["earlier_failed_task_id"], entry["task_status"]) == (
            "failed_over", earlier, "SUCCESSFUL")
        assert entry["task_id"] not in (None, earlier)
        assert entry["role_source"] == standby_source(ocp)

    def test_a_half_done_failover_stops_the_run_naming_task_and_subtask(self, ocp):
        failed = half_done(ocp, 1)
        standbys(ocp, 2)
        failure = fail(ocp, 1, 2)
        subtask_id = ocp.tasks[failed].subtask_ids[FAILOVER_GRAPH_ORDER.index(HALF_DONE_AT)]
        assert failure.message == (
            "Nothing was sent to OCP: tenant 1 (tenant_1): its latest failover task %d FAILED at subtask"
            " 'Create tenant service name' (id %d) after the role switch, so the failover is not complete. Fix the"
            " cause, then retry that task in OCP, or rerun with retry_failed_tasks: true (role variable"
            " tenant_failover_retry_failed_tasks) to have this module retry it." % (failed, subtask_id))
        assert ocp.writes() == [] and failure.changed is False
        assert failure.tenants[0]["earlier_failed_task_id"] == failed
        # the documented task list names subtasks without their order: the detail is read for it, once
        assert [call.args for call in ocp.calls_to("get_task")] == ([(failed,)] if documented(ocp) else [])

    def test_a_half_done_failover_is_retried_when_asked(self, ocp):
        failed = half_done(ocp, 1)
        standbys(ocp, 2)
        outcome = run(ocp, 1, 2, retry_failed_tasks=True)
        assert [call.args for call in ocp.calls_to("retry_task")] == [(failed,)]
        assert ocp.submissions() == [[{"tenantId": 2}]]
        retried = outcome.entry(1)
        assert (retried["action"], retried["task_id"], retried["earlier_failed_task_id"], retried["task_status"]) == (
            "retried_failed_task", failed, failed, "SUCCESSFUL")
        assert retried["role_after"] == "PRIMARY" and outcome.changed is True
        assert ocp.tasks[failed].operation == "RETRY"
        assert outcome.entry(2)["action"] == "failed_over"

    def test_the_whole_batch_is_planned_before_anything_is_sent(self, ocp):
        # A blocked tenant late in the list stops the tenants before it too.
        standbys(ocp, 1)
        half_done(ocp, 2)
        fail(ocp, 1, 2)
        assert ocp.writes() == []

    def test_only_the_tenants_that_need_it_are_submitted_in_the_order_asked(self, ocp):
        standbys(ocp, 4, 2)
        make_primary(ocp, 3)
        ocp.add_tenant(1)
        running = ocp.add_task(1)
        outcome = run(ocp, 4, 3, 1, 2)
        assert ocp.submissions() == [[{"tenantId": 4}, {"tenantId": 2}]]
        assert [entry["tenant_id"] for entry in outcome.tenants] == [4, 3, 1, 2]
        assert [entry["action"] for entry in outcome.tenants] == [
            "failed_over", "already_primary", "attached_to_running_task", "failed_over"]
        assert outcome.entry(1)["task_id"] == running
        assert [task["tenant_id"] for task in outcome.result["tasks"]] == [4, 1, 2]


# --- 1. Reading -------------------------------------------------------------------------------------------------


class TestRead:
    def test_an_unknown_cluster(self, ocp):
        standbys(ocp, 1)
        run_ = RoleChangeRun(FAILOVER, ocp, 99, [{"tenant_id": 1}], clock=ocp.clock, sleep=ocp.clock.sleep)
        with pytest.raises(RunFailure) as raised:
            run_.run()
        assert raised.value.message.startswith("Cluster 99: GET ")
        assert "OBE11001" in raised.value.message
        assert raised.value.message.endswith("Check cluster_id; nothing was sent to OCP.")
        assert raised.value.error.status == 404

    def test_tenants_not_in_the_cluster_are_each_named(self, ocp):
        standbys(ocp, 1)
        ocp.add_tenant(7, cluster_id=OTHER_CLUSTER_ID)
        failure = fail(ocp, 1, 7, 8)
        assert "tenant 7: GET /api/v2/ob/clusters/3000010/tenants/7 failed: HTTP 404 OBE21002" in failure.message
        assert "tenant 8: GET /api/v2/ob/clusters/3000010/tenants/8 failed" in failure.message
        assert failure.message.endswith(" Nothing was sent to OCP.")
        assert ocp.writes() == [] and ocp.calls_to("list_tasks") == []

    def test_an_error_while_reading_says_nothing_was_sent(self, ocp):
        standbys(ocp, 1)
        error = api_error(401, "IAM10004", "wrong user or password")
        ocp.script("list_tasks", error)
        failure = fail(ocp, 1)
        assert failure.message == str(error)
        assert failure.error is error and failure.changed is False

    def test_the_history_is_read_once_per_task_name_and_compared_exactly(self, ocp):
        standbys(ocp, 1)
        run(ocp, 1, wait=False)
        before_post = ocp.calls[:ocp.calls.index(ocp.calls_to("failover")[0])]
        assert sorted(call.kwargs["name"] for call in before_post if call.method == "list_tasks") == [
            "Failover tenant", SWITCHOVER]
        assert all(call.kwargs["clusterId"] == CLUSTER_ID for call in before_post if call.method == "list_tasks")


# --- 3. Submitting once -----------------------------------------------------------------------------------------


class TestSubmitOnce:
    @pytest.mark.parametrize("answer", [
        Then(lost_answer()), lost_answer(), Then(api_error(502, None, "Bad Gateway", method="POST")),
        api_error(500, "COM10000", "Internal error", method="POST"), Then([]), Returns([]),
        api_error(400, "OBE26019", "The primary tenant is alive.", method="POST"), never_sent(),
    ], ids=["lost-applied", "lost", "5xx-applied", "5xx", "no-task-applied", "no-task", "4xx", "never-sent"])
    def test_one_submission_whatever_the_answer(self, ocp, answer):
        standbys(ocp, 1, 2)
        ocp.script("failover", answer)
        try:
            run(ocp, 1, 2, wait_timeout=12)
        except RunFailure:
            pass
        assert len(ocp.submissions()) == 1
        assert len(ocp.tasks) in (0, 2)

    def test_a_lost_answer_is_followed_until_the_tasks_appear(self, form):
        ocp = FakeOcp(FakeClock(), record_delay=3.0, **FORMS[form])
        standbys(ocp, 1, 2)
        ocp.script("failover", Then(lost_answer()))
        outcome = run(ocp, 1, 2)
        assert len(ocp.submissions()) == 1 and len(ocp.tasks) == 2
        assert [(entry["action"], entry["task_status"]) for entry in outcome.tenants] == [
            ("failed_over", "SUCCESSFUL")] * 2
        follows = [call.at for call in calls_after(ocp, "list_tasks", "failover") if "status" not in call.kwargs]
        assert follows[:4] == [0.0, FOLLOW_INTERVAL, 2 * FOLLOW_INTERVAL, 3 * FOLLOW_INTERVAL]

    def test_a_lost_answer_without_any_task_fails_as_unknown_after_wait_timeout(self, ocp):
        standbys(ocp, 1, 2)
        ocp.script("failover", lost_answer())
        failure = fail(ocp, 1, 2, wait_timeout=20)
        assert len(ocp.submissions()) == 1 and ocp.tasks == {}
        assert ocp.clock.now == 20.0
        assert failure.message.startswith("The answer to the failover request was lost (POST %s failed:" % FAILOVER_PATH)
        assert ("and in the 20 seconds since OCP's task list has shown no failover task for tenants 1, 2: the outcome"
                " is unknown. This run did not submit again, and must not be resubmitted by hand: look in OCP for"
                " tasks named 'Failover tenant' of cluster %d for these tenants." % CLUSTER_ID) in failure.message
        assert failure.message.endswith("A rerun reads OCP's state afresh and attaches to any task that has appeared.")
        assert failure.error.response_lost is True
        assert [entry["task_id"] for entry in failure.tenants] == [None, None]
        # what the result says of them: not "failed_over", which would claim what nobody knows
        assert [entry["action"] for entry in failure.tenants] == ["outcome_unknown"] * 2
        assert failure.changed is True  # OCP may have acted on the request

    def test_a_server_error_is_followed_briefly(self, ocp):
        standbys(ocp, 1)
        ocp.script("failover", api_error(500, "COM10000", "Internal error", method="POST", path=FAILOVER_PATH))
        failure = fail(ocp, 1, wait_timeout=600)
        assert ocp.clock.now == SERVER_ERROR_FOLLOW_SECONDS
        assert failure.message.startswith("OCP answered the failover request with a server error (POST %s failed:"
                                          " HTTP 500 COM10000: Internal error" % FAILOVER_PATH)
        assert "the outcome is unknown" in failure.message
        assert len(ocp.submissions()) == 1 and failure.error.status == 500

    def test_a_server_error_is_followed_no_longer_than_wait_timeout(self, ocp):
        standbys(ocp, 1)
        ocp.script("failover", api_error(503, None, "Service Unavailable", method="POST", path=FAILOVER_PATH))
        fail(ocp, 1, wait_timeout=10)
        assert ocp.clock.now == 10.0 and len(ocp.submissions()) == 1

    def test_tasks_created_despite_a_server_error_are_followed(self, ocp):
        standbys(ocp, 1)
        ocp.script("failover", Then(api_error(500, "COM10000", "Internal error", method="POST", path=FAILOVER_PATH)))
        outcome = run(ocp, 1)
        assert outcome.entry(1)["task_status"] == "SUCCESSFUL" and len(ocp.submissions()) == 1

    def test_a_refusal_is_reported_and_nothing_is_followed(self, ocp):
        standbys(ocp, 1)
        refusal = api_error(409, "OBE21005", "Tenant tenant_1 already has a running task.", method="POST",
                            path=FAILOVER_PATH)
        ocp.script("failover", refusal)
        failure = fail(ocp, 1)
        assert failure.message == (
            "OCP refused the failover request for tenant 1, so nothing was submitted: %s" % refusal)
        assert failure.error is refusal and failure.changed is False
        assert calls_after(ocp, "list_tasks", "failover") == [] and ocp.clock.now == 0

    def test_a_request_that_never_left_is_not_followed(self, ocp):
        standbys(ocp, 1)
        ocp.script("failover", never_sent())
        failure = fail(ocp, 1)
        assert failure.message.startswith("The failover request for tenant 1 never reached OCP, so nothing was"
                                          " submitted: POST ")
        assert calls_after(ocp, "list_tasks", "failover") == []

    def test_an_answer_naming_no_task_is_followed(self, ocp):
        standbys(ocp, 1)
        ocp.script("failover", Then([]))
        outcome = run(ocp, 1)
        assert outcome.entry(1)["task_status"] == "SUCCESSFUL" and len(ocp.submissions()) == 1

    def test_an_answer_naming_no_task_when_none_appears(self, ocp):
        standbys(ocp, 1)
        ocp.script("failover", Returns([]))
        failure = fail(ocp, 1, wait_timeout=15)
        assert failure.message.startswith("OCP accepted the failover request but its answer named no task for some"
                                          " tenants, and in the 15 seconds since")
        assert failure.error is None and ocp.clock.now == 15.0 and len(ocp.submissions()) == 1

    def test_an_answer_naming_some_tasks_is_followed_for_the_others_only(self, ocp):
        standbys(ocp, 1, 2)
        ocp.script("failover", lambda proceed, cluster_id, items: proceed()[:1])
        outcome = run(ocp, 1, 2)
        assert [entry["task_status"] for entry in outcome.tenants] == ["SUCCESSFUL", "SUCCESSFUL"]
        assert len(ocp.submissions()) == 1 and len(ocp.tasks) == 2

    def test_a_partial_find_names_the_tasks_found(self, ocp):
        standbys(ocp, 1, 2)

        def only_tenant_1_recorded(proceed, cluster_id, items):
            answer = proceed()
            ocp.tasks[answer[1]["id"]].recorded_at = 10 ** 6  # tenant 2's task never shows
            raise lost_answer()

        ocp.script("failover", only_tenant_1_recorded)
        failure = fail(ocp, 1, 2, wait_timeout=5)
        task_1 = ocp.tasks_of(1)[0].id
        assert "has shown no failover task for tenant 2:" in failure.message
        assert "Tasks found for the other tenants: tenant 1: task %d" % task_1 in failure.message
        assert failure.tenants[0]["task_id"] == task_1 and failure.changed is True

    def test_transient_errors_while_following_are_tolerated(self, form):
        ocp = FakeOcp(FakeClock(), record_delay=3.0, **FORMS[form])
        standbys(ocp, 1)
        ocp.script("failover", Then(lost_answer()))
        ocp.when(0.5, lambda: ocp.script("list_tasks", api_error(503, None, "Service Unavailable")))
        outcome = run(ocp, 1)
        follows = [call.at for call in calls_after(ocp, "list_tasks", "failover") if "status" not in call.kwargs]
        assert follows[:4] == [0.0, 1.0, 2.0, 3.0]  # the read at 1.0 failed; the task showed at 3.0
        assert outcome.entry(1)["task_status"] == "SUCCESSFUL" and len(ocp.submissions()) == 1

    def test_a_task_list_unreadable_to_the_end_is_named(self, ocp):
        standbys(ocp, 1)

        def lost_then_ocp_goes_down(proceed, cluster_id, items):
            ocp.script("list_tasks", *[never_sent("GET", ocp_client.TASKS_PATH)] * 100)
            raise lost_answer()

        ocp.script("failover", lost_then_ocp_goes_down)
        failure = fail(ocp, 1, wait_timeout=5)
        assert "The last read of the task list failed: GET /api/v2/tasks/instances failed: could not connect" in (
            failure.message)
        assert len(ocp.submissions()) == 1

    def test_an_error_that_waiting_cannot_fix_while_following(self, ocp):
        standbys(ocp, 1)

        def lost_then_key_revoked(proceed, cluster_id, items):
            ocp.script("list_tasks", api_error(401, "IAM10004", "wrong user or password"))
            raise lost_answer()

        ocp.script("failover", lost_then_key_revoked)
        failure = fail(ocp, 1)
        assert "IAM10004" in failure.message
        assert ("A failover request was sent before this error; check OCP's task list before doing anything else"
                in failure.message)
        assert len(ocp.submissions()) == 1 and failure.error.status == 401

    def test_a_lost_retry_answer_is_followed_on_the_task(self, ocp):
        failed = half_done(ocp, 1)
        ocp.script("retry_task", Then(lost_answer("POST", ocp_client.TASK_RETRY_PATH % failed)))
        outcome = run(ocp, 1, retry_failed_tasks=True)
        assert outcome.entry(1)["task_status"] == "SUCCESSFUL"
        assert len(ocp.calls_to("retry_task")) == 1

    def test_a_lost_retry_that_never_took(self, ocp):
        failed = half_done(ocp, 1)
        ocp.script("retry_task", lost_answer("POST", ocp_client.TASK_RETRY_PATH % failed))
        failure = fail(ocp, 1, retry_failed_tasks=True, wait_timeout=8)
        assert failure.message == (
            "The answer to the retry of task %d (tenant 1 (tenant_1)) was lost, and within 8 seconds the task did not"
            " show that it runs again: the outcome is unknown. Look at task %d in OCP; a rerun reads OCP's state"
            " afresh." % (failed, failed))
        assert len(ocp.calls_to("retry_task")) == 1 and ocp.clock.now == 8.0

    def test_a_refused_retry(self, ocp):
        failed = half_done(ocp, 1)
        ocp.script("retry_task", api_error(409, "TSK10007", "Task is not FAILED.", method="POST"))
        failure = fail(ocp, 1, retry_failed_tasks=True)
        assert failure.message.startswith("OCP refused to retry task %d of tenant 1 (tenant_1): " % failed)
        assert failure.error.code == "TSK10007"


# --- 4. Waiting -------------------------------------------------------------------------------------------------


class TestWait:
    def test_wait_false_returns_right_after_the_submission(self, ocp):
        standbys(ocp, 1)
        outcome = run(ocp, 1, wait=False)
        entry = outcome.entry(1)
        assert (entry["action"], entry["task_status"], entry["role_after"]) == ("failed_over", "RUNNING", None)
        assert outcome.result["polls"] == 0 and ocp.clock.now == 0 and ocp.clock.sleeps == []
        assert outcome.diff["after"]["tenants"] == [
            {"tenant_id": 1, "name": "tenant_1", "role": "PRIMARY (task %d RUNNING)" % entry["task_id"]}]
        again = run(ocp, 1)
        assert (again.entry(1)["action"], again.entry(1)["task_id"], again.entry(1)["task_status"]) == (
            "attached_to_running_task", entry["task_id"], "SUCCESSFUL")
        assert len(ocp.submissions()) == 1

    def test_a_timeout_names_every_task_and_a_rerun_resumes(self, ocp):
        standbys(ocp, 1, 2)
        ocp.task_seconds = 100.0
        failure = fail(ocp, 1, 2, wait_timeout=20)
        ids = [entry["task_id"] for entry in failure.tenants]
        assert failure.message.startswith(
            "Timed out after 20 seconds waiting for the failover tasks: tenant 1: task %d RUNNING; tenant 2: task %d"
            " RUNNING. They keep running in OCP; rerun to resume waiting: the run attaches to the running tasks and"
            " does not submit again." % tuple(ids))
        assert [entry["role_after"] for entry in failure.tenants] == [None, None]
        assert failure.changed is True and ocp.clock.now == 20.0
        again = run(ocp, 1, 2)
        assert [(entry["action"], entry["task_id"]) for entry in again.tenants] == [
            ("attached_to_running_task", ids[0]), ("attached_to_running_task", ids[1])]
        assert len(ocp.submissions()) == 1

    def test_a_failed_task_names_tenant_task_subtask_and_log(self, ocp):
        standbys(ocp, 1, 2)
        ocp.fail_next_task(2, BEFORE_SWITCH_AT, "ErrorCode = 4012, Details = timeout on zone2")
        failure = fail(ocp, 1, 2)
        task_2 = ocp.tasks_of(2)[0]
        subtask_id = task_2.subtask_ids[0]
        assert failure.message.startswith("The failover failed for 1 of 2 tenants.\ntenant 2 (tenant_2): task %d"
                                          " FAILED at subtask 'Reset log restore source' (id %d), last log lines:\n"
                                          % (task_2.id, subtask_id))
        assert "ERROR ErrorCode = 4012, Details = timeout on zone2\n" in failure.message
        assert "INFO line 7 of subtask" in failure.message and "INFO line 6 of" not in failure.message  # ten lines
        assert "\n  Retry it with: POST /api/v2/tasks/instances/%d/retry" % task_2.id in failure.message
        entries = failure.tenants
        assert (entries[0]["task_status"], entries[0]["role_after"]) == ("SUCCESSFUL", "PRIMARY")
        assert (entries[1]["task_status"], entries[1]["role_after"]) == ("FAILED", "STANDBY")
        assert entries[1]["failed_subtask"]["id"] == subtask_id
        assert entries[1]["failed_subtask"]["name"] == BEFORE_SWITCH_AT
        assert len(entries[1]["failed_subtask"]["log_tail"]) == 10
        assert "failed_subtask" not in entries[0]
        assert failure.changed is True and len(failure.result["tasks"]) == 2
        assert [call.args for call in ocp.calls_to("get_subtask_log")] == [(task_2.id, subtask_id)]

    def test_an_unreadable_log_is_said_and_does_not_hide_the_failure(self, ocp):
        standbys(ocp, 1)
        ocp.fail_next_task(1, BEFORE_SWITCH_AT)
        ocp.script("get_subtask_log", api_error(404, "COM10002", "Log not found"))
        failure = fail(ocp, 1)
        assert "FAILED at subtask 'Reset log restore source'" in failure.message
        assert "(its log could not be read: GET /api/v2/x failed: HTTP 404 COM10002: Log not found.)" in (
            failure.message)
        assert failure.tenants[0]["failed_subtask"]["log_tail"] == []

    def test_an_error_that_waiting_cannot_fix_names_the_running_tasks(self, ocp):
        standbys(ocp, 1)
        ocp.when(1.0, lambda: ocp.script("list_tasks", api_error(401, "IAM10004", "wrong user or password")))
        failure = fail(ocp, 1)
        task_id = failure.tenants[0]["task_id"]
        assert failure.message.startswith("Waiting for the failover tasks failed: GET /api/v2/x failed: HTTP 401")
        assert ("The tasks keep running in OCP (tenant 1: task %d RUNNING); rerun to resume waiting, the run"
                " attaches to them." % task_id) in failure.message
        assert failure.error.status == 401 and failure.changed is True

    def test_the_message_of_an_error_while_waiting_reads_cleanly(self, ocp):
        standbys(ocp, 1)
        ocp.when(1.0, lambda: ocp.script("list_tasks", api_error(401, "IAM10004", "wrong user or password")))
        assert ".." not in fail(ocp, 1).message

    def test_the_result_is_the_final_state(self, ocp):
        standbys(ocp, 1)
        outcome = run(ocp, 1)
        entry = outcome.entry(1)
        started = ocp.tasks_of(1)[0].created_at
        assert (entry["started_at"], entry["finished_at"], entry["duration_seconds"]) == (
            ocp_time(started), ocp_time(started + 5.0), 5.0)


class TestConcurrentRuns:
    def test_another_jobs_task_of_the_same_tenant_is_named_and_warned_about(self, ocp):
        standbys(ocp, 1, 2)
        others = []
        ocp.when(1.0, lambda: others.append(ocp.add_task(1, seconds=30.0)))
        ocp.when(1.0, lambda: others.append(ocp.add_task(3, seconds=30.0)))  # a tenant this run does not follow
        outcome = run(ocp, 1, 2)
        ours = outcome.entry(1)["task_id"]
        assert outcome.entry(1)["concurrent_task_ids"] == [others[0]]
        assert outcome.entry(2)["concurrent_task_ids"] == []
        assert outcome.warnings == [
            "Another failover task of tenant 1 (tenant_1) appeared while this run followed task %d: %d. Another job"
            " (an AWX job, a playbook) submitted a failover of the same tenant at the same time; check both tasks in"
            " OCP. In AWX, set allow_simultaneous: false on the job template." % (ours, others[0])]

    def test_tasks_known_before_the_submission_are_not_concurrent(self, ocp):
        standbys(ocp, 1)
        ocp.add_task(1, status="FAILED", failed_subtask=BEFORE_SWITCH_AT)
        outcome = run(ocp, 1)
        assert outcome.entry(1)["concurrent_task_ids"] == [] and outcome.warnings == []

    def test_another_jobs_task_is_warned_about_and_named_even_when_the_run_fails(self, ocp):
        # Another job's task may well be why ours failed.
        standbys(ocp, 1)
        ocp.fail_next_task(1, BEFORE_SWITCH_AT)
        others = []
        ocp.when(1.0, lambda: others.append(ocp.add_task(1, seconds=30.0)))
        failure = fail(ocp, 1)
        assert failure.tenants[0]["concurrent_task_ids"] == others
        assert len(failure.warnings) == 1 and "appeared while this run followed task" in failure.warnings[0]
        assert failure.message.endswith(" Other jobs' failover tasks of the same tenants appeared meanwhile: tenant 1"
                                        " (tenant_1): %d." % others[0])


# --- 5. Confirming and reporting --------------------------------------------------------------------------------


class TestConfirm:
    def test_with_a_role_field_the_roles_are_read_again(self):
        ocp = FakeOcp(FakeClock(), **FORMS["flat-with-roles"])
        standbys(ocp, 1)
        run(ocp, 1)
        assert len(ocp.calls_to("list_tenants")) == 2

    def test_a_tenant_that_does_not_report_primary_after_success_fails(self):
        ocp = FakeOcp(FakeClock(), **FORMS["flat-with-roles"])
        standbys(ocp, 1)

        def stale(proceed, cluster_id, **filters):
            return [dict(tenant, tenantRole="STANDBY") for tenant in proceed()]

        ocp.script("list_tenants", as_usual, stale)  # the read before, then the read that confirms
        failure = fail(ocp, 1)
        task_id = failure.tenants[0]["task_id"]
        assert failure.message == (
            "The failover tasks succeeded, but not every tenant reports the expected role: 1 (tenant_1) reports"
            " STANDBY after task %d. Check the tenants in OCP before running again." % task_id)
        assert failure.tenants[0]["role_after"] == "STANDBY" and failure.changed is True

    def test_without_a_role_field_the_successful_task_is_the_evidence(self):
        ocp = FakeOcp(FakeClock(), **FORMS["documented"])
        standbys(ocp, 1)
        outcome = run(ocp, 1)
        assert outcome.entry(1)["role_after"] == "PRIMARY"
        assert len(ocp.calls_to("list_tenants")) == 1


class TestResult:
    def test_entries_have_every_key_always(self, ocp):
        standbys(ocp, 1)
        make_primary(ocp, 2)
        outcome = run(ocp, 1, 2)
        assert [set(entry) for entry in outcome.tenants] == [ENTRY_KEYS, ENTRY_KEYS]
        assert set(outcome.result) == {"tenants", "tasks", "polls"}

    def test_tasks_are_in_one_shape_with_names_and_ordered_subtasks(self, ocp):
        ocp.add_tenant(1, name="ohayo_2")
        outcome = run(ocp, {"tenant_id": 1, "service_name": "SERVICE_A"})
        [task] = outcome.result["tasks"]
        assert (task["id"], task["tenant_id"], task["cluster_id"], task["status"]) == (
            outcome.entry(1)["task_id"], 1, CLUSTER_ID, "SUCCESSFUL")
        assert (task["tenant_name"], task["cluster_name"], task["creator"]) == ("ohayo_2", "dr_cluster", "admin")
        assert [subtask["name"] for subtask in task["subtasks"]] == FAILOVER_GRAPH_ORDER
        assert all(subtask["status"] == "SUCCESSFUL" and "series_id" in subtask for subtask in task["subtasks"])
        assert outcome.entry(1)["service_name"] == "SERVICE_A" and outcome.entry(1)["name"] == "ohayo_2"

    def test_return_subtasks_false_leaves_them_out_and_spares_the_detail_reads(self, ocp):
        standbys(ocp, 1)
        outcome = run(ocp, 1, return_subtasks=False)
        assert "subtasks" not in outcome.result["tasks"][0]
        assert ocp.calls_to("get_task") == []

    def test_return_subtasks_reads_the_detail_only_where_the_list_lacks_the_order(self, ocp):
        standbys(ocp, 1, 2)
        run(ocp, 1, 2)
        assert len(ocp.calls_to("get_task")) == (2 if documented(ocp) else 0)

    def test_a_task_first_seen_finished_still_has_ordered_subtasks(self):
        # A lost answer followed while OCP recorded the task late: it never left the RUNNING list under our eyes.
        ocp = FakeOcp(FakeClock(), record_delay=8.0, **FORMS["documented"])
        standbys(ocp, 1)
        ocp.script("failover", Then(lost_answer()))
        outcome = run(ocp, 1)
        [task] = outcome.result["tasks"]
        assert task["status"] == "SUCCESSFUL"
        assert [subtask["name"] for subtask in task["subtasks"]] == FAILOVER_GRAPH_ORDER
        assert all("series_id" in subtask for subtask in task["subtasks"])

    def test_the_diff_shows_each_tenants_role_before_and_after(self, ocp):
        standbys(ocp, 1)
        make_primary(ocp, 2)
        outcome = run(ocp, 1, 2)
        assert outcome.diff == {
            "before": {"cluster_id": CLUSTER_ID, "tenants": [{"tenant_id": 1, "name": "tenant_1", "role": "STANDBY"},
                                                             {"tenant_id": 2, "name": "tenant_2", "role": "PRIMARY"}]},
            "after": {"cluster_id": CLUSTER_ID, "tenants": [{"tenant_id": 1, "name": "tenant_1", "role": "PRIMARY"},
                                                            {"tenant_id": 2, "name": "tenant_2", "role": "PRIMARY"}]},
        }

    def test_a_blocked_run_claims_no_failover(self, ocp):
        standbys(ocp, 1)
        half_done(ocp, 2)
        ocp.add_tenant(3, role="PRIMARY")
        ocp.add_task(3, name=SWITCHOVER, seconds=60.0)
        make_primary(ocp, 4)
        failure = fail(ocp, 1, 2, 3, 4)
        assert ocp.writes() == []
        assert [entry["action"] for entry in failure.tenants] == ["not_submitted", "blocked", "blocked",
                                                                  "already_primary"]
        assert failure.changed is False

    def test_a_blocked_run_in_check_mode(self, ocp):
        half_done(ocp, 1)
        standbys(ocp, 2)
        failure = fail(ocp, 1, 2, check_mode=True)
        assert [entry["action"] for entry in failure.tenants] == ["blocked", "not_submitted"]


class TestCheckMode:
    def test_nothing_is_sent_and_nothing_waited_for(self, ocp):
        standbys(ocp, 1, 3)
        make_primary(ocp, 2)
        ocp.add_task(3)
        failed = half_done(ocp, 4)
        outcome = run(ocp, 1, 2, 3, 4, check_mode=True, retry_failed_tasks=True)
        assert ocp.writes() == []
        assert ocp.clock.now == 0 and ocp.clock.sleeps == []
        assert [entry["action"] for entry in outcome.tenants] == [
            "would_fail_over", "already_primary", "attached_to_running_task", "would_retry_failed_task"]
        assert [entry["role_after"] for entry in outcome.tenants] == ["PRIMARY"] * 4
        assert outcome.entry(4)["earlier_failed_task_id"] == failed
        assert outcome.changed is True and outcome.result["polls"] == 0
        assert outcome.diff["before"]["tenants"][0]["role"] == "STANDBY"
        assert outcome.diff["after"]["tenants"][0]["role"] == "PRIMARY"

    def test_nothing_to_do(self, ocp):
        make_primary(ocp, 1)
        assert run(ocp, 1, check_mode=True).changed is False

    def test_a_half_done_failover_blocks_check_mode_too(self, ocp):
        half_done(ocp, 1)
        failure = fail(ocp, 1, check_mode=True)
        assert "retry_failed_tasks: true" in failure.message and ocp.writes() == []
