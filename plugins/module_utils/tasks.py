# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCP TaskInstance helpers: subtask ordering, snake-cased results, timings, and the batch waiter.

A TaskInstance is OCP's record of an asynchronous operation (NOTES.md, "Tasks"). Everything here works on the raw
camelCase dicts the client returns; only `task_result` converts to the snake_case form modules return.
"""

from __future__ import absolute_import, division, print_function

import datetime
import heapq
import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.common import run_concurrently

TASK_RUNNING = "RUNNING"
TASK_FAILED = "FAILED"
TASK_SUCCESSFUL = "SUCCESSFUL"
TASK_FINISHED_STATUSES = (TASK_FAILED, TASK_SUCCESSFUL)
SUBTASK_FAILED = "FAILED"

# How many trailing lines of a failed subtask's log an error message quotes.
LOG_TAIL_LINES = 10

# Adaptive polling when the user sets no interval: start fast (a short task is noticed quickly), back off a
# little, and never sleep more than a second, so a finished task is noticed within a second or two.
FIRST_POLL_INTERVAL = 0.5
POLL_INTERVAL_GROWTH = 1.5
MAX_ADAPTIVE_POLL_INTERVAL = 1.0

# A batch's tasks often finish in the same round: their details are read in parallel, but not so wide that a big
# batch floods OCP.
MAX_PARALLEL_DETAIL_READS = 16

# HTTP answers that mean "OCP is there but cannot serve this right now": worth polling again. Transport errors
# (no status at all, e.g. connection refused while OCP restarts) are transient too. Everything else, notably
# 401/403, will not fix itself by waiting.
TRANSIENT_HTTP_STATUSES = (408, 429, 500, 502, 503, 504)


def order_subtasks(subtasks):
    """Subtasks in execution order: a topological order of the upstream/downstream graph, ties by seriesId.

    OCP lists subtasks in no particular order and its seriesIds can disagree with the graph (see the batch
    failover sample), so neither the array position nor seriesId alone is the order. Both `upstreams` and
    `downstreams` are read because either side of an edge may be the only one recorded. Edges to subtasks that
    are not in the list are ignored; subtasks caught in a cycle (which OCP should never produce) come last,
    by seriesId, rather than being dropped.
    """
    by_id = {}
    for position, subtask in enumerate(subtasks or []):
        by_id[subtask.get("id", ("position", position))] = subtask

    successors = dict((subtask_id, set()) for subtask_id in by_id)
    predecessor_count = dict((subtask_id, 0) for subtask_id in by_id)
    edges = set()
    for subtask_id, subtask in by_id.items():
        for upstream in subtask.get("upstreams") or []:
            edges.add((upstream, subtask_id))
        for downstream in subtask.get("downstreams") or []:
            edges.add((subtask_id, downstream))
    for before, after in edges:
        if before in by_id and after in by_id and before != after:
            successors[before].add(after)
            predecessor_count[after] += 1

    def tie_key(subtask_id):
        subtask = by_id[subtask_id]
        return (_sortable_number(subtask.get("seriesId")), _sortable_number(subtask.get("id")), str(subtask_id))

    ready = [(tie_key(subtask_id), subtask_id) for subtask_id, count in predecessor_count.items() if count == 0]
    heapq.heapify(ready)
    ordered_ids = []
    while ready:
        dummy, subtask_id = heapq.heappop(ready)
        ordered_ids.append(subtask_id)
        for successor in successors[subtask_id]:
            predecessor_count[successor] -= 1
            if predecessor_count[successor] == 0:
                heapq.heappush(ready, (tie_key(successor), successor))
    placed = set(ordered_ids)
    ordered_ids.extend(sorted((subtask_id for subtask_id in by_id if subtask_id not in placed), key=tie_key))
    return [by_id[subtask_id] for subtask_id in ordered_ids]


def _sortable_number(value):
    # Missing or non-numeric values sort after every real number instead of breaking the comparison.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return float("inf")
    return value


def task_result(task):
    """A raw TaskInstance as modules return it: snake_case keys, subtasks in execution order."""
    if task is None:
        return None
    ordered = dict(task)
    if "subtasks" in ordered:
        ordered["subtasks"] = order_subtasks(ordered["subtasks"])
    return camel_dict_to_snake_dict(ordered)


def failed_subtask(task):
    """The first FAILED subtask of a task in execution order, or None."""
    for subtask in order_subtasks(task.get("subtasks") or []):
        if subtask.get("status") == SUBTASK_FAILED:
            return subtask
    return None


def log_tail(log, lines=LOG_TAIL_LINES):
    """The last `lines` non-empty lines of a subtask log."""
    if not log:
        return []
    kept = [line for line in str(log).splitlines() if line.strip()]
    return kept[-lines:]


def parse_time(value):
    """An OCP timestamp ("2024-07-23T17:42:34.056+08:00") as an aware datetime, or None when absent/unreadable."""
    if not value or not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python < 3.11 only reads fractions of exactly 3 or 6 digits; OCP sends 3, but normalise to be safe.
    if "." in text:
        head, dummy, rest = text.partition(".")
        digits = ""
        while rest and rest[0].isdigit():
            digits, rest = digits + rest[0], rest[1:]
        text = "%s.%s%s" % (head, (digits + "000000")[:6], rest)
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def task_timing(task):
    """(started_at, finished_at, duration_seconds) of a task; the duration is None until it has finished."""
    started_at = task.get("startTime") or task.get("createTime")
    finished_at = task.get("finishTime")
    start, finish = parse_time(started_at), parse_time(finished_at)
    duration = None
    if start is not None and finish is not None and (start.tzinfo is None) == (finish.tzinfo is None):
        duration = round((finish - start).total_seconds(), 3)
    return started_at, finished_at, duration


def is_transient(error):
    """Whether an OcpApiError during a wait is worth another poll rather than an immediate failure."""
    return error.status is None or error.status in TRANSIENT_HTTP_STATUSES


def poll_intervals(fixed_interval=None):
    """Seconds to sleep before each poll: `fixed_interval` every time, or the adaptive schedule."""
    if fixed_interval is not None:
        while True:
            yield fixed_interval
    interval = FIRST_POLL_INTERVAL
    while True:
        yield interval
        interval = min(interval * POLL_INTERVAL_GROWTH, MAX_ADAPTIVE_POLL_INTERVAL)


def describe_failure(client, task):
    """What went wrong in a FAILED task: the failed subtask and the tail of its log.

    Returns a dict with `subtask_id`, `subtask_name` and `log_tail` (list of lines), plus `log_error` when the log
    could not be read: a missing log must not hide the failure itself.
    """
    subtask = failed_subtask(task)
    if subtask is None:
        return {"subtask_id": None, "subtask_name": None, "log_tail": []}
    description = {"subtask_id": subtask.get("id"), "subtask_name": subtask.get("name"), "log_tail": []}
    try:
        description["log_tail"] = log_tail(client.get_subtask_log(task.get("id"), subtask.get("id")))
    except OcpApiError as error:
        description["log_error"] = str(error)
    return description


class WaitOutcome:
    """What a wait ended with.

    `tasks` maps task id -> latest raw TaskInstance known (the detail for finished ones), `polls` counts polling
    rounds, `timed_out` says the deadline passed with tasks still RUNNING, `last_error` is the last transient
    error tolerated (None if none).
    """

    def __init__(self, tasks, polls, timed_out, last_error):
        self.tasks = tasks
        self.polls = polls
        self.timed_out = timed_out
        self.last_error = last_error

    def unfinished_ids(self):
        return [task_id for task_id, task in self.tasks.items() if task.get("status") not in TASK_FINISHED_STATUSES]


class TaskWaiter:
    """Waits for a batch of tasks of one cluster in a single polling loop.

    Each round costs one list call (the cluster's RUNNING tasks with the batch's name) plus one detail GET per
    task that left that list, read in parallel, so the cost of a round does not grow with the batch while tasks
    run. The client signs every request afresh, so AK/SK signatures never go stale during a long wait. `clock`
    and `sleep` are injectable so tests need not sleep.
    """

    def __init__(self, client, cluster_id, task_name, timeout, interval=None, clock=time.monotonic,
                 sleep=time.sleep):
        self.client = client
        self.cluster_id = cluster_id
        self.task_name = task_name
        self.timeout = timeout
        self.interval = interval
        self.clock = clock
        self.sleep = sleep

    def wait(self, tasks):
        """Poll until every task in `tasks` (raw TaskInstances) has finished or the timeout passes.

        Raises OcpApiError at once for errors that waiting cannot fix (e.g. authentication); tolerates transient
        ones until the deadline.
        """
        latest = dict((task["id"], task) for task in tasks)
        deadline = self.clock() + self.timeout
        polls = 0
        last_error = None
        intervals = poll_intervals(self.interval)
        while True:
            if not self._running_ids(latest):
                return WaitOutcome(latest, polls, False, last_error)
            remaining = deadline - self.clock()
            if remaining <= 0:
                return WaitOutcome(latest, polls, True, last_error)
            self.sleep(min(next(intervals), remaining))
            polls += 1
            try:
                self._poll(latest)
            except OcpApiError as error:
                if not is_transient(error):
                    raise
                last_error = error

    @staticmethod
    def _running_ids(latest):
        return [task_id for task_id, task in latest.items() if task.get("status") not in TASK_FINISHED_STATUSES]

    def _poll(self, latest):
        listed = self.client.list_tasks(clusterId=self.cluster_id, name=self.task_name, status=TASK_RUNNING)
        still_running = set(task.get("id") for task in listed if task.get("status") == TASK_RUNNING)
        # Gone from the RUNNING list: most likely finished. The detail is authoritative (a task can also slip
        # between pages of a list that changes while it is read) and carries the subtasks.
        left_list = [task_id for task_id in self._running_ids(latest) if task_id not in still_running]
        details = run_concurrently(self.client.get_task, left_list, MAX_PARALLEL_DETAIL_READS)
        for task_id, detail in zip(left_list, details):
            if detail:
                latest[task_id] = detail
