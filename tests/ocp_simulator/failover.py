"""The "Failover tenant" task as OCP's sample response shows it, and its subtask logs."""

from __future__ import annotations

import datetime
from collections import namedtuple

TASK_NAME = "Failover tenant"

SubtaskTemplate = namedtuple("SubtaskTemplate", "name id_offset series_id prohibit_rollback")

# In execution (graph) order. The sample's ids, seriesIds and array order do not follow the
# execution order; id_offset and series_id reproduce them exactly (sample subtask ids start at 13025785).
SUBTASK_TEMPLATES = (
    SubtaskTemplate("Reset log restore source", 2, 3, False),
    SubtaskTemplate("Failover to primary tenant", 3, 2, True),
    SubtaskTemplate("Upgrade tenant data version", 0, 1, False),
    SubtaskTemplate("Create tenant service name", 1, 0, False),
    SubtaskTemplate("Update primary tenant info task", 4, 4, True),
)
SUBTASK_NAMES = tuple(template.name for template in SUBTASK_TEMPLATES)
# The sample lists the subtasks in this order of id offset.
RESPONSE_ID_OFFSET_ORDER = (3, 2, 1, 4, 0)
SUBTASK_TIMEOUT_SECONDS = 1800

# What each subtask logs while it runs; {tenant}, {tenant_id}, {service_name} are filled in.
_PROGRESS_LINES = {
    "Reset log restore source": [
        "Start to reset log restore source of standby tenant {tenant}(tenantId={tenant_id})",
        "Execute sql: ALTER SYSTEM SET LOG_RESTORE_SOURCE = '' TENANT = {tenant}",
        "Log restore source of tenant {tenant} is reset",
    ],
    "Failover to primary tenant": [
        "Start to failover standby tenant {tenant} to primary",
        "Execute sql: ALTER SYSTEM ACTIVATE STANDBY TENANT = {tenant}",
        "Wait for tenant {tenant} role to become PRIMARY, current role: STANDBY, switchover status: FAILOVER TO PRIMARY",
        "Tenant {tenant} role: PRIMARY, switchover status: NORMAL",
    ],
    "Upgrade tenant data version": [
        "Check data version of tenant {tenant}",
        "Execute sql: ALTER SYSTEM RUN UPGRADE JOB 'UPGRADE_ALL' TENANT = {tenant}",
        "Wait for upgrade job of tenant {tenant} to finish",
        "Data version of tenant {tenant} is up to date",
    ],
    "Create tenant service name": [
        "Create service name for tenant {tenant}: {service_name}",
        "Service name of tenant {tenant} is {service_name}",
    ],
    "Update primary tenant info task": [
        "Update tenant {tenant} role to PRIMARY in OCP metadb",
        "Clear primary tenant relation of tenant {tenant}",
    ],
}

# Why a subtask failed, as the last line of its log says when a task_fail rule gives no message.
DEFAULT_FAILURE_MESSAGES = {
    "Reset log restore source": "ErrorCode = 4012, SQLState = HY000, Details = Timeout, query has reached max query timeout",
    "Failover to primary tenant": "ErrorCode = 4179, SQLState = HY000, Details = Operation not allowed now, tenant is in switchover",
    "Upgrade tenant data version": "ErrorCode = 4012, SQLState = HY000, Details = Timeout, upgrade job UPGRADE_ALL did not finish",
    "Create tenant service name": "ErrorCode = 4007, SQLState = 0A000, Details = Not supported feature or function",
    "Update primary tenant info task": "ErrorCode = 4016, SQLState = HY000, Details = Internal error",
}


def new_task(task_id, first_subtask_id, cluster_id, tenant_id, creator, executor, created_at_text):
    """A RUNNING "Failover tenant" TaskInstance shaped like the documented sample."""
    subtask_ids = {template.name: first_subtask_id + template.id_offset for template in SUBTASK_TEMPLATES}
    subtasks_by_offset = {}
    for position, template in enumerate(SUBTASK_TEMPLATES):
        upstream = [subtask_ids[SUBTASK_TEMPLATES[position - 1].name]] if position > 0 else []
        downstream = [subtask_ids[SUBTASK_TEMPLATES[position + 1].name]] if position + 1 < len(SUBTASK_TEMPLATES) else []
        subtasks_by_offset[template.id_offset] = {
            "description": template.name,
            "downstreams": downstream,
            "id": subtask_ids[template.name],
            "name": template.name,
            "nodeType": "JAVA_TASK",
            "operation": "EXECUTE",
            "parallelIdx": -1,
            "prohibitRollback": template.prohibit_rollback,
            "runTime": 1,
            "seriesId": template.series_id,
            "status": "PENDING",
            "timeout": SUBTASK_TIMEOUT_SECONDS,
            "upstreams": upstream,
        }
    return {
        "clusterId": cluster_id,
        "createTime": created_at_text,
        "creator": creator,
        "executor": executor,
        "id": task_id,
        "name": TASK_NAME,
        "operation": "EXECUTE",
        "prohibitRollback": False,
        "startTime": created_at_text,
        "status": "RUNNING",
        "subtasks": [subtasks_by_offset[offset] for offset in RESPONSE_ID_OFFSET_ORDER],
        "taskDefinitionId": -1,
        "tenantId": tenant_id,
        "type": "MANUAL",
    }


def subtask_log_lines(subtask_name, runs, now, context):
    """The log of a subtask so far: one block per run (a retry adds a run), lines appear as time passes."""
    lines = []
    for run_number, run in enumerate(runs, start=1):
        if now < run["start"]:
            break
        progress = _progress_lines(subtask_name, context)
        if run["fails"]:
            # A failing run gets about halfway before OceanBase refuses.
            progress = progress[:max(1, len(progress) // 2)]
        duration = run["end"] - run["start"]
        lines.append(_log_line(run["start"], "INFO", "Start subtask %s (run %d)" % (subtask_name, run_number)))
        for index, text in enumerate(progress):
            at = run["start"] + duration * (index + 1) / (len(progress) + 1)
            if now >= at:
                lines.append(_log_line(at, "INFO", text))
        if now >= run["end"]:
            if run["fails"]:
                reason = run.get("message") or DEFAULT_FAILURE_MESSAGES[subtask_name]
                lines.append(_log_line(run["end"], "ERROR", "Execute sql failed: %s" % reason))
                lines.append(_log_line(run["end"], "ERROR", "Subtask %s failed: %s" % (subtask_name, reason)))
            else:
                lines.append(_log_line(run["end"], "INFO", "Subtask %s finished successfully" % subtask_name))
    return lines


def _progress_lines(subtask_name, context):
    templates = _PROGRESS_LINES[subtask_name]
    if subtask_name == "Create tenant service name" and not context.get("service_name"):
        templates = ["No service name specified for tenant {tenant}, skip"]
    return [line.format(**context) for line in templates]


def _log_line(epoch_seconds, level, text):
    stamp = datetime.datetime.fromtimestamp(epoch_seconds).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return "%s %-5s [task-executor] %s" % (stamp, level, text)
