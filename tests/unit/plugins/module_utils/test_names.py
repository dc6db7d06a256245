# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/names.py: exact resolution of cluster and tenant names over OCP's fuzzy filters."""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError, RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.names import (
    NameResolutionError,
    resolve_cluster,
    resolve_tenants,
    tasks_named,
    tenant_item_problems,
)
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import FAILOVER, SWITCHOVER, FakeOcp, Returns

DR, DR2, TWIN_A, TWIN_B = 3000020, 3000021, 3000030, 3000031
TENANTS = [
    (2000101, "t1", DR),
    (2000110, "t10", DR),
    (2000111, "T1_archive", DR),
    (2000120, "trade_dr", DR),
    (2000130, "dup", DR),
    (2000131, "dup", DR),
    (2000201, "t1", DR2),
]


@pytest.fixture(params=["nested", "flat"])
def ocp(request):
    """The project's FakeOcp with the clusters and tenants whose names trap a fuzzy match (its name filters are
    fuzzy, as OCP's are), in either task shape."""
    fake = FakeOcp(shape=request.param)
    fake.clusters = {DR: "obcluster_dr", DR2: "obcluster_dr2", TWIN_A: "twin", TWIN_B: "twin"}
    for tenant_id, name, cluster_id in TENANTS:
        fake.add_tenant(tenant_id, name=name, cluster_id=cluster_id)
    return fake


def calls(ocp):
    return [(call.method,) + call.args + (call.kwargs,) for call in ocp.calls]


def problems_of(raised):
    return raised.value.problems


class TestResolveCluster:
    def test_by_id_reads_nothing(self, ocp):
        assert resolve_cluster(ocp, cluster_id=3000020) == (3000020, None)
        assert ocp.calls == []

    def test_by_name_is_exact_despite_the_fuzzy_filter(self, ocp):
        # OCP's filter returns obcluster_dr2 as well: the exact name wins.
        assert resolve_cluster(ocp, cluster_name="obcluster_dr") == (3000020, "obcluster_dr")
        assert calls(ocp) == [("list_clusters", {"name": "obcluster_dr"})]
        assert resolve_cluster(ocp, cluster_name="obcluster_dr2") == (3000021, "obcluster_dr2")

    def test_unknown_name_lists_the_near_matches(self, ocp):
        with pytest.raises(NameResolutionError) as raised:
            resolve_cluster(ocp, cluster_name="obcluster")
        assert problems_of(raised) == [
            "OCP has no cluster named 'obcluster' (similar names: 'obcluster_dr', 'obcluster_dr2'): check"
            " cluster_name, or give cluster_id"]
        assert str(raised.value).startswith("Cannot tell which cluster or tenants are meant, nothing was sent to OCP: ")

    def test_case_is_not_ignored(self, ocp):
        with pytest.raises(NameResolutionError) as raised:
            resolve_cluster(ocp, cluster_name="OBCLUSTER_DR")
        assert "similar names: 'obcluster_dr', 'obcluster_dr2'" in str(raised.value)

    def test_nothing_similar(self, ocp):
        with pytest.raises(NameResolutionError, match=r"no cluster named 'nowhere' \(OCP's name filter found no"
                                                      r" similar name\)"):
            resolve_cluster(ocp, cluster_name="nowhere")

    def test_a_shared_name_is_refused_with_the_ids(self, ocp):
        with pytest.raises(NameResolutionError) as raised:
            resolve_cluster(ocp, cluster_name="twin")
        assert problems_of(raised) == ["the cluster name 'twin' is shared by 2 clusters (ids 3000030, 3000031): give"
                                       " cluster_id instead"]

    def test_a_repeated_list_entry_is_not_ambiguity(self, ocp):
        entry = {"id": DR, "name": "obcluster_dr"}
        ocp.script("list_clusters", Returns([entry, {"id": DR2, "name": "obcluster_dr2"}, dict(entry)]))  # a page edge
        assert resolve_cluster(ocp, cluster_name="obcluster_dr") == (3000020, "obcluster_dr")

    @pytest.mark.parametrize("kwargs, problem", [
        ({}, "set cluster_id or cluster_name (a non-empty name)"),
        ({"cluster_name": ""}, "set cluster_id or cluster_name (a non-empty name)"),
        ({"cluster_id": 1, "cluster_name": "x"}, "set cluster_id or cluster_name, not both"),
        ({"cluster_id": 0}, "cluster_id must be a positive integer ID, got 0"),
        ({"cluster_id": True}, "cluster_id must be a positive integer ID, got True"),
    ])
    def test_bad_input_reads_nothing(self, ocp, kwargs, problem):
        with pytest.raises(NameResolutionError) as raised:
            resolve_cluster(ocp, **kwargs)
        assert problems_of(raised) == [problem]
        assert ocp.calls == []

    def test_it_is_a_run_failure(self):
        # run_module turns a RunFailure into fail_json: no module needs its own handling.
        assert issubclass(NameResolutionError, RunFailure)
        failure = NameResolutionError(["a", "b"])
        assert failure.message.endswith(": a; b.") and failure.changed is False and failure.result == {}


class TestResolveTenants:
    def test_t1_is_not_t10(self, ocp):
        resolved = resolve_tenants(ocp, 3000020, [{"name": "t1"}, {"name": "t10", "service_name": "S"}])
        assert resolved == [{"name": "t1", "tenant_id": 2000101},
                            {"name": "t10", "tenant_id": 2000110, "service_name": "S"}]

    def test_one_list_of_the_cluster_for_every_name(self, ocp):
        resolve_tenants(ocp, 3000020, [{"name": "t1"}, {"name": "t10"}, {"name": "trade_dr"}])
        assert calls(ocp) == [("list_tenants", 3000020, {})]

    def test_ids_only_read_nothing_and_keep_their_order(self, ocp):
        items = [{"tenant_id": 2000120}, {"tenant_id": 2000101}]
        expected = [{"tenant_id": 2000120, "name": None}, {"tenant_id": 2000101, "name": None}]
        assert resolve_tenants(ocp, 3000020, items) == expected
        assert ocp.calls == []

    def test_ids_get_their_names_from_a_list_already_read(self, ocp):
        listed = ocp.list_tenants(3000020)
        ocp.calls = []
        items = [{"tenant_id": 2000120}, {"name": "t1"}, {"tenant_id": 999}]
        assert resolve_tenants(ocp, 3000020, items, tenants=listed) == [
            {"tenant_id": 2000120, "name": "trade_dr"}, {"tenant_id": 2000101, "name": "t1"},
            {"tenant_id": 999, "name": None}]  # whoever reads tenant 999 next says it does not exist
        assert ocp.calls == []

    def test_the_input_is_not_changed(self, ocp):
        items = [{"name": "t1"}]
        resolve_tenants(ocp, 3000020, items)
        assert items == [{"name": "t1"}]

    def test_names_are_resolved_in_the_given_cluster(self, ocp):
        assert resolve_tenants(ocp, 3000021, [{"name": "t1"}]) == [{"name": "t1", "tenant_id": 2000201}]

    def test_every_problem_in_one_message(self, ocp):
        items = [
            {"name": "t"},                                   # unknown: t1, t10, T1_archive, trade_dr are near
            {"name": "dup"},                                 # shared by two tenants
            {"tenant_id": 2000101, "name": "t1"},            # both
            {"service_name": "S"},                           # neither
            {"name": "trade_dr"},                            # fine
            {"name": "t2"},                                  # unknown, nothing near
        ]
        with pytest.raises(NameResolutionError) as raised:
            resolve_tenants(ocp, 3000020, items)
        assert problems_of(raised) == [
            "tenants[2] gives both tenant_id (2000101) and name ('t1'): give exactly one",
            "tenants[3] gives neither tenant_id nor name: give exactly one",
            "the tenant name 'dup' is shared by 2 tenants of cluster 3000020 (ids 2000130, 2000131): give tenant_id"
            " instead",
            "cluster 3000020 has no tenant named 't' (similar names: 'T1_archive', 't1', 't10', 'trade_dr')",
            "cluster 3000020 has no tenant named 't2' (OCP's name filter found no similar name)",
        ]
        # one list of the cluster, then OCP's fuzzy filter once per unknown name, for the near matches
        assert sorted(calls(ocp), key=str) == sorted([
            ("list_tenants", 3000020, {}), ("list_tenants", 3000020, {"name": "t"}),
            ("list_tenants", 3000020, {"name": "t2"})], key=str)

    def test_a_tenant_by_id_and_by_name_is_listed_twice(self, ocp):
        with pytest.raises(NameResolutionError) as raised:
            resolve_tenants(ocp, 3000020, [{"tenant_id": 2000101}, {"name": "t10"}, {"name": "t1"}])
        assert problems_of(raised) == [
            "tenants lists tenant 2000101 more than once (tenants[0] by tenant_id, tenants[2] by name): list each"
            " once"]

    def test_option_names_the_items(self, ocp):
        with pytest.raises(NameResolutionError, match=r"cluster 3000020 has no tenant named 'x'"):
            resolve_tenants(ocp, 3000020, [{"name": "x"}], option="tenant_names")
        assert tenant_item_problems([{"name": "a"}, {"name": "a"}], option="tenant_names") == [
            "tenant_names lists name a more than once: list each once"]

    def test_many_near_matches_are_cut(self, ocp):
        for n in range(15):
            ocp.add_tenant(100 + n, name="batch_%02d" % n, cluster_id=DR)
        with pytest.raises(NameResolutionError) as raised:
            resolve_tenants(ocp, 3000020, [{"name": "batch"}])
        assert raised.value.problems[0].endswith("'batch_08', 'batch_09' and 5 more)")

    def test_unknown_cluster_is_ocps_error(self, ocp):
        with pytest.raises(OcpApiError) as raised:
            resolve_tenants(ocp, 999, [{"name": "t1"}])
        assert raised.value.code == "OBE11001"


class TestTenantItemProblems:
    def test_fine(self):
        assert tenant_item_problems([{"tenant_id": 1}, {"name": "a"}, {"tenant_id": 2, "name": None}]) == []

    def test_each_problem_once(self):
        assert tenant_item_problems([
            {"tenant_id": 0}, {"name": ""}, {"tenant_id": 5}, {"tenant_id": 5}, {"name": "a"}, {"name": "a"},
            {"tenant_id": True}]) == [
            "tenants[0].tenant_id must be a positive integer ID, got 0",
            "tenants[1] has an empty name",
            "tenants[6].tenant_id must be a positive integer ID, got True",
            "tenants lists tenant_id 5 more than once: list each once",
            "tenants lists name a more than once: list each once",
        ]

    def test_empty_is_fine_here(self):
        # Whether an empty list is allowed is the module's to say ("at least one tenant to fail over").
        assert tenant_item_problems([]) == [] and tenant_item_problems(None) == []


class TestTasksNamed:
    def test_exact_names_one_list_each(self, ocp):
        ocp.add_task(2000101, FAILOVER, status="SUCCESSFUL", cluster_id=DR)
        ocp.add_task(2000110, SWITCHOVER, status="SUCCESSFUL", cluster_id=DR)
        ocp.script("list_tasks", lambda proceed, **filters: proceed() + [
            # OCP's keyword filter also returns a task whose name merely contains the one asked for
            dict(proceed()[0], id=1, name=FAILOVER + " (archive)")] if filters["name"] == FAILOVER else proceed())
        found = tasks_named(ocp, [FAILOVER, SWITCHOVER], clusterId=DR)
        assert [(task["name"], task["tenant_id"], task["cluster_id"]) for task in found] == [
            (FAILOVER, 2000101, DR), (SWITCHOVER, 2000110, DR)]
        assert calls(ocp) == [("list_tasks", {"name": FAILOVER, "clusterId": DR}),
                              ("list_tasks", {"name": SWITCHOVER, "clusterId": DR})]

    def test_filters_are_checked_again_on_either_shape(self, ocp):
        ocp.add_task(2000101, FAILOVER, status="SUCCESSFUL", cluster_id=DR)
        ocp.add_task(2000201, FAILOVER, status="SUCCESSFUL", cluster_id=DR2)
        # an OCP that ignored the filters: the module still keeps only what it asked for
        ocp.script("list_tasks", lambda proceed, **filters: proceed(name=FAILOVER))
        assert [task["tenant_id"] for task in tasks_named(ocp, [FAILOVER], clusterId=DR2)] == [2000201]
        ocp.script("list_tasks", lambda proceed, **filters: proceed(name=FAILOVER))
        assert [task["tenant_id"] for task in tasks_named(ocp, [FAILOVER], tenantId=2000101)] == [2000101]
