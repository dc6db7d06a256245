# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The switchover, as an operation of the role-change engine (role_change.py): a primary tenant and its standby
swap roles, planned and without data loss.

An item is a pair ``{tenant_id: the primary, standby_tenant_id: its standby}``. OCP's task ("Switchover ob tenant
for network mode") belongs to the primary: its cluster and tenant are the primary's, the standby is in no field
(docs/ocp-api.md, "Switchover"). Only what is particular to a switchover is here.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import Failover
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import Operation
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    ROLE_PRIMARY,
    ROLE_STANDBY,
    SOURCE_NONE,
    SOURCE_TASKS,
    SOURCE_TENANT,
    SWITCHOVER_TASK_NAME,
    RoleEvidence,
    role_from_task,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import duplicate_problems, id_problems, seconds_problems

# The pairs option of both switchover modules (documented by each).
PAIRS_OPTION = dict(type="list", elements="dict", required=True, options=dict(
    tenant_id=dict(type="int", required=True),
    standby_tenant_id=dict(type="int", required=True),
))

ACTION_SWITCHED_OVER = "switched_over"
ACTION_WOULD_SWITCH_OVER = "would_switch_over"
ACTION_ALREADY_SWITCHED = "already_switched"


class Switchover(Operation):
    name = "switchover"
    task_names = (SWITCHOVER_TASK_NAME,)
    result_key = "pairs"
    action_submitted = ACTION_SWITCHED_OVER
    action_would_submit = ACTION_WOULD_SWITCH_OVER
    action_done = ACTION_ALREADY_SWITCHED
    retry_variable = "tenant_switchover_retry_failed_tasks"

    def target_roles(self, item):
        return {item["tenant_id"]: ROLE_STANDBY, item["standby_tenant_id"]: ROLE_PRIMARY}

    def submit(self, client, cluster_id, items):
        pairs = [{"tenantId": item["tenant_id"], "standbyTenantId": item["standby_tenant_id"]} for item in items]
        return client.switchover(cluster_id, pairs)

    def complete_roles(self, item, roles, latest):
        """The newest role-changing task of either tenant speaks for both; older ones no longer do.

        Each tenant's own tasks say only what happened to it as a task's subject, and a switchover also changes a
        tenant it does not name (its standby). So after a switchover (P's task) and the switch back (S's task, in
        S's cluster), P's own latest task still says STANDBY: only the newer one tells. A SUCCESSFUL switchover makes
        its subject STANDBY and the other tenant of the pair PRIMARY; a SUCCESSFUL failover makes its subject
        PRIMARY and says nothing of the other; a RUNNING or FAILED task leaves both open (the precheck decides).
        A role the tenant reports itself (tenantRole) always stands. OCP's task ids grow with time across clusters.
        """
        tasks = [task for task in [latest] + [evidence.task for evidence in roles.values()] if task is not None]
        if not tasks:
            return roles
        newest = max(tasks, key=lambda task: task.get("id") or 0)
        implied = {}
        subject_role = role_from_task(newest)
        if subject_role is not None:
            implied[newest["tenant_id"]] = subject_role
            if subject_role == ROLE_STANDBY:
                implied.update((tenant_id, ROLE_PRIMARY) for tenant_id in roles if tenant_id != newest["tenant_id"])
        completed = {}
        for tenant_id, evidence in roles.items():
            if evidence.source == SOURCE_TENANT:
                completed[tenant_id] = evidence
            else:
                completed[tenant_id] = RoleEvidence(implied.get(tenant_id), SOURCE_TASKS if tenant_id in implied
                                                    else SOURCE_NONE, newest)
        return completed

    # The failover precheck of each tenant nothing else decided, in its own cluster: OBE26013 says it is not a
    # standby; any other answer that OCP examined it as one.
    resolve_unknown_roles = Failover.resolve_unknown_roles

    def entry(self, plan, roles_after, tenant_name):
        primary, standby = plan.tenant_id, plan.item["standby_tenant_id"]
        return {
            "tenant_id": primary,
            "standby_tenant_id": standby,
            "name": tenant_name(primary),
            "standby_name": tenant_name(standby),
            "role_before": plan.roles[primary].role,
            "role_after": roles_after[primary],
            "standby_role_before": plan.roles[standby].role,
            "standby_role_after": roles_after[standby],
            "standby_role_source": plan.roles[standby].source,
        }


SWITCHOVER = Switchover()


def pair_problems(cluster_id, pairs):
    """Problems with cluster_id and pairs (both switchover modules): each tenant in one pair only, never its own
    standby, every id positive."""
    primaries = [pair["tenant_id"] for pair in pairs or []]
    standbys = [pair["standby_tenant_id"] for pair in pairs or []]
    problems = [] if pairs else ["pairs must list at least one {tenant_id, standby_tenant_id} pair"]
    problems += id_problems("cluster_id", [cluster_id]) + id_problems("tenant_id", primaries)
    problems += id_problems("standby_tenant_id", standbys)
    problems += ["pair %s: a tenant cannot be its own standby" % primary
                 for primary, standby in zip(primaries, standbys) if primary == standby]
    return problems + duplicate_problems("pairs", "tenant", primaries + standbys)


def validate_request(cluster_id, pairs, wait_timeout, wait_sleep):
    """Problems with the switchover module's input that must stop it before anything is sent (list of messages)."""
    return (pair_problems(cluster_id, pairs) + seconds_problems("wait_timeout", wait_timeout)
            + seconds_problems("wait_sleep", wait_sleep))
