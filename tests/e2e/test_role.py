"""The role oceanbase.ocp.tenant_failover, through the playbook oceanbase.ocp.precheck_then_failover, end to end.

Real ansible-playbook, real modules, the simulator over HTTP. Connection details come from the OCP_* environment
variables, as an AWX credential injects them, unless a test says otherwise.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import time

import pytest
import yaml
from conftest import API_SHAPES, BIN_DIR, base_env, read_results, simulator_in_shape
from harness import ADMIN_PASSWORD, ADMIN_USER, assert_clean_output

PRIMARY_CLUSTER = 3000010
STANDBY_CLUSTER = 3000020
STANDBYS = [2000101, 2000102, 2000103]
PLAYBOOK = "oceanbase.ocp.precheck_then_failover"
SUBMIT = "Submit the failover in one batch"
WAIT = "Wait for OCP's failover tasks"
SHOW_TASKS = "Show the OCP task of every tenant"
SUMMARY = "Summarise the failover"
PRINT_SUMMARY = "Print the summary"
REPORT = "Report the precheck results"

# The role submits, prints the task ids, then waits in a second module run that attaches to the running tasks. A task
# of about three seconds is still running when that second run reads, even on a slow, busy machine.
ROLE_TIMING = {"precheck_seconds": 0.05, "subtask_seconds": 0.1,
               "subtask_seconds_by_name": {"Failover to primary tenant": 3.0}}


@pytest.fixture(params=sorted(API_SHAPES))
def api_shape(request):
    return request.param


@pytest.fixture
def simulator(scenario, api_shape):
    """Every test here runs against both forms of OCP (conftest.API_SHAPES), whatever scenario it brings."""
    with simulator_in_shape(scenario, api_shape) as sim:
        yield sim


def role_scenario(primary_reachable=(), warnings=None, sync_lag=None, timing=None, already_primary=(), options=None):
    """Two clusters; each standby tenant in STANDBY_CLUSTER has its primary in PRIMARY_CLUSTER.

    Every standby lags two seconds behind (its precheck's syncScn is two seconds before the answer) unless `sync_lag`
    says otherwise; the tenants in `already_primary` were failed over already.
    """
    warnings = warnings or {}
    sync_lag = sync_lag or {}
    tenants = []
    for index, standby_id in enumerate(STANDBYS):
        primary_id = 1000101 + index
        tenants.append({"id": primary_id, "name": f"app{index}", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY",
                        "reachable": standby_id in primary_reachable, "serviceName": f"SVC_APP{index}",
                        "mode": "MYSQL", "status": "NORMAL"})
        standby = {"id": standby_id, "name": f"app{index}_standby", "clusterId": STANDBY_CLUSTER,
                   "tenantRole": "STANDBY", "primaryTenantId": primary_id, "primaryClusterId": PRIMARY_CLUSTER,
                   "syncLagSeconds": sync_lag.get(standby_id, 2.0), "status": "NORMAL", "mode": "MYSQL",
                   "warnings": warnings.get(standby_id, []), "errors": []}
        if standby_id in already_primary:
            standby.update(tenantRole="PRIMARY", primaryTenantId=None, primaryClusterId=None, syncLagSeconds=None)
        tenants.append(standby)
    return {
        "users": [{"username": ADMIN_USER, "password": ADMIN_PASSWORD, "permissions": ["read", "write"]}],
        "access_keys": [],
        "timing": dict(timing or ROLE_TIMING),
        "clusters": [{"id": PRIMARY_CLUSTER, "name": "ob_east", "status": "RUNNING"},
                     {"id": STANDBY_CLUSTER, "name": "ob_west", "status": "RUNNING"}],
        "tenants": tenants,
        "faults": [],
        **({"options": options} if options else {}),
    }


@pytest.fixture
def scenario():
    return role_scenario(
        warnings={2000102: [{"errorCode": "OBE26007", "errorMessage": "Log stream synchronization is slow"}]})


@pytest.fixture
def ocp_env(simulator):
    return {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}


def role_vars(**overrides):
    variables = {
        "tenant_failover_cluster_id": STANDBY_CLUSTER,
        "tenant_failover_tenants": [{"tenant_id": 2000101, "service_name": "SVC_ORDERS"},
                                    {"tenant_id": 2000102}, {"tenant_id": 2000103, "service_name": "SVC_PAY"}],
        "tenant_failover_wait_timeout": 120,
    }
    variables.update(overrides)
    return variables


def connection_env(simulator):
    return {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}


def failover_posts(simulator):
    return [r for r in simulator.request_log() if r["method"] == "POST" and r["path"].endswith("/tenants/failover")]


def precheck_posts(simulator):
    return [r for r in simulator.request_log() if r["method"] == "POST" and r["path"].endswith("/failoverPreCheck")]


def tenant_role(simulator, tenant_id, cluster_id=STANDBY_CLUSTER):
    """The role the simulator's model gives the tenant (whether or not its API exposes the field)."""
    [tenant] = [t for t in simulator.state.dump()["tenants"] if t["id"] == tenant_id and t["clusterId"] == cluster_id]
    return tenant["tenantRole"]


def failover_tasks(simulator):
    return [task for task in simulator.state.dump()["tasks"] if task["name"] == "Failover tenant"]


def summary_of(run):
    """The summary the role set as a fact (and published with set_stats)."""
    return run.task(SUMMARY)["ansible_facts"]["tenant_failover_summary"]


def test_all_valid_fails_over_in_one_batch_and_summarises(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None, diff=True)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert len(posts) == 1
    assert posts[0]["body"] == {"failoverTenantItemList": [
        {"tenantId": 2000101, "serviceName": "SVC_ORDERS"}, {"tenantId": 2000102},
        {"tenantId": 2000103, "serviceName": "SVC_PAY"}]}
    # One precheck per tenant, the role's own: the failover module takes it as its evidence of the roles, and
    # the wait, which only follows the tasks, needs none.
    assert sorted(r["path"].split("/")[-2] for r in precheck_posts(simulator)) == [str(t) for t in STANDBYS]
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3
    tasks = {task["tenantId"]: task for task in failover_tasks(simulator)}
    assert sorted(tasks) == STANDBYS, "one task per tenant: the wait never submitted again"
    # The precheck table shows each tenant's role and synchronization lag (two seconds, plus the test's own time).
    report = run.task(REPORT)["msg"]
    assert report[0].split() == ["TENANT", "NAME", "ROLE", "SYNC", "LAG", "SEVERITY", "VALID", "CODE:", "MESSAGE"]
    assert all(" STANDBY " in line and " s " in line for line in report[1:]), report
    # The warning of tenant 2000102 is reported but, with warnings allowed (the default), does not block.
    assert any("OBE26007" in line for line in report)
    assert {t["action"] for t in run.task(SUBMIT)["tenants"]} == {"failed_over"}
    assert run.task(SUBMIT)["changed"] is True
    summary = summary_of(run)
    assert summary["cluster"] == STANDBY_CLUSTER and summary["cluster_name"] == "ob_west"
    assert [row["tenant_id"] for row in summary["tenants"]] == STANDBYS
    for row in summary["tenants"]:
        assert (row["action"], row["task_status"], row["role_after"]) == ("failed_over", "SUCCESSFUL", "PRIMARY"), row
        assert row["task_id"] == tasks[row["tenant_id"]]["id"]
        assert row["duration"] >= 3.0, row
        assert row["name"].startswith("app")
    lines = run.task(PRINT_SUMMARY)["msg"]
    assert lines[0].split() == ["TENANT", "NAME", "ACTION", "TASK", "STATUS", "TIME", "TAKEN"]
    assert len(lines) == 4
    assert all("failed_over" in line and "SUCCESSFUL" in line for line in lines[1:]), lines
    assert "STANDBY" in run.stdout and "PRIMARY" in run.stdout  # --diff shows the role change
    assert run.stdout.count("--- before") == 1, "one diff: the submission's"


def test_rerun_prechecks_every_tenant_and_is_idempotent(simulator, run_playbook, ocp_env):
    first = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)
    assert first.rc == 0, first.output
    simulator.clear_request_log()

    second = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout, second.stdout
    assert failover_posts(simulator) == []
    # Every tenant is prechecked again; OCP answers OBE26013 (not a standby), which does not stop the role.
    assert len(precheck_posts(simulator)) == 3
    prechecks = second.task("Precheck every tenant given by id")["prechecks"]
    assert {(p["role"], p["errors"][0]["error_code"]) for p in prechecks} == {("PRIMARY", "OBE26013")}
    not_standby_lines = [line for line in second.task(REPORT)["msg"] if "OBE26013" in line]
    assert len(not_standby_lines) == 3
    assert all(" info " in line and "not a standby" in line for line in not_standby_lines), not_standby_lines
    assert {t["action"] for t in second.task(SUBMIT)["tenants"]} == {"already_primary"}
    assert {t["action"] for t in second.task(WAIT)["tenants"]} == {"already_primary"}
    assert {(row["action"], row["role_after"]) for row in summary_of(second)["tenants"]} == {("already_primary", "PRIMARY")}


@pytest.mark.parametrize("scenario", [role_scenario(already_primary={2000102})])
def test_a_tenant_already_primary_does_not_stop_the_others(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert run.rc == 0, run.output
    assert [p["tenantId"] for p in failover_posts(simulator)[0]["body"]["failoverTenantItemList"]] == [2000101, 2000103]
    actions = {row["tenant_id"]: row["action"] for row in summary_of(run)["tenants"]}
    assert actions == {2000101: "failed_over", 2000102: "already_primary", 2000103: "failed_over"}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3


@pytest.mark.parametrize("scenario", [role_scenario(primary_reachable={2000102})])
def test_one_invalid_precheck_stops_before_any_failover(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    assert "OBE26107" in run.output
    assert "Failover NOT started" in run.output
    assert failover_posts(simulator) == []
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["STANDBY"] * 3


@pytest.mark.parametrize("allow_warnings", [False, "false"], ids=["boolean", "survey-string"])
def test_warnings_block_when_not_allowed(simulator, run_playbook, ocp_env, allow_warnings):
    # An AWX survey's multiple choice sends the string "false".
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(tenant_failover_allow_warnings=allow_warnings),
                       env=ocp_env, auth=None)

    assert run.rc != 0
    assert "OBE26007" in run.output and "warning" in run.output
    assert failover_posts(simulator) == []


@pytest.mark.parametrize("scenario", [role_scenario(sync_lag={2000103: 3600.0})])
def test_rpo_guard_stops_a_lagging_standby_before_any_failover(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(tenant_failover_max_sync_lag_seconds=300),
                       env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    assert failover_posts(simulator) == []
    assert [r["method"] for r in simulator.request_log()] == ["POST"] * 3, "three prechecks, nothing else"
    message = run.task("Stop before any failover when a precheck blocks it")["msg"]
    assert "Failover NOT started: 1 precheck finding(s) block it." in message
    lags = {p["tenant_id"]: p["sync_lag_seconds"] for p in run.task("Precheck every tenant given by id")["prechecks"]}
    assert abs(lags[2000101] - 2.0) < 1 and abs(lags[2000103] - 3600.0) < 1, lags
    assert ("tenant 2000103 (app2_standby) error SYNC_LAG_TOO_HIGH: The standby lags %.3f s" % lags[2000103]) in message
    assert "above max_sync_lag_seconds 300" in message
    assert any(line.startswith("2000103") and "SYNC_LAG_TOO_HIGH" in line for line in run.task(REPORT)["msg"])


def test_the_removed_sync_latency_variable_is_refused_naming_its_successor(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(tenant_failover_max_sync_latency=1000),
                       env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("Check the role's input before anything is sent to OCP")["msg"]
    assert "tenant_failover_max_sync_latency is no longer supported" in message
    assert "Set tenant_failover_max_sync_lag_seconds instead" in message
    assert simulator.request_log() == []


def test_check_mode_prechecks_but_sends_no_failover(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None, check=True, diff=True)

    assert run.rc == 0, run.output
    # Every tenant is prechecked (the failover module may precheck again, for role evidence: still read-only).
    assert {r["path"].split("/")[-2] for r in precheck_posts(simulator)} == {str(t) for t in STANDBYS}
    assert [p["valid"] for p in run.task("Precheck every tenant given by id")["prechecks"]] == [True] * 3
    assert failover_posts(simulator) == []
    assert {t["action"] for t in run.task(SUBMIT)["tenants"]} == {"would_fail_over"}
    assert run.status(WAIT) == "skipped"
    assert run.stdout.count("--- before") == 1, "the submission's diff: what would change"
    summary = summary_of(run)
    assert summary["check_mode"] is True
    assert {row["action"] for row in summary["tenants"]} == {"would_fail_over"}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["STANDBY"] * 3


def test_role_from_another_playbook_with_ocp_variables(simulator, run_playbook):
    tasks = [{"name": "Fail over through the role",
              "ansible.builtin.include_role": {"name": "oceanbase.ocp.tenant_failover"},
              "vars": dict(role_vars(), ocp_api_url=simulator.url, ocp_username=ADMIN_USER,
                           ocp_password=ADMIN_PASSWORD)}]
    run = run_playbook(tasks, auth=None)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert len(failover_posts(simulator)) == 1
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3


def include_role_task(**variables):
    return {"name": "Fail over through the role", "ansible.builtin.include_role": {"name": "oceanbase.ocp.tenant_failover"},
            "vars": dict(role_vars(), **variables)}


def test_role_under_play_level_module_defaults(simulator, run_playbook):
    # run_playbook puts module_defaults for group/oceanbase.ocp.ocp (URL and credentials) on the play; no ocp_* vars,
    # no OCP_* environment.
    run = run_playbook([include_role_task()], auth="basic")

    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert len(failover_posts(simulator)) == 1
    assert {(r["auth"], r["user"]) for r in simulator.request_log()} == {("basic", ADMIN_USER)}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3


def test_ocp_variables_win_over_play_level_module_defaults(simulator, run_playbook, tmp_path):
    # module_defaults give the URL and a wrong password; the role's ocp_password corrects it.
    playbook = tmp_path / "mixed.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "mixed", "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/oceanbase.ocp.ocp": {"api_url": simulator.url, "username": ADMIN_USER,
                                                        "password": "Not-The-Password-1"}},
        "tasks": [include_role_task(ocp_password=ADMIN_PASSWORD)]}]), encoding="utf-8")
    run = run_playbook(playbook=playbook, auth=None)

    assert run.rc == 0, run.output
    assert_clean_output(run, secrets=(ADMIN_PASSWORD, "Not-The-Password-1"))
    assert {r["status"] for r in simulator.request_log()} == {200}


def test_role_without_any_connection_fails_before_any_request(simulator, run_playbook):
    run = run_playbook([include_role_task()], auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("Precheck every tenant given by id")["msg"]
    for place in ("ocp_api_url", "OCP_API_URL", "module_defaults for group/oceanbase.ocp.ocp"):
        assert place in message, message
    assert "nothing was sent to OCP" in message
    assert simulator.request_log() == []


def test_api_url_ending_in_api_v2_is_refused_before_any_request(simulator, run_playbook, ocp_env):
    env = dict(ocp_env, OCP_API_URL=simulator.url + "/api/v2")
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("Precheck every tenant given by id")["msg"]
    assert "api_url must not end in /api/v2" in message
    assert "give OCP's base URL, e.g. https://ocp.example.com:8080" in message
    assert simulator.request_log() == []


def stream_playbook(command, env, cwd):
    """Run ansible-playbook and read its output as it comes: [(epoch time the line was read, line)], rc."""
    lines = []
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1) as process:
        for line in process.stdout:
            lines.append((time.time(), line.rstrip("\n")))
        rc = process.wait(timeout=600)
    return lines, rc


def epoch_of(ocp_time):
    return datetime.datetime.fromisoformat(ocp_time).timestamp()


@pytest.mark.parametrize("scenario", [role_scenario(timing=dict(
    ROLE_TIMING, subtask_seconds_by_name={"Failover to primary tenant": 6.0}))])
def test_task_ids_are_printed_while_the_tasks_still_run(simulator, collections_path, tmp_path, ocp_env):
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(yaml.safe_dump(role_vars()), encoding="utf-8")
    env = base_env(collections_path, tmp_path, tmp_path / "results.jsonl")
    env.update(ocp_env)
    command = [str(BIN_DIR / "ansible-playbook"), PLAYBOOK, "-e", "@%s" % vars_file]

    lines, rc = stream_playbook(command, env, tmp_path)

    output = "\n".join(line for dummy, line in lines)
    assert rc == 0, output
    tasks = {task["tenantId"]: task for task in failover_tasks(simulator)}
    finished_at = min(epoch_of(task["finishTime"]) for task in tasks.values())
    for tenant_id, task in tasks.items():
        shown = [(at, line) for at, line in lines
                 if str(tenant_id) in line and str(task["id"]) in line and "failed_over" in line and "RUNNING" in line]
        assert shown, "task %d of tenant %d was never printed:\n%s" % (task["id"], tenant_id, output)
        printed_at = shown[0][0]
        # Printed while every task was still running: an operator can follow it in OCP during the wait.
        assert printed_at < finished_at, (printed_at, finished_at)
    results = {entry["task"].split(" : ")[-1]: entry for entry in read_results(tmp_path / "results.jsonl")}
    assert {t["action"] for t in results[WAIT]["result"]["tenants"]} == {"attached_to_running_task"}


def test_an_unreadable_log_of_a_failed_task_is_reported_quickly(simulator, run_playbook, ocp_env):
    # The failing subtask outlasts the submission, so the wait (second run) sees the failure; the log endpoint
    # answers 500. The report comes after one short attempt at the log, not after the read retry budget.
    simulator.add_fault(action="task_fail", subtask="Failover to primary tenant", tenantId=2000102,
                        message="ErrorCode = 4012, Details = injected")
    simulator.add_fault(method="GET", path="/api/v2/tasks/instances/*/subtasks/*/log", action="status", status=500)

    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    log_reads = [r for r in simulator.request_log() if r["path"].endswith("/log")]
    assert [r["status"] for r in log_reads] == [500], "one attempt at the log"
    message = run.task(WAIT)["msg"]
    [task] = [t for t in failover_tasks(simulator) if t["tenantId"] == 2000102]
    assert "tenant 2000102 (app1_standby): task %d FAILED at subtask 'Failover to primary tenant'" % task["id"] \
        in message
    assert "its log could not be read" in message and "HTTP 500" in message
    # The failure is noticed within a poll or two of the wait (or at its first read, when the task failed before
    # the wait's module started) and its log read at once; with the read retry budget the report came about seven
    # seconds (five attempts with backoff) after this read, now right after it.
    [post] = failover_posts(simulator)
    wait_started = min(r["time"] for r in simulator.request_log() if r["time"] > post["time"])
    assert log_reads[0]["time"] - max(wait_started, epoch_of(task["finishTime"])) < 5.0


FAST_TIMING = {"precheck_seconds": 0.05, "subtask_seconds": 0.05}


@pytest.mark.parametrize("scenario", [role_scenario(timing=FAST_TIMING)])
def test_tasks_done_before_the_wait_are_summarised_with_their_task(simulator, run_playbook, ocp_env):
    # Tasks of a quarter second are done before the wait's module run reads: it finds the tenants already primary
    # and reports the task that made them so, which the summary combines with the submission's action.
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert len(failover_posts(simulator)) == 1
    tasks = {task["tenantId"]: task["id"] for task in failover_tasks(simulator)}
    assert {t["action"] for t in run.task(WAIT)["tenants"]} <= {"already_primary", "attached_to_running_task"}
    for row in summary_of(run)["tenants"]:
        assert (row["action"], row["task_id"], row["task_status"], row["role_after"]) == (
            "failed_over", tasks[row["tenant_id"]], "SUCCESSFUL", "PRIMARY"), row
        assert row["duration"] is not None


def half_done_scenario():
    """2000101's failover FAILED ten minutes ago after its role switch (it is PRIMARY); the others are standbys."""
    scenario = role_scenario(already_primary={2000101})
    scenario["tasks"] = [{"name": "Failover tenant", "clusterId": STANDBY_CLUSTER, "tenantId": 2000101,
                          "status": "FAILED", "failedSubtask": "Create tenant service name", "ageSeconds": 600}]
    return scenario


def retry_posts(simulator):
    return [r for r in simulator.request_log() if r["method"] == "POST" and r["path"].endswith("/retry")]


@pytest.mark.parametrize("scenario", [half_done_scenario()])
def test_a_half_done_failover_stops_the_role_unless_retries_are_allowed(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    [task] = [t for t in failover_tasks(simulator) if t["tenantId"] == 2000101]
    message = run.task(SUBMIT)["msg"]
    assert str(task["id"]) in message and "retry_failed_tasks" in message, message
    assert failover_posts(simulator) == [] and retry_posts(simulator) == []
    # The precheck did not stop the role: 2000101 is no standby (OBE26013), the failover step decided.
    assert run.status("Stop before any failover when a precheck blocks it") == "skipped"


@pytest.mark.parametrize("scenario", [half_done_scenario()])
def test_a_half_done_failover_is_retried_when_allowed(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(tenant_failover_retry_failed_tasks=True), env=ocp_env,
                       auth=None)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    [task] = [t for t in failover_tasks(simulator) if t["tenantId"] == 2000101]
    assert [r["path"] for r in retry_posts(simulator)] == ["/api/v2/tasks/instances/%d/retry" % task["id"]]
    assert [p["tenantId"] for p in failover_posts(simulator)[0]["body"]["failoverTenantItemList"]] == [2000102, 2000103]
    rows = {row["tenant_id"]: row for row in summary_of(run)["tenants"]}
    assert (rows[2000101]["action"], rows[2000101]["task_id"], rows[2000101]["task_status"]) == (
        "retried_failed_task", task["id"], "SUCCESSFUL")
    assert {rows[t]["action"] for t in (2000102, 2000103)} == {"failed_over"}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3


@pytest.mark.parametrize("scenario", [role_scenario(options={"precheck_role_error": "http_error"})])
def test_rerun_goes_through_when_ocp_refuses_the_precheck_with_an_error_answer(simulator, run_playbook, ocp_env):
    # OBE26013 may come as an HTTP error answer instead of a check result: it stops the rerun neither.
    first = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)
    assert first.rc == 0, first.output
    second = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert second.rc == 0, second.output
    assert_clean_output(second)
    assert "changed=0" in second.stdout
    assert len(failover_posts(simulator)) == 1
    prechecks = second.task("Precheck every tenant given by id")["prechecks"]
    assert {(p["role"], p["role_source"], p["errors"][0]["error_code"]) for p in prechecks} == {
        ("PRIMARY", "precheck", "OBE26013")}


def test_bad_role_input_is_rejected_before_anything_is_sent(simulator, run_playbook, ocp_env):

    run = run_playbook(playbook=PLAYBOOK, env=ocp_env, auth=None, extra_vars=role_vars(
        tenant_failover_tenants=[{"tenant_id": 2000101}, {"tenant_id": 2000101}]))

    assert run.rc != 0
    assert_clean_output(run)
    assert "Invalid role input, nothing was sent to OCP: tenant_failover_tenants lists tenant_id 2000101 more than" \
        " once: list each once." in run.output
    assert simulator.request_log() == []


@pytest.mark.parametrize("overrides, problem", [
    ({"tenant_failover_tenants": [{"tenant_id": 2000101, "name": "app0_standby"}]},
     "tenant_failover_tenants[0] gives both tenant_id (2000101) and name (app0_standby): give exactly one"),
    ({"tenant_failover_tenants": [{"tenant_id": 2000101}, {"service_name": "SVC_X"}]},
     "tenant_failover_tenants[1] gives neither tenant_id nor name: give exactly one"),
    ({"tenant_failover_tenants": [{"name": "app0_standby"}, {"name": "app0_standby"}]},
     "tenant_failover_tenants lists name app0_standby more than once: list each once"),
    ({"tenant_failover_cluster_name": "ob_west"},
     "set exactly one of tenant_failover_cluster_id and tenant_failover_cluster_name (got cluster_id 3000020,"
     " cluster_name ob_west)"),
    ({"tenant_failover_cluster_id": None},
     "set exactly one of tenant_failover_cluster_id and tenant_failover_cluster_name (got cluster_id unset,"
     " cluster_name unset)"),
    ({"tenant_failover_tenants": [], "tenant_failover_wait_timeout": 0},
     "tenant_failover_tenants must list at least one tenant; tenant_failover_wait_timeout must be positive, in"
     " seconds (got 0)"),
], ids=["id-and-name", "neither", "name-twice", "cluster-id-and-name", "no-cluster", "empty-and-no-wait"])
def test_role_input_naming_nothing_exactly_is_rejected_before_anything_is_sent(simulator, run_playbook, ocp_env,
                                                                               overrides, problem):
    run = run_playbook(playbook=PLAYBOOK, env=ocp_env, auth=None, extra_vars=role_vars(**overrides))

    assert run.rc != 0
    assert_clean_output(run)
    assert "Invalid role input, nothing was sent to OCP: " in run.output
    assert problem in run.output
    assert simulator.request_log() == []


def test_role_by_cluster_name_and_tenant_names(simulator, run_playbook, ocp_env):
    # Names and ids mixed: each kind is prechecked, then one batch of OCP ids is submitted, in the order given.
    variables = role_vars(tenant_failover_cluster_id=None, tenant_failover_cluster_name="ob_west",
                          tenant_failover_tenants=[{"name": "app2_standby", "service_name": "SVC_PAY"},
                                                   {"tenant_id": 2000101}, {"name": "app1_standby"}])
    run = run_playbook(playbook=PLAYBOOK, extra_vars=variables, env=ocp_env, auth=None)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    [post] = failover_posts(simulator)
    assert post["path"] == "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER
    assert post["body"] == {"failoverTenantItemList": [
        {"tenantId": 2000103, "serviceName": "SVC_PAY"}, {"tenantId": 2000101}, {"tenantId": 2000102}]}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3
    by_name = run.task("Precheck every tenant given by name")
    assert [(p["tenant_id"], p["name"]) for p in by_name["prechecks"]] == [
        (2000103, "app2_standby"), (2000102, "app1_standby")]
    summary = summary_of(run)
    assert summary["cluster"] == STANDBY_CLUSTER and summary["cluster_name"] == "ob_west"
    assert [(row["tenant_id"], row["name"], row["role_after"]) for row in summary["tenants"]] == [
        (2000103, "app2_standby", "PRIMARY"), (2000101, "app0_standby", "PRIMARY"), (2000102, "app1_standby", "PRIMARY")]

    # The rerun by name reads OCP's state afresh and submits nothing.
    again = run_playbook(playbook=PLAYBOOK, extra_vars=variables, env=ocp_env, auth=None)
    assert again.rc == 0, again.output
    assert len(failover_posts(simulator)) == 1
    assert {row["action"] for row in summary_of(again)["tenants"]} == {"already_primary"}


def test_role_with_an_unknown_tenant_name_stops_before_any_precheck(simulator, run_playbook, ocp_env):
    variables = role_vars(tenant_failover_cluster_id=None, tenant_failover_cluster_name="ob_west",
                          tenant_failover_tenants=[{"name": "app"}])
    run = run_playbook(playbook=PLAYBOOK, extra_vars=variables, env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("Precheck every tenant given by name")["msg"]
    assert "cluster 3000020 has no tenant named 'app' (similar names: 'app0_standby', 'app1_standby'," in message
    assert precheck_posts(simulator) == [] and failover_posts(simulator) == []


def multi_cluster_scenario():
    """Standby tenants in two clusters (3000020 and 3000030), their primaries in PRIMARY_CLUSTER, all unreachable."""
    scenario = role_scenario()
    scenario["clusters"].append({"id": 3000030, "name": "ob_south", "status": "RUNNING"})
    scenario["tenants"] += [
        {"id": 1000201, "name": "south", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY", "reachable": False,
         "mode": "MYSQL", "status": "NORMAL"},
        {"id": 2000201, "name": "south_standby", "clusterId": 3000030, "tenantRole": "STANDBY",
         "primaryTenantId": 1000201, "primaryClusterId": PRIMARY_CLUSTER, "syncScn": 0, "status": "NORMAL",
         "mode": "MYSQL", "warnings": [], "errors": []},
    ]
    return scenario


@pytest.mark.parametrize("scenario", [multi_cluster_scenario()])
def test_one_host_per_cluster_inventory_pattern(simulator, run_playbook, ocp_env, tmp_path):
    # The README's pattern for tenants in several clusters: each OCP cluster is an inventory host, forks run them.
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"ocp_clusters": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "hosts": {
            "standby-west": {"tenant_failover_cluster_id": STANDBY_CLUSTER,
                             "tenant_failover_tenants": [{"tenant_id": t} for t in STANDBYS]},
            "standby-south": {"tenant_failover_cluster_id": 3000030,
                              "tenant_failover_tenants": [{"tenant_id": 2000201}]},
        }}}), encoding="utf-8")
    playbook = tmp_path / "failover_all.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Fail over every cluster", "hosts": "ocp_clusters",
                                         "gather_facts": False, "roles": ["oceanbase.ocp.tenant_failover"]}]),
                        encoding="utf-8")

    run = run_playbook(playbook=playbook, env=dict(ocp_env, ANSIBLE_SHOW_CUSTOM_STATS="true"), auth=None,
                       args=("-i", str(inventory), "--forks", "2"))

    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert sorted(r["path"] for r in posts) == ["/api/v2/ob/clusters/%d/tenants/failover" % c
                                                for c in (STANDBY_CLUSTER, 3000030)]
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3
    assert tenant_role(simulator, 2000201, cluster_id=3000030) == "PRIMARY"
    # set_stats merges the per-cluster summaries of both hosts into one published map.
    [published] = [line.split("RUN: ", 1)[1] for line in run.stdout.splitlines() if line.strip().startswith("RUN: ")]
    summaries = json.loads(published)["tenant_failover_summaries"]
    assert {cluster: [row["tenant_id"] for row in summary["tenants"]] for cluster, summary in summaries.items()} == {
        str(STANDBY_CLUSTER): STANDBYS, "3000030": [2000201]}
