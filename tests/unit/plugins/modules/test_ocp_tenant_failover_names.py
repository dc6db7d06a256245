# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of ocp_tenant_failover by name (cluster_name, tenants[].name): names are resolved before the engine
runs, the engine gets ids, and every problem stops the module before any write. On the project's FakeOcp."""

from __future__ import annotations

import pytest

from ansible.module_utils.testing import patch_module_args

from ansible_collections.oceanbase.ocp.plugins.module_utils import role_change
from ansible_collections.oceanbase.ocp.plugins.modules import ocp_tenant_failover as module_under_test
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import FakeClock, FakeOcp, install_client
from ansible_collections.oceanbase.ocp.tests.unit.plugins.module_exit import ModuleExit, capture_module_exits

DR, DR2 = 3000020, 3000021
CONNECTION = {"api_url": "https://ocp.example.com:8080", "username": "admin", "password": "Adm1n-Secret!"}


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    capture_module_exits(monkeypatch)


@pytest.fixture
def ocp(monkeypatch):
    fake = install_client(monkeypatch, FakeOcp(FakeClock()))
    fake.clusters = {DR: "obcluster_dr", DR2: "obcluster_dr2"}
    fake.add_tenant(1, name="t1", cluster_id=DR)
    fake.add_tenant(10, name="t10", cluster_id=DR)
    fake.add_tenant(21, name="t1", cluster_id=DR2)
    fake.add_tenant(30, name="dup", cluster_id=DR)
    fake.add_tenant(31, name="dup", cluster_id=DR)
    return fake


@pytest.fixture
def engine(monkeypatch):
    """What the module hands the engine (cluster id and items); the engine then runs on the FakeOcp's clock."""
    seen = []
    real = role_change.RoleChangeRun

    def spy(operation, client, cluster_id, items, **kwargs):
        seen.append((cluster_id, [dict(item) for item in items]))
        return real(operation, client, cluster_id, items, **dict(kwargs, clock=client.clock, sleep=client.clock.sleep))

    monkeypatch.setattr(role_change, "RoleChangeRun", spy)
    return seen


def main(**args):
    with patch_module_args(dict(CONNECTION, **args)):
        with pytest.raises(ModuleExit) as caught:
            module_under_test.main()
    return caught.value


def test_names_become_ids_before_the_engine_runs(ocp, engine):
    outcome = main(cluster_name="obcluster_dr", tenants=[{"name": "t1", "service_name": "S1"}, {"tenant_id": 10}],
                   wait=False)
    assert not outcome.failed, outcome.result["msg"]
    assert engine == [(DR, [{"tenant_id": 1, "name": "t1", "service_name": "S1"},
                            {"tenant_id": 10, "name": "t10", "service_name": None}])]
    assert ocp.submissions() == [[{"tenantId": 1, "serviceName": "S1"}, {"tenantId": 10}]]
    assert outcome.result["cluster_id"] == DR
    assert [(t["tenant_id"], t["name"]) for t in outcome.result["tenants"]] == [(1, "t1"), (10, "t10")]


def test_ids_only_need_no_extra_read(ocp, engine):
    outcome = main(cluster_id=DR, tenants=[{"tenant_id": 1}], wait=False)
    assert not outcome.failed, outcome.result["msg"]
    # the engine's own reads only: no cluster list, and one tenant list (the engine's)
    assert ocp.calls_to("list_clusters") == [] and len(ocp.calls_to("list_tenants")) == 1


@pytest.mark.parametrize("args, messages", [
    ({"cluster_name": "obcluster_dr", "tenants": [{"name": "t"}, {"name": "dup"}]},
     ["Cannot tell which cluster or tenants are meant, nothing was sent to OCP: ",
      "cluster 3000020 has no tenant named 't' (similar names: 't1', 't10')",
      "the tenant name 'dup' is shared by 2 tenants of cluster 3000020 (ids 30, 31): give tenant_id instead"]),
    ({"cluster_name": "obcluster", "tenants": [{"name": "t1"}]},
     ["OCP has no cluster named 'obcluster' (similar names: 'obcluster_dr', 'obcluster_dr2')"]),
    ({"cluster_id": DR, "tenants": [{"tenant_id": 1, "name": "t1"}, {}, {"name": "t10"}, {"name": "t10"}],
      "wait_timeout": 0},
     ["Invalid input, nothing was sent to OCP: ", "tenants[0] gives both tenant_id (1) and name ('t1')",
      "tenants[1] gives neither tenant_id nor name", "tenants lists name t10 more than once",
      "wait_timeout must be a positive number of seconds, got 0"]),
    ({"cluster_id": DR, "tenants": [{"tenant_id": 10}, {"name": "t10"}]},
     ["tenants lists tenant 10 more than once (tenants[0] by tenant_id, tenants[1] by name): list each once"]),
    ({"cluster_id": DR, "cluster_name": "obcluster_dr", "tenants": [{"tenant_id": 1}]},
     ["parameters are mutually exclusive: cluster_id|cluster_name"]),
    ({"tenants": [{"tenant_id": 1}]}, ["one of the following is required: cluster_id, cluster_name"]),
    ({"cluster_id": DR, "tenants": []}, ["tenants must list at least one tenant to fail over"]),
])
def test_every_problem_before_any_write(ocp, engine, args, messages):
    outcome = main(**args)
    assert outcome.failed
    for message in messages:
        assert message in outcome.result["msg"]
    assert ocp.writes() == [] and engine == []
    assert outcome.result.get("changed") is not True


def test_input_problems_are_found_without_asking_ocp(ocp, engine):
    outcome = main(cluster_name="obcluster_dr", tenants=[{"name": "t1"}, {}])
    assert outcome.failed and "tenants[1] gives neither tenant_id nor name" in outcome.result["msg"]
    assert ocp.calls == []
