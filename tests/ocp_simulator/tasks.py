"""Role-changing tasks: their kinds, how their subtasks run with the clock, their API views and logs.

A task is a small record (`Task`); nothing about it is stored as JSON. Its status, its subtasks'
statuses and times are derived from planned runs and the clock when a view is built, so a settled
task costs nothing until it is read.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from . import failover, switchover
from .envelope import ocp_time

NODE_TYPE = "JAVA_TASK"
TASK_TYPE = "MANUAL"
TASK_DEFINITION_ID = -1
SUBTASK_TIMEOUT_SECONDS = failover.SUBTASK_TIMEOUT_SECONDS
TERMINAL_STATUSES = ("SUCCESSFUL", "FAILED")
BASIC_SUBTASK_FIELDS = ("id", "name", "description", "status", "operation")  # BasicSubtaskInstance


@dataclass(frozen=True)
class TaskKind:
    key: str
    name: str
    templates: tuple
    response_order: tuple  # id offsets, in the order the subtasks array lists them
    effects: dict
    progress_lines: dict
    failure_messages: dict
    replacement_lines: dict = field(default_factory=dict)

    @property
    def subtask_names(self):
        return tuple(template.name for template in self.templates)

    @property
    def response_positions(self):
        by_offset = {template.id_offset: position for position, template in enumerate(self.templates)}
        return tuple(by_offset[offset] for offset in self.response_order)


FAILOVER = TaskKind("failover", failover.TASK_NAME, failover.SUBTASK_TEMPLATES, failover.RESPONSE_ID_OFFSET_ORDER,
                    failover.EFFECTS, failover.PROGRESS_LINES, failover.DEFAULT_FAILURE_MESSAGES,
                    failover.NO_SERVICE_NAME_LINES)
SWITCHOVER = TaskKind("switchover", switchover.TASK_NAME, switchover.SUBTASK_TEMPLATES, switchover.RESPONSE_ID_OFFSET_ORDER,
                      switchover.EFFECTS, switchover.PROGRESS_LINES, switchover.DEFAULT_FAILURE_MESSAGES)
KINDS_BY_NAME = {kind.name: kind for kind in (FAILOVER, SWITCHOVER)}
ALL_SUBTASK_NAMES = tuple(dict.fromkeys(FAILOVER.subtask_names + SWITCHOVER.subtask_names))


class Run:
    """One execution of a subtask, planned ahead: it succeeds or fails at `end`."""

    __slots__ = ("start", "end", "fails", "message")

    def __init__(self, start, end, fails=False, message=None):
        self.start = start
        self.end = end
        self.fails = fails
        self.message = message

    def status(self, now):
        if now >= self.end:
            return "FAILED" if self.fails else "SUCCESSFUL"
        if now > self.start:
            return "RUNNING"
        if now == self.start:
            return "READY"
        return "PENDING"


class Task:
    """A role-changing task: `tenant_id` is the tenant the task is for (the standby of a failover, the
    primary of a switchover), `standby_tenant_id` the switchover's standby."""

    __slots__ = ("id", "kind", "cluster_id", "tenant_id", "standby_tenant_id", "creator", "executor", "created_at",
                 "recorded_at", "operation", "first_subtask_id", "runs", "subtask_operations", "service_name",
                 "finish_at", "final_status", "version", "effects_from", "settled")

    def __init__(self, task_id, kind, cluster_id, tenant_id, creator, executor, created_at, first_subtask_id,
                 standby_tenant_id=None, service_name=None, recorded_at=None, effects_from=float("-inf")):
        self.id = task_id
        self.kind = kind
        self.cluster_id = cluster_id
        self.tenant_id = tenant_id
        self.standby_tenant_id = standby_tenant_id
        self.creator = creator  # {"id": ..., "name": ...}
        self.executor = executor
        self.created_at = created_at
        self.recorded_at = created_at if recorded_at is None else recorded_at
        self.operation = "EXECUTE"
        self.first_subtask_id = first_subtask_id
        self.runs = [[] for _template in kind.templates]
        self.subtask_operations = ["EXECUTE"] * len(kind.templates)
        self.service_name = service_name
        self.finish_at = float("inf")
        self.final_status = "RUNNING"
        self.version = 0
        self.effects_from = effects_from  # effects planned before this time are already in the scenario
        self.settled = False

    @property
    def name(self):
        return self.kind.name

    @property
    def tenant_ids(self):
        return (self.tenant_id,) if self.standby_tenant_id is None else (self.tenant_id, self.standby_tenant_id)

    def subtask_id(self, position):
        return self.first_subtask_id + self.kind.templates[position].id_offset

    def position_of_subtask(self, subtask_id):
        for position in range(len(self.kind.templates)):
            if self.subtask_id(position) == subtask_id:
                return position
        return None

    def status(self, now):
        return "RUNNING" if now < self.finish_at else self.final_status

    def failed_position(self):
        for position, runs in enumerate(self.runs):
            if runs and runs[-1].fails:
                return position
        return None

    def schedule(self, from_position, start, seconds_for, failure=None):
        """Plan runs for the subtasks from `from_position` on; a failing run ends the plan.

        `seconds_for(name)` gives a subtask's duration; `failure` is (subtask name, message) or None.
        Returns [(time, effect)] for the effects the new runs bring about.
        """
        self.version += 1
        effects = []
        for position in range(from_position, len(self.kind.templates)):
            name = self.kind.templates[position].name
            fails = failure is not None and failure[0] == name
            run = Run(start, start + seconds_for(name), fails, failure[1] if fails else None)
            self.runs[position].append(run)
            if fails:
                self.final_status, self.finish_at = "FAILED", run.end
                return effects
            if name in self.kind.effects:
                effects.append((run.end, self.kind.effects[name]))
            start = run.end
        self.final_status, self.finish_at = "SUCCESSFUL", start
        return effects

    def planned_effects(self):
        """[(time, effect)] of the subtasks whose latest run succeeds."""
        return [(runs[-1].end, self.kind.effects[template.name])
                for template, runs in zip(self.kind.templates, self.runs)
                if template.name in self.kind.effects and runs and not runs[-1].fails]

    # ----- views

    def subtask_views(self, now):
        first = self.first_subtask_id
        templates = self.kind.templates
        last = len(templates) - 1
        views = []
        for position in self.kind.response_positions:
            template = templates[position]
            runs = self.runs[position]
            status = runs[-1].status(now) if runs else "PENDING"
            view = {
                "description": template.name,
                "downstreams": [first + templates[position + 1].id_offset] if position < last else [],
                "id": first + template.id_offset,
                "name": template.name,
                "nodeType": NODE_TYPE,
                "operation": self.subtask_operations[position],
                "parallelIdx": -1,
                "prohibitRollback": template.prohibit_rollback,
                "runTime": max(1, len(runs)),
                "seriesId": template.series_id,
                "status": status,
                "timeout": SUBTASK_TIMEOUT_SECONDS,
                "upstreams": [first + templates[position - 1].id_offset] if position > 0 else [],
            }
            if status == "RUNNING" or status in TERMINAL_STATUSES:
                view["startTime"] = ocp_time(runs[-1].start)
            if status in TERMINAL_STATUSES:
                view["finishTime"] = ocp_time(runs[-1].end)
            views.append(view)
        return views

    def flat_view(self, now):
        """The TaskInstance of the documented samples (POST answers): clusterId, tenantId, creator as a string."""
        status = self.status(now)
        created = ocp_time(self.created_at)
        view = {
            "clusterId": self.cluster_id,
            "createTime": created,
            "creator": self.creator["name"],
            "executor": self.executor,
            "id": self.id,
            "name": self.kind.name,
            "operation": self.operation,
            "prohibitRollback": False,
            "startTime": created,
            "status": status,
            "subtasks": self.subtask_views(now),
            "taskDefinitionId": TASK_DEFINITION_ID,
            "tenantId": self.tenant_id,
            "type": TASK_TYPE,
        }
        if status in TERMINAL_STATUSES:
            view["finishTime"] = ocp_time(self.finish_at)
        return view

    def nested_view(self, now, cluster, tenant):
        """BasicTaskInstance / WrappedTaskInstance as OCP's task reference describes them: nested
        `cluster`, `tenant` and `creator` objects instead of clusterId, tenantId and a creator name."""
        status = self.status(now)
        created = ocp_time(self.created_at)
        view = {
            "id": self.id,
            "name": self.kind.name,
            "taskDefinitionId": TASK_DEFINITION_ID,
            "cluster": cluster,
            "tenant": tenant,
            "creator": dict(self.creator),
            "status": status,
            "type": TASK_TYPE,
            "operation": self.operation,
            "executor": self.executor,
            "prohibitRollback": False,
            "createTime": created,
            "startTime": created,
        }
        if status in TERMINAL_STATUSES:
            view["finishTime"] = ocp_time(self.finish_at)
        view["subtasks"] = self.subtask_views(now)
        return view

    def basic_view(self, now, cluster, tenant):
        """BasicTaskInstance, a task list entry in OCP's reference: nested cluster/tenant/creator, no
        type/operation/executor/createTime/taskDefinitionId, and BasicSubtaskInstances (no graph)."""
        status = self.status(now)
        view = {
            "id": self.id,
            "name": self.kind.name,
            "cluster": cluster,
            "tenant": tenant,
            "creator": dict(self.creator),
            "status": status,
            "startTime": ocp_time(self.created_at),
        }
        if status in TERMINAL_STATUSES:
            view["finishTime"] = ocp_time(self.finish_at)
        view["subtasks"] = [{key: subtask[key] for key in BASIC_SUBTASK_FIELDS} for subtask in self.subtask_views(now)]
        return view

    # ----- logs

    def log_lines(self, position, now, context):
        """The log of a subtask so far: one block per run (a retry adds a run), lines appear as time passes."""
        name = self.kind.templates[position].name
        templates = self.kind.progress_lines[name]
        if name in self.kind.replacement_lines and not context.get("service_name"):
            templates = self.kind.replacement_lines[name]
        progress_all = [line.format(**context) for line in templates]
        lines = []
        for run_number, run in enumerate(self.runs[position], start=1):
            if now < run.start:
                break
            # A failing run gets about halfway before OceanBase refuses.
            progress = progress_all[:max(1, len(progress_all) // 2)] if run.fails else progress_all
            duration = run.end - run.start
            lines.append(_log_line(run.start, "INFO", "Start subtask %s (run %d)" % (name, run_number)))
            for index, text in enumerate(progress):
                at = run.start + duration * (index + 1) / (len(progress) + 1)
                if now >= at:
                    lines.append(_log_line(at, "INFO", text))
            if now >= run.end:
                if run.fails:
                    reason = run.message or self.kind.failure_messages[name]
                    lines.append(_log_line(run.end, "ERROR", "Execute sql failed: %s" % reason))
                    lines.append(_log_line(run.end, "ERROR", "Subtask %s failed: %s" % (name, reason)))
                else:
                    lines.append(_log_line(run.end, "INFO", "Subtask %s finished successfully" % name))
        return lines


def _log_line(epoch_seconds, level, text):
    stamp = datetime.datetime.fromtimestamp(epoch_seconds).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return "%s %-5s [task-executor] %s" % (stamp, level, text)
