# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the ocp_tenant_failover module: run() against an in-memory OCP with a fake clock, and main()."""

from __future__ import annotations

import json

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.modules import ocp_tenant_failover as module_under_test

CLUSTER_ID = 1
SUBTASKS = (
    # (name, seriesId, upstreams): listed out of graph order on purpose
    ("Failover to primary tenant", 0, ("Reset log restore source",)),
    ("Reset log restore source", 1, ()),
    ("Update primary tenant info task", 2, ("Failover to primary tenant",)),
)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


class FakeOcp:
    """An in-memory OCP with the OcpClient interface. Tasks run for `duration` seconds of fake time.

    `post_outcomes` scripts successive failover POSTs: "ok", "lost_applied" (the tasks are created but the answer
    is lost), "lost_not_applied" (lost before OCP saw it), "created_then_500"; `post_errors` are OcpApiErrors the
    next POSTs answer with instead.
    """

    def __init__(self, clock, roles, duration=3.0, names=None):
        self.clock = clock
        self.duration = duration
        self.tenants = {}
        for tenant_id, role in roles.items():
            detail = {"id": tenant_id, "name": (names or {}).get(tenant_id, "tenant_%d" % tenant_id),
                      "clusterId": CLUSTER_ID, "status": "NORMAL"}
            if role is not None:
                detail["tenantRole"] = role
            self.tenants[tenant_id] = detail
        self.tasks = {}
        self.next_task_id = 500
        self.calls = []
        self.post_outcomes = []
        self.post_errors = []
        self.failing_subtask = {}
        self.stuck_tenants = set()
        self.ignore_role_change = False
        self.list_errors = []

    # helpers for tests
    def add_task(self, tenant_id, status="RUNNING", finish_in=None):
        task_id = self.next_task_id
        self.next_task_id += 1
        ids = dict((name, task_id * 10 + index) for index, (name, dummy, dummy2) in enumerate(SUBTASKS))
        subtasks = []
        for name, series_id, upstreams in SUBTASKS:
            subtasks.append({"id": ids[name], "name": name, "seriesId": series_id, "status": "PENDING",
                             "upstreams": [ids[up] for up in upstreams],
                             "downstreams": [ids[n] for n, s, ups in SUBTASKS if name in ups]})
        finish = None
        if status == "RUNNING" and tenant_id not in self.stuck_tenants:
            finish = self.clock.now + (self.duration if finish_in is None else finish_in)
        self.tasks[task_id] = {
            "task": {"id": task_id, "name": "Failover tenant", "clusterId": CLUSTER_ID, "tenantId": tenant_id,
                     "status": status, "type": "MANUAL", "operation": "EXECUTE", "creator": "admin",
                     "startTime": "2024-07-23T17:42:34.000+08:00", "subtasks": subtasks},
            "finish": finish,
        }
        return task_id

    def posts(self):
        return [call for call in self.calls if call[0] == "failover"]

    def calls_named(self, name):
        return [call for call in self.calls if call[0] == name]

    def _refresh(self):
        for entry in self.tasks.values():
            task = entry["task"]
            if task["status"] != "RUNNING" or entry["finish"] is None or self.clock.now < entry["finish"]:
                continue
            failing = self.failing_subtask.get(task["tenantId"])
            task["finishTime"] = "2024-07-23T17:42:37.500+08:00"
            if failing:
                task["status"] = "FAILED"
                for subtask in task["subtasks"]:
                    subtask["status"] = "FAILED" if subtask["name"] == failing else "SUCCESSFUL"
            else:
                task["status"] = "SUCCESSFUL"
                for subtask in task["subtasks"]:
                    subtask["status"] = "SUCCESSFUL"
                tenant = self.tenants[task["tenantId"]]
                if "tenantRole" in tenant and not self.ignore_role_change:
                    tenant["tenantRole"] = "PRIMARY"

    # the OcpClient interface
    def get_tenant(self, cluster_id, tenant_id):
        self.calls.append(("get_tenant", tenant_id))
        self._refresh()
        if cluster_id != CLUSTER_ID or tenant_id not in self.tenants:
            raise OcpApiError("GET", "/api/v2/ob/clusters/%d/tenants/%d" % (cluster_id, tenant_id),
                              "Tenant not found", status=404, code="OBE21002")
        return dict(self.tenants[tenant_id])

    def list_tasks(self, **filters):
        self.calls.append(("list_tasks", filters))
        if self.list_errors:
            raise self.list_errors.pop(0)
        self._refresh()
        tasks = [dict(entry["task"], subtasks=None) for entry in self.tasks.values()]
        for key in ("clusterId", "name", "status", "tenantId"):
            if key in filters:
                tasks = [task for task in tasks if task.get(key) == filters[key]]
        return tasks

    def get_task(self, task_id):
        self.calls.append(("get_task", task_id))
        self._refresh()
        return json.loads(json.dumps(self.tasks[task_id]["task"]))

    def get_subtask_log(self, task_id, subtask_id):
        self.calls.append(("get_subtask_log", task_id, subtask_id))
        return "\n".join("log line %d" % n for n in range(1, 16)) + "\nORA-00600: internal error"

    def failover(self, cluster_id, items):
        self.calls.append(("failover", [dict(item) for item in items]))
        if self.post_errors:
            raise self.post_errors.pop(0)
        outcome = self.post_outcomes.pop(0) if self.post_outcomes else "ok"
        if outcome == "lost_not_applied":
            raise OcpApiError("POST", "/api/v2/ob/clusters/1/tenants/failover", "the connection was lost",
                              response_lost=True)
        created = [self.add_task(item["tenantId"]) for item in items]
        if outcome == "lost_applied":
            raise OcpApiError("POST", "/api/v2/ob/clusters/1/tenants/failover", "no answer within 2 s",
                              response_lost=True)
        if outcome == "created_then_500":
            raise OcpApiError("POST", "/api/v2/ob/clusters/1/tenants/failover", "Internal error", status=500,
                              code="COM10000", trace_id="abc")
        return [self.get_task(task_id) for task_id in created]


class ModuleFailed(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = True

    def fail_json(self, **result):
        raise ModuleFailed(result)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(module_under_test, "time", fake)
    return fake


def params(*tenant_ids, **overrides):
    values = {
        "cluster_id": CLUSTER_ID,
        "tenants": [{"tenant_id": tenant_id, "service_name": None} for tenant_id in tenant_ids],
        "wait": True,
        "wait_timeout": 1800,
        "wait_sleep": None,
        "request_timeout": 2.0,
    }
    values.update(overrides)
    return values


def run(ocp, module_params, check_mode=False):
    return module_under_test.run(FakeModule(module_params, check_mode=check_mode), ocp)


def fail(ocp, module_params, check_mode=False):
    with pytest.raises(ModuleFailed) as raised:
        run(ocp, module_params, check_mode=check_mode)
    return raised.value.result


def by_tenant(result):
    return dict((entry["tenant_id"], entry) for entry in result["tenants"])


class TestFailover:
    def test_one_post_for_the_batch_then_one_wait(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY", 3: "STANDBY"})
        module_params = params(1, 2, 3)
        module_params["tenants"][0]["service_name"] = "SERVICE_A"
        changed, result, diff = run(ocp, module_params)
        assert changed is True
        assert ocp.posts() == [("failover", [{"tenantId": 1, "serviceName": "SERVICE_A"}, {"tenantId": 2},
                                             {"tenantId": 3}])]
        assert [(t["tenant_id"], t["action"], t["task_status"], t["role_before"], t["role_after"])
                for t in result["tenants"]] == [
            (1, "failed_over", "SUCCESSFUL", "STANDBY", "PRIMARY"),
            (2, "failed_over", "SUCCESSFUL", "STANDBY", "PRIMARY"),
            (3, "failed_over", "SUCCESSFUL", "STANDBY", "PRIMARY"),
        ]
        first = result["tenants"][0]
        assert first["service_name"] == "SERVICE_A" and first["name"] == "tenant_1"
        assert first["duration_seconds"] == 3.5
        assert [task["tenant_id"] for task in result["tasks"]] == [1, 2, 3]
        # snake_case keys, subtasks in graph order
        assert [s["name"] for s in result["tasks"][0]["subtasks"]] == [
            "Reset log restore source", "Failover to primary tenant", "Update primary tenant info task"]
        assert "series_id" in result["tasks"][0]["subtasks"][0]
        # one polling loop: one list call per round for the whole batch
        assert result["polls"] >= 1
        running_lists = [call for call in ocp.calls_named("list_tasks") if call[1].get("status") == "RUNNING"]
        assert len(running_lists) == result["polls"]
        assert diff["before"]["tenants"][0] == {"tenant_id": 1, "name": "tenant_1", "role": "STANDBY"}
        assert diff["after"]["tenants"][0] == {"tenant_id": 1, "name": "tenant_1", "role": "PRIMARY"}

    def test_reads_state_with_one_task_query(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        run(ocp, params(1, 2, wait=False))
        first_post = ocp.calls.index(ocp.posts()[0])
        before_post = ocp.calls[:first_post]
        assert sorted(call[1] for call in before_post if call[0] == "get_tenant") == [1, 2]
        assert [call[1] for call in before_post if call[0] == "list_tasks"] == [
            {"clusterId": CLUSTER_ID, "name": "Failover tenant"}]

    def test_second_run_changes_nothing(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        run(ocp, params(1, 2))
        changed, result, diff = run(ocp, params(1, 2))
        assert changed is False
        assert len(ocp.posts()) == 1
        assert [t["action"] for t in result["tenants"]] == ["already_primary", "already_primary"]
        assert result["tasks"] == [] and result["polls"] == 0
        assert diff["before"] == diff["after"]

    def test_mixed_batch_submits_only_what_needs_it(self, clock):
        ocp = FakeOcp(clock, {1: "PRIMARY", 2: "STANDBY", 3: "STANDBY"})
        running = ocp.add_task(3)
        changed, result, dummy = run(ocp, params(1, 2, 3))
        assert changed is True
        assert ocp.posts() == [("failover", [{"tenantId": 2}])]
        tenants = by_tenant(result)
        assert tenants[1]["action"] == "already_primary" and tenants[1]["task_id"] is None
        # every key is always there, so a summary can print any tenant without checking
        assert (tenants[1]["started_at"], tenants[1]["finished_at"], tenants[1]["duration_seconds"]) == (None, None, None)
        assert set(tenants[1]) == set(tenants[2])
        assert tenants[2]["action"] == "failed_over"
        assert tenants[3]["action"] == "attached_to_running_task" and tenants[3]["task_id"] == running
        assert tenants[3]["task_status"] == "SUCCESSFUL" and tenants[3]["role_after"] == "PRIMARY"

    def test_without_a_role_field_the_task_list_decides(self, clock):
        ocp = FakeOcp(clock, {1: None, 2: None})
        ocp.add_task(1, status="SUCCESSFUL")
        changed, result, dummy = run(ocp, params(1, 2))
        assert ocp.posts() == [("failover", [{"tenantId": 2}])]
        tenants = by_tenant(result)
        assert (tenants[1]["action"], tenants[1]["role_source"]) == ("already_primary", "tasks")
        assert (tenants[2]["action"], tenants[2]["role_after"]) == ("failed_over", "PRIMARY")
        # and a rerun now sees the successful task
        changed, dummy, dummy2 = run(ocp, params(1, 2))
        assert changed is False and len(ocp.posts()) == 1

    def test_wait_false_returns_right_after_submission(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        changed, result, dummy = run(ocp, params(1, wait=False))
        assert changed is True
        entry = result["tenants"][0]
        assert (entry["action"], entry["task_status"], entry["role_after"]) == ("failed_over", "RUNNING", None)
        assert entry["task_id"] == result["tasks"][0]["id"]
        assert result["polls"] == 0 and clock.now == 0
        # the rerun attaches to that task and waits for it
        changed, result, dummy = run(ocp, params(1))
        assert len(ocp.posts()) == 1
        assert (result["tenants"][0]["action"], result["tenants"][0]["task_status"]) == (
            "attached_to_running_task", "SUCCESSFUL")


class TestCheckMode:
    def test_nothing_is_sent_and_nothing_waited_for(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "PRIMARY", 3: "STANDBY"})
        ocp.add_task(3)
        changed, result, diff = run(ocp, params(1, 2, 3), check_mode=True)
        assert changed is True
        assert ocp.posts() == [] and clock.now == 0
        assert [t["action"] for t in result["tenants"]] == [
            "would_fail_over", "already_primary", "attached_to_running_task"]
        assert [t["role_after"] for t in result["tenants"]] == ["PRIMARY", "PRIMARY", "PRIMARY"]
        assert diff["before"]["tenants"][0]["role"] == "STANDBY"
        assert diff["after"]["tenants"][0]["role"] == "PRIMARY"

    def test_nothing_to_do(self, clock):
        ocp = FakeOcp(clock, {1: "PRIMARY"})
        changed, dummy, dummy2 = run(ocp, params(1), check_mode=True)
        assert changed is False


class TestBadInput:
    @pytest.mark.parametrize("overrides, message", [
        ({"tenants": []}, "tenants must list at least one tenant"),
        ({"wait_timeout": -1}, "wait_timeout must be a positive number"),
        ({"wait_sleep": 0.0}, "wait_sleep must be a positive number"),
    ])
    def test_rejected_before_anything_is_sent(self, clock, overrides, message):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        result = fail(ocp, params(1, **overrides))
        assert message in result["msg"] and "nothing was sent" in result["msg"]
        assert ocp.calls == []

    def test_duplicates(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        result = fail(ocp, params(1, 1))
        assert "tenant_id 1 more than once" in result["msg"]
        assert ocp.calls == []

    def test_unknown_tenants_are_named_before_any_post(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        result = fail(ocp, params(1, 7, 8))
        assert "tenant 7 not found in cluster 1: check cluster_id/tenant_id" in result["msg"]
        assert "tenant 8 not found in cluster 1" in result["msg"]
        assert result["error"]["status"] == 404
        assert ocp.posts() == []
        assert "changed" in result and result["changed"] is False

    def test_unknown_cluster(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        result = fail(ocp, params(1, cluster_id=99))
        assert "tenant 1 not found in cluster 99" in result["msg"]
        assert ocp.posts() == []


class TestLostResponse:
    def test_tasks_created_despite_the_lost_answer_are_followed_not_resubmitted(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        ocp.post_outcomes = ["lost_applied"]
        changed, result, dummy = run(ocp, params(1, 2))
        assert changed is True
        assert len(ocp.posts()) == 1
        assert len(ocp.tasks) == 2
        assert [(t["action"], t["task_status"]) for t in result["tenants"]] == [
            ("failed_over", "SUCCESSFUL"), ("failed_over", "SUCCESSFUL")]

    def test_a_request_ocp_never_saw_is_resubmitted_once(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        ocp.post_outcomes = ["lost_not_applied"]
        changed, result, dummy = run(ocp, params(1, 2, request_timeout=8.0))
        assert [call[1] for call in ocp.posts()] == [[{"tenantId": 1}, {"tenantId": 2}]] * 2
        assert len(ocp.tasks) == 2
        assert [t["task_status"] for t in result["tenants"]] == ["SUCCESSFUL", "SUCCESSFUL"]
        # the grace period lasted at least request_timeout before concluding nothing was created
        rereads = [call for call in ocp.calls_named("list_tasks") if "status" not in call[1]]
        assert len(rereads) >= 1 + 8

    def test_a_late_task_within_the_grace_period_is_found(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        ocp.post_outcomes = ["lost_not_applied"]
        real_list = ocp.list_tasks

        def list_after_ocp_catches_up(**filters):
            if clock.now >= 3 and not ocp.tasks:
                ocp.add_task(1)
            return real_list(**filters)

        ocp.list_tasks = list_after_ocp_catches_up
        changed, result, dummy = run(ocp, params(1))
        assert len(ocp.posts()) == 1 and len(ocp.tasks) == 1
        assert result["tenants"][0]["task_status"] == "SUCCESSFUL"

    def test_only_tenants_without_a_task_are_resubmitted(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        ocp.post_outcomes = ["lost_not_applied"]
        real_failover = ocp.failover

        def failover_applying_tenant_1_only(cluster_id, items):
            if not ocp.tasks:
                ocp.add_task(1)
            return real_failover(cluster_id, items)

        ocp.failover = failover_applying_tenant_1_only
        changed, result, dummy = run(ocp, params(1, 2))
        assert [call[1] for call in ocp.posts()] == [[{"tenantId": 1}, {"tenantId": 2}], [{"tenantId": 2}]]
        assert sorted(entry["task"]["tenantId"] for entry in ocp.tasks.values()) == [1, 2]
        assert [t["task_status"] for t in result["tenants"]] == ["SUCCESSFUL", "SUCCESSFUL"]

    def test_two_lost_answers_without_tasks_fail_without_a_third_post(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        ocp.post_outcomes = ["lost_not_applied", "lost_not_applied"]
        result = fail(ocp, params(1))
        assert len(ocp.posts()) == 2
        assert "answers to both failover requests were lost" in result["msg"]
        assert "tenants 1" in result["msg"]

    def test_unreadable_task_list_after_a_lost_answer_never_resubmits(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        ocp.post_outcomes = ["lost_not_applied"]
        real_failover = ocp.failover

        def failover_then_ocp_goes_down(cluster_id, items):
            ocp.list_errors = [OcpApiError("GET", "/api/v2/tasks/instances", "could not connect")] * 1000
            return real_failover(cluster_id, items)

        ocp.failover = failover_then_ocp_goes_down
        result = fail(ocp, params(1))
        assert len(ocp.posts()) == 1
        assert "Do not resubmit by hand" in result["msg"]
        assert result["changed"] is False


class TestAnsweredErrors:
    def test_4xx_fails_with_the_error(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        ocp.post_errors = [OcpApiError("POST", "/api/v2/ob/clusters/1/tenants/failover",
                                       "not allowed because the primary tenant is alive", status=400,
                                       code="OBE26019")]
        result = fail(ocp, params(1))
        assert len(ocp.posts()) == 1
        assert "OBE26019" in result["msg"] and "primary tenant is alive" in result["msg"]
        assert result["error"]["code"] == "OBE26019"
        assert result["tenants"][0]["task_id"] is None
        assert result["changed"] is False

    def test_5xx_reports_tasks_created_anyway(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        ocp.post_outcomes = ["created_then_500"]
        result = fail(ocp, params(1, 2))
        assert len(ocp.posts()) == 1
        task_ids = sorted(ocp.tasks)
        assert "created tasks anyway" in result["msg"]
        for task_id in task_ids:
            assert "task %d" % task_id in result["msg"]
        assert [t["task_id"] for t in result["tenants"]] == task_ids
        assert len(result["tasks"]) == 2
        assert result["changed"] is True

    def test_a_request_that_never_left_is_not_a_lost_answer(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        ocp.post_errors = [OcpApiError("POST", "/x", "could not connect: Connection refused")]
        result = fail(ocp, params(1))
        assert len(ocp.posts()) == 1
        assert "never reached OCP, so nothing was submitted" in result["msg"]


class TestWaitOutcomes:
    def test_failed_task_names_tenant_task_subtask_and_log(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        ocp.failing_subtask[2] = "Failover to primary tenant"
        result = fail(ocp, params(1, 2))
        task_id = result["tenants"][1]["task_id"]
        subtask_id = task_id * 10
        message = result["msg"]
        assert "tenant 2 (tenant_2): task %d FAILED at subtask 'Failover to primary tenant' (id %d)" % (
            task_id, subtask_id) in message
        assert "ORA-00600: internal error" in message and "log line 7" in message and "log line 6" not in message
        assert "POST /api/v2/tasks/instances/{id}/retry" in message and "rerun the playbook" in message
        # the tenant whose task succeeded still gets its role confirmed
        assert (result["tenants"][0]["task_status"], result["tenants"][0]["role_after"]) == ("SUCCESSFUL", "PRIMARY")
        failed = result["tenants"][1]
        assert failed["task_status"] == "FAILED" and failed["role_after"] == "STANDBY"
        assert failed["failed_subtask"]["name"] == "Failover to primary tenant"
        assert len(failed["failed_subtask"]["log_tail"]) == 10
        assert len(result["tasks"]) == 2 and result["changed"] is True

    def test_timeout_lists_every_task_and_says_a_rerun_resumes(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY", 2: "STANDBY"})
        ocp.stuck_tenants.add(2)
        result = fail(ocp, params(1, 2, wait_timeout=20))
        ids = [t["task_id"] for t in result["tenants"]]
        assert "Timed out after 20 seconds" in result["msg"]
        assert "tenant 1 (tenant_1): task %d SUCCESSFUL" % ids[0] in result["msg"]
        assert "tenant 2 (tenant_2): task %d RUNNING" % ids[1] in result["msg"]
        assert "rerun the playbook to resume waiting" in result["msg"]
        assert [t["role_after"] for t in result["tenants"]] == ["PRIMARY", None]
        assert clock.now == pytest.approx(20)
        # the rerun resumes the wait on the same task
        ocp.tasks[ids[1]]["finish"] = clock.now + 2
        changed, result, dummy = run(ocp, params(1, 2))
        assert len(ocp.posts()) == 1
        assert [t["action"] for t in result["tenants"]] == ["already_primary", "attached_to_running_task"]
        assert result["tenants"][1]["task_id"] == ids[1]

    def test_auth_error_while_waiting_names_the_running_tasks(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        real_failover = ocp.failover

        def failover_then_key_revoked(cluster_id, items):
            ocp.list_errors = [OcpApiError("GET", "/api/v2/tasks/instances", "wrong user or password", status=401,
                                           code="IAM10004")]
            return real_failover(cluster_id, items)

        ocp.failover = failover_then_key_revoked
        result = fail(ocp, params(1))
        assert "IAM10004" in result["msg"] and "rerun the playbook to resume waiting" in result["msg"]
        assert "task %d RUNNING" % result["tenants"][0]["task_id"] in result["msg"]
        assert result["error"]["status"] == 401

    def test_a_tenant_that_is_not_primary_after_success_fails(self, clock):
        ocp = FakeOcp(clock, {1: "STANDBY"})
        ocp.ignore_role_change = True
        result = fail(ocp, params(1))
        assert "not every tenant is primary" in result["msg"] and "reports STANDBY" in result["msg"]


class TestMain:
    def run_main(self, capsys, args):
        with patch_module_args(args):
            with pytest.raises(SystemExit):
                module_under_test.main()
        return json.loads(capsys.readouterr().out)

    def test_bad_input_fails_cleanly_before_any_request(self, capsys):
        # port 9 (discard) on loopback: nothing must be sent anyway
        result = self.run_main(capsys, {"api_url": "http://127.0.0.1:9", "username": "admin", "password": "pw-123",
                                        "cluster_id": 1, "tenants": [], "wait_timeout": -3})
        assert result["failed"] is True
        assert "tenants must list at least one tenant" in result["msg"]
        assert "wait_timeout must be a positive number" in result["msg"]

    def test_tenant_id_is_required(self, capsys):
        result = self.run_main(capsys, {"api_url": "http://127.0.0.1:9", "username": "admin", "password": "pw-123",
                                        "cluster_id": 1, "tenants": [{"service_name": "S"}]})
        assert result["failed"] is True and "tenant_id" in result["msg"]

    def test_authentication_methods_exclude_each_other(self, capsys):
        result = self.run_main(capsys, {"api_url": "http://127.0.0.1:9", "username": "admin", "password": "pw-123",
                                        "access_key_id": "AK", "access_key_secret": "SK", "cluster_id": 1,
                                        "tenants": [{"tenant_id": 1}]})
        assert result["failed"] is True and "mutually exclusive" in result["msg"]
