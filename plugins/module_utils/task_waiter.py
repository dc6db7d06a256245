# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for a batch of OCP tasks of one cluster, in one polling loop on a fixed schedule.

The wait options (``wait``, ``wait_timeout``, ``wait_sleep``) are defined once: WAIT_ARGUMENT_SPEC here and the
``oceanbase.ocp.wait`` doc fragment, as kubernetes.core does for its waiter.
"""

from __future__ import absolute_import, division, print_function

import time

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import TASK_RUNNING, is_finished

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
    wait_sleep=dict(type="float"),
)

# The schedule when the user sets no interval: a short task is noticed quickly, a long one costs OCP one list
# request a second at most for the first minute, then one every five seconds at most. A long wait is a big batch
# (a failover of 1000 tenants takes many minutes, and each poll reads a RUNNING list of about 1 MB), where a few
# seconds more before the end is noticed matter less than 1 GB of answers (benchmarks/README.md).
FIRST_POLL_INTERVAL = 0.5
POLL_INTERVAL_GROWTH = 1.5
MAX_ADAPTIVE_POLL_INTERVAL = 1.0
LONG_WAIT_SECONDS = 60.0
MAX_LONG_WAIT_POLL_INTERVAL = 5.0

# HTTP answers that mean "OCP is there but cannot serve this right now": worth polling again. Transport errors
# (no status at all, e.g. connection refused while OCP restarts) are transient too. Everything else, notably
# 401/403, will not fix itself by waiting.
TRANSIENT_HTTP_STATUSES = (408, 429, 500, 502, 503, 504)


def is_transient(error):
    """Whether an OcpApiError during a wait is worth another poll rather than an immediate failure."""
    return error.status is None or error.status in TRANSIENT_HTTP_STATUSES


def poll_intervals(fixed_interval=None):
    """Seconds between the starts of two polls: ``fixed_interval`` every time, or the adaptive schedule."""
    if fixed_interval is not None:
        while True:
            yield fixed_interval
    interval = FIRST_POLL_INTERVAL
    elapsed = 0.0
    while True:
        yield interval
        elapsed += interval
        ceiling = MAX_ADAPTIVE_POLL_INTERVAL if elapsed < LONG_WAIT_SECONDS else MAX_LONG_WAIT_POLL_INTERVAL
        interval = min(interval * POLL_INTERVAL_GROWTH, ceiling)


class PollSchedule:
    """Sleeps until the next poll is due, measured from the START of the previous poll, so time spent in a slow
    poll is not added to the interval (no drift): a task that finishes is seen within one interval."""

    def __init__(self, interval=None, clock=time.monotonic, sleep=time.sleep, started=None):
        """``started``: the clock() time the schedule counts from (default now), e.g. when the tasks were
        submitted, so the first poll is due one interval after that."""
        self._intervals = poll_intervals(interval)
        self._clock = clock
        self._sleep = sleep
        self._last_start = clock() if started is None else started

    def next(self, deadline):
        """Sleep until the next poll (never past ``deadline``); returns False once the deadline has passed."""
        now = self._clock()
        if now >= deadline:
            return False
        due = min(self._last_start + next(self._intervals), deadline)
        if due > now:
            self._sleep(due - now)
        self._last_start = self._clock()
        return True


class WaitOutcome:
    """What a wait ended with: ``tasks`` (task id -> latest normalised task), ``polls`` (rounds), ``timed_out``,
    ``last_error`` (the last transient error tolerated, or None)."""

    def __init__(self, tasks, polls, timed_out, last_error):
        self.tasks = tasks
        self.polls = polls
        self.timed_out = timed_out
        self.last_error = last_error


class TaskWaiter:
    """Waits for a batch of tasks of one cluster.

    Each round costs one list request (the cluster's RUNNING tasks of the batch's task names); in a round where
    followed tasks have left that list, one more list read (``read_finished``) brings their final state, so the
    cost of a round does not grow with the batch. ``on_round`` sees every round's RUNNING tasks (the engine looks
    there for other jobs' tasks of the same tenants). The client signs every request afresh, so AK/SK signatures
    never go stale during a long wait. ``clock`` and ``sleep`` are injectable so tests need not sleep.
    """

    def __init__(self, list_running, read_finished, timeout, interval=None, clock=time.monotonic, sleep=time.sleep,
                 on_round=None):
        self.list_running = list_running
        self.read_finished = read_finished
        self.timeout = timeout
        self.interval = interval
        self.clock = clock
        self.sleep = sleep
        self.on_round = on_round

    def wait(self, tasks, deadline=None, started=None):
        """Poll until every task in ``tasks`` (normalised) has finished or the deadline (default now + timeout)
        passes. ``started``: when the poll schedule starts (default now; see PollSchedule). Raises OcpApiError at
        once for errors waiting cannot fix; tolerates transient ones."""
        latest = dict((task["id"], task) for task in tasks)
        deadline = self.clock() + self.timeout if deadline is None else deadline
        schedule = PollSchedule(self.interval, self.clock, self.sleep, started)
        polls = 0
        last_error = None
        while True:
            running_ids = [task_id for task_id, task in latest.items() if not is_finished(task)]
            if not running_ids:
                return WaitOutcome(latest, polls, False, last_error)
            if not schedule.next(deadline):
                return WaitOutcome(latest, polls, True, last_error)
            polls += 1
            try:
                self._poll(latest, running_ids)
            except OcpApiError as error:
                if not is_transient(error):
                    raise
                last_error = error

    def _poll(self, latest, running_ids):
        listed = self.list_running()
        if self.on_round is not None:
            self.on_round(listed)
        still_running = set(task["id"] for task in listed if task.get("status") == TASK_RUNNING)
        left = [task_id for task_id in running_ids if task_id not in still_running]
        if left:
            # Gone from the RUNNING list: most likely finished. Their own entries are authoritative (a task can also
            # slip between pages of a list that changes while it is read).
            for task_id, task in self.read_finished(left).items():
                latest[task_id] = task
