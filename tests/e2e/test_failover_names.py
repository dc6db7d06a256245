"""oceanbase.ocp.ocp_tenant_failover (cluster_name, tenants[].name) and ocp_failover_precheck (cluster_name,
tenant_names) by name end to end, resolved exactly through OCP's list endpoints before anything is sent, against the
simulator through ansible-playbook.

Names that trap a fuzzy match: clusters obcluster_dr / obcluster_dr2, tenants t1 / t10, and a t1 in each cluster.
"""

from __future__ import annotations

import pytest
from harness import assert_clean_output

MODULE = "oceanbase.ocp.ocp_tenant_failover"
DR, DR2, PRIMARY_CLUSTER = 3000020, 3000021, 3000002
T1, T10, DUP_A, DUP_B, T1_ELSEWHERE = 2000101, 2000110, 2000130, 2000131, 2000201

SHAPES = [
    pytest.param({"task_shape": "nested", "expose_tenant_role": False}, id="nested-no_role_field"),
    pytest.param({"task_shape": "flat", "expose_tenant_role": True}, id="flat-role_field"),
]


def standby(tenant_id, name, cluster_id, primary_id):
    return {"id": tenant_id, "name": name, "clusterId": cluster_id, "tenantRole": "STANDBY",
            "primaryTenantId": primary_id, "primaryClusterId": PRIMARY_CLUSTER, "status": "NORMAL"}


@pytest.fixture(params=SHAPES)
def scenario(scenario, request):
    scenario["options"] = dict(request.param)
    scenario["clusters"] += [
        {"id": PRIMARY_CLUSTER, "name": "obcluster_pr"},
        {"id": DR, "name": "obcluster_dr"},
        {"id": DR2, "name": "obcluster_dr2"},
        {"id": 3000030, "name": "twin"},
        {"id": 3000031, "name": "twin"},
    ]
    scenario["tenants"] += [
        {"id": 1101, "name": "p1", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY", "reachable": False},
        {"id": 1110, "name": "p10", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY", "reachable": False},
        standby(T1, "t1", DR, 1101),
        standby(T10, "t10", DR, 1110),
        standby(DUP_A, "dup", DR, 1101),
        standby(DUP_B, "dup", DR, 1110),
        standby(T1_ELSEWHERE, "t1", DR2, 1101),
    ]
    return scenario


def failover(title, tenants, **args):
    return {"name": title, MODULE: dict({"tenants": tenants, "wait_timeout": 60}, **args)}


def posts(simulator):
    """The failover POSTs (prechecks, which the failover module runs for tenants of unknown role, change nothing)."""
    return [entry for entry in simulator.request_log()
            if entry["method"] == "POST" and entry["path"].endswith("/tenants/failover")]


def roles(simulator, *tenant_ids):
    return [simulator.state.tenants[tenant_id]["tenantRole"] for tenant_id in tenant_ids]


def test_by_cluster_name_and_tenant_name(run_playbook, simulator):
    run = run_playbook([failover("by name", [{"name": "t1", "service_name": "SERVICE_T1"}],
                                 cluster_name="obcluster_dr")])
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("by name")
    assert result["changed"] is True and result["cluster_id"] == DR
    assert [(t["tenant_id"], t["name"], t["action"], t["role_after"], t["service_name"]) for t in result["tenants"]] == [
        (T1, "t1", "failed_over", "PRIMARY", "SERVICE_T1")]
    # exactly t1 of obcluster_dr: not t10, not the t1 of obcluster_dr2
    [post] = posts(simulator)
    assert post["path"] == "/api/v2/ob/clusters/%d/tenants/failover" % DR
    assert post["body"] == {"failoverTenantItemList": [{"tenantId": T1, "serviceName": "SERVICE_T1"}]}
    assert roles(simulator, T1, T10, T1_ELSEWHERE) == ["PRIMARY", "STANDBY", "STANDBY"]

    # the rerun by name finds nothing to do
    again = run_playbook([failover("again", [{"name": "t1"}], cluster_name="obcluster_dr")])
    assert again.rc == 0, again.output
    assert [(t["tenant_id"], t["name"], t["action"]) for t in again.task("again")["tenants"]] == [
        (T1, "t1", "already_primary")]
    assert again.task("again")["changed"] is False
    assert len(posts(simulator)) == 1


def test_names_and_ids_mixed_keep_their_order(run_playbook, simulator):
    run = run_playbook([failover("mixed", [{"tenant_id": T10}, {"name": "t1"}], cluster_id=DR)], check=True,
                       diff=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("mixed")
    assert [(t["tenant_id"], t["name"], t["action"]) for t in result["tenants"]] == [
        (T10, "t10", "would_fail_over"), (T1, "t1", "would_fail_over")]
    assert posts(simulator) == []


def test_every_problem_in_one_message_before_any_post(run_playbook, simulator):
    run = run_playbook([failover("bad", [
        {"name": "t"},
        {"name": "dup"},
        {"tenant_id": T1, "name": "t1"},
        {"service_name": "SERVICE_X"},
        {"name": "t10"},
        {"tenant_id": T10},
    ], cluster_name="obcluster_dr")])
    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("bad")["msg"]
    assert message.startswith("Invalid input, nothing was sent to OCP: ")
    assert "tenants[2] gives both tenant_id (2000101) and name ('t1'): give exactly one" in message
    assert "tenants[3] gives neither tenant_id nor name: give exactly one" in message
    # the structural problems are found before OCP is asked: nothing at all was sent
    assert simulator.request_log() == []

    run = run_playbook([failover("names", [{"name": "t"}, {"name": "dup"}, {"name": "t10"}, {"tenant_id": T10}],
                                 cluster_name="obcluster_dr")])
    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("names")["msg"]
    assert message.startswith("Cannot tell which cluster or tenants are meant, nothing was sent to OCP: ")
    assert "cluster 3000020 has no tenant named 't' (similar names: 't1', 't10')" in message
    assert ("the tenant name 'dup' is shared by 2 tenants of cluster 3000020 (ids 2000130, 2000131): give tenant_id"
            " instead") in message
    assert ("tenants lists tenant 2000110 more than once (tenants[2] by name, tenants[3] by tenant_id): list each"
            " once") in message
    assert posts(simulator) == []
    assert roles(simulator, T1, T10, DUP_A, DUP_B) == ["STANDBY"] * 4


@pytest.mark.parametrize("args, expected", [
    ({"cluster_name": "obcluster"},
     "OCP has no cluster named 'obcluster' (similar names: 'obcluster_dr', 'obcluster_dr2', 'obcluster_pr'): check"
     " cluster_name, or give cluster_id"),
    ({"cluster_name": "twin"},
     "the cluster name 'twin' is shared by 2 clusters (ids 3000030, 3000031): give cluster_id instead"),
    ({"cluster_name": "obcluster_dr2", "tenants": [{"name": "t10"}]},
     "cluster 3000021 has no tenant named 't10' (OCP's name filter found no similar name)"),
    ({"cluster_id": DR, "cluster_name": "obcluster_dr"}, "parameters are mutually exclusive: cluster_id|cluster_name"),
    ({}, "one of the following is required: cluster_id, cluster_name"),
])
def test_clusters_that_do_not_resolve(run_playbook, simulator, args, expected):
    args = dict(args)
    run = run_playbook([failover("bad", args.pop("tenants", [{"name": "t1"}]), **args)])
    assert run.rc != 0
    assert_clean_output(run)
    assert expected in run.task("bad")["msg"]
    assert posts(simulator) == []


# ----- oceanbase.ocp.ocp_failover_precheck by name

PRECHECK = "oceanbase.ocp.ocp_failover_precheck"


def precheck(title, **args):
    return {"name": title, PRECHECK: args}


def precheck_paths(simulator):
    return [entry["path"] for entry in simulator.request_log()
            if entry["method"] == "POST" and entry["path"].endswith("/failoverPreCheck")]


def test_precheck_by_cluster_name_and_tenant_names(run_playbook, simulator):
    run = run_playbook([precheck("by name", cluster_name="obcluster_dr", tenant_names=["t10", "t1"])], check=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    result = run.task("by name")
    assert result["changed"] is False and result["valid"] is True and result["cluster_id"] == DR
    # in the order given, exactly t10 and t1 of obcluster_dr (not the t1 of obcluster_dr2)
    assert [(p["tenant_id"], p["name"], p["cluster_id"], p["role"]) for p in result["prechecks"]] == [
        (T10, "t10", DR, "STANDBY"), (T1, "t1", DR, "STANDBY")]
    assert sorted(precheck_paths(simulator)) == sorted(
        "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (DR, tenant_id) for tenant_id in (T1, T10))


def test_precheck_names_that_do_not_resolve_send_no_precheck(run_playbook, simulator):
    run = run_playbook([precheck("bad names", cluster_id=DR, tenant_names=["t", "dup", "t1"])])
    assert run.rc != 0
    assert_clean_output(run)
    message = run.task("bad names")["msg"]
    assert message.startswith("Cannot tell which cluster or tenants are meant, nothing was sent to OCP: ")
    assert "cluster 3000020 has no tenant named 't' (similar names: 't1', 't10')" in message
    assert "the tenant name 'dup' is shared by 2 tenants of cluster 3000020 (ids 2000130, 2000131)" in message
    assert precheck_paths(simulator) == []


@pytest.mark.parametrize("args, expected", [
    ({"cluster_id": DR, "tenant_names": ["t1", "t1"]},
     "Invalid input, nothing was sent to OCP: tenant_names lists these tenant names more than once: t1."),
    ({"cluster_id": DR, "tenant_names": []}, "tenant_names must list at least one tenant name"),
    ({"cluster_id": DR, "tenant_names": ["t1", ""]}, "tenant_names[1] is an empty name"),
    ({"cluster_id": DR, "tenant_names": ["t1"], "tenant_ids": [T1]},
     "parameters are mutually exclusive: tenant_id|tenant_ids|tenant_names"),
    ({"cluster_id": DR}, "one of the following is required: tenant_id, tenant_ids, tenant_names"),
    ({"tenant_names": ["t1"]}, "one of the following is required: cluster_id, cluster_name"),
    ({"cluster_name": "twin", "tenant_names": ["t1"]},
     "the cluster name 'twin' is shared by 2 clusters (ids 3000030, 3000031): give cluster_id instead"),
    ({"cluster_name": "obcluster", "tenant_ids": [T1]}, "OCP has no cluster named 'obcluster'"),
])
def test_precheck_input_that_names_nothing_exactly(run_playbook, simulator, args, expected):
    run = run_playbook([precheck("bad", **args)])
    assert run.rc != 0
    assert_clean_output(run)
    assert expected in run.task("bad")["msg"]
    assert precheck_paths(simulator) == []
