"""The tenant switchover task, "Switchover ob tenant for network mode": its subtasks and what they log.

The task name, the flat TaskInstance fields and the path are OCP's ("Perform a switchover" sample);
this module is data only, the machinery lives in tasks.py.

ASSUMED (kept here, in one place): the sample's subtask list could not be read in our copy of the
page (it is cut off after "subtasks": [), so the subtask names below follow OceanBase's switchover
procedure (ALTER SYSTEM SWITCHOVER TO STANDBY on the primary, ... TO PRIMARY on the standby, then the
new standby's log restore source) and the failover sample's naming style; the ids, seriesIds and array
order are shuffled the way the failover sample's are.
"""

from __future__ import annotations

from .failover import SubtaskTemplate

TASK_NAME = "Switchover ob tenant for network mode"

# In execution (graph) order.
SUBTASK_TEMPLATES = (
    SubtaskTemplate("Check switchover status", 1, 3, False),
    SubtaskTemplate("Switchover primary tenant to standby", 3, 2, True),
    SubtaskTemplate("Switchover standby tenant to primary", 0, 1, True),
    SubtaskTemplate("Set log restore source", 4, 0, False),
    SubtaskTemplate("Update primary tenant info task", 2, 4, True),
)
SUBTASK_NAMES = tuple(template.name for template in SUBTASK_TEMPLATES)
RESPONSE_ID_OFFSET_ORDER = (2, 0, 4, 1, 3)

# What a subtask changes in the model once it has succeeded: after the first, both tenants are
# standbys (OceanBase's state between the two ALTER SYSTEM SWITCHOVER statements).
EFFECTS = {
    "Switchover primary tenant to standby": "switchover_demote",
    "Switchover standby tenant to primary": "switchover_promote",
}

# {tenant}/{tenant_id}: the primary the task is for; {standby}/{standby_id}: the standby.
PROGRESS_LINES = {
    "Check switchover status": [
        "Check switchover status of primary tenant {tenant}(tenantId={tenant_id}) and standby tenant {standby}(tenantId={standby_id})",
        "Execute sql: SELECT TENANT_ROLE, SWITCHOVER_STATUS FROM oceanbase.DBA_OB_TENANTS WHERE TENANT_NAME = '{tenant}'",
        "Tenant {tenant} role: PRIMARY, switchover status: NORMAL; tenant {standby} role: STANDBY, switchover status: NORMAL",
    ],
    "Switchover primary tenant to standby": [
        "Start to switchover primary tenant {tenant} to standby",
        "Execute sql: ALTER SYSTEM SWITCHOVER TO STANDBY TENANT = {tenant}",
        "Wait for tenant {tenant} role to become STANDBY, current role: PRIMARY, switchover status: SWITCHING TO STANDBY",
        "Tenant {tenant} role: STANDBY, switchover status: NORMAL",
    ],
    "Switchover standby tenant to primary": [
        "Start to switchover standby tenant {standby} to primary",
        "Execute sql: ALTER SYSTEM SWITCHOVER TO PRIMARY TENANT = {standby}",
        "Wait for tenant {standby} role to become PRIMARY, current role: STANDBY, switchover status: SWITCHING TO PRIMARY",
        "Tenant {standby} role: PRIMARY, switchover status: NORMAL",
    ],
    "Set log restore source": [
        "Set log restore source of new standby tenant {tenant} to new primary tenant {standby}",
        "Execute sql: ALTER SYSTEM SET LOG_RESTORE_SOURCE = 'SERVICE=...' TENANT = {tenant}",
        "Log restore source of tenant {tenant} is set",
    ],
    "Update primary tenant info task": [
        "Update tenant {standby} role to PRIMARY and tenant {tenant} role to STANDBY in OCP metadb",
        "Set primary tenant of tenant {tenant} to {standby}",
    ],
}

DEFAULT_FAILURE_MESSAGES = {
    "Check switchover status": "ErrorCode = 4179, SQLState = HY000, Details = Operation not allowed now, switchover status is not NORMAL",
    "Switchover primary tenant to standby": "ErrorCode = 4012, SQLState = HY000, Details = Timeout, wait log sync of standby tenant timed out",
    "Switchover standby tenant to primary": "ErrorCode = 4179, SQLState = HY000, Details = Operation not allowed now, tenant is in switchover",
    "Set log restore source": "ErrorCode = 4016, SQLState = HY000, Details = Internal error",
    "Update primary tenant info task": "ErrorCode = 4016, SQLState = HY000, Details = Internal error",
}
