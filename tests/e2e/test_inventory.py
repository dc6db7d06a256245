"""The inventory plugin oceanbase.ocp.ocp, end to end: the real ansible-inventory against the simulator over HTTP.

Hosts, groups and host variables come from `ansible-inventory --list` / `--graph`; what the plugin asked OCP from
the simulator's request log.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from conftest import BIN_DIR
from harness import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ADMIN_PASSWORD, ADMIN_USER, SECRETS

FAILOVER = "Failover tenant"
SWITCHOVER = "Switchover ob tenant for network mode"

# Role evidence in the default scenario's seeded history (when OCP sends no tenantRole): reports was failed over
# (PRIMARY); ohayo_2 was failed over, then switched back (STANDBY: only the latest task counts); billing_2's only
# failover FAILED before its role switch (no evidence); the others have no task at all (null).
HISTORY = [
    {"name": FAILOVER, "clusterId": 3000010, "tenantId": 2000029, "status": "SUCCESSFUL", "ageSeconds": 300000},
    {"name": FAILOVER, "clusterId": 3000010, "tenantId": 2000025, "status": "SUCCESSFUL", "ageSeconds": 200000},
    {"name": SWITCHOVER, "clusterId": 3000010, "tenantId": 2000025, "standbyTenantId": 1001, "status": "SUCCESSFUL",
     "ageSeconds": 100000},
    {"name": FAILOVER, "clusterId": 3000010, "tenantId": 2000027, "status": "FAILED",
     "failedSubtask": "Reset log restore source", "ageSeconds": 50000},
]
TENANT_HOSTS = ["OB424_A.audit_2", "OB424_A.billing_2", "OB424_A.ohayo_2", "OB424_A.reports", "OB424_A.sales_2",
                "OB424_P.audit", "OB424_P.billing", "OB424_P.ohayo", "OB424_P.sales"]


@pytest.fixture
def scenario(scenario):
    scenario["tasks"] = list(HISTORY)
    return scenario


@pytest.fixture
def ocp_env(simulator):
    return {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}


@pytest.fixture
def inventory(ansible_env, ocp_env, tmp_path):
    """Run ansible-inventory on a configuration (a dict, written as inv.ocp.yml); returns the CompletedProcess."""
    def run(config, *args, env=None, name="inv.ocp.yml"):
        path = tmp_path / "inventories" / name  # the same name is the same source (and cache key) again
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        run_env = dict(ansible_env, **ocp_env)
        run_env.update(env or {})
        command = [str(BIN_DIR / "ansible-inventory"), "-i", str(path)] + list(args or ["--list"])
        return subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=300, check=False)

    return run


def plain(value):
    """--list output without ansible-core 2.19's markers of untrusted strings ({"__ansible_unsafe": "x"})."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def listed(proc):
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
    return plain(json.loads(proc.stdout))


def hosts_of(data, group):
    return sorted(data.get(group, {}).get("hosts", []))


def api_requests(simulator, method="GET", path_prefix="/api/v2/"):
    return [entry for entry in simulator.request_log()
            if entry["method"] == method and entry["path"].startswith(path_prefix)]


def query(entry, key):
    """One query parameter of a logged request (the log keeps every value of a key)."""
    values = entry["query"].get(key) or [None]
    return values[0]


def assert_no_secret(proc):
    for secret in SECRETS:
        assert secret not in proc.stdout + proc.stderr


@pytest.mark.parametrize("options, roles, task_lists", [
    # OCP's documented shapes: nested task list entries, no tenant role field: roles from the tasks.
    ({"task_shape": "nested", "expose_tenant_role": False},
     {"OB424_A.reports": "PRIMARY", "OB424_A.ohayo_2": "STANDBY"}, 4),
    ({"task_shape": "flat", "expose_tenant_role": False},
     {"OB424_A.reports": "PRIMARY", "OB424_A.ohayo_2": "STANDBY"}, 4),
    # With the (assumed) tenantRole field, it decides and no task list is read.
    ({"task_shape": "flat", "expose_tenant_role": True},
     dict([(host, "PRIMARY") for host in TENANT_HOSTS if host.startswith("OB424_P.")] + [
         ("OB424_A.reports", "PRIMARY"), ("OB424_A.ohayo_2", "STANDBY"), ("OB424_A.sales_2", "STANDBY"),
         ("OB424_A.billing_2", "STANDBY"), ("OB424_A.audit_2", "STANDBY")]), 0),
], ids=["nested", "flat", "flat-tenant-role"])
def test_hosts_groups_and_roles(scenario, simulator, inventory, options, roles, task_lists):
    simulator.reset(dict(scenario, options=options))
    simulator.clear_request_log()

    data = listed(inventory({"plugin": "oceanbase.ocp.ocp"}))
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == TENANT_HOSTS
    assert hosts_of(data, "ocp_cluster_OB424_A") == [host for host in TENANT_HOSTS if host.startswith("OB424_A.")]
    assert hosts_of(data, "ocp_cluster_OB424_P") == [host for host in TENANT_HOSTS if host.startswith("OB424_P.")]
    assert hosts_of(data, "ocp_role_primary") == sorted(host for host, role in roles.items() if role == "PRIMARY")
    assert hosts_of(data, "ocp_role_standby") == sorted(host for host, role in roles.items() if role == "STANDBY")
    for host in TENANT_HOSTS:
        assert hostvars[host]["ocp_tenant_role"] == roles.get(host), host  # null without evidence, never guessed
    assert hostvars["OB424_A.audit_2"] == {
        "ocp_cluster_id": 3000010, "ocp_cluster_name": "OB424_A", "ocp_tenant_id": 2000028,
        "ocp_tenant_name": "audit_2", "ocp_tenant_role": roles.get("OB424_A.audit_2"),
        "ocp_tenant_role_source": "tenant" if roles.get("OB424_A.audit_2") else "none",
        "ocp_tenant_mode": "ORACLE", "ocp_tenant_status": "NORMAL", "ocp_api_url": simulator.url,
        "ansible_connection": "local",
    }
    if task_lists:
        assert hostvars["OB424_A.ohayo_2"]["ocp_tenant_role_source"] == "tasks"

    # Requests grow with pages, not tenants: one cluster list, one tenant list, and (without tenantRole) one task
    # list per cluster and role-changing task name; no tenant detail, no precheck.
    sent = api_requests(simulator)
    assert [entry["path"] for entry in sent if not entry["path"].startswith("/api/v2/tasks/")] == [
        "/api/v2/ob/clusters", "/api/v2/ob/tenants"]
    task_queries = sorted((query(entry, "clusterId"), query(entry, "name")) for entry in sent
                          if entry["path"] == "/api/v2/tasks/instances")
    assert len(task_queries) == task_lists
    if task_lists:
        assert task_queries == sorted((str(cluster), name) for cluster in (3000001, 3000010)
                                      for name in (FAILOVER, SWITCHOVER))
    assert all(query(entry, "size") == "2000" for entry in sent)
    assert api_requests(simulator, method="POST") == []


def test_graph(inventory):
    proc = inventory({"plugin": "oceanbase.ocp.ocp"}, "--graph")
    assert proc.returncode == 0, proc.stderr
    graph = proc.stdout
    for line in ("@ocp_cluster_OB424_A:", "@ocp_cluster_OB424_P:", "@ocp_role_primary:", "@ocp_role_standby:",
                 "|--OB424_A.ohayo_2", "|--OB424_P.billing"):
        assert line in graph, graph
    standby_part = graph.split("@ocp_role_standby:")[1].split("|--@")[0]
    assert "OB424_A.ohayo_2" in standby_part and "OB424_A.reports" not in standby_part


def test_constructed_keyed_groups_compose_and_groups(inventory):
    data = listed(inventory({
        "plugin": "oceanbase.ocp.ocp",
        "keyed_groups": [{"key": "ocp_tenant_mode | lower", "prefix": "mode"},
                         {"key": "ocp_tenant_role", "prefix": "role", "default_value": "unknown"}],
        "compose": {"ocp_dr_site": "'dr' if ocp_cluster_name.endswith('_A') else 'main'",
                    "tenant_label": "ocp_cluster_name ~ '/' ~ ocp_tenant_name"},
        "groups": {"needs_attention": "ocp_tenant_role is none", "oracle_standbys": "ocp_tenant_mode == 'ORACLE' and ocp_tenant_role == 'STANDBY'"},
        "strict": True,
    }))
    hostvars = data["_meta"]["hostvars"]
    assert hosts_of(data, "mode_oracle") == ["OB424_A.audit_2", "OB424_P.audit"]
    assert len(hosts_of(data, "mode_mysql")) == len(TENANT_HOSTS) - 2
    assert hosts_of(data, "role_PRIMARY") == ["OB424_A.reports"]
    assert hosts_of(data, "role_STANDBY") == ["OB424_A.ohayo_2"]
    assert len(hosts_of(data, "role_unknown")) == len(TENANT_HOSTS) - 2
    assert hosts_of(data, "needs_attention") == hosts_of(data, "role_unknown")
    assert hosts_of(data, "oracle_standbys") == []
    assert hostvars["OB424_A.sales_2"]["ocp_dr_site"] == "dr" and hostvars["OB424_P.sales"]["ocp_dr_site"] == "main"
    assert hostvars["OB424_A.sales_2"]["tenant_label"] == "OB424_A/sales_2"


def test_strict_reports_a_bad_expression(inventory):
    proc = inventory({"plugin": "oceanbase.ocp.ocp", "strict": True, "compose": {"x": "ocp_no_such_variable + 1"}},
                     env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert proc.returncode != 0
    assert "Could not set x" in proc.stderr


def test_filters_clusters_tenant_names_and_roles(simulator, inventory):
    simulator.clear_request_log()
    data = listed(inventory({"plugin": "oceanbase.ocp.ocp", "clusters": ["OB424_A"],
                             "tenant_names": ["*_2", "rep*"], "tenant_roles": ["STANDBY", "UNKNOWN"]}))
    # reports is PRIMARY (filtered by role); the primaries' cluster is not selected.
    assert sorted(data["_meta"]["hostvars"]) == ["OB424_A.audit_2", "OB424_A.billing_2", "OB424_A.ohayo_2",
                                                 "OB424_A.sales_2"]
    # With clusters, each selected cluster's tenant list, and task lists for that cluster only.
    sent = api_requests(simulator)
    assert [entry["path"] for entry in sent if not entry["path"].startswith("/api/v2/tasks/")] == [
        "/api/v2/ob/clusters", "/api/v2/ob/clusters/3000010/tenants"]
    assert sorted(query(entry, "clusterId") for entry in sent if entry["path"] == "/api/v2/tasks/instances") == [
        "3000010", "3000010"]

    by_id = listed(inventory({"plugin": "oceanbase.ocp.ocp", "clusters": ["3000001", "OB424_Z*"]}))
    assert sorted(by_id["_meta"]["hostvars"]) == [host for host in TENANT_HOSTS if host.startswith("OB424_P.")]

    proc = inventory({"plugin": "oceanbase.ocp.ocp", "clusters": ["OB424_Q"]})
    assert proc.returncode == 0
    assert "OCP has no cluster with that id or name" in proc.stderr and "OB424_Q" in proc.stderr


def test_host_per_cluster(simulator, inventory):
    data = listed(inventory({"plugin": "oceanbase.ocp.ocp", "host_per": "cluster", "tenant_roles": ["STANDBY", "UNKNOWN"],
                             "keyed_groups": [{"key": "ocp_tenants | length | string", "prefix": "tenants"}]}))
    hostvars = data["_meta"]["hostvars"]
    assert sorted(hostvars) == ["OB424_A", "OB424_P"]
    assert hosts_of(data, "ocp_cluster_OB424_A") == ["OB424_A"]
    assert hostvars["OB424_A"]["ocp_cluster_id"] == 3000010
    assert hostvars["OB424_A"]["ansible_connection"] == "local"
    assert hostvars["OB424_A"]["ocp_api_url"] == simulator.url
    tenants = hostvars["OB424_A"]["ocp_tenants"]
    assert [tenant["tenant_id"] for tenant in tenants] == [2000028, 2000027, 2000025, 2000026]  # by name
    assert tenants[2] == {"tenant_id": 2000025, "tenant_name": "ohayo_2", "tenant_role": "STANDBY",
                          "tenant_role_source": "tasks", "tenant_mode": "MYSQL", "tenant_status": "NORMAL"}
    assert hosts_of(data, "tenants_4") == ["OB424_A", "OB424_P"]
    assert "ocp_role_standby" not in data and "ocp_role_primary" not in data


def test_more_tenants_than_one_page(scenario, simulator, inventory):
    count = 2100  # OCP's page is at most 2000 tenants
    for index in range(count):
        scenario["tenants"].append({"id": 5000000 + index, "name": "t%05d" % index, "clusterId": 3000010,
                                    "tenantRole": "STANDBY", "primaryTenantId": 1001, "primaryClusterId": 3000001})
    simulator.reset(scenario)
    simulator.clear_request_log()
    data = listed(inventory({"plugin": "oceanbase.ocp.ocp"}))
    hostvars = data["_meta"]["hostvars"]
    assert len(hostvars) == len(TENANT_HOSTS) + count
    assert hostvars["OB424_A.t02099"]["ocp_tenant_id"] == 5000000 + count - 1
    assert len(hosts_of(data, "ocp_cluster_OB424_A")) == 5 + count
    pages = [query(entry, "page") for entry in api_requests(simulator, path_prefix="/api/v2/ob/tenants")]
    assert pages == ["1", "2"]


def test_cache_serves_the_second_run(simulator, inventory, tmp_path):
    config = {"plugin": "oceanbase.ocp.ocp", "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache"), "cache_timeout": 600}
    first = listed(inventory(config, name="cached.ocp.yml"))
    assert api_requests(simulator)
    simulator.clear_request_log()
    second = listed(inventory(config, name="cached.ocp.yml"))
    assert second == first
    assert api_requests(simulator) == []  # served from the cache
    third = listed(inventory(config, "--list", "--flush-cache", name="cached.ocp.yml"))
    assert third == first
    assert [entry["path"] for entry in api_requests(simulator)][:2] == ["/api/v2/ob/clusters", "/api/v2/ob/tenants"]
    cache_files = list((tmp_path / "cache").iterdir())
    assert cache_files
    for path in cache_files:
        text = path.read_text(encoding="utf-8")
        assert all(secret not in text for secret in SECRETS)


def test_wrong_password_is_one_clear_line(inventory):
    proc = inventory({"plugin": "oceanbase.ocp.ocp"}, "--list", "-vvv",
                     env={"OCP_PASSWORD": "Wr0ng-" + ADMIN_PASSWORD, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert ("oceanbase.ocp.ocp: could not read the inventory from OCP: GET /api/v2/ob/clusters failed: HTTP 401 "
            "IAM10004") in output
    assert "Check username/password (or OCP_USERNAME/OCP_PASSWORD)." in output
    assert "Wr0ng-" not in output
    assert_no_secret(proc)
    assert "Traceback" not in output


def test_unreachable_ocp_and_tls(inventory, simulator):
    refused = inventory({"plugin": "oceanbase.ocp.ocp", "api_url": "http://127.0.0.1:9"},
                        env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert refused.returncode != 0
    assert "could not connect to http://127.0.0.1:9" in refused.stderr
    assert "Check api_url and the network" in refused.stderr
    tls = inventory({"plugin": "oceanbase.ocp.ocp", "api_url": simulator.url.replace("http://", "https://")},
                    env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert tls.returncode != 0
    assert "TLS error with https://127.0.0.1" in tls.stderr and "Set ca_path" in tls.stderr
    for proc in (refused, tls):
        assert_no_secret(proc)


def test_connection_options_in_the_file(simulator, inventory):
    simulator.clear_request_log()
    # AK/SK from the file (a template reading another variable), AWX-style empty OCP_* variables counting as unset.
    data = listed(inventory(
        {"plugin": "oceanbase.ocp.ocp", "api_url": simulator.url, "access_key_id": ACCESS_KEY_ID,
         "access_key_secret": "{{ lookup('ansible.builtin.env', 'MY_OCP_SK') }}", "tenant_names": ["ohayo*"]},
        env={"OCP_API_URL": "", "OCP_USERNAME": "", "OCP_PASSWORD": "", "OCP_CA_PATH": "", "OCP_VALIDATE_CERTS": "",
             "MY_OCP_SK": ACCESS_KEY_SECRET}))
    assert sorted(data["_meta"]["hostvars"]) == ["OB424_A.ohayo_2", "OB424_P.ohayo"]
    assert {entry["auth"] for entry in api_requests(simulator)} == {"aksk"}
    assert {entry["user"] for entry in api_requests(simulator)} == {ACCESS_KEY_ID}


def test_bad_connection_options_send_nothing(simulator, inventory):
    simulator.clear_request_log()
    proc = inventory({"plugin": "oceanbase.ocp.ocp", "access_key_id": ACCESS_KEY_ID},
                     env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert proc.returncode != 0
    assert ("oceanbase.ocp.ocp: invalid connection options, nothing was sent to OCP: use either username/password"
            in proc.stderr)
    assert api_requests(simulator) == []
    assert_no_secret(proc)
