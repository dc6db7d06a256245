# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a tenant's role is, from the evidence OCP documents, and where each answer came from.

OCP's tenant detail documents no tenant-level role (docs/ocp-api.md, "Tenant role"). The role therefore comes
from, in this order:

1. the ``tenantRole`` field of the tenant detail or list entry: ASSUMED, used only when OCP sends it;
2. the tenant's latest role-changing OCP task (a failover makes its tenant PRIMARY, a switchover makes the tenant
   it was submitted for, the primary, a STANDBY); only the latest counts, since a tenant failed over long ago may
   have been switched back since;
3. the failover precheck: its OBE26013 answer ("not allowed because the tenant's role is ...") says the tenant is
   not a standby; an answer without it means OCP examined the tenant as a standby.

Pure functions over normalised OCP tasks (ocp_task.normalize_task) and raw tenant dicts; no I/O.
"""

from __future__ import absolute_import, division, print_function

import re

ROLE_PRIMARY = "PRIMARY"
ROLE_STANDBY = "STANDBY"

# [assumed] docs/ocp-api.md "Tenant role": not in any OCP document; a bonus when present, never required.
TENANT_ROLE_FIELD = "tenantRole"

# [confirmed] The failover precheck's code for a tenant whose role does not allow the operation.
NOT_STANDBY_CODE = "OBE26013"

# Values of `role_source` in every module result; the module docs explain them.
SOURCE_TENANT = "tenant"        # the tenantRole field of the tenant detail or list entry
SOURCE_TASKS = "tasks"          # the tenant's latest role-changing OCP task (or the task this run followed)
SOURCE_PRECHECK = "precheck"    # the failover precheck (OBE26013 or not)
SOURCE_NONE = "none"            # no evidence at all: the role is reported as null, never guessed

# [confirmed] Names of the OCP tasks that change tenant roles (batch failover and switchover samples), and the
# role the task's own tenant has once the task has succeeded. Names are compared exactly, client-side: OCP's
# `name` filter is a fuzzy (contains) match.
FAILOVER_TASK_NAME = "Failover tenant"
SWITCHOVER_TASK_NAME = "Switchover ob tenant for network mode"
ROLE_AFTER_TASK = {
    FAILOVER_TASK_NAME: ROLE_PRIMARY,
    SWITCHOVER_TASK_NAME: ROLE_STANDBY,
}
ROLE_CHANGING_TASK_NAMES = tuple(sorted(ROLE_AFTER_TASK))

TASK_RUNNING = "RUNNING"
TASK_FAILED = "FAILED"
TASK_SUCCESSFUL = "SUCCESSFUL"

_ROLE_IN_MESSAGE = re.compile(r"\brole is\s+['\"]?(PRIMARY|STANDBY)\b", re.I)


class RoleEvidence:
    """A tenant's role (PRIMARY, STANDBY or None) and where it came from (one of the SOURCE_* values).

    `task` is the normalised OCP task that decided, when the task history did; with no role, the tenant's latest
    role-changing task that could not decide (RUNNING, FAILED), so an operation can weigh it against other tasks.
    """

    def __init__(self, role, source, task=None):
        self.role = role
        self.source = source
        self.task = task

    def __repr__(self):
        return "RoleEvidence(%r, %r, task=%r)" % (self.role, self.source, (self.task or {}).get("id"))

    @property
    def known(self):
        return self.role is not None


NO_EVIDENCE = RoleEvidence(None, SOURCE_NONE)


def reported_role(tenant):
    """The role the tenant detail (or list entry) reports, upper-case, or None when OCP does not send one."""
    role = (tenant or {}).get(TENANT_ROLE_FIELD)
    if isinstance(role, str) and role.strip().upper() in (ROLE_PRIMARY, ROLE_STANDBY):
        return role.strip().upper()
    return None


def is_role_changing(task):
    return task.get("name") in ROLE_AFTER_TASK


def role_changing_tasks_of(tenant_id, tasks):
    """The normalised role-changing tasks of one tenant, oldest first (OCP's task ids grow with time)."""
    found = [task for task in tasks if is_role_changing(task) and task.get("tenant_id") == tenant_id]
    return sorted(found, key=lambda task: task.get("id") or 0)


def latest_role_change(tenant_id, tasks):
    """The tenant's newest role-changing task, or None."""
    found = role_changing_tasks_of(tenant_id, tasks)
    return found[-1] if found else None


def role_from_task(task):
    """The role a finished role-changing task proves for its own tenant, or None (running, failed, unknown)."""
    if task is None or task.get("status") != TASK_SUCCESSFUL:
        return None
    return ROLE_AFTER_TASK.get(task.get("name"))


def role_in_message(message):
    """The role named in an OBE26013 message ("... because the tenant's role is PRIMARY"), or None."""
    match = _ROLE_IN_MESSAGE.search(str(message or ""))
    return match.group(1).upper() if match else None


def precheck_not_standby(check_results):
    """The OBE26013 entry of a failover precheck's checkResults, or None."""
    for check in check_results or []:
        if isinstance(check, dict) and str(check.get("errorCode")) == NOT_STANDBY_CODE:
            return check
    return None


def role_from_precheck(check_results):
    """The role a failover precheck answer proves: OBE26013 means not a standby (the role its message names, else
    PRIMARY); any other answer means OCP examined the tenant as a standby."""
    check = precheck_not_standby(check_results)
    if check is None:
        return ROLE_STANDBY
    return role_in_message(check.get("errorMessage")) or ROLE_PRIMARY


def role_from_precheck_error(error):
    """The role proved by a failover precheck that OCP answered with an error envelope (OcpApiError), or None.

    OCP's docs do not settle whether OBE26013 comes as a checkResults entry or as an error answer: both count.
    """
    if getattr(error, "code", None) != NOT_STANDBY_CODE:
        return None
    return role_in_message(getattr(error, "message", "")) or ROLE_PRIMARY


def tenant_role(tenant_id, tenant, tasks):
    """RoleEvidence from what was read without a precheck: the tenant's role field, else its latest task.

    Returns no role when neither decides (no field, and no task, or a latest task that is RUNNING, FAILED or of
    unknown effect: then the evidence carries that task); the caller may then ask the precheck
    (role_from_precheck), or report the role as null.
    """
    role = reported_role(tenant)
    if role is not None:
        return RoleEvidence(role, SOURCE_TENANT)
    latest = latest_role_change(tenant_id, tasks)
    role = role_from_task(latest)
    if role is not None:
        return RoleEvidence(role, SOURCE_TASKS, latest)
    return NO_EVIDENCE if latest is None else RoleEvidence(None, SOURCE_NONE, latest)
