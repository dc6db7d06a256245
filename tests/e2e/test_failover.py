"""oceanbase.ocp.ocp_tenant_failover end to end: the real module, run by ansible-playbook, against the simulator.

Timings are lower bounds only (a task lasts at least so long); nothing asserts how fast anything was.
"""

from __future__ import annotations

import pytest
import requests
from harness import ACCESS_KEY_ID, ADMIN_PASSWORD, ADMIN_USER, add_standby_batch, assert_clean_output

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
# The same, for the last subtask of a retried task (the first run waits for it too, on the tenant that succeeds).
RETRIED_SUBTASK_SECONDS = 10.0
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


@pytest.fixture
def slow_scenario(scenario):
    """Failover tasks that run for at least SLOW_SUBTASK_SECONDS."""
    scenario["timing"]["subtask_seconds_by_name"] = {"Failover to primary tenant": SLOW_SUBTASK_SECONDS}
    return scenario


def test_first_run_fails_over_and_second_run_changes_nothing(run_playbook, simulator):
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
    for entry in result["tenants"]:
        assert entry["duration_seconds"] > 0 and entry["started_at"] and entry["finished_at"]
    assert result["polls"] >= 1

    # exactly one POST, with exactly the documented body
    [post] = failover_posts(simulator)
    assert post["body"] == {"failoverTenantItemList": [{"tenantId": OHAYO, "serviceName": "SERVICE_OHAYO"},
                                                       {"tenantId": SALES}]}
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]
    assert role_of(simulator, OHAYO) == role_of(simulator, SALES) == "PRIMARY"
    assert simulator.state.tenants[OHAYO]["serviceName"] == "SERVICE_OHAYO"

    # tasks: snake_case, subtasks in graph order (the simulator lists them out of order, as OCP's sample does)
    assert [task["tenant_id"] for task in result["tasks"]] == [OHAYO, SALES]
    assert [task["id"] for task in result["tasks"]] == [t["task_id"] for t in result["tenants"]]
    task = result["tasks"][0]
    assert task["status"] == "SUCCESSFUL" and task["cluster_id"] == STANDBY_CLUSTER
    assert [subtask["name"] for subtask in task["subtasks"]] == GRAPH_ORDER
    assert "series_id" in task["subtasks"][0]

    simulator.clear_request_log()
    again = run_playbook([failover("second", [{"tenant_id": OHAYO, "service_name": "SERVICE_OHAYO"}, SALES])])
    assert again.rc == 0, again.output
    second = again.task("second")
    assert second["changed"] is False
    assert [t["action"] for t in second["tenants"]] == ["already_primary", "already_primary"]
    assert second["tasks"] == [] and second["polls"] == 0
    assert failover_posts(simulator) == []
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]


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
    assert len(failover_posts(simulator)) == 1
    assert [task["id"] for task in tasks_of(simulator, OHAYO)] == [task_id]


@pytest.mark.parametrize("fault", [
    {"action": "lost_response", "mode": "drop"},
    {"action": "lost_response", "mode": "delay", "seconds": 4},
], ids=["drop", "delay"])
def test_a_lost_answer_is_not_resubmitted(run_playbook, simulator, fault):
    simulator.add_fault(method="POST", path=FAILOVER_PATH, count=1, **fault)
    run = run_playbook([failover("lost", [OHAYO, SALES], request_timeout=1)])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("lost")
    assert [(t["action"], t["task_status"], t["role_after"]) for t in result["tenants"]] == [
        ("failed_over", "SUCCESSFUL", "PRIMARY")] * 2
    assert len(failover_posts(simulator)) == 1
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]


def test_a_request_ocp_never_applied_is_resubmitted_once(run_playbook, simulator):
    # The connection drops before OCP applies the request: after the grace period, nothing shows, so resubmit.
    simulator.add_fault(method="POST", path=FAILOVER_PATH, action="drop", count=1)
    run = run_playbook([failover("dropped", [OHAYO, SALES], request_timeout=2)])
    assert run.rc == 0, run.output
    result = run.task("dropped")
    assert [t["task_status"] for t in result["tenants"]] == ["SUCCESSFUL", "SUCCESSFUL"]
    posts = failover_posts(simulator)
    assert len(posts) == 2
    assert posts[0]["body"] == posts[1]["body"]
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]


def test_a_failing_subtask_is_reported_and_a_retry_then_rerun_resumes(scenario, run_playbook, simulator):
    # slow after the failing subtask, so the task still runs when the rerun after the retry reads it
    scenario["timing"]["subtask_seconds_by_name"] = {"Update primary tenant info task": RETRIED_SUBTASK_SECONDS}
    simulator.reset(scenario)
    simulator.add_fault(action="task_fail", subtask="Upgrade tenant data version", tenantId=SALES,
                        message="ErrorCode = 4012, Details = upgrade job timed out on zone2")
    run = run_playbook([failover("failing", [OHAYO, SALES])])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("failing")
    message = result["msg"]
    [failed_task] = tasks_of(simulator, SALES)
    failed_subtask = next(s for s in failed_task["subtasks"] if s["name"] == "Upgrade tenant data version")
    assert "tenant %d (sales_2): task %d FAILED at subtask 'Upgrade tenant data version' (id %d)" % (
        SALES, failed_task["id"], failed_subtask["id"]) in message
    assert "Execute sql failed: ErrorCode = 4012, Details = upgrade job timed out on zone2" in message
    assert "/api/v2/tasks/instances/{id}/retry" in message and "rerun the playbook" in message
    # the failed result still reports every tenant and task
    tenants = dict((t["tenant_id"], t) for t in result["tenants"])
    assert tenants[OHAYO]["task_status"] == "SUCCESSFUL"
    assert tenants[SALES]["task_status"] == "FAILED"
    assert tenants[SALES]["failed_subtask"]["name"] == "Upgrade tenant data version"
    assert tenants[SALES]["failed_subtask"]["log_tail"][-1].endswith("upgrade job timed out on zone2")
    assert len(result["tasks"]) == 2

    # the documented way to resume: retry the task in OCP, rerun the playbook; it attaches, never resubmits
    answer = requests.post("%s/api/v2/tasks/instances/%d/retry" % (simulator.url, failed_task["id"]),
                           auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=10)
    assert answer.status_code == 200, answer.text
    rerun = run_playbook([failover("rerun", [OHAYO, SALES])])
    assert rerun.rc == 0, rerun.output
    assert [(t["action"], t["task_status"]) for t in rerun.task("rerun")["tenants"]] == [
        ("already_primary", None), ("attached_to_running_task", "SUCCESSFUL")]
    assert len(failover_posts(simulator)) == 1
    assert [len(tasks_of(simulator, tenant)) for tenant in (OHAYO, SALES)] == [1, 1]
    assert role_of(simulator, SALES) == "PRIMARY"


def test_wait_timeout_then_a_rerun_resumes_the_wait(slow_scenario, run_playbook, simulator):
    run = run_playbook([failover("impatient", [OHAYO, SALES], wait_timeout=2)])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("impatient")
    message = result["msg"]
    assert "Timed out after 2 seconds" in message
    assert "rerun the playbook to resume waiting" in message
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
    # Let the first read of the task list through, then drop the connection long enough to exhaust the
    # client's own retries once: the wait goes on.
    scenario["timing"]["subtask_seconds"] = 0.4
    simulator.reset(scenario)
    simulator.add_fault(method="GET", path=TASKS_PATH, action="drop", skip=1, count=6)
    run = run_playbook([failover("flaky", [OHAYO])])
    assert run.rc == 0, run.output
    assert run.task("flaky")["tenants"][0]["task_status"] == "SUCCESSFUL"
    assert sum(1 for entry in simulator.request_log() if entry["fault"] == "drop") == 6
    assert len(failover_posts(simulator)) == 1


@pytest.fixture
def batch_scenario(scenario):
    return add_standby_batch(scenario, BATCH_FIRST_ID, BATCH_SIZE, cluster_id=STANDBY_CLUSTER)


def test_a_batch_of_tenants_is_one_post_and_one_polling_loop(batch_scenario, run_playbook, simulator):
    tenant_ids = [BATCH_FIRST_ID + (index * 7) % BATCH_SIZE for index in range(BATCH_SIZE)]
    run = run_playbook([failover("batch", [{"tenant_id": tid, "service_name": "SVC_%d" % tid} for tid in tenant_ids])])
    assert run.rc == 0, run.output
    result = run.task("batch")
    assert [t["tenant_id"] for t in result["tenants"]] == tenant_ids
    assert all(t["task_status"] == "SUCCESSFUL" and t["role_after"] == "PRIMARY" for t in result["tenants"])
    [post] = failover_posts(simulator)
    assert post["body"]["failoverTenantItemList"] == [{"tenantId": tid, "serviceName": "SVC_%d" % tid}
                                                      for tid in tenant_ids]
    assert all(len(tasks_of(simulator, tid)) == 1 for tid in tenant_ids)
    # cheap polls: one list call per round for the whole batch, one detail read per finished task
    assert len(task_list_polls(simulator)) == result["polls"]
    detail_reads = [entry for entry in simulator.request_log()
                    if entry["method"] == "GET" and entry["path"].startswith(TASKS_PATH + "/")]
    assert len(detail_reads) == BATCH_SIZE


def test_without_the_tenant_role_field_the_task_list_decides(scenario, run_playbook, simulator):
    scenario["options"] = {"expose_tenant_role": False}
    simulator.reset(scenario)
    run = run_playbook([failover("no role", [OHAYO])])
    assert run.rc == 0, run.output
    [entry] = run.task("no role")["tenants"]
    assert (entry["action"], entry["role_source"], entry["role_after"]) == ("failed_over", "tasks", "PRIMARY")
    again = run_playbook([failover("no role again", [OHAYO])])
    assert again.rc == 0, again.output
    result = again.task("no role again")
    assert result["changed"] is False and result["tenants"][0]["action"] == "already_primary"
    assert len(failover_posts(simulator)) == 1


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
        "unknown tenant": "tenant 4242 not found in cluster %d: check cluster_id/tenant_id" % STANDBY_CLUSTER,
        "unknown cluster": "tenant %d not found in cluster 999: check cluster_id/tenant_id" % OHAYO,
    }
    for name, text in expected.items():
        result = run.task(name)
        assert run.status(name) == "failed", (name, result)
        assert text in result["msg"], (name, result["msg"])
        assert "Traceback" not in result.get("module_stderr", "") + result.get("exception", "")
    assert failover_posts(simulator) == []
    assert simulator.state.tasks == {}
