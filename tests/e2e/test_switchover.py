"""Switchover end to end: oceanbase.ocp.ocp_switchover_precheck, oceanbase.ocp.ocp_tenant_switchover, the role
oceanbase.ocp.tenant_switchover and the playbook oceanbase.ocp.switchover, run by the real ansible-playbook against
the simulator over HTTP.

Every test runs against both task shapes OCP may send: the documented nested task list without any tenant role field
(roles come from the task history and the prechecks), and flat tasks with the (assumed) tenantRole field.
"""

from __future__ import annotations

import pytest
from harness import ADMIN_PASSWORD, ADMIN_USER, assert_clean_output

PRECHECK = "oceanbase.ocp.ocp_switchover_precheck"
SWITCHOVER = "oceanbase.ocp.ocp_tenant_switchover"
ROLE = "oceanbase.ocp.tenant_switchover"
PLAYBOOK = "oceanbase.ocp.switchover"
EAST, WEST = 3000001, 3000010          # the primaries' cluster, the standbys' cluster
ORDERS, ORDERS_DR = 1001, 2000025      # a pair that can switch over
PAY, PAY_DR = 1002, 2000026            # another, whose precheck carries a warning
AUDIT, AUDIT_DR = 1003, 2000027        # the primary cannot be connected: OBE26021
SWITCHOVER_PATH = "/api/v2/ob/clusters/%d/tenants/switchover"
SUBTASK_ORDER = ["Check switchover status", "Switchover primary tenant to standby",
                 "Switchover standby tenant to primary", "Set log restore source", "Update primary tenant info task"]
SLOW_SUBTASK_SECONDS = 15.0  # a second ansible-playbook run starts while the task still runs, even on a slow machine
PAY_WARNING = {"errorCode": "OBE26007", "errorMessage": "The log stream synchronization of the tenant is slow."}
SHAPES = {
    "nested-no-role": {"task_shape": "nested", "expose_tenant_role": False},
    "flat-role": {"task_shape": "flat", "expose_tenant_role": True},
}


def switchover_scenario(options):
    tenants = []
    for primary, standby, name, reachable in ((ORDERS, ORDERS_DR, "orders", True), (PAY, PAY_DR, "pay", True),
                                              (AUDIT, AUDIT_DR, "audit", False)):
        tenants.append({"id": primary, "name": name, "clusterId": EAST, "tenantRole": "PRIMARY", "reachable": reachable,
                        "serviceName": "SVC_" + name.upper(), "status": "NORMAL"})
        tenants.append({"id": standby, "name": name + "_dr", "clusterId": WEST, "tenantRole": "STANDBY",
                        "primaryTenantId": primary, "primaryClusterId": EAST, "syncLagSeconds": 1.5, "status": "NORMAL",
                        "switchoverWarnings": [PAY_WARNING] if name == "pay" else []})
    return {
        "users": [{"username": ADMIN_USER, "password": ADMIN_PASSWORD, "permissions": ["read", "write"]}],
        "timing": {"precheck_seconds": 0.05, "subtask_seconds": 0.1},
        "options": dict(options),
        "clusters": [{"id": EAST, "name": "ob_east"}, {"id": WEST, "name": "ob_west"}],
        "tenants": tenants,
    }


@pytest.fixture(params=sorted(SHAPES), ids=sorted(SHAPES))
def scenario(request):
    return switchover_scenario(SHAPES[request.param])


@pytest.fixture
def slow(scenario):
    scenario["timing"]["subtask_seconds_by_name"] = {"Switchover standby tenant to primary": SLOW_SUBTASK_SECONDS}
    return scenario


@pytest.fixture
def ocp_env(simulator):
    return {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}


def pairs(*ids):
    return [{"tenant_id": primary, "standby_tenant_id": standby} for primary, standby in ids]


def switchover(name, ids, cluster_id=EAST, **args):
    return {"name": name, SWITCHOVER: dict({"cluster_id": cluster_id, "pairs": pairs(*ids), "wait_timeout": 60}, **args)}


def precheck(name, ids, **args):
    return {"name": name, PRECHECK: dict({"cluster_id": EAST, "pairs": pairs(*ids)}, **args)}


def posts(simulator, suffix="/tenants/switchover"):
    return [entry for entry in simulator.request_log() if entry["method"] == "POST" and entry["path"].endswith(suffix)]


def roles(simulator, *tenant_ids):
    return [simulator.state.tenants[tenant_id]["tenantRole"] for tenant_id in tenant_ids]


def tasks_of(simulator, tenant_id):
    return [task for task in simulator.state.tasks.values() if task["tenantId"] == tenant_id]


def outcome(result):
    return [(entry["action"], entry["role_before"], entry["standby_role_before"], entry["role_after"],
             entry["standby_role_after"], entry["task_status"]) for entry in result["pairs"]]


SWITCHED = ("switched_over", "PRIMARY", "STANDBY", "STANDBY", "PRIMARY", "SUCCESSFUL")


# The precheck module ------------------------------------------------------------------------------------------------

def test_precheck_reports_each_pair_with_its_lag(run_playbook, simulator):
    run = run_playbook([precheck("check", [(ORDERS, ORDERS_DR), (PAY, PAY_DR), (AUDIT, AUDIT_DR)]),
                        dict(precheck("check mode", [(ORDERS, ORDERS_DR)]), check_mode=True),
                        dict(precheck("strict", [(ORDERS, ORDERS_DR), (AUDIT, AUDIT_DR)], fail_on_invalid=True),
                             ignore_errors=True)])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("check")
    assert result["changed"] is False and result["valid"] is False
    orders, pay, audit = result["prechecks"]
    assert (orders["tenant_id"], orders["standby_tenant_id"], orders["name"], orders["standby_name"]) == (
        ORDERS, ORDERS_DR, "orders", "orders_dr")
    assert (orders["cluster_id"], orders["cluster_name"], orders["standby_cluster_id"]) == (EAST, "ob_east", WEST)
    assert (orders["valid"], orders["errors"], orders["warnings"]) == (True, [], [])
    # the server time of the answer minus syncScn / 1e9: the simulator's constant lag, to the millisecond
    assert orders["sync_lag_seconds"] == pytest.approx(1.5, abs=0.002)
    assert pay["valid"] is True and pay["warnings"] == [{"error_code": "OBE26007",
                                                         "error_message": PAY_WARNING["errorMessage"]}]
    assert audit["valid"] is False and [error["error_code"] for error in audit["errors"]] == ["OBE26021"]
    # one request per pair, with the documented body
    checks = posts(simulator, "/switchoverPreCheck")
    assert sorted((entry["path"], tuple(sorted(entry["body"].items()))) for entry in checks[:3]) == sorted(
        ("/api/v2/ob/clusters/%d/tenants/%d/switchoverPreCheck" % (EAST, primary),
         (("standbyTenantId", standby), ("tenantId", primary)))
        for primary, standby in ((ORDERS, ORDERS_DR), (PAY, PAY_DR), (AUDIT, AUDIT_DR)))
    assert run.task("check mode")["prechecks"][0]["valid"] is True
    strict = run.task("strict")
    assert run.status("strict") == "failed"
    assert strict["msg"].startswith("Switchover precheck failed for 1 of 2 pairs: pair %d (audit) -> %d (audit_dr): "
                                    "OBE26021 " % (AUDIT, AUDIT_DR)), strict["msg"]
    assert len(strict["prechecks"]) == 2
    assert posts(simulator) == []


def test_precheck_of_a_switched_pair_reports_the_role_error(run_playbook, simulator):
    first = run_playbook([switchover("swap", [(ORDERS, ORDERS_DR)]), precheck("after", [(ORDERS, ORDERS_DR)])])
    assert first.rc == 0, first.output
    [after] = first.task("after")["prechecks"]
    assert after["valid"] is False and {error["error_code"] for error in after["errors"]} == {"OBE26013"}


# The switchover module ----------------------------------------------------------------------------------------------

def test_switchover_then_a_rerun_changes_nothing(run_playbook, simulator):
    run = run_playbook([switchover("swap", [(ORDERS, ORDERS_DR), (PAY, PAY_DR)])])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("swap")
    assert result["changed"] is True
    assert outcome(result) == [SWITCHED, SWITCHED]
    assert [(entry["name"], entry["standby_name"]) for entry in result["pairs"]] == [("orders", "orders_dr"),
                                                                                     ("pay", "pay_dr")]
    [post] = posts(simulator)
    assert post["path"] == SWITCHOVER_PATH % EAST
    assert post["body"] == {"tenantParamList": [{"tenantId": ORDERS, "standbyTenantId": ORDERS_DR},
                                                {"tenantId": PAY, "standbyTenantId": PAY_DR}]}
    assert roles(simulator, ORDERS, ORDERS_DR, PAY, PAY_DR) == ["STANDBY", "PRIMARY"] * 2
    # the tasks, in one shape whatever OCP sent: the primary's cluster and tenant, subtasks in execution order
    assert [(task["cluster_id"], task["tenant_id"], task["status"]) for task in result["tasks"]] == [
        (EAST, ORDERS, "SUCCESSFUL"), (EAST, PAY, "SUCCESSFUL")]
    assert [subtask["name"] for subtask in result["tasks"][0]["subtasks"]] == SUBTASK_ORDER
    assert all(entry["duration_seconds"] > 0 for entry in result["pairs"])

    simulator.clear_request_log()
    again = run_playbook([switchover("again", [(ORDERS, ORDERS_DR), (PAY, PAY_DR)])])
    assert again.rc == 0, again.output
    second = again.task("again")
    assert second["changed"] is False
    assert outcome(second) == [("already_switched", "STANDBY", "PRIMARY", "STANDBY", "PRIMARY", "SUCCESSFUL")] * 2
    assert [entry["task_id"] for entry in second["pairs"]] == [entry["task_id"] for entry in result["pairs"]]
    assert posts(simulator) == [] and second["tasks"] == []


def test_check_mode_sends_nothing_and_diff_shows_both_roles(run_playbook, simulator):
    run = run_playbook([switchover("preview", [(ORDERS, ORDERS_DR)])], check=True, diff=True)
    assert run.rc == 0, run.output
    result = run.task("preview")
    assert result["changed"] is True
    assert outcome(result) == [("would_switch_over", "PRIMARY", "STANDBY", "STANDBY", "PRIMARY", None)]
    assert posts(simulator) == [] and simulator.state.tasks == {}
    before, after = result["diff"]["before"]["pairs"], result["diff"]["after"]["pairs"]
    assert [(entry["tenant_id"], entry["name"], entry["role"]) for entry in before] == [
        (ORDERS, "orders", "PRIMARY"), (ORDERS_DR, "orders_dr", "STANDBY")]
    assert [entry["role"] for entry in after] == ["STANDBY", "PRIMARY"]
    assert '-            "role": "PRIMARY"' in run.stdout and '+            "role": "STANDBY"' in run.stdout


def test_a_rerun_attaches_to_the_running_task(slow, run_playbook, simulator):
    submitted = run_playbook([switchover("submit", [(ORDERS, ORDERS_DR)], wait=False)])
    assert submitted.rc == 0, submitted.output
    [entry] = submitted.task("submit")["pairs"]
    assert (entry["action"], entry["task_status"], entry["role_after"]) == ("switched_over", "RUNNING", None)
    resumed = run_playbook([switchover("resume", [(ORDERS, ORDERS_DR)])])
    assert resumed.rc == 0, resumed.output
    [again] = resumed.task("resume")["pairs"]
    assert (again["action"], again["task_id"], again["task_status"]) == (
        "attached_to_running_task", entry["task_id"], "SUCCESSFUL")
    assert (again["role_after"], again["standby_role_after"]) == ("STANDBY", "PRIMARY")
    assert resumed.task("resume")["changed"] is True
    assert len(posts(simulator)) == 1 and len(tasks_of(simulator, ORDERS)) == 1


def test_a_lost_answer_is_followed_not_resubmitted(run_playbook, simulator):
    simulator.add_fault(method="POST", path=SWITCHOVER_PATH % EAST, action="lost_response", mode="drop", count=1)
    run = run_playbook([switchover("lost", [(ORDERS, ORDERS_DR)], request_timeout=2)])
    assert run.rc == 0, run.output
    assert outcome(run.task("lost")) == [SWITCHED]
    assert len(posts(simulator)) == 1 and len(tasks_of(simulator, ORDERS)) == 1


def test_a_failed_subtask_is_named_with_its_log(run_playbook, simulator):
    simulator.add_fault(action="task_fail", subtask="Switchover standby tenant to primary", tenantId=ORDERS,
                        message="ErrorCode = 4179, Details = standby orders_dr is still in recovery")
    run = run_playbook([switchover("failing", [(ORDERS, ORDERS_DR), (PAY, PAY_DR)])])
    assert run.rc != 0
    assert_clean_output(run)
    result = run.task("failing")
    [task] = tasks_of(simulator, ORDERS)
    subtask = next(sub for sub in task["subtasks"] if sub["name"] == "Switchover standby tenant to primary")
    assert "The switchover failed for 1 of 2 tenants" in result["msg"]
    assert "tenant %d (orders): task %d FAILED at subtask 'Switchover standby tenant to primary' (id %d)" % (
        ORDERS, task["id"], subtask["id"]) in result["msg"]
    assert "standby orders_dr is still in recovery" in result["msg"]
    orders, pay = result["pairs"]
    assert (orders["task_status"], orders["failed_subtask"]["name"]) == ("FAILED", "Switchover standby tenant to primary")
    assert orders["failed_subtask"]["log_tail"][-1].endswith("standby orders_dr is still in recovery")
    assert pay["task_status"] == "SUCCESSFUL" and result["changed"] is True
    # OceanBase's state between the two switch statements: both standbys
    assert roles(simulator, ORDERS, ORDERS_DR) == ["STANDBY", "STANDBY"]
    assert len(posts(simulator)) == 1


def test_a_half_done_switchover_is_named_then_retried_on_request(run_playbook, simulator):
    simulator.add_fault(action="task_fail", subtask="Set log restore source", tenantId=ORDERS, count=1)
    failed = run_playbook([switchover("failing", [(ORDERS, ORDERS_DR)])])
    assert failed.rc != 0
    [task] = tasks_of(simulator, ORDERS)
    assert roles(simulator, ORDERS, ORDERS_DR) == ["STANDBY", "PRIMARY"]  # the roles switched before the failure

    stopped = run_playbook([dict(switchover("rerun", [(ORDERS, ORDERS_DR)]), ignore_errors=True),
                            switchover("retry", [(ORDERS, ORDERS_DR)], retry_failed_tasks=True)])
    assert stopped.rc == 0, stopped.output
    message = stopped.task("rerun")["msg"]
    assert "its latest switchover task %d FAILED at subtask 'Set log restore source'" % task["id"] in message
    assert "retry_failed_tasks: true (role variable tenant_switchover_retry_failed_tasks)" in message
    assert "Nothing was sent to OCP" in message
    [entry] = stopped.task("retry")["pairs"]
    assert (entry["action"], entry["task_id"], entry["task_status"]) == ("retried_failed_task", task["id"], "SUCCESSFUL")
    assert len(posts(simulator)) == 1 and len(posts(simulator, "/retry")) == 1


def test_switch_back_and_over_again(run_playbook, simulator):
    # A DR drill (over, back) and the next drill: only the newest task of either tenant tells the roles.
    forth = [switchover("over", [(ORDERS, ORDERS_DR)])]
    back = [switchover("back", [(ORDERS_DR, ORDERS)], cluster_id=WEST)]
    for steps, name, expected in ((forth, "over", ["STANDBY", "PRIMARY"]), (back, "back", ["PRIMARY", "STANDBY"]),
                                  (forth, "over", ["STANDBY", "PRIMARY"])):
        run = run_playbook(steps)
        assert run.rc == 0, run.output
        assert outcome(run.task(name)) == [SWITCHED]
        assert roles(simulator, ORDERS, ORDERS_DR) == expected
    assert [entry["path"] for entry in posts(simulator)] == [SWITCHOVER_PATH % cluster for cluster in (EAST, WEST, EAST)]
    rerun = run_playbook(back)
    assert rerun.rc == 0, rerun.output
    assert rerun.task("back")["pairs"][0]["action"] == "switched_over"
    again = run_playbook(back)
    assert again.task("back")["pairs"][0]["action"] == "already_switched" and len(posts(simulator)) == 4


def test_bad_input_fails_clearly_before_anything_is_sent(run_playbook, simulator):
    cases = [switchover("empty", []), switchover("own standby", [(ORDERS, ORDERS)]),
             switchover("twice", [(ORDERS, ORDERS_DR), (PAY, ORDERS_DR)]),
             switchover("unknown standby", [(ORDERS, 2999999)]), precheck("precheck twice", [(ORDERS, ORDERS_DR)] * 2)]
    run = run_playbook([dict(case, ignore_errors=True) for case in cases])
    assert_clean_output(run)
    expected = {
        "empty": "pairs must list at least one {tenant_id, standby_tenant_id} pair",
        "own standby": "pair %d: a tenant cannot be its own standby" % ORDERS,
        "twice": "pairs lists tenant %d more than once" % ORDERS_DR,
        "unknown standby": "OCP knows no tenant with id 2999999",
        "precheck twice": "pairs lists tenant %d, %d more than once" % (ORDERS, ORDERS_DR),
    }
    for name, text in expected.items():
        assert run.status(name) == "failed", (name, run.task(name))
        assert text in run.task(name)["msg"] and "nothing was sent to ocp" in run.task(name)["msg"].lower(), name
    assert posts(simulator) == [] and posts(simulator, "/switchoverPreCheck") == []


# The role and the playbook ------------------------------------------------------------------------------------------

def role(ids=((ORDERS, ORDERS_DR), (PAY, PAY_DR)), cluster_id=EAST, **variables):
    return {"name": "Switch over through the role", "ansible.builtin.include_role": {"name": ROLE},
            "vars": dict({"tenant_switchover_cluster_id": cluster_id, "tenant_switchover_pairs": pairs(*ids),
                          "tenant_switchover_wait_timeout": 60}, **variables)}


def test_role_switches_over_with_play_module_defaults_then_reruns_idempotently(run_playbook, simulator):
    # run_playbook's play carries module_defaults for group/oceanbase.ocp.ocp: they reach the role's modules.
    run = run_playbook([role()], diff=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert len(posts(simulator)) == 1 and len(posts(simulator, "/switchoverPreCheck")) == 2
    assert roles(simulator, ORDERS, ORDERS_DR, PAY, PAY_DR) == ["STANDBY", "PRIMARY"] * 2
    report = run.task("Report the precheck results")["msg"]
    assert report[0].split()[:4] == ["PRIMARY", "NAME", "STANDBY", "NAME"]
    assert any("OBE26007" in line and "warning" in line for line in report)  # shown; warnings allowed by default
    assert any(line.startswith(str(ORDERS)) and "1.5 s" in line for line in report), report
    summary = run.task("Summarise the switchover")["msg"]
    assert len(summary) == 3 and all("switched_over" in line and "STANDBY/PRIMARY" in line for line in summary[1:])
    assert '"role": "STANDBY"' in run.stdout  # --diff shows the roles

    simulator.clear_request_log()
    again = run_playbook([role()])
    assert again.rc == 0, again.output
    assert "changed=0" in again.stdout, again.stdout
    assert posts(simulator) == []
    assert all("already_switched" in line for line in again.task("Summarise the switchover")["msg"][1:])


def test_role_stops_before_any_post_when_a_precheck_blocks(run_playbook, simulator):
    blocked = run_playbook([role(ids=((ORDERS, ORDERS_DR), (AUDIT, AUDIT_DR)))])
    assert blocked.rc != 0
    assert_clean_output(blocked)
    assert "Switchover NOT started: 1 precheck finding(s) block it" in blocked.output
    assert "pair %d (audit) -> %d (audit_dr) error OBE26021" % (AUDIT, AUDIT_DR) in blocked.output
    strict = run_playbook([role(tenant_switchover_allow_warnings=False)])
    assert strict.rc != 0
    assert "OBE26007" in strict.output and "warning" in strict.output
    assert posts(simulator) == []
    assert roles(simulator, ORDERS, ORDERS_DR) == ["PRIMARY", "STANDBY"]


def test_role_in_check_mode_prechecks_and_sends_nothing(run_playbook, simulator):
    run = run_playbook([role()], check=True, diff=True)
    assert run.rc == 0, run.output
    assert len(posts(simulator, "/switchoverPreCheck")) == 2 and posts(simulator) == []
    summary = run.task("Summarise the switchover")["msg"]
    assert all("would_switch_over" in line for line in summary[1:3]) and summary[-1] == "Check mode: nothing was submitted."
    assert roles(simulator, ORDERS, ORDERS_DR) == ["PRIMARY", "STANDBY"]


def test_role_attaches_to_a_running_task(slow, run_playbook, simulator):
    submitted = run_playbook([switchover("submit", [(ORDERS, ORDERS_DR)], wait=False)])
    assert submitted.rc == 0, submitted.output
    # mid-switchover the precheck reports errors for the pair, but its running task is followed, not blocked on
    run = run_playbook([role(ids=((ORDERS, ORDERS_DR),))])
    assert run.rc == 0, run.output
    [line] = run.task("Summarise the switchover")["msg"][1:]
    assert "attached_to_running_task" in line and "SUCCESSFUL" in line and "STANDBY/PRIMARY" in line
    assert len(posts(simulator)) == 1


def test_role_reports_a_failed_subtask(run_playbook, simulator):
    simulator.add_fault(action="task_fail", subtask="Switchover primary tenant to standby", tenantId=PAY)
    run = run_playbook([role()])
    assert run.rc != 0
    assert_clean_output(run)
    assert "task %d FAILED at subtask 'Switchover primary tenant to standby'" % tasks_of(simulator, PAY)[0]["id"] \
        in run.output
    assert len(posts(simulator)) == 1


def test_role_with_ocp_variables(run_playbook, simulator):
    run = run_playbook([role(ids=((ORDERS, ORDERS_DR),), ocp_api_url=simulator.url, ocp_username=ADMIN_USER,
                             ocp_password=ADMIN_PASSWORD)], auth=None)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert roles(simulator, ORDERS, ORDERS_DR) == ["STANDBY", "PRIMARY"]


def test_playbook_dr_drill_switch_over_check_switch_back(run_playbook, simulator, ocp_env):
    # The README's drill: the playbook by its name, the connection from the OCP_* environment (an AWX credential).
    drill = {"tenant_switchover_cluster_id": EAST, "tenant_switchover_pairs": pairs((ORDERS, ORDERS_DR), (PAY, PAY_DR)),
             "tenant_switchover_wait_timeout": 60}
    back = {"tenant_switchover_cluster_id": WEST, "tenant_switchover_pairs": pairs((ORDERS_DR, ORDERS), (PAY_DR, PAY)),
            "tenant_switchover_wait_timeout": 60}
    over = run_playbook(playbook=PLAYBOOK, extra_vars=drill, env=ocp_env, auth=None)
    assert over.rc == 0, over.output
    assert_clean_output(over)
    assert roles(simulator, ORDERS, ORDERS_DR, PAY, PAY_DR) == ["STANDBY", "PRIMARY"] * 2
    # the check between: the switch back, in check mode, would swap both pairs and sends nothing
    check = run_playbook(playbook=PLAYBOOK, extra_vars=back, env=ocp_env, auth=None, check=True)
    assert check.rc == 0, check.output
    assert all("would_switch_over" in line for line in check.task("Summarise the switchover")["msg"][1:3])
    assert len(posts(simulator)) == 1
    returned = run_playbook(playbook=PLAYBOOK, extra_vars=dict(back, tenant_switchover_pairs_json=(
        '[{"tenant_id": %d, "standby_tenant_id": %d}, {"tenant_id": %d, "standby_tenant_id": %d}]'
        % (ORDERS_DR, ORDERS, PAY_DR, PAY))), env=ocp_env, auth=None)
    assert returned.rc == 0, returned.output
    assert roles(simulator, ORDERS, ORDERS_DR, PAY, PAY_DR) == ["PRIMARY", "STANDBY"] * 2
    assert [entry["path"] for entry in posts(simulator)] == [SWITCHOVER_PATH % EAST, SWITCHOVER_PATH % WEST]
