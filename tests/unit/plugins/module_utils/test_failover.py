# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/failover.py: the failover operation (input checks, its request, its roles, the
precheck as the evidence of last resort)."""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import (
    FAILOVER,
    failover_items,
    roles_from_prechecks,
    validate_request,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import Plan
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import SOURCE_PRECHECK, RoleEvidence
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import CLUSTER_ID, FakeOcp, api_error


def requested(*tenant_ids, **service_names):
    return [{"tenant_id": tenant_id, "service_name": service_names.get("s%d" % tenant_id)} for tenant_id in tenant_ids]


class TestValidateRequest:
    def test_valid(self):
        assert validate_request(1, requested(1001, 1002), 1800, None) == []
        assert validate_request(1, requested(1001), 1, 0.2) == []
        assert validate_request(None, requested(1001), 1800, None) == []  # AnsibleModule requires it already

    def test_an_empty_list(self):
        for tenants in ([], None):
            assert validate_request(1, tenants, 1800, None) == ["tenants must list at least one tenant to fail over"]

    def test_duplicates_are_named_once_each(self):
        assert validate_request(1, requested(1001, 1002, 1001, 1003, 1002, 1001), 1800, None) == [
            "tenants lists tenant_id 1001, 1002 more than once: list each once"]

    @pytest.mark.parametrize("tenant_id", [0, -4, True])
    def test_tenant_ids_must_be_positive_integers(self, tenant_id):
        assert validate_request(1, requested(5, tenant_id), 1800, None) == [
            "tenant_id must be a positive integer ID, got %s" % tenant_id]

    @pytest.mark.parametrize("cluster_id", [0, -1, False])
    def test_the_cluster_id_must_be_a_positive_integer(self, cluster_id):
        assert validate_request(cluster_id, requested(5), 1800, None) == [
            "cluster_id must be a positive integer ID, got %s" % cluster_id]

    @pytest.mark.parametrize("value", [0, -5, float("nan"), float("inf"), True])
    def test_durations_must_be_positive_and_finite(self, value):
        assert validate_request(1, requested(5), value, None) == [
            "wait_timeout must be a positive number of seconds, got %s" % value]
        assert validate_request(1, requested(5), 1800, value) == [
            "wait_sleep must be a positive number of seconds, got %s" % value]

    def test_every_problem_at_once(self):
        problems = validate_request(0, requested(7, 7, -1), 0, -1.0)
        assert problems == [
            "cluster_id must be a positive integer ID, got 0",
            "tenant_id must be a positive integer ID, got -1",
            "tenants lists tenant_id 7 more than once: list each once",
            "wait_timeout must be a positive number of seconds, got 0",
            "wait_sleep must be a positive number of seconds, got -1.0",
        ]


class TestRequest:
    def test_the_documented_items_service_name_only_when_given(self):
        assert failover_items(requested(1, 2, 3, s1="SERVICE_A", s3="")) == [
            {"tenantId": 1, "serviceName": "SERVICE_A"}, {"tenantId": 2}, {"tenantId": 3}]

    def test_submit_sends_one_batch_and_returns_ocps_tasks(self):
        ocp = FakeOcp()
        ocp.add_tenant(1)
        ocp.add_tenant(2)
        answer = FAILOVER.submit(ocp, CLUSTER_ID, requested(1, 2, s2="SERVICE_B"))
        assert ocp.submissions() == [[{"tenantId": 1}, {"tenantId": 2, "serviceName": "SERVICE_B"}]]
        assert [(task["tenantId"], task["status"]) for task in answer] == [(1, "RUNNING"), (2, "RUNNING")]

    def test_the_operation(self):
        assert FAILOVER.target_roles({"tenant_id": 5, "service_name": None}) == {5: "PRIMARY"}
        assert FAILOVER.task_names == ("Failover tenant",)
        assert (FAILOVER.name, FAILOVER.result_key) == ("failover", "tenants")
        assert (FAILOVER.action_submitted, FAILOVER.action_would_submit, FAILOVER.action_done) == (
            "failed_over", "would_fail_over", "already_primary")

    def test_a_result_entry(self):
        plan = Plan({"tenant_id": 5, "service_name": "SVC"}, {5: RoleEvidence("STANDBY", SOURCE_PRECHECK)})
        assert FAILOVER.entry(plan, {5: "PRIMARY"}, lambda tenant_id: "tenant_%d" % tenant_id) == {
            "tenant_id": 5, "name": "tenant_5", "service_name": "SVC", "role_before": "STANDBY",
            "role_after": "PRIMARY"}


class TestResolveUnknownRoles:
    """The failover precheck decides roles nothing else did: read-only, one precheck per tenant."""

    def ocp(self, **options):
        ocp = FakeOcp(**options)
        ocp.add_tenant(1, role="STANDBY")
        ocp.add_tenant(2, role="PRIMARY", name="ohayo_2")
        return ocp

    @pytest.mark.parametrize("as_error", [False, True], ids=["check-result", "error-answer"])
    def test_obe26013_in_either_form_means_not_a_standby(self, as_error):
        ocp = self.ocp(precheck_role_error=as_error)
        resolved = FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, [1, 2])
        assert dict((tenant_id, (evidence.role, evidence.source)) for tenant_id, evidence in resolved.items()) == {
            1: ("STANDBY", "precheck"), 2: ("PRIMARY", "precheck")}
        assert sorted(call.args for call in ocp.calls_to("failover_precheck")) == [(CLUSTER_ID, 1), (CLUSTER_ID, 2)]
        assert ocp.writes() == []

    def test_the_role_named_in_the_message_is_taken(self):
        ocp = self.ocp()
        ocp.script("failover_precheck", OcpApiError("POST", "/x", "the tenant's role is STANDBY", status=400,
                                                    code="OBE26013"))
        assert FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, [2])[2].role == "STANDBY"

    def test_other_errors_end_the_run(self):
        ocp = self.ocp()
        ocp.script("failover_precheck", api_error(403, "IAM11000", "no permission"))
        with pytest.raises(OcpApiError) as raised:
            FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, [1])
        assert raised.value.code == "IAM11000"

    def test_per_tenant_answers(self):
        ocp = self.ocp()
        ocp.precheck_answers[1] = {"valid": False, "checkResults": [
            {"errorCode": "OBE26013", "errorMessage": "the tenant's role is PRIMARY", "warning": False}]}
        ocp.precheck_answers[2] = api_error(404, "OBE21002", "Tenant 2 not found in cluster.", method="POST")
        assert FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, [1])[1].role == "PRIMARY"
        with pytest.raises(OcpApiError) as raised:
            FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, [1, 2])
        assert raised.value.code == "OBE21002"

    def test_nothing_to_resolve(self):
        ocp = self.ocp()
        assert FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, []) == {}
        assert ocp.calls == []

    def test_many_tenants_keep_their_ids(self):
        ocp = FakeOcp()
        for tenant_id in range(1, 61):
            ocp.add_tenant(tenant_id, role="PRIMARY" if tenant_id % 3 == 0 else "STANDBY")
        resolved = FAILOVER.resolve_unknown_roles(ocp, CLUSTER_ID, list(range(1, 61)))
        assert [resolved[tenant_id].role for tenant_id in range(1, 61)] == [
            "PRIMARY" if tenant_id % 3 == 0 else "STANDBY" for tenant_id in range(1, 61)]


class TestRolesFromPrechecks:
    """The results of ocp_failover_precheck as role evidence for the engine (its known_roles)."""

    def test_roles_the_prechecks_prove(self):
        known, problems = roles_from_prechecks([
            {"tenant_id": 1, "cluster_id": CLUSTER_ID, "role": "STANDBY", "valid": True},
            {"tenant_id": 2, "cluster_id": CLUSTER_ID, "role": "PRIMARY", "valid": False},
            {"tenant_id": "3", "cluster_id": str(CLUSTER_ID), "role": "STANDBY"},  # ids as digits
            {"tenant_id": 4, "role": None},  # proves nothing: left to the module's own precheck
        ], CLUSTER_ID)
        assert problems == []
        assert dict((tenant_id, (evidence.role, evidence.source)) for tenant_id, evidence in known.items()) == {
            1: ("STANDBY", "precheck"), 2: ("PRIMARY", "precheck"), 3: ("STANDBY", "precheck")}

    def test_none_given(self):
        assert roles_from_prechecks(None, CLUSTER_ID) == ({}, [])
        assert roles_from_prechecks([], CLUSTER_ID) == ({}, [])

    def test_entries_that_are_not_this_clusters_prechecks_are_problems(self):
        known, problems = roles_from_prechecks([
            {"tenant_id": 1, "cluster_id": CLUSTER_ID + 1, "role": "STANDBY"},
            {"name": "orders", "role": "STANDBY"},
            {"tenant_id": True, "role": "STANDBY"},
        ], CLUSTER_ID)
        assert known == {}
        assert problems == [
            "prechecks[0] is a precheck of tenant 1 in cluster %d, not in cluster %d: pass the prechecks of this"
            " cluster's tenants" % (CLUSTER_ID + 1, CLUSTER_ID),
            "prechecks[1] has no tenant_id (got None): pass the prechecks of oceanbase.ocp.ocp_failover_precheck",
            "prechecks[2] has no tenant_id (got True): pass the prechecks of oceanbase.ocp.ocp_failover_precheck",
        ]
