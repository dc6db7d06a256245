# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/task_waiter.py: the poll schedule (no drift), and one polling loop for a batch of
OCP tasks (against FakeOcp, on a fake clock: nothing sleeps)."""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import normalize_task, normalize_tasks
from ansible_collections.oceanbase.ocp.plugins.module_utils.task_waiter import (
    FIRST_POLL_INTERVAL,
    LONG_WAIT_SECONDS,
    MAX_ADAPTIVE_POLL_INTERVAL,
    MAX_LONG_WAIT_POLL_INTERVAL,
    WAIT_ARGUMENT_SPEC,
    PollSchedule,
    TaskWaiter,
    is_transient,
    poll_intervals,
)
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import FAILOVER, FakeClock, FakeOcp, api_error


def test_the_wait_options():
    assert WAIT_ARGUMENT_SPEC == {"wait": {"type": "bool", "default": True},
                                  "wait_timeout": {"type": "int", "default": 1800},
                                  "wait_sleep": {"type": "float"}}


class TestPollIntervals:
    def test_adaptive_intervals_start_fast_and_cap_at_one_second(self):
        intervals = poll_intervals()
        assert [next(intervals) for dummy in range(5)] == [FIRST_POLL_INTERVAL, 0.75, 1.0, 1.0, 1.0]
        assert MAX_ADAPTIVE_POLL_INTERVAL == 1.0

    def test_after_a_minute_the_adaptive_intervals_back_off_to_five_seconds(self):
        intervals = poll_intervals()
        seen = [next(intervals) for dummy in range(80)]
        elapsed = 0.0
        for interval in seen:
            assert interval <= (MAX_ADAPTIVE_POLL_INTERVAL if elapsed < LONG_WAIT_SECONDS else MAX_LONG_WAIT_POLL_INTERVAL)
            elapsed += interval
        assert seen[:5] == [FIRST_POLL_INTERVAL, 0.75, 1.0, 1.0, 1.0]
        assert seen[-1] == MAX_LONG_WAIT_POLL_INTERVAL == 5.0
        assert max(seen[:55]) == 1.0  # the first minute

    def test_a_fixed_interval(self):
        intervals = poll_intervals(3.0)
        assert [next(intervals) for dummy in range(4)] == [3.0] * 4


@pytest.mark.parametrize("status, transient", [
    (None, True), (408, True), (429, True), (500, True), (502, True), (503, True), (504, True),
    (400, False), (401, False), (403, False), (404, False), (409, False),
])
def test_which_errors_are_worth_another_poll(status, transient):
    assert is_transient(OcpApiError("GET", "/api/v2/tasks/instances", "boom", status=status)) is transient


class TestPollSchedule:
    def starts(self, clock, schedule, deadline, poll_seconds, rounds):
        """Run ``rounds`` polls that each take ``poll_seconds``; returns when each poll started."""
        started = []
        for dummy in range(rounds):
            if not schedule.next(deadline):
                break
            started.append(clock.now)
            clock.advance(poll_seconds)
        return started

    def test_a_slow_poll_does_not_push_the_schedule_back(self):
        clock = FakeClock(100.0)
        schedule = PollSchedule(1.0, clock, clock.sleep)
        clock.advance(0.7)  # the first poll, before next() is ever called, took 0.7 s
        assert self.starts(clock, schedule, 1000.0, 0.7, 4) == pytest.approx([101.0, 102.0, 103.0, 104.0])
        assert clock.sleeps == pytest.approx([0.3] * 4)

    def test_a_poll_slower_than_the_interval_is_followed_at_once(self):
        clock = FakeClock()
        schedule = PollSchedule(1.0, clock, clock.sleep)
        clock.advance(1.5)
        assert self.starts(clock, schedule, 1000.0, 1.5, 2) == [1.5, 3.0]
        assert clock.sleeps == []

    def test_fast_polls_keep_the_interval(self):
        clock = FakeClock()
        schedule = PollSchedule(2.0, clock, clock.sleep)
        assert self.starts(clock, schedule, 1000.0, 0.0, 3) == [2.0, 4.0, 6.0]

    def test_the_adaptive_schedule(self):
        clock = FakeClock()
        schedule = PollSchedule(None, clock, clock.sleep)
        assert self.starts(clock, schedule, 1000.0, 0.0, 5) == pytest.approx([0.5, 1.25, 2.25, 3.25, 4.25])

    def test_a_schedule_started_earlier_counts_from_then(self):
        # The engine starts it when the batch was sent: reading a big answer does not delay the first poll.
        clock = FakeClock(100.0)
        schedule = PollSchedule(None, clock, clock.sleep, started=99.8)
        assert self.starts(clock, schedule, 1000.0, 0.0, 2) == pytest.approx([100.3, 101.05])
        late = PollSchedule(None, clock, clock.sleep, started=clock.now - 2.0)
        before = clock.now
        assert late.next(1000.0) is True and clock.now == before  # due already: no sleep

    def test_never_sleeps_past_the_deadline_and_stops_there(self):
        clock = FakeClock()
        schedule = PollSchedule(3.0, clock, clock.sleep)
        assert self.starts(clock, schedule, 7.0, 0.0, 10) == [3.0, 6.0, 7.0]
        assert clock.now == 7.0
        assert schedule.next(7.0) is False
        assert clock.sleeps == [3.0, 3.0, 1.0]

    def test_a_deadline_already_passed(self):
        clock = FakeClock(10.0)
        schedule = PollSchedule(1.0, clock, clock.sleep)
        assert schedule.next(10.0) is False
        assert clock.sleeps == []


class Batch:
    """Tasks of one cluster in FakeOcp, and a TaskWaiter reading them as the engine does: the RUNNING list each
    round, the detail of each task that left it."""

    def __init__(self, shape="nested", **ocp_options):
        self.clock = FakeClock()
        self.ocp = FakeOcp(self.clock, shape=shape, **ocp_options)
        self.read_finished_calls = []
        self.rounds = []

    def add(self, tenant_id, seconds, **task_options):
        self.ocp.add_tenant(tenant_id)
        task_id = self.ocp.add_task(tenant_id, seconds=seconds, **task_options)
        return normalize_task(self.ocp.get_task(task_id))

    def list_running(self):
        return normalize_tasks(self.ocp.list_tasks(name=FAILOVER, status="RUNNING"))

    def read_finished(self, task_ids):
        self.read_finished_calls.append(list(task_ids))
        return dict((task_id, normalize_task(self.ocp.get_task(task_id))) for task_id in task_ids)

    def waiter(self, timeout=60, interval=None, **options):
        return TaskWaiter(self.list_running, self.read_finished, timeout, interval, clock=self.clock,
                          sleep=self.clock.sleep, on_round=lambda listed: self.rounds.append(list(listed)), **options)

    def list_calls(self):
        return self.ocp.calls_to("list_tasks")


class TestTaskWaiter:
    def test_one_list_a_round_and_a_final_read_only_for_tasks_that_left_the_running_list(self):
        batch = Batch()
        tasks = [batch.add(1, 2.0), batch.add(2, 4.5), batch.add(3, 4.5)]
        outcome = batch.waiter(interval=1.0).wait(tasks)
        assert not outcome.timed_out and outcome.last_error is None
        assert [outcome.tasks[task["id"]]["status"] for task in tasks] == ["SUCCESSFUL"] * 3
        assert outcome.polls == 5 and batch.clock.now == 5.0
        assert len(batch.list_calls()) == 5
        assert all(call.kwargs["status"] == "RUNNING" for call in batch.list_calls())
        assert batch.read_finished_calls == [[tasks[0]["id"]], [tasks[1]["id"], tasks[2]["id"]]]
        assert len(batch.ocp.calls_to("get_task")) == 3 + 3  # the test's own reads of the three, then one each

    def test_a_finished_task_is_seen_within_one_interval(self):
        batch = Batch()
        task = batch.add(1, 3.2)
        outcome = batch.waiter().wait([task])
        assert outcome.tasks[task["id"]]["status"] == "SUCCESSFUL"
        assert 3.2 <= batch.clock.now <= 3.2 + MAX_ADAPTIVE_POLL_INTERVAL

    def test_a_slow_task_list_does_not_delay_the_schedule(self):
        batch = Batch()
        batch.ocp.latency["list_tasks"] = 0.6
        task = batch.add(1, 10.0)
        batch.waiter(interval=2.0).wait([task])
        polls = [call.at for call in batch.list_calls()]
        assert polls == pytest.approx([2.0 * n for n in range(1, len(polls) + 1)])

    def test_nothing_to_wait_for(self):
        batch = Batch()
        outcome = batch.waiter().wait([])
        finished = batch.waiter().wait([{"id": 9, "status": "FAILED"}])
        assert (outcome.polls, outcome.timed_out, outcome.tasks) == (0, False, {})
        assert finished.tasks == {9: {"id": 9, "status": "FAILED"}} and finished.polls == 0
        assert batch.ocp.calls == [] and batch.clock.now == 0

    def test_the_timeout_leaves_running_tasks_and_never_oversleeps(self):
        batch = Batch()
        task = batch.add(1, "never")
        outcome = batch.waiter(timeout=20, interval=3.0).wait([task])
        assert outcome.timed_out
        assert outcome.tasks[task["id"]]["status"] == "RUNNING"
        assert batch.clock.now == 20.0
        assert outcome.polls == 7  # at 3, 6, ..., 18, and the last one at the deadline
        assert batch.read_finished_calls == []

    def test_an_explicit_deadline_wins_over_the_timeout(self):
        batch = Batch()
        task = batch.add(1, "never")
        outcome = batch.waiter(timeout=600, interval=1.0).wait([task], deadline=4.0)
        assert outcome.timed_out and batch.clock.now == 4.0

    def test_transient_errors_are_tolerated(self):
        batch = Batch()
        task = batch.add(1, 3.0)
        unavailable = api_error(503, None, "Service Unavailable")
        batch.ocp.script("list_tasks", unavailable, OcpApiError("GET", "/api/v2/tasks/instances", "connection refused"))
        outcome = batch.waiter(interval=1.0).wait([task])
        assert outcome.tasks[task["id"]]["status"] == "SUCCESSFUL" and not outcome.timed_out
        assert outcome.last_error is not None and outcome.last_error.status is None

    def test_a_transient_error_reading_the_final_state_is_tolerated(self):
        batch = Batch()
        task = batch.add(1, 1.0)
        batch.ocp.script("get_task", api_error(502, None, "Bad Gateway"))
        outcome = batch.waiter(interval=1.0).wait([task])
        assert outcome.tasks[task["id"]]["status"] == "SUCCESSFUL"
        assert outcome.last_error.status == 502
        assert len(batch.read_finished_calls) == 2

    def test_transient_errors_until_the_timeout(self):
        batch = Batch()
        task = batch.add(1, 3.0)
        batch.ocp.script("list_tasks", *[api_error(503, None, "Service Unavailable")] * 100)
        outcome = batch.waiter(timeout=10, interval=1.0).wait([task])
        assert outcome.timed_out and outcome.last_error.status == 503
        assert outcome.polls == 10

    @pytest.mark.parametrize("status", [401, 403, 404])
    def test_errors_that_waiting_cannot_fix_end_the_wait_at_once(self, status):
        batch = Batch()
        task = batch.add(1, 30.0)
        batch.ocp.script("list_tasks", api_error(status, "IAM10004", "wrong user or password"))
        with pytest.raises(OcpApiError) as raised:
            batch.waiter(interval=1.0).wait([task])
        assert raised.value.status == status
        assert len(batch.list_calls()) == 1 and batch.clock.now == 1.0

    def test_a_task_missing_from_the_running_list_but_still_running_is_kept(self):
        # A task can slip between the pages of a list that changes while it is read: its own entry decides.
        batch = Batch()
        task = batch.add(1, 5.0)
        batch.ocp.script("list_tasks", *[lambda proceed, **filters: []] * 2)
        outcome = batch.waiter(interval=1.0).wait([task])
        assert outcome.tasks[task["id"]]["status"] == "SUCCESSFUL"
        assert batch.read_finished_calls[:2] == [[task["id"]], [task["id"]]]
        assert batch.clock.now == 5.0

    def test_a_server_that_ignores_the_status_filter(self):
        batch = Batch()
        task = batch.add(1, 2.0)
        batch.list_running = lambda: normalize_tasks(batch.ocp.list_tasks(name=FAILOVER))
        outcome = batch.waiter(interval=1.0).wait([task])
        assert outcome.tasks[task["id"]]["status"] == "SUCCESSFUL" and batch.clock.now == 2.0

    def test_on_round_sees_every_rounds_running_tasks(self):
        batch = Batch()
        followed = batch.add(1, 2.0)
        other = batch.add(2, 10.0)
        batch.waiter(interval=1.0).wait([followed])
        assert [sorted(task["id"] for task in listed) for listed in batch.rounds] == [
            sorted([followed["id"], other["id"]]), [other["id"]]]

    @pytest.mark.parametrize("shape", ["nested", "flat"])
    def test_both_task_shapes(self, shape):
        batch = Batch(shape=shape)
        tasks = [batch.add(1, 1.0), batch.add(2, 2.0, failed_subtask="Upgrade tenant data version")]
        outcome = batch.waiter(interval=1.0).wait(tasks)
        assert [outcome.tasks[task["id"]]["status"] for task in tasks] == ["SUCCESSFUL", "FAILED"]
