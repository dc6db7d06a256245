"""The playbook oceanbase.ocp.failover_group over the inventory plugin oceanbase.ocp.ocp, end to end.

Real ansible-playbook with `-i <file>.ocp.yml -l <hosts or groups>`, the real role and modules, the simulator over
HTTP. What matters: one failover POST per cluster (never one per host), every tenant prechecked before its
cluster's POST, clusters in parallel, untargeted tenants untouched.
"""

from __future__ import annotations

import itertools
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from harness import ADMIN_PASSWORD, ADMIN_USER, assert_clean_output

PLAYBOOK = "oceanbase.ocp.failover_group"
PRIMARY_CLUSTER, WEST, DR = 3000010, 3000020, 3000030
WEST_STANDBYS = {2000101: "app0_standby", 2000102: "app1_standby", 2000103: "app2_standby"}
DR_STANDBYS = {2000201: "dr0_standby", 2000202: "dr1_standby"}
SUBTASK_SECONDS = 0.5  # a failover task takes 5 subtasks: 2.5 s
REPORT = "Report the batch of every targeted host"


def group_scenario(primary_reachable=()):
    """ob_east holds the primaries; ob_west and ob_dr their standbys (tenant roles shown, as the groups need)."""
    tenants = []
    standbys = [(WEST, tenant_id, name) for tenant_id, name in WEST_STANDBYS.items()]
    standbys += [(DR, tenant_id, name) for tenant_id, name in DR_STANDBYS.items()]
    for index, (cluster_id, standby_id, name) in enumerate(standbys):
        primary_id = 1000101 + index
        tenants.append({"id": primary_id, "name": "p%d" % index, "clusterId": PRIMARY_CLUSTER, "tenantRole": "PRIMARY",
                        "reachable": standby_id in primary_reachable, "mode": "MYSQL", "status": "NORMAL"})
        tenants.append({"id": standby_id, "name": name, "clusterId": cluster_id, "tenantRole": "STANDBY",
                        "primaryTenantId": primary_id, "primaryClusterId": PRIMARY_CLUSTER, "syncLagSeconds": 1.0,
                        "mode": "MYSQL", "status": "NORMAL"})
    return {
        "users": [{"username": ADMIN_USER, "password": ADMIN_PASSWORD, "permissions": ["read", "write"]}],
        "timing": {"precheck_seconds": 0.05, "subtask_seconds": SUBTASK_SECONDS},
        "options": {"task_shape": "nested", "expose_tenant_role": True},
        "clusters": [{"id": PRIMARY_CLUSTER, "name": "ob_east"}, {"id": WEST, "name": "ob_west"},
                     {"id": DR, "name": "ob_dr"}],
        "tenants": tenants,
    }


@pytest.fixture
def scenario():
    return group_scenario()


@pytest.fixture
def ocp_env(simulator):
    return {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}


@pytest.fixture
def run_group(run_playbook, ocp_env, tmp_path):
    """Run oceanbase.ocp.failover_group over an oceanbase.ocp.ocp inventory file (options as a dict)."""
    numbers = itertools.count(1)

    def run(limit, inventory=None, check=False, extra_inventory=None):
        path = tmp_path / ("fleet%d.ocp.yml" % next(numbers))  # one file per run: runs may go in parallel
        path.write_text(yaml.safe_dump(dict({"plugin": "oceanbase.ocp.ocp"}, **(inventory or {}))), encoding="utf-8")
        args = ["-i", str(path), "-f", "10"]
        if extra_inventory:
            extra = tmp_path / "extra.yml"
            extra.write_text(yaml.safe_dump(extra_inventory), encoding="utf-8")
            args += ["-i", str(extra)]
        if limit is not None:
            args += ["-l", limit]
        return run_playbook(playbook=PLAYBOOK, check=check, env=ocp_env, args=args,
                            extra_vars={"tenant_failover_wait_timeout": 60})
    return run


def failover_posts(simulator):
    return [entry for entry in simulator.request_log()
            if entry["method"] == "POST" and re.fullmatch(r"/api/v2/ob/clusters/\d+/tenants/failover", entry["path"])]


def prechecks(simulator):
    """{tenant_id: seq of its failover precheck POST}."""
    found = {}
    for entry in simulator.request_log():
        match = re.fullmatch(r"/api/v2/ob/clusters/(\d+)/tenants/(\d+)/failoverPreCheck", entry["path"])
        if match and entry["method"] == "POST":
            found.setdefault(int(match.group(2)), entry["seq"])
    return found


def cluster_of_post(entry):
    return int(entry["path"].split("/")[5])


def submitted(entry):
    return sorted(item["tenantId"] for item in entry["body"]["failoverTenantItemList"])


def role(simulator, tenant_id):
    return simulator.state.tenants[tenant_id]["tenantRole"]


def reports(run):
    """{host: line} of the closing table (one line per targeted host, after a header)."""
    lines = run.task(REPORT)["msg"]
    assert lines[0].split() == ["HOST", "CLUSTER", "BATCH", "(RUN", "ON", "HOST)"]
    return dict((line.split()[0], " ".join(line.split()[1:])) for line in lines[1:])


def test_one_cluster_one_post_prechecks_first_others_untouched(simulator, run_group):
    run = run_group("ocp_role_standby:&ocp_cluster_ob_west:!ob_west.app2_standby")
    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert [cluster_of_post(entry) for entry in posts] == [WEST]
    assert submitted(posts[0]) == [2000101, 2000102]
    checked = prechecks(simulator)
    assert sorted(checked) == [2000101, 2000102]  # nobody else was even prechecked
    assert all(seq < posts[0]["seq"] for seq in checked.values())
    assert role(simulator, 2000101) == role(simulator, 2000102) == "PRIMARY"
    assert role(simulator, 2000103) == "STANDBY"
    assert all(role(simulator, tenant_id) == "STANDBY" for tenant_id in DR_STANDBYS)
    assert reports(run) == {"ob_west.app0_standby": "ob_west failed over (ob_west.app0_standby)",
                            "ob_west.app1_standby": "ob_west failed over (ob_west.app0_standby)"}
    # The role ran once, on the cluster's first targeted host; no other host ran a task of it.
    role_hosts = set(entry["host"] for entry in run.results if entry["task"].startswith("oceanbase.ocp.tenant_failover : "))
    assert role_hosts == {"ob_west.app0_standby"}


def test_two_clusters_one_post_each_in_parallel(simulator, run_group):
    run = run_group("ocp_role_standby")
    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert sorted(cluster_of_post(entry) for entry in posts) == [WEST, DR]
    by_cluster = dict((cluster_of_post(entry), entry) for entry in posts)
    assert submitted(by_cluster[WEST]) == sorted(WEST_STANDBYS)
    assert submitted(by_cluster[DR]) == sorted(DR_STANDBYS)
    checked = prechecks(simulator)
    assert sorted(checked) == sorted(list(WEST_STANDBYS) + list(DR_STANDBYS))
    for cluster_id, tenant_ids in ((WEST, WEST_STANDBYS), (DR, DR_STANDBYS)):
        assert all(checked[tenant_id] < by_cluster[cluster_id]["seq"] for tenant_id in tenant_ids)
    # In parallel: the second cluster's POST came while the first cluster's failover tasks (2.5 s) still ran.
    assert abs(by_cluster[WEST]["time"] - by_cluster[DR]["time"]) < 5 * SUBTASK_SECONDS
    assert all(role(simulator, tenant_id) == "PRIMARY" for tenant_id in list(WEST_STANDBYS) + list(DR_STANDBYS))
    assert reports(run) == dict(
        [("ob_west.%s" % name, "ob_west failed over (ob_west.app0_standby)") for name in WEST_STANDBYS.values()]
        + [("ob_dr.%s" % name, "ob_dr failed over (ob_dr.dr0_standby)") for name in DR_STANDBYS.values()])
    assert "ob_dr                    3000030    2        ob_dr.dr0_standby" in run.output


def test_check_mode_prechecks_every_cluster_and_submits_nothing(simulator, run_group):
    run = run_group("ocp_role_standby", check=True)
    assert run.rc == 0, run.output
    assert_clean_output(run)
    assert failover_posts(simulator) == []
    assert sorted(prechecks(simulator)) == sorted(list(WEST_STANDBYS) + list(DR_STANDBYS))
    assert all(role(simulator, tenant_id) == "STANDBY" for tenant_id in list(WEST_STANDBYS) + list(DR_STANDBYS))
    assert len(reports(run)) == 5
    assert all("prechecked (check mode, nothing submitted)" in line for line in reports(run).values())


@pytest.mark.parametrize("scenario", [group_scenario(primary_reachable=[2000201])], ids=["dr0-primary-alive"])
def test_a_blocked_cluster_stops_alone(simulator, run_group):
    run = run_group("ocp_role_standby")
    assert run.rc != 0
    assert_clean_output(run)
    # ob_dr's precheck blocks (OBE26107): nothing is submitted for it; ob_west goes on.
    assert [cluster_of_post(entry) for entry in failover_posts(simulator)] == [WEST]
    assert all(role(simulator, tenant_id) == "PRIMARY" for tenant_id in WEST_STANDBYS)
    assert all(role(simulator, tenant_id) == "STANDBY" for tenant_id in DR_STANDBYS)
    assert "OBE26107" in run.output
    assert "Failover NOT started" in run.output  # the role's gate, on the host that ran ob_dr's batch
    result = reports(run)
    for name in DR_STANDBYS.values():
        assert result["ob_dr.%s" % name] == ("ob_dr STOPPED before its end, see the output of ob_dr.dr0_standby above "
                                             "(ob_dr.dr0_standby)")
    for name in WEST_STANDBYS.values():
        assert result["ob_west.%s" % name] == "ob_west failed over (ob_west.app0_standby)"
    recap = run.stdout.split("PLAY RECAP")[1]
    assert re.search(r"^ob_dr\.dr0_standby\s+:.* failed=1 ", recap, re.M), recap
    assert re.search(r"^ob_west\.app0_standby\s+:.* failed=0 ", recap, re.M), recap


def test_cluster_hosts_for_job_slicing(simulator, run_group):
    run = run_group("all", inventory={"host_per": "cluster", "tenant_roles": ["STANDBY"]})
    assert run.rc == 0, run.output
    assert_clean_output(run)
    posts = failover_posts(simulator)
    assert sorted(cluster_of_post(entry) for entry in posts) == [WEST, DR]
    assert sorted(tenant for entry in posts for tenant in submitted(entry)) == sorted(list(WEST_STANDBYS) + list(DR_STANDBYS))
    assert reports(run) == {"ob_dr": "ob_dr failed over (ob_dr)", "ob_west": "ob_west failed over (ob_west)"}


@pytest.mark.parametrize("limit, extra, message", [
    (None, None, "say which tenants to fail over with --limit"),
    ("ocp_cluster_ob_west:web1", {"all": {"hosts": {"web1": {"ansible_connection": "local"}}}},
     "These hosts are not OCP tenants or clusters of the oceanbase.ocp.ocp inventory (no ocp_cluster_id with "
     "ocp_tenant_id or ocp_tenants): web1"),
], ids=["no-limit", "not-an-ocp-host"])
def test_refusals_send_nothing(simulator, run_group, limit, extra, message):
    simulator.clear_request_log()
    run = run_group(limit, extra_inventory=extra)
    assert run.rc != 0
    assert message in run.output.replace("\n", " ").replace("  ", " ")
    assert failover_posts(simulator) == [] and prechecks(simulator) == {}


def test_sliced_like_awx_never_splits_a_cluster(simulator, run_group):
    """AWX job slicing gives each slice every Nth host of the inventory. With one host per cluster, two slices run
    at once and each cluster still gets exactly one failover request."""
    hosts = ["ob_dr", "ob_west"]  # the cluster hosts of the inventory, in its order
    slices = [",".join(hosts[index::2]) for index in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda limit: run_group(limit, inventory={"host_per": "cluster",
                                                                       "tenant_roles": ["STANDBY"]}), slices))
    for run in runs:
        assert run.rc == 0, run.output
        assert_clean_output(run)
    posts = failover_posts(simulator)
    assert sorted(cluster_of_post(entry) for entry in posts) == [WEST, DR]
    assert all(role(simulator, tenant_id) == "PRIMARY" for tenant_id in list(WEST_STANDBYS) + list(DR_STANDBYS))
