# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning of a batch tenant failover: which tenants to submit, which to attach to, which are already done.

Pure functions over the raw (camelCase) dicts OCP returns; no I/O, so every decision is unit-testable.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import id_problems, seconds_problems
from ansible_collections.oceanbase.ocp.plugins.module_utils.tasks import TASK_RUNNING, TASK_SUCCESSFUL

# [confirmed] The name OCP gives the task of a tenant failover (the batch failover sample response).
FAILOVER_TASK_NAME = "Failover tenant"

# [assumed] (NOTES.md, "Tenants"): the tenant detail field holding the tenant's role, and its values. Not in any
# OCP document we could read; when the field is absent the task history decides instead (see tenant_role).
TENANT_ROLE_FIELD = "tenantRole"
ROLE_PRIMARY = "PRIMARY"
ROLE_STANDBY = "STANDBY"

ACTION_FAILED_OVER = "failed_over"
ACTION_WOULD_FAIL_OVER = "would_fail_over"
ACTION_ALREADY_PRIMARY = "already_primary"
ACTION_ATTACHED = "attached_to_running_task"


class TenantPlan:
    """What to do with one requested tenant.

    `action` is one of the ACTION_* values (ACTION_FAILED_OVER before submission means "to submit");
    `task` is the raw TaskInstance this run follows (the running one attached to, or the one submitted);
    `role_before` is the role read before anything was sent, None when OCP does not expose it;
    `role_source` says where `role_before` came from: "tenant" (the detail's role field) or "tasks" (inferred).
    """

    def __init__(self, tenant_id, service_name, name, action, role_before, role_source, task=None):
        self.tenant_id = tenant_id
        self.service_name = service_name
        self.name = name
        self.action = action
        self.role_before = role_before
        self.role_source = role_source
        self.task = task

    def __repr__(self):
        return "TenantPlan(tenant_id=%r, action=%r, role_before=%r, task_id=%r)" % (
            self.tenant_id, self.action, self.role_before, (self.task or {}).get("id"))


def validate_request(cluster_id, tenants, wait_timeout, wait_sleep):
    """Problems with the module's input that must stop it before anything is sent (list of messages)."""
    problems = id_problems("cluster_id", [cluster_id]) if cluster_id is not None else []
    if not tenants:
        problems.append("tenants must list at least one tenant to fail over")
    tenant_ids = [tenant["tenant_id"] for tenant in tenants or []]
    problems += id_problems("tenant_id", tenant_ids)
    duplicates = sorted(set(tenant_id for tenant_id in tenant_ids if tenant_ids.count(tenant_id) > 1))
    if duplicates:
        problems.append("tenants lists tenant_id %s more than once: list each tenant once"
                        % ", ".join(str(i) for i in duplicates))
    problems += seconds_problems("wait_timeout", wait_timeout)
    problems += seconds_problems("wait_sleep", wait_sleep)
    return problems


def reported_role(tenant):
    """The role the tenant detail reports (upper-case), or None when OCP does not expose one."""
    role = (tenant or {}).get(TENANT_ROLE_FIELD)
    if isinstance(role, str) and role.strip():
        return role.strip().upper()
    return None


def is_failover_task(task):
    return task.get("name") == FAILOVER_TASK_NAME


def failover_tasks_of(tenant_id, tasks):
    """The tenant's "Failover tenant" tasks, oldest first (task ids grow with time)."""
    found = [task for task in tasks if is_failover_task(task) and task.get("tenantId") == tenant_id]
    return sorted(found, key=lambda task: task.get("id") or 0)


def tenant_role(tenant, tenant_tasks):
    """(role, source) of a tenant: the reported role when there is one, else inferred from its failover tasks.

    Without a reported role, a SUCCESSFUL "Failover tenant" task means the tenant was promoted already; with
    none, the tenant is taken to be a standby (a wrong guess is safe: OCP refuses to fail over a primary).
    """
    role = reported_role(tenant)
    if role is not None:
        return role, "tenant"
    if any(task.get("status") == TASK_SUCCESSFUL for task in tenant_tasks):
        return ROLE_PRIMARY, "tasks"
    return ROLE_STANDBY, "tasks"


def plan_tenants(requested, tenant_details, failover_tasks):
    """Classify every requested tenant, in the order asked.

    `requested`: the module's `tenants` option; `tenant_details`: tenant id -> raw tenant detail;
    `failover_tasks`: the cluster's "Failover tenant" tasks as listed before anything is sent.
    A RUNNING failover task wins over the role: it is followed to its end, never submitted again.
    """
    plans = []
    for item in requested:
        tenant_id = item["tenant_id"]
        tenant = tenant_details.get(tenant_id) or {}
        tenant_tasks = failover_tasks_of(tenant_id, failover_tasks)
        role, source = tenant_role(tenant, tenant_tasks)
        running = [task for task in tenant_tasks if task.get("status") == TASK_RUNNING]
        if running:
            action, task = ACTION_ATTACHED, running[-1]
        elif role == ROLE_PRIMARY:
            action, task = ACTION_ALREADY_PRIMARY, None
        else:
            action, task = ACTION_FAILED_OVER, None
        plans.append(TenantPlan(tenant_id, item.get("service_name"), tenant.get("name"), action, role, source, task))
    return plans


def failover_items(plans):
    """The `failoverTenantItemList` entries for the plans to submit; serviceName only when one was given."""
    items = []
    for plan in plans:
        item = {"tenantId": plan.tenant_id}
        if plan.service_name:
            item["serviceName"] = plan.service_name
        items.append(item)
    return items


def failover_body(items):
    """The documented request body of `POST /api/v2/ob/clusters/{id}/tenants/failover`."""
    return {"failoverTenantItemList": list(items)}


def tasks_by_tenant(tenant_ids, tasks, known_task_ids=()):
    """tenant id -> the newest task among `tasks` for that tenant, skipping ids in `known_task_ids`.

    Used on a submission's response (every task is new) and, after a lost response, on the task list re-read
    (only tasks that did not exist before the submission can be ours).
    """
    wanted = set(tenant_ids)
    known = set(known_task_ids)
    found = {}
    for task in sorted(tasks, key=lambda task: task.get("id") or 0):
        if task.get("id") in known or task.get("tenantId") not in wanted:
            continue
        found[task.get("tenantId")] = task
    return found


def new_failover_tasks(tenant_ids, tasks, known_task_ids):
    """tenant id -> newest "Failover tenant" task created for it since `known_task_ids` were listed."""
    return tasks_by_tenant(tenant_ids, [task for task in tasks if is_failover_task(task)], known_task_ids)


def reconcile_lost_submission(pending_ids, created, tenant_details):
    """After a submission whose answer was lost: what became of each tenant that was to be submitted.

    `created`: tenant id -> task found that OCP created for it since the submission (new_failover_tasks);
    `tenant_details`: tenant id -> detail re-read after the grace period, for the tenants without such a task.
    Returns (found, now_primary, to_resubmit): a task to follow per tenant, the tenants that report PRIMARY
    though no task of ours shows (nothing left to do), and the tenants provably untouched (a role other than
    PRIMARY, or none, and no new task) that alone may be submitted again.
    """
    found = {}
    now_primary = []
    to_resubmit = []
    for tenant_id in pending_ids:
        if tenant_id in created:
            found[tenant_id] = created[tenant_id]
        elif reported_role(tenant_details.get(tenant_id)) == ROLE_PRIMARY:
            now_primary.append(tenant_id)
        else:
            to_resubmit.append(tenant_id)
    return found, now_primary, to_resubmit


def changed_by(actions):
    """Whether a run with these per-tenant actions changes (or, in check mode, would change) anything.

    Attaching counts: the tenant's role changes during the run, even though this run did not submit the task.
    """
    return any(action in (ACTION_FAILED_OVER, ACTION_WOULD_FAIL_OVER, ACTION_ATTACHED) for action in actions)
