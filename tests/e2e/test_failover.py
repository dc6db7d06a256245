"""oceanbase.ocp.ocp_tenant_failover end to end: the real module, run by ansible-playbook, against the simulator.

Every test runs against both forms of OCP (conftest.API_SHAPES): the documented one (nested task objects, no tenant
role field) and the flat one with the assumed tenantRole field. Timings are lower bounds only (a task lasts at least
so long); nothing asserts how fast anything was.
"""

from __future__ import annotations

import concurrent.futures
import time

import pytest
from conftest import API_SHAPES, TESTS_DIR, load_scenario_file
from harness import ACCESS_KEY_ID, add_standby_batch, assert_clean_output

MODULE = "oceanbase.ocp.ocp_tenant_failover"
STANDBY_CLUSTER = 3000010
OHAYO = 2000025  # ohayo_2
SALES = 2000026  # sales_2
AUDIT = 2000028  # audit_2
ALREADY_PRIMARY = 2000029  # reports
FAILOVER_PATH = "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER
TASKS_PATH = "/api/v2/tasks/instances"
GRAPH_ORDER = ["Reset log restore source", "Failover to primary tenant", "Upgrade tenant data version",
               "Create tenant service name", "Update primary tenant info task"]
# Long enough that a second ansible-playbook run starts while the task still runs, even on a slow machine.
SLOW_SUBTASK_SECONDS = 15.0
SCENARIOS = TESTS_DIR / "ocp_simulator" / "scenarios"
# Short, so that the cases that follow a lost answer to its end stay fast.
SHORT_WAIT = 6
BATCH_SIZE = 25
BATCH_FIRST_ID = 2200001


def failover(name, tenants, **args):
    """A task of the module; `tenants` are tenant ids or dicts."""
    items = [tenant if isinstance(tenant, dict) else {"tenant_id": tenant} for tenant in tenants]
    return {"name": name, MODULE: dict({"cluster_id": STANDBY_CLUSTER, "tenants": items}, **args)}


def failover_posts(simulator):
    return [entry for entry in simulator.request_log() if entry["method"] == "POST" and entry["path"] == FAILOVER_PATH]


def tasks_of(simulator, tenant_id):
    return [task for task in simulator.state.tasks.values() if task["tenantId"] == tenant_id]


def role_of(simulator, tenant_id):
    return simulator.state.tenants[tenant_id]["tenantRole"]


def task_list_polls(simulator):
    return [entry for entry in simulator.request_log()
            if entry["method"] == "GET" and entry["path"] == TASKS_PATH and entry["query"].get("status") == ["RUNNING"]]


@pytest.fixture(params=sorted(API_SHAPES))
def api_shape(request):
    return request.param


def expected_source(api_shape, documented):
    """role_source of a tenant: the assumed tenantRole field wins where OCP sends it (the flat shape)."""
    return "tenant" if api_shape == "flat" else documented


def reset_to(simulator, name, api_shape):
    simulator.reset(load_scenario_file(SCENARIOS / name, api_shape))


@pytest.fixture
def slow_scenario(scenario):
    """Failover tasks that run for at least SLOW_SUBTASK_SECONDS."""
    scenario["timing"]["subtask_seconds_by_name"] = {"Failover to primary tenant": SLOW_SUBTASK_SECONDS}
    return scenario


def test_first_run_fails_over_and_second_run_changes_nothing(run_playbook, simulator, api_shape):
    run = run_playbook([failover("first", [{"tenant_id": OHAYO, "service_name": "SERVICE_OHAYO"}, SALES])])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("first")
    assert result["changed"] is True
    assert [(t["tenant_id"], t["name"], t["action"], t["task_status"], t["role_before"], t["role_after"])
            for t in result["tenants"]] == [
        (OHAYO, "ohayo_2", "failed_over", "SUCCESSFUL", "STANDBY", "PRIMARY"),
        (SALES, "sales_2", "failed_over", "SUCCESSFUL", "STANDBY", "PRIMARY"),
    ]
    # without the assumed field and without history, only the precheck tells a standby
    assert [t["role_source"] for t in result["tenants"]] == [expected_source(api_shape, "precheck")] * 2
    for entry in result["tenants"]:
        assert entry["duration_seconds"] > 0 and entry["started_at"] and entry["finished_at"]
        assert entry["concurrent_task_ids"] == [] and entry["earlier_failed_task_id"] is None
    assert result["polls"] >= 1

    # exactly one POST, with exactly the documented body
    [post] = failover_posts(simulator)
    assert post["body"] == {"failoverTenantItemList": [{"tenantId": OHAYO, "serviceName": "SERVICE_OHAYO"},
                                                       {"tenantId": SALES}]}
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]
    assert role_of(simulator, OHAYO) == role_of(simulator, SALES) == "PRIMARY"
    assert simulator.state.tenants[OHAYO]["serviceName"] == "SERVICE_OHAYO"

    # tasks: one snake_case shape whatever OCP sent, subtasks in graph order (OCP lists them out of order)
    assert [task["tenant_id"] for task in result["tasks"]] == [OHAYO, SALES]
    assert [task["id"] for task in result["tasks"]] == [t["task_id"] for t in result["tenants"]]
    task = result["tasks"][0]
    assert task["status"] == "SUCCESSFUL" and task["cluster_id"] == STANDBY_CLUSTER
    assert task["tenant_name"] == "ohayo_2" and task["creator"] == "admin"
    assert "cluster" not in task and "tenant" not in task
    assert [subtask["name"] for subtask in task["subtasks"]] == GRAPH_ORDER
    assert "series_id" in task["subtasks"][0]

    simulator.clear_request_log()
    again = run_playbook([failover("second", [{"tenant_id": OHAYO, "service_name": "SERVICE_OHAYO"}, SALES])])
    assert again.rc == 0, again.output
    second = again.task("second")
    assert second["changed"] is False
    assert [t["action"] for t in second["tenants"]] == ["already_primary", "already_primary"]
    assert [t["role_source"] for t in second["tenants"]] == [expected_source(api_shape, "tasks")] * 2
    # the task that made each tenant primary is named, though this run followed none
    assert [t["task_id"] for t in second["tenants"]] == [t["task_id"] for t in result["tenants"]]
    assert second["tasks"] == [] and second["polls"] == 0
    assert failover_posts(simulator) == []
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]


def precheck_posts(simulator):
    return [entry for entry in simulator.request_log()
            if entry["method"] == "POST" and entry["path"].endswith("/failoverPreCheck")]


def test_the_prechecks_of_the_precheck_module_are_the_evidence_of_roles(run_playbook, simulator, api_shape):
    # OCP's documented shape gives no role for fresh standbys: the precheck just run proves them standbys.
    run = run_playbook([
        {"name": "precheck", "oceanbase.ocp.ocp_failover_precheck": {"cluster_id": STANDBY_CLUSTER,
                                                                     "tenant_ids": [OHAYO, SALES]},
         "register": "precheck"},
        failover("failover", [OHAYO, SALES], prechecks="{{ precheck.prechecks }}", return_subtasks=False),
    ])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("failover")
    assert [(t["action"], t["role_before"], t["role_source"]) for t in result["tenants"]] == [
        ("failed_over", "STANDBY", expected_source(api_shape, "precheck"))] * 2
    assert sorted(entry["path"] for entry in precheck_posts(simulator)) == sorted(
        "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, t) for t in (OHAYO, SALES))
    assert len(failover_posts(simulator)) == 1
    assert all("subtasks" not in task for task in result["tasks"])


def test_prechecks_of_another_cluster_are_refused_before_anything_is_sent(run_playbook, simulator):
    run = run_playbook([failover("failover", [OHAYO], prechecks=[
        {"tenant_id": OHAYO, "cluster_id": STANDBY_CLUSTER + 1, "role": "STANDBY"}])])
    assert run.rc != 0
    assert_clean_output(run)
    assert run.task("failover")["msg"] == (
        "Invalid input, nothing was sent to OCP: prechecks[0] is a precheck of tenant %d in cluster %d, not in"
        " cluster %d: pass the prechecks of this cluster's tenants" % (OHAYO, STANDBY_CLUSTER + 1, STANDBY_CLUSTER))
    assert simulator.request_log() == []


def test_check_mode_sends_nothing_and_diff_shows_roles(run_playbook, simulator):
    run = run_playbook([failover("preview", [OHAYO, ALREADY_PRIMARY])], check=True, diff=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("preview")
    assert result["changed"] is True
    assert [(t["action"], t["role_before"], t["role_after"], t["task_id"]) for t in result["tenants"]] == [
        ("would_fail_over", "STANDBY", "PRIMARY", None),
        ("already_primary", "PRIMARY", "PRIMARY", None),
    ]
    assert failover_posts(simulator) == []
    assert simulator.state.tasks == {}
    assert role_of(simulator, OHAYO) == "STANDBY"
    # the --diff output shows the standby's role changing, readably
    assert '-            "role": "STANDBY"' in run.stdout
    assert '+            "role": "PRIMARY"' in run.stdout
    assert '"name": "ohayo_2"' in run.stdout

    nothing = run_playbook([failover("nothing to do", [ALREADY_PRIMARY])], check=True)
    assert nothing.rc == 0, nothing.output
    assert nothing.task("nothing to do")["changed"] is False


def test_wait_false_then_a_rerun_attaches_to_the_running_task(slow_scenario, run_playbook, simulator):
    submitted = run_playbook([failover("submit", [OHAYO], wait=False)])
    assert submitted.rc == 0, submitted.output
    result = submitted.task("submit")
    assert result["changed"] is True
    [entry] = result["tenants"]
    assert (entry["action"], entry["task_status"], entry["role_after"]) == ("failed_over", "RUNNING", None)
    task_id = entry["task_id"]
    assert result["tasks"][0]["id"] == task_id and result["polls"] == 0
    assert task_list_polls(simulator) == []

    resumed = run_playbook([failover("resume", [OHAYO])])
    assert resumed.rc == 0, resumed.output
    [entry] = resumed.task("resume")["tenants"]
    assert (entry["action"], entry["task_id"], entry["task_status"], entry["role_after"]) == (
        "attached_to_running_task", task_id, "SUCCESSFUL", "PRIMARY")
    assert entry["concurrent_task_ids"] == []
    assert len(failover_posts(simulator)) == 1
    assert [task["id"] for task in tasks_of(simulator, OHAYO)] == [task_id]


@pytest.mark.parametrize("fault", [
    {"action": "lost_response", "mode": "drop"},
    {"action": "lost_response", "mode": "delay", "seconds": 3},
], ids=["dropped", "delayed"])
def test_a_lost_answer_is_followed_not_resubmitted_even_when_ocp_records_tasks_late(
        scenario, run_playbook, simulator, fault):
    # OCP applies the request but shows its tasks only seconds later: the module keeps reading the task list.
    scenario["timing"]["task_record_delay_seconds"] = 3.0
    simulator.reset(scenario)
    simulator.add_fault(method="POST", path=FAILOVER_PATH, count=1, **fault)
    run = run_playbook([failover("lost", [OHAYO, SALES], request_timeout=1, wait_timeout=60)])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("lost")
    assert [(t["action"], t["task_status"], t["role_after"]) for t in result["tenants"]] == [
        ("failed_over", "SUCCESSFUL", "PRIMARY")] * 2
    assert len(failover_posts(simulator)) == 1
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]


@pytest.mark.parametrize("fault", [{"action": "drop"}, {"action": "malformed_json"}], ids=["dropped", "unreadable"])
def test_a_lost_answer_without_any_task_fails_as_unknown_after_wait_timeout(run_playbook, simulator, fault):
    # The connection drops (or an unreadable 2xx comes back) before OCP handles the request: no task ever shows.
    # Whether OCP applied it is unknown to the module: it follows the task list, and never POSTs again.
    simulator.add_fault(method="POST", path=FAILOVER_PATH, count=1, **fault)
    started = time.monotonic()
    run = run_playbook([failover("dropped", [OHAYO, SALES], request_timeout=2, wait_timeout=SHORT_WAIT)])
    assert run.rc != 0
    assert time.monotonic() - started >= SHORT_WAIT
    assert_clean_output(run)
    message = run.task("dropped")["msg"]
    assert "The answer to the failover request was lost" in message
    assert "the outcome is unknown" in message and "did not submit again" in message
    assert "tenants %d, %d" % (OHAYO, SALES) in message and "'Failover tenant'" in message
    assert "rerun reads OCP's state afresh" in message
    assert len(failover_posts(simulator)) == 1
    assert simulator.state.tasks == {}


def test_a_server_error_is_followed_briefly_and_never_resubmitted(run_playbook, simulator):
    simulator.add_fault(method="POST", path=FAILOVER_PATH, action="status", status=500, count=1)
    run = run_playbook([failover("server error", [OHAYO], wait_timeout=3)])
    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("server error")["msg"]
    assert "OCP answered the failover request with a server error" in message and "HTTP 500" in message
    assert "the outcome is unknown" in message
    assert len(failover_posts(simulator)) == 1


def test_a_refusal_is_reported_and_nothing_is_followed(run_playbook, simulator):
    simulator.add_fault(method="POST", path=FAILOVER_PATH, action="status", status=409, count=1,
                        message="Tenant ohayo_2 already has a running task.")
    run = run_playbook([failover("refused", [OHAYO], wait_timeout=SHORT_WAIT)])
    assert run.rc != 0
    message = run.task("refused")["msg"]
    assert "OCP refused the failover request for tenant %d, so nothing was submitted" % OHAYO in message
    assert "HTTP 409" in message
    assert len(failover_posts(simulator)) == 1


def test_a_slow_task_list_causes_no_second_failover(scenario, run_playbook, simulator):
    scenario["timing"]["task_record_delay_seconds"] = 2.0
    simulator.reset(scenario)
    simulator.add_fault(method="POST", path=FAILOVER_PATH, action="lost_response", mode="drop", count=1)
    simulator.add_fault(method="GET", path=TASKS_PATH, action="latency", seconds=1.5)
    run = run_playbook([failover("slow list", [OHAYO], request_timeout=5, wait_timeout=60)])
    assert run.rc == 0, run.output
    assert run.task("slow list")["tenants"][0]["task_status"] == "SUCCESSFUL"
    assert len(failover_posts(simulator)) == 1
    assert len(tasks_of(simulator, OHAYO)) == 1


def test_two_concurrent_runs_are_noticed_and_named(scenario, run_playbook, simulator):
    # Two jobs read "no task" before either has one; an OCP that does not guard accepts both. The collection cannot
    # prevent that, but each run names the other's task and warns. Deterministic on a slow machine: job A's POST is
    # held at OCP until job B (access keys, so its requests can be told apart) has read and submitted.
    # Job B's task must still run (its tenant still a standby) when job A's held request reaches OCP's handler.
    scenario["options"]["refuse_running_task"] = False
    scenario["timing"]["subtask_seconds_by_name"] = {"Reset log restore source": 40.0}
    simulator.reset(scenario)
    simulator.add_fault(method="POST", path=FAILOVER_PATH, action="latency", seconds=25, count=1)

    def arrived(auth):
        return [entry for entry in failover_posts(simulator) if entry["auth"] == auth]

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(run_playbook, [failover("job A", [OHAYO], wait_timeout=120)])
        deadline = time.monotonic() + 120
        while not arrived("basic") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert arrived("basic"), "job A never submitted"
        second = pool.submit(run_playbook, [failover("job B", [OHAYO], wait_timeout=120)], auth="aksk")
        runs = [first.result(), second.result()]
    assert [entry["status"] for entry in arrived("aksk")] == [200], "job B submitted while job A's request was held"
    tasks = [task["id"] for task in tasks_of(simulator, OHAYO)]
    assert len(tasks) == 2 and len(failover_posts(simulator)) == 2
    for run, name in zip(runs, ("job A", "job B")):
        assert run.rc == 0, run.output
        assert_clean_output(run)
        [entry] = run.task(name)["tenants"]
        other = [task_id for task_id in tasks if task_id != entry["task_id"]]
        assert entry["concurrent_task_ids"] == other
        assert "Another failover task of tenant %d (ohayo_2) appeared" % OHAYO in run.output
        assert "allow_simultaneous: false" in run.output


def test_a_switched_back_tenant_is_a_standby_again(run_playbook, simulator, api_shape):
    # History: a SUCCESSFUL failover two days ago, then a switchover back yesterday. Only the latest task counts.
    reset_to(simulator, "switchback.yml", api_shape)
    simulator.state.patch_tenant(1001, {"reachable": False})  # the primary site is down again
    run = run_playbook([failover("again", [OHAYO], wait_timeout=60)])
    assert run.rc == 0, run.output
    [entry] = run.task("again")["tenants"]
    assert (entry["action"], entry["role_before"], entry["role_source"], entry["task_status"]) == (
        "failed_over", "STANDBY", expected_source(api_shape, "tasks"), "SUCCESSFUL")
    assert len(failover_posts(simulator)) == 1


def test_a_half_done_failover_stops_or_is_retried(run_playbook, simulator, api_shape):
    # ohayo_2's latest failover FAILED at "Create tenant service name", after the role switch: it is PRIMARY but
    # the failover is not done. sales_2 is a plain standby.
    reset_to(simulator, "half_done_failover.yml", api_shape)
    [failed] = tasks_of(simulator, OHAYO)
    stop = run_playbook([failover("half done", [OHAYO, SALES])])
    assert stop.rc != 0
    assert_clean_output(stop)
    message = stop.task("half done")["msg"]
    assert message.startswith("Nothing was sent to OCP")
    assert "task %d FAILED at subtask 'Create tenant service name'" % failed["id"] in message
    assert "retry_failed_tasks: true" in message
    assert [entry for entry in simulator.request_log() if entry["method"] == "POST" and "Check" not in entry["path"]
            and not entry["path"].endswith("failoverPreCheck")] == []

    preview = run_playbook([failover("preview", [OHAYO, SALES], retry_failed_tasks=True)], check=True)
    assert preview.rc == 0, preview.output
    assert [t["action"] for t in preview.task("preview")["tenants"]] == ["would_retry_failed_task", "would_fail_over"]
    assert not [entry for entry in simulator.request_log() if entry["path"].endswith("/retry")]

    retried = run_playbook([failover("retry", [OHAYO, SALES], retry_failed_tasks=True, wait_timeout=60)])
    assert retried.rc == 0, retried.output
    result = retried.task("retry")
    assert result["changed"] is True
    assert [(t["action"], t["task_id"], t["task_status"], t["earlier_failed_task_id"]) for t in result["tenants"]][0] == (
        "retried_failed_task", failed["id"], "SUCCESSFUL", failed["id"])
    assert result["tenants"][1]["action"] == "failed_over"
    assert len([entry for entry in simulator.request_log() if entry["path"].endswith("/retry")]) == 1
    [post] = failover_posts(simulator)
    assert post["body"] == {"failoverTenantItemList": [{"tenantId": SALES}]}
    assert simulator.state.tasks[failed["id"]]["operation"] == "RETRY"


def test_a_failure_before_the_role_switch_is_reported_then_resubmitted(run_playbook, simulator):
    simulator.add_fault(action="task_fail", subtask="Reset log restore source", tenantId=SALES, count=1,
                        message="ErrorCode = 4012, Details = timeout on zone2")
    run = run_playbook([failover("failing", [OHAYO, SALES])])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("failing")
    message = result["msg"]
    [failed_task] = tasks_of(simulator, SALES)
    failed_subtask = next(s for s in failed_task["subtasks"] if s["name"] == "Reset log restore source")
    assert "tenant %d (sales_2): task %d FAILED at subtask 'Reset log restore source' (id %d)" % (
        SALES, failed_task["id"], failed_subtask["id"]) in message
    assert "ErrorCode = 4012, Details = timeout on zone2" in message
    assert "/api/v2/tasks/instances/%d/retry" % failed_task["id"] in message
    tenants = dict((t["tenant_id"], t) for t in result["tenants"])
    assert tenants[OHAYO]["task_status"] == "SUCCESSFUL"
    assert (tenants[SALES]["task_status"], tenants[SALES]["role_after"]) == ("FAILED", "STANDBY")
    assert tenants[SALES]["failed_subtask"]["name"] == "Reset log restore source"
    assert tenants[SALES]["failed_subtask"]["log_tail"][-1].endswith("timeout on zone2")
    assert len(result["tasks"]) == 2

    # still a standby: a rerun submits it again (once), naming the earlier task
    rerun = run_playbook([failover("rerun", [OHAYO, SALES])])
    assert rerun.rc == 0, rerun.output
    entries = rerun.task("rerun")["tenants"]
    assert [(t["action"], t["earlier_failed_task_id"]) for t in entries] == [
        ("already_primary", None), ("failed_over", failed_task["id"])]
    assert len(failover_posts(simulator)) == 2
    assert failover_posts(simulator)[1]["body"] == {"failoverTenantItemList": [{"tenantId": SALES}]}
    assert role_of(simulator, SALES) == "PRIMARY"


def test_wait_timeout_then_a_rerun_resumes_the_wait(slow_scenario, run_playbook, simulator):
    run = run_playbook([failover("impatient", [OHAYO, SALES], wait_timeout=2)])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("impatient")
    message = result["msg"]
    assert "Timed out after 2 seconds" in message
    assert "rerun to resume waiting" in message
    for tenant in (OHAYO, SALES):
        [task] = tasks_of(simulator, tenant)
        assert "tenant %d" % tenant in message and "task %d RUNNING" % task["id"] in message
    assert [t["task_status"] for t in result["tenants"]] == ["RUNNING", "RUNNING"]

    rerun = run_playbook([failover("patient", [OHAYO, SALES])])
    assert rerun.rc == 0, rerun.output
    assert [(t["action"], t["task_status"]) for t in rerun.task("patient")["tenants"]] == [
        ("attached_to_running_task", "SUCCESSFUL")] * 2
    assert len(failover_posts(simulator)) == 1
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]


def test_access_keys_sign_every_poll(scenario, run_playbook, simulator):
    scenario["timing"]["subtask_seconds"] = 0.6
    simulator.reset(scenario)
    run = run_playbook([failover("aksk", [OHAYO], wait_sleep=0.2)], auth="aksk")
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("aksk")
    assert result["tenants"][0]["task_status"] == "SUCCESSFUL"
    assert result["polls"] >= 3
    log = simulator.request_log()
    assert log and all(entry["auth"] == "aksk" and entry["user"] == ACCESS_KEY_ID for entry in log)
    assert all(entry["status"] == 200 for entry in log), [e for e in log if e["status"] != 200]
    assert len(task_list_polls(simulator)) == result["polls"]


def test_transient_errors_while_waiting_are_tolerated(scenario, run_playbook, simulator):
    # Let the first reads of the task list through (one per role-changing task name), then drop the connection
    # long enough to exhaust the client's own retries once: the wait goes on.
    scenario["timing"]["subtask_seconds"] = 0.4
    simulator.reset(scenario)
    simulator.add_fault(method="GET", path=TASKS_PATH, action="drop", skip=2, count=6)
    run = run_playbook([failover("flaky", [OHAYO])])
    assert run.rc == 0, run.output
    assert run.task("flaky")["tenants"][0]["task_status"] == "SUCCESSFUL"
    assert sum(1 for entry in simulator.request_log() if entry["fault"] == "drop") == 6
    assert len(failover_posts(simulator)) == 1


@pytest.fixture
def batch_scenario(scenario):
    return add_standby_batch(scenario, BATCH_FIRST_ID, BATCH_SIZE, cluster_id=STANDBY_CLUSTER)


@pytest.mark.parametrize("return_subtasks", [True, False])
def test_a_batch_of_tenants_is_one_post_and_one_polling_loop(
        batch_scenario, run_playbook, simulator, api_shape, return_subtasks):
    tenant_ids = [BATCH_FIRST_ID + (index * 7) % BATCH_SIZE for index in range(BATCH_SIZE)]
    run = run_playbook([failover("batch", [{"tenant_id": tid, "service_name": "SVC_%d" % tid} for tid in tenant_ids],
                                 return_subtasks=return_subtasks)])
    assert run.rc == 0, run.output
    result = run.task("batch")
    assert [t["tenant_id"] for t in result["tenants"]] == tenant_ids
    assert all(t["task_status"] == "SUCCESSFUL" and t["role_after"] == "PRIMARY" for t in result["tenants"])
    [post] = failover_posts(simulator)
    assert post["body"]["failoverTenantItemList"] == [{"tenantId": tid, "serviceName": "SVC_%d" % tid}
                                                      for tid in tenant_ids]
    assert all(len(tasks_of(simulator, tid)) == 1 for tid in tenant_ids)
    assert all(("subtasks" in task) is return_subtasks for task in result["tasks"])
    # cheap polls: one list call per round for the whole batch; a task detail only where the list entry lacks the
    # subtasks asked for (OCP's documented list entries name subtasks without their order)
    assert len(task_list_polls(simulator)) == result["polls"]
    detail_reads = [entry for entry in simulator.request_log()
                    if entry["method"] == "GET" and entry["path"].startswith(TASKS_PATH + "/")]
    assert len(detail_reads) == (BATCH_SIZE if return_subtasks and api_shape == "documented" else 0)
    tenant_reads = [entry for entry in simulator.request_log()
                    if entry["method"] == "GET" and entry["path"].startswith("/api/v2/ob/clusters/%d/tenants/" % STANDBY_CLUSTER)]
    assert tenant_reads == []


def test_bad_input_fails_clearly_before_anything_is_sent(run_playbook, simulator):
    cases = [
        failover("empty", []),
        failover("duplicates", [OHAYO, SALES, OHAYO]),
        failover("negative timeout", [OHAYO], wait_timeout=-5),
        failover("zero sleep", [OHAYO], wait_sleep=0),
        failover("unknown tenant", [OHAYO, 4242]),
        dict(failover("unknown cluster", [OHAYO]), **{MODULE: {"cluster_id": 999, "tenants": [{"tenant_id": OHAYO}]}}),
    ]
    run = run_playbook([dict(case, ignore_errors=True) for case in cases])
    assert_clean_output(run)
    expected = {
        "empty": "tenants must list at least one tenant",
        "duplicates": "tenants lists tenant_id %d more than once" % OHAYO,
        "negative timeout": "wait_timeout must be a positive number of seconds, got -5",
        "zero sleep": "wait_sleep must be a positive number of seconds, got 0",
        "unknown tenant": "tenant 4242: GET /api/v2/ob/clusters/%d/tenants/4242 failed: HTTP 404" % STANDBY_CLUSTER,
        "unknown cluster": "Cluster 999: GET /api/v2/ob/clusters/999/tenants failed: HTTP 404",
    }
    for name, text in expected.items():
        result = run.task(name)
        assert run.status(name) == "failed", (name, result)
        assert text in result["msg"], (name, result["msg"])
        assert "Traceback" not in result.get("module_stderr", "") + result.get("exception", "")
    assert "Nothing was sent to OCP" in run.task("unknown tenant")["msg"]
    assert "nothing was sent to OCP" in run.task("unknown cluster")["msg"]
    assert failover_posts(simulator) == []
    assert simulator.state.tasks == {}


def test_submit_false_only_follows_and_never_submits(run_playbook, simulator):
    # The role's wait after wait=false: a task that FAILED before the role switch is reported, not submitted again.
    simulator.add_fault(action="task_fail", subtask="Reset log restore source", tenantId=SALES, count=1)
    submitted = run_playbook([failover("submit", [OHAYO, SALES], wait=False)])
    assert submitted.rc == 0, submitted.output
    follow = run_playbook([failover("follow", [OHAYO, SALES], submit=False, wait_timeout=60)])
    assert follow.rc != 0
    assert_clean_output(follow)
    result = follow.task("follow")
    [failed] = tasks_of(simulator, SALES)
    assert "tenant %d (sales_2): task %d FAILED at subtask 'Reset log restore source'" % (SALES, failed["id"]) in result["msg"]
    # ohayo_2's task may have finished before this run read it (then it is already primary, by that task)
    actions = [(t["action"], t["task_id"]) for t in result["tenants"]]
    assert actions[0][0] in ("attached_to_running_task", "already_primary") and actions[0][1] is not None
    assert actions[1] == ("attached_to_running_task", failed["id"])
    assert len(failover_posts(simulator)) == 1

    # nothing to follow for a standby without any failover task: refused before anything is sent
    nothing = run_playbook([failover("nothing", [AUDIT], submit=False)])
    assert nothing.rc != 0
    assert "has no failover task to follow, and submit is false" in nothing.task("nothing")["msg"]
    assert len(failover_posts(simulator)) == 1
