# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/tenant_role.py: a tenant's role from the evidence OCP documents, and its source."""

from __future__ import annotations

import pytest

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import normalize_tasks
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    NO_EVIDENCE,
    ROLE_CHANGING_TASK_NAMES,
    SOURCE_NONE,
    SOURCE_TASKS,
    SOURCE_TENANT,
    latest_role_change,
    reported_role,
    role_from_precheck,
    role_from_precheck_error,
    role_from_task,
    role_in_message,
    tenant_role,
)
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import FAILOVER, SWITCHOVER, FakeOcp

TENANT = 2000025
NOT_STANDBY_MESSAGE = "The operation is not allowed because the tenant's role is PRIMARY: tenant ohayo_2."


def task(task_id, status="SUCCESSFUL", name=FAILOVER, tenant_id=TENANT):
    """A normalised task."""
    return {"id": task_id, "name": name, "status": status, "tenant_id": tenant_id, "cluster_id": 3000010}


def test_the_role_changing_tasks_are_failover_and_switchover():
    assert ROLE_CHANGING_TASK_NAMES == (FAILOVER, SWITCHOVER)


class TestReportedRole:
    @pytest.mark.parametrize("value, role", [
        ("PRIMARY", "PRIMARY"), ("standby", "STANDBY"), (" Primary ", "PRIMARY"),
        ("LEADER", None), ("", None), (None, None), (1, None),
    ])
    def test_the_tenant_role_field(self, value, role):
        assert reported_role({"id": TENANT, "tenantRole": value}) == role

    def test_no_field_or_no_tenant(self):
        assert reported_role({"id": TENANT, "clusterType": "PRIMARY"}) is None  # the cluster's type, not the role
        assert reported_role(None) is None


class TestTenantRole:
    def test_the_field_wins_over_the_tasks(self):
        evidence = tenant_role(TENANT, {"tenantRole": "STANDBY"}, [task(10)])
        assert (evidence.role, evidence.source, evidence.task) == ("STANDBY", SOURCE_TENANT, None)

    def test_a_successful_failover_makes_a_primary(self):
        evidence = tenant_role(TENANT, {}, [task(10)])
        assert (evidence.role, evidence.source, evidence.task["id"]) == ("PRIMARY", SOURCE_TASKS, 10)
        assert evidence.known

    def test_only_the_latest_task_counts_a_switchback_makes_a_standby_again(self):
        history = [task(12, name=SWITCHOVER), task(10)]  # listed newest first, as OCP may
        evidence = tenant_role(TENANT, {}, history)
        assert (evidence.role, evidence.source, evidence.task["id"]) == ("STANDBY", SOURCE_TASKS, 12)
        assert tenant_role(TENANT, {}, history + [task(14)]).role == "PRIMARY"

    @pytest.mark.parametrize("status", ["RUNNING", "FAILED"])
    def test_a_latest_task_that_is_running_or_failed_proves_nothing(self, status):
        # Even with an older successful failover: the latest task may have switched the role, or not.
        evidence = tenant_role(TENANT, {}, [task(10), task(11, status=status)])
        assert (evidence.role, evidence.source, evidence.known) == (None, SOURCE_NONE, False)
        # It names the task that could not decide, so an operation can weigh it against other tasks (switchover).
        assert evidence.task["id"] == 11

    def test_tasks_of_other_tenants_and_other_names_do_not_count(self):
        others = [task(20, tenant_id=99), task(21, name="Failover tenant log"),  # OCP's name filter is fuzzy
                  task(22, name="Create tenant")]
        assert tenant_role(TENANT, {}, others) is NO_EVIDENCE
        assert latest_role_change(TENANT, others + [task(5)])["id"] == 5

    def test_no_evidence(self):
        assert tenant_role(TENANT, None, []) is NO_EVIDENCE
        assert latest_role_change(TENANT, []) is None
        assert role_from_task(None) is None

    @pytest.mark.parametrize("shape", ["nested", "flat"])
    def test_tasks_in_either_shape_are_seen_once_normalised(self, shape):
        # Against the documented nested task list, a reader of flat tenantId saw no task at all.
        ocp = FakeOcp(shape=shape)
        ocp.add_tenant(TENANT)
        ocp.add_task(TENANT, name=FAILOVER, status="SUCCESSFUL", ago=86400 * 2)
        switchback = ocp.add_task(TENANT, name=SWITCHOVER, status="SUCCESSFUL", ago=86400)
        evidence = tenant_role(TENANT, ocp.list_tenants(3000010)[0], normalize_tasks(ocp.list_tasks()))
        assert (evidence.role, evidence.source, evidence.task["id"]) == ("STANDBY", SOURCE_TASKS, switchback)


class TestPrecheck:
    def test_an_answer_without_obe26013_means_ocp_examined_a_standby(self):
        assert role_from_precheck([]) == "STANDBY"
        assert role_from_precheck(None) == "STANDBY"
        assert role_from_precheck([{"errorCode": "OBE26107", "warning": False,
                                    "errorMessage": "the primary tenant can still be connected."}]) == "STANDBY"

    def test_obe26013_as_a_check_result_names_the_role(self):
        checks = ["junk", {"errorCode": "OBE26013", "warning": False, "errorMessage": NOT_STANDBY_MESSAGE}]
        assert role_from_precheck(checks) == "PRIMARY"
        assert role_from_precheck([{"errorCode": "OBE26013", "errorMessage": "the tenant's role is 'STANDBY'"}]) == (
            "STANDBY")

    def test_obe26013_without_a_role_in_its_message_means_not_a_standby(self):
        assert role_from_precheck([{"errorCode": "OBE26013", "errorMessage": "Not allowed."}]) == "PRIMARY"
        assert role_from_precheck([{"errorCode": "OBE26013"}]) == "PRIMARY"

    def test_obe26013_as_an_error_answer(self):
        path = "/api/v2/ob/clusters/3000010/tenants/2000025/failoverPreCheck"
        assert role_from_precheck_error(OcpApiError("POST", path, NOT_STANDBY_MESSAGE, status=400,
                                                    code="OBE26013")) == "PRIMARY"
        assert role_from_precheck_error(OcpApiError("POST", path, "Not allowed.", status=400,
                                                    code="OBE26013")) == "PRIMARY"

    def test_other_errors_prove_no_role(self):
        path = "/api/v2/ob/clusters/3000010/tenants/2000025/failoverPreCheck"
        assert role_from_precheck_error(OcpApiError("POST", path, "role is PRIMARY", status=403, code="IAM11000")) is None
        assert role_from_precheck_error(OcpApiError("POST", path, "no answer", response_lost=True)) is None
        assert role_from_precheck_error(ValueError("not an OCP error")) is None

    @pytest.mark.parametrize("message, role", [
        (NOT_STANDBY_MESSAGE, "PRIMARY"),
        ("because the tenant's role is standby.", "STANDBY"),
        ('the role is "PRIMARY"', "PRIMARY"),
        ("roles isPRIMARY", None),
        ("the role is unknown", None),
        (None, None),
    ])
    def test_the_role_named_in_a_message(self, message, role):
        assert role_in_message(message) == role
