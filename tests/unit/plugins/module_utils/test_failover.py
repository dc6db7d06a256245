# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/failover.py: input checks, classification, request body, lost-response reconciliation."""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import (
    ACTION_ALREADY_PRIMARY,
    ACTION_ATTACHED,
    ACTION_FAILED_OVER,
    ACTION_WOULD_FAIL_OVER,
    FAILOVER_TASK_NAME,
    TENANT_ROLE_FIELD,
    changed_by,
    failover_body,
    failover_items,
    new_failover_tasks,
    plan_tenants,
    reconcile_lost_submission,
    reported_role,
    tasks_by_tenant,
    tenant_role,
    validate_request,
)


def tenant(tenant_id, role="STANDBY", name=None):
    detail = {"id": tenant_id, "name": name or "t%d" % tenant_id, "clusterId": 1, "status": "NORMAL"}
    if role is not None:
        detail[TENANT_ROLE_FIELD] = role
    return detail


def task(task_id, tenant_id, status="RUNNING", name=FAILOVER_TASK_NAME):
    return {"id": task_id, "name": name, "tenantId": tenant_id, "clusterId": 1, "status": status}


def requested(*tenant_ids, **service_names):
    return [{"tenant_id": tenant_id, "service_name": service_names.get("s%d" % tenant_id)} for tenant_id in tenant_ids]


class TestValidateRequest:
    def test_valid(self):
        assert validate_request(1, requested(1001, 1002), 1800, None) == []
        assert validate_request(1, requested(1001), 1, 0.2) == []

    def test_empty_list(self):
        assert validate_request(1, [], 1800, None) == ["tenants must list at least one tenant to fail over"]
        assert validate_request(1, None, 1800, None) == ["tenants must list at least one tenant to fail over"]

    def test_duplicates_are_named(self):
        problems = validate_request(1, requested(1001, 1002, 1001, 1003, 1002), 1800, None)
        assert problems == ["tenants lists tenant_id 1001, 1002 more than once: list each tenant once"]

    @pytest.mark.parametrize("timeout", [0, -5])
    def test_timeout_must_be_positive(self, timeout):
        assert validate_request(1, requested(1001), timeout, None) == [
            "wait_timeout must be a positive number of seconds, got %s" % timeout]

    @pytest.mark.parametrize("sleep", [0, -0.5])
    def test_sleep_must_be_positive(self, sleep):
        assert validate_request(1, requested(1001), 10, sleep) == [
            "wait_sleep must be a positive number of seconds, got %s" % sleep]

    def test_ids_must_be_positive(self):
        problems = validate_request(0, requested(-3), 10, None)
        assert problems == ["cluster_id must be a positive integer ID, got 0",
                            "tenant_id must be a positive integer ID, got -3"]

    def test_a_boolean_is_not_an_id(self):
        # YAML `tenant_id: true` reaches the module as True, which Python counts as the int 1.
        assert validate_request(True, requested(True), 10, None) == [
            "cluster_id must be a positive integer ID, got True", "tenant_id must be a positive integer ID, got True"]

    @pytest.mark.parametrize("value", [float("nan"), float("inf")])
    def test_durations_must_be_finite(self, value):
        assert validate_request(1, requested(1001), 10, value) == [
            "wait_sleep must be a positive number of seconds, got %s" % value]

    def test_every_problem_is_reported_at_once(self):
        assert len(validate_request(1, requested(5, 5), -1, -1)) == 3


class TestRole:
    def test_reported_role(self):
        assert reported_role(tenant(1, "PRIMARY")) == "PRIMARY"
        assert reported_role(tenant(1, "standby")) == "STANDBY"
        assert reported_role(tenant(1, None)) is None
        assert reported_role(tenant(1, "")) is None
        assert reported_role(None) is None

    def test_reported_role_wins_over_the_task_history(self):
        assert tenant_role(tenant(1, "STANDBY"), [task(9, 1, "SUCCESSFUL")]) == ("STANDBY", "tenant")

    def test_without_role_a_successful_failover_means_primary(self):
        assert tenant_role(tenant(1, None), [task(9, 1, "FAILED"), task(10, 1, "SUCCESSFUL")]) == ("PRIMARY", "tasks")

    def test_without_role_and_without_success_it_is_a_standby(self):
        assert tenant_role(tenant(1, None), [task(9, 1, "FAILED")]) == ("STANDBY", "tasks")
        assert tenant_role(tenant(1, None), []) == ("STANDBY", "tasks")


class TestPlanTenants:
    def test_classification_in_the_order_asked(self):
        details = {1: tenant(1), 2: tenant(2, "PRIMARY"), 3: tenant(3)}
        tasks = [task(30, 3, "RUNNING")]
        plans = plan_tenants(requested(3, 1, 2, s1="SVC_1"), details, tasks)
        assert [(p.tenant_id, p.action) for p in plans] == [
            (3, ACTION_ATTACHED), (1, ACTION_FAILED_OVER), (2, ACTION_ALREADY_PRIMARY)]
        assert plans[0].task["id"] == 30
        assert plans[1].task is None and plans[1].service_name == "SVC_1" and plans[1].name == "t1"
        assert [p.role_before for p in plans] == ["STANDBY", "STANDBY", "PRIMARY"]

    def test_a_running_task_is_attached_even_if_the_role_already_flipped(self):
        plans = plan_tenants(requested(1), {1: tenant(1, "PRIMARY")}, [task(10, 1, "RUNNING")])
        assert plans[0].action == ACTION_ATTACHED

    def test_the_newest_running_task_is_attached(self):
        plans = plan_tenants(requested(1), {1: tenant(1)}, [task(12, 1), task(10, 1), task(11, 1, "FAILED")])
        assert plans[0].task["id"] == 12

    def test_missing_role_falls_back_to_the_task_list(self):
        details = {1: tenant(1, None), 2: tenant(2, None), 3: tenant(3, None)}
        tasks = [task(10, 1, "SUCCESSFUL"), task(20, 2, "FAILED")]
        plans = plan_tenants(requested(1, 2, 3), details, tasks)
        assert [(p.action, p.role_before, p.role_source) for p in plans] == [
            (ACTION_ALREADY_PRIMARY, "PRIMARY", "tasks"),
            (ACTION_FAILED_OVER, "STANDBY", "tasks"),
            (ACTION_FAILED_OVER, "STANDBY", "tasks"),
        ]

    def test_tasks_of_other_tenants_and_other_names_are_ignored(self):
        tasks = [task(10, 2, "RUNNING"), task(11, 1, "RUNNING", name="Switchover tenant"),
                 task(12, 1, "SUCCESSFUL", name="Create standby tenant")]
        plans = plan_tenants(requested(1), {1: tenant(1, None)}, tasks)
        assert (plans[0].action, plans[0].task) == (ACTION_FAILED_OVER, None)

    def test_a_failed_earlier_task_does_not_block_a_standby(self):
        plans = plan_tenants(requested(1), {1: tenant(1)}, [task(10, 1, "FAILED")])
        assert plans[0].action == ACTION_FAILED_OVER


class TestRequestBody:
    def test_documented_body_service_name_only_when_given(self):
        plans = plan_tenants(requested(1, 2, 3, s1="SERVICE_A", s3=""), {1: tenant(1), 2: tenant(2), 3: tenant(3)}, [])
        assert failover_body(failover_items(plans)) == {"failoverTenantItemList": [
            {"tenantId": 1, "serviceName": "SERVICE_A"},
            {"tenantId": 2},
            {"tenantId": 3},
        ]}


class TestLostResponse:
    def test_only_new_failover_tasks_of_pending_tenants_count(self):
        before = {10, 20}
        listed = [task(10, 1, "RUNNING"), task(20, 2, "FAILED"), task(21, 2), task(22, 3),
                  task(23, 1, name="Switchover tenant"), task(24, 9)]
        created = new_failover_tasks([1, 2, 3], listed, before)
        assert {tenant_id: t["id"] for tenant_id, t in created.items()} == {2: 21, 3: 22}

    def test_newest_task_wins(self):
        created = tasks_by_tenant([1], [task(31, 1), task(30, 1)])
        assert created[1]["id"] == 31

    def test_reconcile(self):
        created = {1: task(21, 1)}
        details = {2: tenant(2, "STANDBY"), 3: tenant(3, "PRIMARY"), 4: tenant(4, None)}
        found, now_primary, to_resubmit = reconcile_lost_submission([1, 2, 3, 4], created, details)
        assert list(found) == [1]
        assert now_primary == [3]
        # provably untouched: no new task and a role other than PRIMARY (or none reported)
        assert to_resubmit == [2, 4]

    def test_nothing_to_resubmit_when_every_task_showed_up(self):
        created = {1: task(21, 1), 2: task(22, 2)}
        assert reconcile_lost_submission([1, 2], created, {}) == (created, [], [])


def test_changed_by():
    assert changed_by([ACTION_ALREADY_PRIMARY, ACTION_FAILED_OVER])
    assert changed_by([ACTION_WOULD_FAIL_OVER])
    assert changed_by([ACTION_ATTACHED])
    assert not changed_by([ACTION_ALREADY_PRIMARY, ACTION_ALREADY_PRIMARY])
    assert not changed_by([])
