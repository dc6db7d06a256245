# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCP tasks (TaskInstance: OCP's record of an asynchronous operation), read once into one shape.

OCP sends a task in two shapes (docs/ocp-api.md, "Tasks"): the answers of the POSTs that start one (batch
failover, switchover) are flat (``clusterId``, ``tenantId``, ``creator`` as a string), while the task list and
task detail nest ``cluster {id, name, ...}``, ``tenant {id, name, ...}`` and ``creator {id, name}``. A client
that reads ``tenantId`` alone sees no task at all in the nested form, and would then submit a second failover.
:func:`normalize_task` is the only place that knows both: everything else in the collection reads its result,
a snake_case dict with flat ``cluster_id``, ``cluster_name``, ``tenant_id``, ``tenant_name``, ``creator`` (a
name) and, when OCP sent them, ``subtasks`` in execution order.

Also here: subtask order, timings, progress and what went wrong in a FAILED task. No I/O but
:func:`describe_failure`, which reads one subtask log through the client it is given.
"""

from __future__ import absolute_import, division, print_function

import datetime
import functools
import heapq

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError

TASK_RUNNING = "RUNNING"
TASK_FAILED = "FAILED"
TASK_SUCCESSFUL = "SUCCESSFUL"
TASK_FINISHED_STATUSES = (TASK_FAILED, TASK_SUCCESSFUL)
SUBTASK_FAILED = "FAILED"
SUBTASK_PROGRESS_STATES = ("successful", "running", "failed", "pending")

# How many trailing lines of a failed subtask's log an error message quotes.
LOG_TAIL_LINES = 10


def _id_of(value):
    """An OCP id from a flat value or a nested ``{id: ...}`` object; None when there is none."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _name_of(value):
    return value.get("name") if isinstance(value, dict) else None


@functools.lru_cache(maxsize=1024)
def _snake_key(key):
    """One camelCase key in snake_case by ansible-core's rule, memoised: a list of 1000 tasks repeats a few dozen keys
    over 100 000 times, and converting each costs three regular expressions (benchmarks/README.md)."""
    return next(iter(camel_dict_to_snake_dict({key: None})))


def _snake(value):
    """camel_dict_to_snake_dict(value), with memoised keys; dicts inside dicts and lists are converted too."""
    if isinstance(value, dict):
        return dict((_snake_key(key) if isinstance(key, str) else key, _snake(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_snake(item) for item in value]
    return value


def normalize_task(raw):
    """One OCP TaskInstance, flat or nested, as the collection's single snake_case shape (a new dict).

    ``cluster_id``/``tenant_id`` come from the flat fields or the nested objects, whichever OCP sent; the nested
    objects themselves are not kept (their ids and names are). ``status`` is upper-case. ``subtasks`` is present
    only when OCP sent subtasks, in execution order.
    """
    if raw is None:
        return None
    raw = dict(raw)
    cluster, tenant, creator = raw.pop("cluster", None), raw.pop("tenant", None), raw.pop("creator", None)
    subtasks = raw.pop("subtasks", None)
    task = _snake(raw)
    task["id"] = _id_of(raw.get("id"))
    task["cluster_id"] = _id_of(raw.get("clusterId")) if raw.get("clusterId") is not None else _id_of(cluster)
    task["tenant_id"] = _id_of(raw.get("tenantId")) if raw.get("tenantId") is not None else _id_of(tenant)
    task["cluster_name"] = raw.get("clusterName") or _name_of(cluster)
    task["tenant_name"] = raw.get("tenantName") or _name_of(tenant)
    task["creator"] = _name_of(creator) if isinstance(creator, dict) else creator
    task["status"] = str(raw.get("status") or "").upper() or None
    if isinstance(subtasks, list):
        task["subtasks"] = order_subtasks([_snake(sub) for sub in subtasks if isinstance(sub, dict)])
    return task


def normalize_tasks(raws):
    return [normalize_task(raw) for raw in raws or [] if isinstance(raw, dict)]


def order_subtasks(subtasks):
    """Subtasks (snake_case) in execution order: a topological order of the upstream/downstream graph, ties by
    series_id.

    OCP lists subtasks in no particular order and its seriesIds can disagree with the graph (see the batch
    failover sample), so neither the array position nor series_id alone is the order. Both ``upstreams`` and
    ``downstreams`` are read because either side of an edge may be the only one recorded. Edges to subtasks that
    are not in the list are ignored; subtasks caught in a cycle (which OCP should never produce) come last,
    by series_id, rather than being dropped.
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
        return (_sortable_number(subtask.get("series_id")), _sortable_number(subtask.get("id")), str(subtask_id))

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


def is_finished(task):
    return task.get("status") in TASK_FINISHED_STATUSES


def has_subtask_graph(task):
    """Whether a normalised task carries its subtasks with their order: the task detail does; a task list entry
    names its subtasks without upstreams/downstreams/seriesId (docs/ocp-api.md, "Task list")."""
    subtasks = task.get("subtasks")
    if not subtasks:
        return subtasks == [] and "subtasks" in task
    return all(any(key in subtask for key in ("upstreams", "downstreams", "series_id")) for subtask in subtasks)


def without_subtasks(task):
    """The task as a result without its subtasks (a 1000-tenant result stays small)."""
    return dict((key, value) for key, value in task.items() if key != "subtasks")


def failed_subtask(task):
    """The first FAILED subtask of a normalised task in execution order, or None."""
    for subtask in task.get("subtasks") or []:
        if subtask.get("status") == SUBTASK_FAILED:
            return subtask
    return None


def progress(task):
    """``{total, successful, running, failed, pending}`` counts of a task's subtasks (READY counts as pending)."""
    counts = dict((state, 0) for state in SUBTASK_PROGRESS_STATES)
    subtasks = task.get("subtasks") or []
    for subtask in subtasks:
        status = str(subtask.get("status") or "").lower()
        counts[status if status in counts else "pending"] += 1
    counts["total"] = len(subtasks)
    return counts


def log_tail(log, lines=LOG_TAIL_LINES):
    """The last ``lines`` non-empty lines of a subtask log."""
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
    """(started_at, finished_at, duration_seconds) of a normalised task; the duration is None until it finished."""
    started_at = task.get("start_time") or task.get("create_time")
    finished_at = task.get("finish_time")
    start, finish = parse_time(started_at), parse_time(finished_at)
    duration = None
    if start is not None and finish is not None and (start.tzinfo is None) == (finish.tzinfo is None):
        duration = round((finish - start).total_seconds(), 3)
    return started_at, finished_at, duration


def describe_failure(client, task):
    """What went wrong in a FAILED task: the failed subtask and the tail of its log.

    Returns ``{id, name, log_tail}`` (the failed subtask; ids None when OCP names none), plus ``log_error`` when the
    log could not be read: a missing log must not hide, or delay, the failure itself (the client reads it once).
    """
    subtask = failed_subtask(task)
    if subtask is None:
        return {"id": None, "name": None, "log_tail": []}
    description = {"id": subtask.get("id"), "name": subtask.get("name"), "log_tail": []}
    try:
        description["log_tail"] = log_tail(client.get_subtask_log(task.get("id"), subtask.get("id")))
    except OcpApiError as error:
        description["log_error"] = str(error)
    return description
