# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover, as an operation of the role-change engine (role_change.py): standby tenants become primary.

Only what is particular to a failover is here: its OCP task name, its request, the role each tenant ends in, its
action names, and the failover precheck as the evidence of last resort for a tenant's role.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import MAX_PARALLEL_PRECHECKS, Operation
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    FAILOVER_TASK_NAME,
    ROLE_PRIMARY,
    ROLE_STANDBY,
    SOURCE_PRECHECK,
    RoleEvidence,
    role_from_precheck,
    role_from_precheck_error,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import (
    as_int,
    duplicate_problems,
    id_problems,
    seconds_problems,
)

ACTION_FAILED_OVER = "failed_over"
ACTION_WOULD_FAIL_OVER = "would_fail_over"
ACTION_ALREADY_PRIMARY = "already_primary"


class Failover(Operation):
    name = "failover"
    task_names = (FAILOVER_TASK_NAME,)
    result_key = "tenants"
    action_submitted = ACTION_FAILED_OVER
    action_would_submit = ACTION_WOULD_FAIL_OVER
    action_done = ACTION_ALREADY_PRIMARY
    retry_variable = "tenant_failover_retry_failed_tasks"

    def target_roles(self, item):
        return {item["tenant_id"]: ROLE_PRIMARY}

    def submit(self, client, cluster_id, items):
        return client.failover(cluster_id, failover_items(items))

    def resolve_unknown_roles(self, client, cluster_id, tenant_ids):
        """The failover precheck of each tenant nothing else decided: OBE26013 says it is not a standby (whichever
        form OCP answers it in); any other answer that OCP examined it as one. Read-only, concurrent."""
        def precheck(tenant_id):
            try:
                answer = client.failover_precheck(cluster_id, tenant_id)
            except OcpApiError as error:
                role = role_from_precheck_error(error)
                if role is None:
                    raise
                return RoleEvidence(role, SOURCE_PRECHECK)
            return RoleEvidence(role_from_precheck(answer.get("checkResults")), SOURCE_PRECHECK)

        evidence = run_concurrently(precheck, tenant_ids, MAX_PARALLEL_PRECHECKS)
        return dict(zip(tenant_ids, evidence))

    def entry(self, plan, roles_after, tenant_name):
        tenant_id = plan.tenant_id
        return {
            "tenant_id": tenant_id,
            "name": tenant_name(tenant_id),
            "service_name": plan.item.get("service_name"),
            "role_before": plan.roles[tenant_id].role,
            "role_after": roles_after[tenant_id],
        }


FAILOVER = Failover()


def validate_request(cluster_id, tenants, wait_timeout, wait_sleep):
    """Problems with the module's input that must stop it before anything is sent (list of messages)."""
    problems = id_problems("cluster_id", [cluster_id]) if cluster_id is not None else []
    if not tenants:
        problems.append("tenants must list at least one tenant to fail over")
    tenant_ids = [tenant["tenant_id"] for tenant in tenants or []]
    problems += id_problems("tenant_id", tenant_ids)
    problems += duplicate_problems("tenants", "tenant_id", tenant_ids)
    problems += seconds_problems("wait_timeout", wait_timeout)
    problems += seconds_problems("wait_sleep", wait_sleep)
    return problems


def roles_from_prechecks(prechecks, cluster_id):
    """(tenant id -> RoleEvidence, problems): the roles the results of ocp_failover_precheck (its ``prechecks``)
    prove, for RoleChangeRun's ``known_roles``. Entries without a role (none proved) are left out; an entry that is
    not a precheck result of this cluster is a problem, so that no evidence is taken from the wrong tenant."""
    known = {}
    problems = []
    for index, entry in enumerate(prechecks or []):
        where = "prechecks[%d]" % index
        tenant_id = as_int(entry.get("tenant_id"))
        if tenant_id is None:
            problems.append("%s has no tenant_id (got %r): pass the prechecks of oceanbase.ocp.ocp_failover_precheck"
                            % (where, entry.get("tenant_id")))
            continue
        entry_cluster = entry.get("cluster_id")
        if entry_cluster is not None and as_int(entry_cluster) != cluster_id:
            problems.append("%s is a precheck of tenant %s in cluster %s, not in cluster %s: pass the prechecks of"
                            " this cluster's tenants" % (where, tenant_id, entry_cluster, cluster_id))
            continue
        role = entry.get("role")
        if role in (ROLE_PRIMARY, ROLE_STANDBY):
            known[tenant_id] = RoleEvidence(role, SOURCE_PRECHECK)
    return known, problems


def failover_items(items):
    """The documented `failoverTenantItemList` entries; serviceName only when one was given."""
    entries = []
    for item in items:
        entry = {"tenantId": item["tenant_id"]}
        if item.get("service_name"):
            entry["serviceName"] = item["service_name"]
        entries.append(entry)
    return entries
