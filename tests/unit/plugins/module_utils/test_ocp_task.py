# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/tasks.py: subtask order, result shaping, timings and the batch waiter (fake clock)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.tasks import (
    MAX_ADAPTIVE_POLL_INTERVAL,
    TaskWaiter,
    describe_failure,
    failed_subtask,
    is_transient,
    log_tail,
    order_subtasks,
    parse_time,
    poll_intervals,
    task_result,
    task_timing,
)

# The subtasks of OCP's batch failover sample response, in the order OCP lists them (out of execution order,
# and with seriesIds that disagree with the upstream/downstream graph).
SAMPLE_SUBTASKS = [
    {"description": "Failover to primary tenant", "downstreams": [13025785], "id": 13025788,
     "name": "Failover to primary tenant", "nodeType": "JAVA_TASK", "operation": "EXECUTE", "parallelIdx": -1,
     "prohibitRollback": True, "runTime": 1, "seriesId": 2, "status": "PENDING", "timeout": 1800,
     "upstreams": [13025787]},
    {"description": "Reset log restore source", "downstreams": [13025788], "id": 13025787,
     "name": "Reset log restore source", "nodeType": "JAVA_TASK", "operation": "EXECUTE", "parallelIdx": -1,
     "prohibitRollback": False, "runTime": 1, "seriesId": 3, "status": "READY", "timeout": 1800, "upstreams": []},
    {"description": "Create tenant service name", "downstreams": [13025789], "id": 13025786,
     "name": "Create tenant service name", "nodeType": "JAVA_TASK", "operation": "EXECUTE", "parallelIdx": -1,
     "prohibitRollback": False, "runTime": 1, "seriesId": 0, "status": "PENDING", "timeout": 1800,
     "upstreams": [13025785]},
    {"description": "Update primary tenant info task", "downstreams": [], "id": 13025789,
     "name": "Update primary tenant info task", "nodeType": "JAVA_TASK", "operation": "EXECUTE", "parallelIdx": -1,
     "prohibitRollback": True, "runTime": 1, "seriesId": 4, "status": "PENDING", "timeout": 1800,
     "upstreams": [13025786]},
    {"description": "Upgrade tenant data version", "downstreams": [13025786], "id": 13025785,
     "name": "Upgrade tenant data version", "nodeType": "JAVA_TASK", "operation": "EXECUTE", "parallelIdx": -1,
     "prohibitRollback": False, "runTime": 1, "seriesId": 1, "status": "PENDING", "timeout": 1800,
     "upstreams": [13025788]},
]
SAMPLE_GRAPH_ORDER = [
    "Reset log restore source",
    "Failover to primary tenant",
    "Upgrade tenant data version",
    "Create tenant service name",
    "Update primary tenant info task",
]
SAMPLE_TASK = {
    "clusterId": 3000010, "creator": "admin", "executor": "xxx.xxx.xxx.xxx", "id": 12022226,
    "name": "Failover tenant", "operation": "EXECUTE", "prohibitRollback": False,
    "startTime": "2024-07-23T17:42:34.056+08:00", "status": "RUNNING", "subtasks": SAMPLE_SUBTASKS,
    "taskDefinitionId": -1, "tenantId": 2000025, "type": "MANUAL",
}


def names(subtasks):
    return [subtask["name"] for subtask in subtasks]


def subtask(subtask_id, series_id, upstreams=(), downstreams=(), status="PENDING"):
    return {"id": subtask_id, "name": "s%d" % subtask_id, "seriesId": series_id, "status": status,
            "upstreams": list(upstreams), "downstreams": list(downstreams)}


class TestOrderSubtasks:
    def test_sample_follows_the_graph_not_position_nor_series_id(self):
        ordered = order_subtasks(SAMPLE_SUBTASKS)
        assert names(ordered) == SAMPLE_GRAPH_ORDER
        assert names(ordered) != names(SAMPLE_SUBTASKS)
        assert names(ordered) != names(sorted(SAMPLE_SUBTASKS, key=lambda s: s["seriesId"]))

    def test_same_order_whatever_the_input_order(self):
        assert names(order_subtasks(list(reversed(SAMPLE_SUBTASKS)))) == SAMPLE_GRAPH_ORDER

    def test_ties_are_broken_by_series_id(self):
        # 1 -> {2, 3} -> 4: the two parallel subtasks come in seriesId order, whatever their ids or positions.
        subtasks = [
            subtask(4, 9, upstreams=[2, 3]),
            subtask(2, 7, upstreams=[1], downstreams=[4]),
            subtask(3, 5, upstreams=[1], downstreams=[4]),
            subtask(1, 8, downstreams=[2, 3]),
        ]
        assert [s["id"] for s in order_subtasks(subtasks)] == [1, 3, 2, 4]

    def test_an_edge_recorded_on_one_side_only_still_counts(self):
        only_upstreams = [subtask(1, 0, upstreams=[2]), subtask(2, 1)]
        only_downstreams = [subtask(1, 0), subtask(2, 1, downstreams=[1])]
        assert [s["id"] for s in order_subtasks(only_upstreams)] == [2, 1]
        assert [s["id"] for s in order_subtasks(only_downstreams)] == [2, 1]

    def test_edges_to_unknown_subtasks_are_ignored(self):
        subtasks = [subtask(1, 1, upstreams=[99]), subtask(2, 0, downstreams=[98])]
        assert [s["id"] for s in order_subtasks(subtasks)] == [2, 1]

    def test_a_cycle_does_not_lose_subtasks(self):
        subtasks = [subtask(1, 2, upstreams=[2]), subtask(2, 1, upstreams=[1]), subtask(3, 0)]
        assert [s["id"] for s in order_subtasks(subtasks)] == [3, 2, 1]

    def test_empty_and_missing(self):
        assert order_subtasks([]) == []
        assert order_subtasks(None) == []

    def test_input_is_not_modified(self):
        before = copy.deepcopy(SAMPLE_SUBTASKS)
        order_subtasks(SAMPLE_SUBTASKS)
        assert SAMPLE_SUBTASKS == before


class TestTaskResult:
    def test_snake_case_and_graph_ordered_subtasks(self):
        result = task_result(SAMPLE_TASK)
        assert result["id"] == 12022226
        assert result["cluster_id"] == 3000010
        assert result["tenant_id"] == 2000025
        assert result["task_definition_id"] == -1
        assert result["start_time"] == "2024-07-23T17:42:34.056+08:00"
        assert names(result["subtasks"]) == SAMPLE_GRAPH_ORDER
        first = result["subtasks"][0]
        assert first["series_id"] == 3
        assert first["prohibit_rollback"] is False
        assert first["parallel_idx"] == -1
        assert "seriesId" not in first

    def test_none(self):
        assert task_result(None) is None

    def test_source_task_untouched(self):
        before = copy.deepcopy(SAMPLE_TASK)
        task_result(SAMPLE_TASK)
        assert SAMPLE_TASK == before


class TestFailure:
    def test_failed_subtask_is_the_first_failed_in_execution_order(self):
        subtasks = copy.deepcopy(SAMPLE_SUBTASKS)
        for item in subtasks:
            if item["name"] in ("Failover to primary tenant", "Create tenant service name"):
                item["status"] = "FAILED"
        assert failed_subtask({"subtasks": subtasks})["name"] == "Failover to primary tenant"

    def test_no_failed_subtask(self):
        assert failed_subtask(SAMPLE_TASK) is None
        assert failed_subtask({}) is None

    def test_log_tail_keeps_the_last_non_empty_lines(self):
        log = "\n".join("line %d" % n for n in range(1, 31)) + "\n\n"
        assert log_tail(log) == ["line %d" % n for n in range(21, 31)]
        assert log_tail("a\n\n  \nb", lines=5) == ["a", "b"]
        assert log_tail("") == []
        assert log_tail(None) == []

    def test_describe_failure_reads_the_failed_subtasks_log(self):
        task = copy.deepcopy(SAMPLE_TASK)
        task["subtasks"][0]["status"] = "FAILED"

        class Client:
            def get_subtask_log(self, task_id, subtask_id):
                assert (task_id, subtask_id) == (12022226, 13025788)
                return "\n".join("log %d" % n for n in range(15))

        failure = describe_failure(Client(), task)
        assert failure["subtask_id"] == 13025788
        assert failure["subtask_name"] == "Failover to primary tenant"
        assert failure["log_tail"] == ["log %d" % n for n in range(5, 15)]

    def test_describe_failure_survives_an_unreadable_log(self):
        task = copy.deepcopy(SAMPLE_TASK)
        task["subtasks"][0]["status"] = "FAILED"

        class Client:
            def get_subtask_log(self, task_id, subtask_id):
                raise OcpApiError("GET", "/log", "gone", status=404)

        failure = describe_failure(Client(), task)
        assert failure["subtask_name"] == "Failover to primary tenant"
        assert failure["log_tail"] == []
        assert "gone" in failure["log_error"]


class TestTimes:
    def test_parse_ocp_times(self):
        parsed = parse_time("2024-07-23T17:42:34.056+08:00")
        assert (parsed.hour, parsed.microsecond, parsed.utcoffset().total_seconds()) == (17, 56000, 8 * 3600)
        assert parse_time("2024-07-23T09:42:34Z").utcoffset().total_seconds() == 0
        assert parse_time("2024-07-23T17:42:34.1+08:00").microsecond == 100000
        assert parse_time("2024-07-23T17:42:34.1234567+08:00").microsecond == 123456
        assert parse_time("yesterday") is None
        assert parse_time(None) is None
        assert parse_time(12) is None

    def test_task_timing(self):
        task = {"startTime": "2024-07-23T17:42:34.056+08:00", "finishTime": "2024-07-23T17:44:02.311+08:00"}
        assert task_timing(task) == (task["startTime"], task["finishTime"], 88.255)

    def test_task_timing_while_running(self):
        assert task_timing({"startTime": "2024-07-23T17:42:34.056+08:00"}) == (
            "2024-07-23T17:42:34.056+08:00", None, None)
        assert task_timing({}) == (None, None, None)


class TestPolling:
    def test_adaptive_intervals_start_fast_and_cap_at_one_second(self):
        intervals = poll_intervals()
        first = [next(intervals) for dummy in range(6)]
        assert first[0] == 0.5
        assert first == sorted(first)
        assert max(first) == MAX_ADAPTIVE_POLL_INTERVAL == 1.0

    def test_fixed_interval(self):
        intervals = poll_intervals(3)
        assert [next(intervals) for dummy in range(3)] == [3, 3, 3]

    @pytest.mark.parametrize("status, transient", [(None, True), (500, True), (502, True), (503, True),
                                                   (429, True), (401, False), (403, False), (404, False),
                                                   (400, False)])
    def test_which_errors_are_transient(self, status, transient):
        assert is_transient(OcpApiError("GET", "/x", "boom", status=status)) is transient


class FakeClock:
    """Monotonic time that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


class FakeTaskClient:
    """Tasks that finish at a given fake time; records every call. `errors` are raised by the next list calls."""

    def __init__(self, clock, finish_at, final_status=None, errors=()):
        self.clock = clock
        self.finish_at = dict(finish_at)
        self.final_status = dict(final_status or {})
        self.errors = list(errors)
        self.calls = []

    def status(self, task_id):
        if self.clock() >= self.finish_at[task_id]:
            return self.final_status.get(task_id, "SUCCESSFUL")
        return "RUNNING"

    def task(self, task_id):
        return {"id": task_id, "name": "Failover tenant", "status": self.status(task_id), "subtasks": []}

    def list_tasks(self, **filters):
        self.calls.append(("list", filters))
        if self.errors:
            raise self.errors.pop(0)
        tasks = [self.task(task_id) for task_id in self.finish_at]
        if filters.get("status"):
            tasks = [task for task in tasks if task["status"] == filters["status"]]
        return tasks

    def get_task(self, task_id):
        self.calls.append(("get", task_id))
        return self.task(task_id)

    def detail_gets(self):
        return [call[1] for call in self.calls if call[0] == "get"]

    def list_calls(self):
        return [call for call in self.calls if call[0] == "list"]


def running(*task_ids):
    return [{"id": task_id, "status": "RUNNING"} for task_id in task_ids]


def waiter(client, clock, timeout=60, interval=None):
    return TaskWaiter(client, 7, "Failover tenant", timeout, interval, clock=clock, sleep=clock.sleep)


class TestTaskWaiter:
    def test_one_loop_for_the_batch_and_details_only_for_finished_tasks(self):
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 1001.0, 2: 1003.0, 3: 1005.0})
        outcome = waiter(client, clock).wait(running(1, 2, 3))
        assert not outcome.timed_out
        assert [outcome.tasks[i]["status"] for i in (1, 2, 3)] == ["SUCCESSFUL"] * 3
        assert outcome.unfinished_ids() == []
        # one list call per round, each filtered to the cluster's running failover tasks
        assert len(client.list_calls()) == outcome.polls
        assert client.list_calls()[0][1] == {"clusterId": 7, "name": "Failover tenant", "status": "RUNNING"}
        # each task's detail is read once, when it leaves the running list
        assert sorted(client.detail_gets()) == [1, 2, 3]
        assert max(clock.sleeps) <= 1.0

    def test_a_finished_task_is_noticed_within_a_second_or_two(self):
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 1030.0})
        waiter(client, clock).wait(running(1))
        assert clock.now - 1030.0 <= 1.0

    def test_fixed_interval(self):
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 1010.0})
        outcome = waiter(client, clock, interval=5).wait(running(1))
        assert set(clock.sleeps) == {5}
        assert outcome.polls == 2

    def test_nothing_to_wait_for(self):
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 0.0})
        outcome = waiter(client, clock).wait([{"id": 1, "status": "SUCCESSFUL"}])
        assert (outcome.polls, outcome.timed_out, client.calls) == (0, False, [])

    def test_timeout_leaves_running_tasks_and_never_oversleeps(self):
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 1002.0, 2: 5000.0})
        outcome = waiter(client, clock, timeout=10, interval=3).wait(running(1, 2))
        assert outcome.timed_out
        assert outcome.unfinished_ids() == [2]
        assert outcome.tasks[1]["status"] == "SUCCESSFUL"
        assert clock.now == 1010.0
        assert clock.sleeps == [3, 3, 3, 1]

    def test_transient_errors_are_tolerated(self):
        clock = FakeClock()
        errors = [OcpApiError("GET", "/api/v2/tasks/instances", "could not connect", status=None),
                  OcpApiError("GET", "/api/v2/tasks/instances", "Service Unavailable", status=503)]
        client = FakeTaskClient(clock, {1: 1002.0}, errors=errors)
        outcome = waiter(client, clock).wait(running(1))
        assert not outcome.timed_out
        assert outcome.tasks[1]["status"] == "SUCCESSFUL"
        assert outcome.last_error.status == 503

    def test_transient_errors_until_the_timeout(self):
        clock = FakeClock()
        errors = [OcpApiError("GET", "/x", "refused", status=None)] * 100
        client = FakeTaskClient(clock, {1: 1002.0}, errors=errors)
        outcome = waiter(client, clock, timeout=5).wait(running(1))
        assert outcome.timed_out
        assert outcome.last_error.message == "refused"

    def test_authentication_errors_fail_at_once(self):
        clock = FakeClock()
        errors = [OcpApiError("GET", "/x", "wrong user or password", status=401, code="IAM10004")]
        client = FakeTaskClient(clock, {1: 1002.0}, errors=errors)
        with pytest.raises(OcpApiError) as raised:
            waiter(client, clock).wait(running(1))
        assert raised.value.status == 401
        assert len(client.list_calls()) == 1

    def test_a_task_missing_from_the_list_but_still_running_is_kept(self):
        # A task can slip between pages of a list that changes while it is read: the detail decides.
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 1003.0})
        real_list = client.list_tasks
        rounds = []

        def list_missing_the_task_once(**filters):
            rounds.append(filters)
            return [] if len(rounds) == 1 else real_list(**filters)

        client.list_tasks = list_missing_the_task_once
        outcome = waiter(client, clock).wait(running(1))
        assert outcome.tasks[1]["status"] == "SUCCESSFUL"
        # first round: not listed, so its detail was read (still RUNNING) and the wait went on
        assert client.detail_gets() == [1, 1]
        assert outcome.polls > 2

    def test_a_server_ignoring_the_status_filter(self):
        clock = FakeClock()
        client = FakeTaskClient(clock, {1: 1001.0, 2: 1004.0}, final_status={1: "FAILED"})
        real_list = client.list_tasks

        def unfiltered(**filters):
            filters.pop("status")
            return real_list(**filters)

        client.list_tasks = unfiltered
        outcome = waiter(client, clock).wait(running(1, 2))
        assert outcome.tasks[1]["status"] == "FAILED"
        assert outcome.tasks[2]["status"] == "SUCCESSFUL"
