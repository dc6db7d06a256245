# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/inventory.py, the inventory plugin's pure parts: cluster selection, tenant records
with their role evidence, and the hosts of both layouts. The plugin against OCP is tested end to end
(tests/e2e/test_inventory.py). Nothing here may import ansible-core's controller code: once imported, module
warnings go to the controller's display instead of module results, for every later test of the process."""

from __future__ import annotations

from ansible_collections.oceanbase.ocp.plugins.module_utils.inventory import (
    cluster_hosts,
    name_selected,
    role_selected,
    select_clusters,
    tenant_hosts,
    tenant_records,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import normalize_tasks

CLUSTERS = [{"id": 3000010, "name": "ob_dr"}, {"id": 3000020, "name": "ob_main"}, {"id": 3000030, "name": "lab"}]


def test_select_clusters_by_id_name_and_pattern():
    warnings = []
    assert select_clusters(CLUSTERS, [], warnings.append) == {3000010: "ob_dr", 3000020: "ob_main", 3000030: "lab"}
    assert select_clusters(CLUSTERS, ["ob_*"], warnings.append) == {3000010: "ob_dr", 3000020: "ob_main"}
    assert select_clusters(CLUSTERS, ["3000030", "ob_dr"], warnings.append) == {3000030: "lab", 3000010: "ob_dr"}
    assert warnings == []
    assert select_clusters(CLUSTERS, ["OB_DR", "x*"], warnings.append) == {}  # case-sensitive; patterns may be empty
    assert warnings == ["oceanbase.ocp.ocp: clusters lists OB_DR, but OCP has no cluster with that id or name"]


def test_name_and_role_filters():
    assert name_selected("orders_sb", []) and name_selected("orders_sb", ["pay*", "orders_*"])
    assert not name_selected("orders_sb", ["orders"])
    assert role_selected(None, []) and role_selected(None, ["UNKNOWN"]) and role_selected("STANDBY", ["STANDBY"])
    assert not role_selected(None, ["STANDBY"]) and not role_selected("PRIMARY", ["STANDBY", "UNKNOWN"])


def test_tenant_records_roles_from_field_then_latest_task_never_guessed():
    raw_tenants = [
        {"id": 11, "name": "a", "clusterId": 3000010, "mode": "MYSQL", "status": "NORMAL", "tenantRole": "standby"},
        {"id": 12, "name": "b", "clusterId": 3000010, "mode": "ORACLE", "status": "NORMAL"},
        {"id": 13, "name": "c", "clusterId": 3000010, "mode": "MYSQL", "status": "NORMAL"},
        {"id": 14, "name": "d", "clusterId": 3000010, "mode": "MYSQL", "status": "NORMAL"},
    ]
    tasks = normalize_tasks([
        # b: failed over (nested list entry), then switched back (flat): STANDBY, by its latest task.
        {"id": 1, "name": "Failover tenant", "status": "SUCCESSFUL", "cluster": {"id": 3000010}, "tenant": {"id": 12}},
        {"id": 2, "name": "Switchover ob tenant for network mode", "status": "SUCCESSFUL", "clusterId": 3000010,
         "tenantId": 12},
        # c: its latest failover is still running: no evidence.
        {"id": 3, "name": "Failover tenant", "status": "RUNNING", "clusterId": 3000010, "tenantId": 13},
    ])
    records = tenant_records(raw_tenants, {3000010: "ob_dr"}, tasks)
    assert [(record["tenant_name"], record["tenant_role"], record["tenant_role_source"]) for record in records] == [
        ("a", "STANDBY", "tenant"), ("b", "STANDBY", "tasks"), ("c", None, "none"), ("d", None, "none")]
    assert records[1] == {"cluster_id": 3000010, "cluster_name": "ob_dr", "tenant_id": 12, "tenant_name": "b",
                          "tenant_role": "STANDBY", "tenant_role_source": "tasks", "tenant_mode": "ORACLE",
                          "tenant_status": "NORMAL"}


def test_tenant_records_cluster_name_from_the_entry_when_the_cluster_list_lacks_it():
    records = tenant_records([{"id": 5, "name": "x", "clusterId": 7, "clusterName": "remote"}], {}, [])
    assert records[0]["cluster_name"] == "remote"


def test_tenant_and_cluster_hosts():
    records = tenant_records([
        {"id": 12, "name": "b", "clusterId": 3000010, "tenantRole": "PRIMARY"},
        {"id": 11, "name": "a", "clusterId": 3000010, "tenantRole": "STANDBY"},
        {"id": 21, "name": "a", "clusterId": 3000020},
    ], {3000010: "ob-dr", 3000020: "ob_main"}, [])
    hosts = list(tenant_hosts(records))
    assert [(name, groups) for name, dummy, groups in hosts] == [
        ("ob-dr.a", ["ocp_cluster_ob-dr", "ocp_role_standby"]),  # the plugin sanitises group names
        ("ob-dr.b", ["ocp_cluster_ob-dr", "ocp_role_primary"]),
        ("ob_main.a", ["ocp_cluster_ob_main"]),
    ]
    assert hosts[0][1]["ocp_tenant_id"] == 11 and hosts[0][1]["ocp_cluster_name"] == "ob-dr"
    clusters = list(cluster_hosts(records))
    assert [(name, groups) for name, dummy, groups in clusters] == [
        ("ob-dr", ["ocp_cluster_ob-dr"]), ("ob_main", ["ocp_cluster_ob_main"])]
    assert clusters[0][1]["ocp_cluster_id"] == 3000010
    assert [tenant["tenant_id"] for tenant in clusters[0][1]["ocp_tenants"]] == [11, 12]
    assert set(clusters[0][1]["ocp_tenants"][0]) == {"tenant_id", "tenant_name", "tenant_role", "tenant_role_source",
                                                     "tenant_mode", "tenant_status"}
