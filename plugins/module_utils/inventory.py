# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the inventory plugin oceanbase.ocp.ocp makes of OCP's clusters, tenants and tasks: which are selected,
each tenant's record (with its role by tenant_role's evidence rules), and the hosts, host variables and groups of
both layouts (one host per tenant, or per cluster).

Pure functions over raw OCP entries and normalised tasks, no I/O; kept out of the plugin file so that they import
without ansible-core's controller code (plugins/inventory/ocp.py is the thin part that talks to Ansible and OCP).
"""

from __future__ import absolute_import, division, print_function

from fnmatch import fnmatchcase

from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import ROLE_PRIMARY, ROLE_STANDBY, tenant_role

ROLE_UNKNOWN = "UNKNOWN"  # the tenant_roles value for a tenant without role evidence
CLUSTER_GROUP_PREFIX = "ocp_cluster_"
ROLE_GROUPS = {ROLE_PRIMARY: "ocp_role_primary", ROLE_STANDBY: "ocp_role_standby"}
WILDCARDS = "*?["


def cluster_of(tenant):
    """The OCP id of a tenant entry's cluster (``clusterId``, docs/ocp-api.md "Tenants"), or None."""
    cluster_id = tenant.get("clusterId")
    return None if cluster_id is None else int(cluster_id)


def select_clusters(raw_clusters, wanted, warn):
    """``{cluster_id: name}`` of the clusters ``wanted`` names (ids or name patterns); every cluster if empty.

    An id or plain name that matches nothing is worth a warning: a typo would otherwise empty the inventory.
    """
    clusters = {}
    for cluster in raw_clusters:
        if isinstance(cluster, dict) and cluster.get("id") is not None:
            clusters[int(cluster["id"])] = str(cluster.get("name") or cluster["id"])
    if not wanted:
        return clusters
    selected = {}
    for entry in wanted:
        entry = str(entry).strip()
        found = dict((cluster_id, name) for cluster_id, name in clusters.items()
                     if entry == str(cluster_id) or fnmatchcase(name, entry))
        if not found and not any(char in entry for char in WILDCARDS):
            warn("oceanbase.ocp.ocp: clusters lists %s, but OCP has no cluster with that id or name" % entry)
        selected.update(found)
    return selected


def name_selected(name, patterns):
    return not patterns or any(fnmatchcase(str(name or ""), str(pattern)) for pattern in patterns)


def role_selected(role, roles):
    return not roles or (role or ROLE_UNKNOWN) in roles


def tenant_records(raw_tenants, clusters, tasks):
    """Plain records of the tenants (JSON, for the cache), with their roles by tenant_role's evidence rules.

    ``tasks`` are normalised role-changing tasks; each tenant is judged on its own (tenant ids are unique in OCP),
    so that thousands of tenants and tasks stay linear.
    """
    tasks_by_tenant = {}
    for task in tasks:
        tasks_by_tenant.setdefault(task.get("tenant_id"), []).append(task)
    records = []
    for raw in raw_tenants:
        cluster_id = cluster_of(raw)
        tenant_id = int(raw["id"])
        evidence = tenant_role(tenant_id, raw, tasks_by_tenant.get(tenant_id, []))
        records.append({
            "cluster_id": cluster_id,
            "cluster_name": clusters.get(cluster_id) or raw.get("clusterName") or str(cluster_id),
            "tenant_id": tenant_id,
            "tenant_name": str(raw.get("name") or tenant_id),
            "tenant_role": evidence.role,
            "tenant_role_source": evidence.source,
            "tenant_mode": raw.get("mode"),
            "tenant_status": raw.get("status"),
        })
    return sorted(records, key=lambda record: (record["cluster_name"], record["tenant_name"], record["tenant_id"]))


def tenant_hosts(records):
    """``(host name, hostvars, groups)`` of one host per tenant."""
    for record in records:
        hostvars = dict(("ocp_%s" % key, value) for key, value in record.items())
        groups = [CLUSTER_GROUP_PREFIX + record["cluster_name"]]
        if record["tenant_role"] in ROLE_GROUPS:
            groups.append(ROLE_GROUPS[record["tenant_role"]])
        yield "%s.%s" % (record["cluster_name"], record["tenant_name"]), hostvars, groups


def cluster_hosts(records):
    """``(host name, hostvars, groups)`` of one host per cluster, its tenants in ``ocp_tenants``."""
    by_cluster = {}
    for record in records:
        by_cluster.setdefault((record["cluster_name"], record["cluster_id"]), []).append(record)
    for (cluster_name, cluster_id), members in sorted(by_cluster.items()):
        tenants = [dict((key, value) for key, value in member.items() if not key.startswith("cluster_"))
                   for member in members]
        hostvars = {"ocp_cluster_id": cluster_id, "ocp_cluster_name": cluster_name, "ocp_tenants": tenants}
        yield cluster_name, hostvars, [CLUSTER_GROUP_PREFIX + cluster_name]
