"""The role oceanbase.ocp.tenant_failover, through the playbook oceanbase.ocp.precheck_then_failover, end to end.

Real ansible-playbook, real modules, the simulator over HTTP. Connection details come from the OCP_* environment
variables, as an AWX credential injects them.
"""

from __future__ import annotations

import pytest
import requests
import yaml
from harness import ADMIN_PASSWORD, ADMIN_USER, assert_clean_output

PRIMARY_CLUSTER = 3000010
STANDBY_CLUSTER = 3000020
STANDBYS = [2000101, 2000102, 2000103]
PLAYBOOK = "oceanbase.ocp.precheck_then_failover"


def role_scenario(primary_reachable=(), warnings=None, sync_scn=None):
    """Two clusters; each standby tenant in STANDBY_CLUSTER has its primary in PRIMARY_CLUSTER."""
    warnings = warnings or {}
    sync_scn = sync_scn or {}
    tenants = []
    for index, standby_id in enumerate(STANDBYS):
        primary_id = 1000101 + index
        tenants.append({"id": primary_id, "name": f"app{index}", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY",
                        "reachable": standby_id in primary_reachable, "serviceName": f"SVC_APP{index}",
                        "mode": "MYSQL", "status": "NORMAL"})
        tenants.append({"id": standby_id, "name": f"app{index}_standby", "clusterId": STANDBY_CLUSTER,
                        "tenantRole": "STANDBY", "primaryTenantId": primary_id, "primaryClusterId": PRIMARY_CLUSTER,
                        "syncScn": sync_scn.get(standby_id, 0), "status": "NORMAL", "mode": "MYSQL",
                        "warnings": warnings.get(standby_id, []), "errors": []})
    return {
        "users": [{"username": ADMIN_USER, "password": ADMIN_PASSWORD, "permissions": ["read", "write"]}],
        "access_keys": [],
        "timing": {"precheck_seconds": 0.05, "subtask_seconds": 0.1},
        "clusters": [{"id": PRIMARY_CLUSTER, "name": "ob_east", "status": "RUNNING"},
                     {"id": STANDBY_CLUSTER, "name": "ob_west", "status": "RUNNING"}],
        "tenants": tenants,
        "faults": [],
    }


@pytest.fixture
def scenario():
    return role_scenario(
        warnings={2000102: [{"errorCode": "OBE26007", "errorMessage": "Log stream synchronization is slow"}]})


@pytest.fixture
def ocp_env(simulator):
    return {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}


def role_vars(**overrides):
    variables = {
        "tenant_failover_cluster_id": STANDBY_CLUSTER,
        "tenant_failover_tenants": [{"tenant_id": 2000101, "service_name": "SVC_ORDERS"},
                                    {"tenant_id": 2000102}, {"tenant_id": 2000103, "service_name": "SVC_PAY"}],
        "tenant_failover_wait_timeout": 120,
    }
    variables.update(overrides)
    return variables


def failover_posts(simulator):
    return [r for r in simulator.request_log() if r["method"] == "POST" and r["path"].endswith("/tenants/failover")]


def precheck_posts(simulator):
    return [r for r in simulator.request_log() if r["method"] == "POST" and r["path"].endswith("/failoverPreCheck")]


def tenant_role(simulator, tenant_id, cluster_id=STANDBY_CLUSTER):
    response = requests.get(f"{simulator.url}/api/v2/ob/clusters/{cluster_id}/tenants/{tenant_id}",
                            auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=10)
    response.raise_for_status()
    return response.json()["data"]["tenantRole"]


def test_all_valid_fails_over_in_one_batch_and_summarises(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None, diff=True)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert len(posts) == 1
    assert posts[0]["body"] == {"failoverTenantItemList": [
        {"tenantId": 2000101, "serviceName": "SVC_ORDERS"}, {"tenantId": 2000102},
        {"tenantId": 2000103, "serviceName": "SVC_PAY"}]}
    assert {r["path"].split("/")[-2] for r in precheck_posts(simulator)} == {str(t) for t in STANDBYS}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3
    summary = run.task("Summarise the failover")["msg"]
    assert summary[0].split() == ["TENANT", "NAME", "ACTION", "TASK", "STATUS", "TIME", "TAKEN"]
    assert len(summary) == 4
    assert all("failed_over" in line and "SUCCESSFUL" in line for line in summary[1:]), summary
    # The warning of tenant 2000102 is reported but, with warnings allowed (the default), does not block.
    assert any("OBE26007" in line for line in run.task("Report the precheck results")["msg"])
    assert "STANDBY" in run.stdout and "PRIMARY" in run.stdout  # --diff shows the role change


def test_rerun_is_idempotent(simulator, run_playbook, ocp_env):
    first = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)
    assert first.rc == 0, first.output
    simulator.clear_request_log()

    second = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert second.rc == 0, second.output
    assert "changed=0" in second.stdout, second.stdout
    assert failover_posts(simulator) == []
    assert precheck_posts(simulator) == []  # nothing left to precheck: every tenant is already primary
    assert {t["action"] for t in second.task("Fail the tenants over in one batch and wait for OCP's tasks")["tenants"]} \
        == {"already_primary"}


@pytest.mark.parametrize("scenario", [role_scenario(primary_reachable={2000102})])
def test_one_invalid_precheck_stops_before_any_failover(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None)

    assert run.rc != 0
    assert_clean_output(run)
    assert "OBE26107" in run.output
    assert "Failover NOT started" in run.output
    assert failover_posts(simulator) == []
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["STANDBY"] * 3


def test_warnings_block_when_not_allowed(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(tenant_failover_allow_warnings=False),
                       env=ocp_env, auth=None)

    assert run.rc != 0
    assert "OBE26007" in run.output and "warning" in run.output
    assert failover_posts(simulator) == []


@pytest.mark.parametrize("scenario", [role_scenario(sync_scn={2000103: 5000})])
def test_sync_latency_bound_blocks(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(tenant_failover_max_sync_latency=1000),
                       env=ocp_env, auth=None)

    assert run.rc != 0
    assert "SYNC_LATENCY" in run.output and "2000103" in run.output
    assert failover_posts(simulator) == []


def test_check_mode_prechecks_but_sends_no_failover(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, extra_vars=role_vars(), env=ocp_env, auth=None, check=True, diff=True)

    assert run.rc == 0, run.output
    assert len(precheck_posts(simulator)) == 3
    assert failover_posts(simulator) == []
    actions = {t["action"] for t in run.task("Fail the tenants over in one batch and wait for OCP's tasks")["tenants"]}
    assert actions == {"would_fail_over"}
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["STANDBY"] * 3


def test_role_from_another_playbook_with_ocp_variables(simulator, run_playbook):
    tasks = [{"name": "Fail over through the role",
              "ansible.builtin.include_role": {"name": "oceanbase.ocp.tenant_failover"},
              "vars": dict(role_vars(), ocp_api_url=simulator.url, ocp_username=ADMIN_USER,
                           ocp_password=ADMIN_PASSWORD)}]
    run = run_playbook(tasks, auth=None)

    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert len(failover_posts(simulator)) == 1
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3


def test_bad_role_input_is_rejected_before_anything_is_sent(simulator, run_playbook, ocp_env):
    run = run_playbook(playbook=PLAYBOOK, env=ocp_env, auth=None, extra_vars=role_vars(
        tenant_failover_tenants=[{"tenant_id": 2000101}, {"tenant_id": 2000101}]))

    assert run.rc != 0
    assert_clean_output(run)
    assert "each tenant_id once" in run.output
    assert simulator.request_log() == []


def multi_cluster_scenario():
    """Standby tenants in two clusters (3000020 and 3000030), their primaries in PRIMARY_CLUSTER, all unreachable."""
    scenario = role_scenario()
    scenario["clusters"].append({"id": 3000030, "name": "ob_south", "status": "RUNNING"})
    scenario["tenants"] += [
        {"id": 1000201, "name": "south", "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY", "reachable": False,
         "mode": "MYSQL", "status": "NORMAL"},
        {"id": 2000201, "name": "south_standby", "clusterId": 3000030, "tenantRole": "STANDBY",
         "primaryTenantId": 1000201, "primaryClusterId": PRIMARY_CLUSTER, "syncScn": 0, "status": "NORMAL",
         "mode": "MYSQL", "warnings": [], "errors": []},
    ]
    return scenario


@pytest.mark.parametrize("scenario", [multi_cluster_scenario()])
def test_one_host_per_cluster_inventory_pattern(simulator, run_playbook, ocp_env, tmp_path):
    # The README's pattern for tenants in several clusters: each OCP cluster is an inventory host, forks run them.
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"ocp_clusters": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "hosts": {
            "standby-west": {"tenant_failover_cluster_id": STANDBY_CLUSTER,
                             "tenant_failover_tenants": [{"tenant_id": t} for t in STANDBYS]},
            "standby-south": {"tenant_failover_cluster_id": 3000030,
                              "tenant_failover_tenants": [{"tenant_id": 2000201}]},
        }}}), encoding="utf-8")
    playbook = tmp_path / "failover_all.yml"
    playbook.write_text(yaml.safe_dump([{"name": "Fail over every cluster", "hosts": "ocp_clusters",
                                         "gather_facts": False, "roles": ["oceanbase.ocp.tenant_failover"]}]),
                        encoding="utf-8")

    run = run_playbook(playbook=playbook, env=ocp_env, auth=None, args=("-i", str(inventory), "--forks", "2"))

    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert sorted(r["path"] for r in posts) == ["/api/v2/ob/clusters/%d/tenants/failover" % c
                                                for c in (STANDBY_CLUSTER, 3000030)]
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3
    assert tenant_role(simulator, 2000201, cluster_id=3000030) == "PRIMARY"
