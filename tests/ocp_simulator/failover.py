"""The "Failover tenant" task as OCP's sample response shows it: its subtasks and what they log.

The generic task machinery (scheduling, views, logs) lives in tasks.py; this module is data only.
"""

from __future__ import annotations

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

# ASSUMED (one place): which subtask changes what in the model once it has succeeded. OceanBase's
# ALTER SYSTEM ACTIVATE STANDBY makes the tenant PRIMARY, so a task that fails after that subtask has
# nonetheless switched the role (options.role_change_at: task_success defers every effect to the end).
EFFECTS = {
    "Failover to primary tenant": "failover_promote",
    "Create tenant service name": "service_name",
}

# What each subtask logs while it runs; {tenant}, {tenant_id}, {service_name} are filled in.
PROGRESS_LINES = {
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
# Replaces a subtask's lines when its context lacks something.
NO_SERVICE_NAME_LINES = {"Create tenant service name": ["No service name specified for tenant {tenant}, skip"]}

# Why a subtask failed, as the last line of its log says when a task_fail rule gives no message.
DEFAULT_FAILURE_MESSAGES = {
    "Reset log restore source": "ErrorCode = 4012, SQLState = HY000, Details = Timeout, query has reached max query timeout",
    "Failover to primary tenant": "ErrorCode = 4179, SQLState = HY000, Details = Operation not allowed now, tenant is in switchover",
    "Upgrade tenant data version": "ErrorCode = 4012, SQLState = HY000, Details = Timeout, upgrade job UPGRADE_ALL did not finish",
    "Create tenant service name": "ErrorCode = 4007, SQLState = 0A000, Details = Not supported feature or function",
    "Update primary tenant info task": "ErrorCode = 4016, SQLState = HY000, Details = Internal error",
}
