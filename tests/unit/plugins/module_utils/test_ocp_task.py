# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/ocp_task.py: OCP's two task shapes read into one, subtask order, progress, timings,
what went wrong in a FAILED task."""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import (
    describe_failure,
    failed_subtask,
    has_subtask_graph,
    is_finished,
    log_tail,
    normalize_task,
    normalize_tasks,
    order_subtasks,
    parse_time,
    progress,
    task_timing,
    without_subtasks,
)
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import (
    FAILOVER_GRAPH_ORDER,
    FakeOcp,
    api_error,
)

SAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "simulator", "data")


def sample_task():
    """The one task of OCP's batch failover sample answer: the flat shape (clusterId, tenantId, creator a name)."""
    with open(os.path.join(SAMPLES, "failover_sample_response.json")) as sample:
        return json.load(sample)["data"]["contents"][0]


def nested_detail():
    """The same task as the task detail shows it (WrappedTaskInstance, docs/ocp-api.md "Task detail"): nested
    cluster, tenant and creator objects instead of clusterId, tenantId and a creator name."""
    flat = sample_task()
    detail = dict((key, value) for key, value in flat.items() if key not in ("clusterId", "tenantId", "creator"))
    detail.update(cluster={"id": 3000010, "name": "OB424_A", "obClusterId": 1, "type": "STANDBY"},
                  tenant={"id": 2000025, "name": "ohayo_2", "obTenantId": 1002, "mode": "MYSQL"},
                  creator={"id": 100, "name": "admin"}, createTime="2024-07-23T17:42:34.056+08:00")
    return detail


def nested_list_entry():
    """The same task as a task list entry (BasicTaskInstance, docs/ocp-api.md "Task list"): nested objects, no
    type/operation/executor, and subtasks with only id, name, description, status, operation (no graph)."""
    detail = nested_detail()
    entry = dict((key, detail[key]) for key in ("id", "name", "cluster", "tenant", "creator", "status", "startTime"))
    entry["subtasks"] = [dict((key, sub[key]) for key in ("id", "name", "description", "status", "operation"))
                         for sub in detail["subtasks"]]
    return entry


def names(subtasks):
    return [subtask["name"] for subtask in subtasks]


def subtask(subtask_id, series_id, upstreams=(), downstreams=(), status="PENDING"):
    """A normalised (snake_case) subtask."""
    return {"id": subtask_id, "name": "s%d" % subtask_id, "series_id": series_id, "status": status,
            "upstreams": list(upstreams), "downstreams": list(downstreams)}


class TestNormalizeTask:
    def test_the_flat_sample(self):
        task = normalize_task(sample_task())
        assert (task["id"], task["name"], task["status"]) == (12022226, "Failover tenant", "RUNNING")
        assert (task["cluster_id"], task["tenant_id"], task["creator"]) == (3000010, 2000025, "admin")
        assert (task["cluster_name"], task["tenant_name"]) == (None, None)  # the flat form carries ids only
        assert task["task_definition_id"] == -1 and task["start_time"] == "2024-07-23T17:42:34.056+08:00"
        assert task["prohibit_rollback"] is False
        assert "clusterId" not in task and "cluster" not in task and "tenant" not in task
        assert names(task["subtasks"]) == FAILOVER_GRAPH_ORDER
        first = task["subtasks"][0]
        assert (first["series_id"], first["parallel_idx"], first["node_type"]) == (3, -1, "JAVA_TASK")
        assert "seriesId" not in first
        assert has_subtask_graph(task)

    def test_the_nested_detail_reads_as_the_flat_sample(self):
        flat, nested = normalize_task(sample_task()), normalize_task(nested_detail())
        for key in ("id", "name", "status", "cluster_id", "tenant_id", "creator", "start_time", "subtasks"):
            assert nested[key] == flat[key], key
        assert (nested["cluster_name"], nested["tenant_name"]) == ("OB424_A", "ohayo_2")
        assert "cluster" not in nested and "tenant" not in nested
        assert has_subtask_graph(nested)

    def test_a_nested_list_entry_names_its_subtasks_without_their_order(self):
        entry = normalize_task(nested_list_entry())
        assert (entry["cluster_id"], entry["tenant_id"], entry["creator"]) == (3000010, 2000025, "admin")
        assert sorted(names(entry["subtasks"])) == sorted(FAILOVER_GRAPH_ORDER)
        assert not has_subtask_graph(entry)

    def test_the_fake_ocp_speaks_both_shapes_alike(self):
        # The doubles the engine's tests use must give what these samples give.
        for shape in ("nested", "flat"):
            ocp = FakeOcp(shape=shape)
            ocp.add_tenant(2000025, name="ohayo_2")
            task_id = ocp.add_task(2000025)
            [listed] = normalize_tasks(ocp.list_tasks(name="Failover tenant"))
            detail = normalize_task(ocp.get_task(task_id))
            assert (listed["tenant_id"], listed["cluster_id"], detail["tenant_id"]) == (2000025, 3000010, 2000025)
            assert has_subtask_graph(listed) is (shape == "flat")
            assert names(detail["subtasks"]) == FAILOVER_GRAPH_ORDER

    def test_a_host_task_without_cluster_or_tenant(self):
        task = normalize_task({"id": 7, "name": "Install agent", "status": "successful", "creator": {"id": 1}})
        assert (task["cluster_id"], task["tenant_id"], task["cluster_name"], task["creator"]) == (None, None, None, None)
        assert task["status"] == "SUCCESSFUL"
        assert "subtasks" not in task

    @pytest.mark.parametrize("raw_id, expected", [("12022226", 12022226), (True, None), ("n/a", None), (None, None)])
    def test_ids_are_integers_or_none(self, raw_id, expected):
        assert normalize_task({"id": raw_id, "tenant": {"id": raw_id}})["tenant_id"] == expected
        assert normalize_task({"id": raw_id})["id"] == expected

    def test_the_input_is_not_modified(self):
        raw = nested_detail()
        before = copy.deepcopy(raw)
        normalize_task(raw)
        assert raw == before

    def test_none_and_lists(self):
        assert normalize_task(None) is None
        assert normalize_tasks(None) == []
        assert [task["id"] for task in normalize_tasks([sample_task(), None, "junk", {"id": 5}])] == [12022226, 5]


class TestOrderSubtasks:
    def test_the_sample_follows_the_graph_not_the_position_nor_the_series_id(self):
        listed = [camel_dict_to_snake_dict(sub) for sub in sample_task()["subtasks"]]  # as OCP lists them
        assert names(listed) != FAILOVER_GRAPH_ORDER
        assert names(sorted(listed, key=lambda sub: sub["series_id"])) != FAILOVER_GRAPH_ORDER
        assert names(order_subtasks(listed)) == FAILOVER_GRAPH_ORDER
        assert names(order_subtasks(list(reversed(listed)))) == FAILOVER_GRAPH_ORDER

    def test_the_input_is_not_modified(self):
        listed = [camel_dict_to_snake_dict(sub) for sub in sample_task()["subtasks"]]
        before = copy.deepcopy(listed)
        order_subtasks(listed)
        assert listed == before

    def test_ties_are_broken_by_series_id(self):
        # 1 -> {2, 3} -> 4: the two parallel subtasks come in series_id order, whatever their ids or positions.
        subtasks = [subtask(4, 9, upstreams=[2, 3]), subtask(2, 7, upstreams=[1], downstreams=[4]),
                    subtask(3, 5, upstreams=[1], downstreams=[4]), subtask(1, 8, downstreams=[2, 3])]
        assert [sub["id"] for sub in order_subtasks(subtasks)] == [1, 3, 2, 4]

    def test_an_edge_recorded_on_one_side_only_still_counts(self):
        assert [sub["id"] for sub in order_subtasks([subtask(1, 0, upstreams=[2]), subtask(2, 1)])] == [2, 1]
        assert [sub["id"] for sub in order_subtasks([subtask(1, 0), subtask(2, 1, downstreams=[1])])] == [2, 1]

    def test_edges_to_unknown_subtasks_and_self_edges_are_ignored(self):
        subtasks = [subtask(1, 1, upstreams=[99, 1]), subtask(2, 0, downstreams=[98])]
        assert [sub["id"] for sub in order_subtasks(subtasks)] == [2, 1]

    def test_a_cycle_loses_no_subtask(self):
        subtasks = [subtask(1, 2, upstreams=[2]), subtask(2, 1, upstreams=[1]), subtask(3, 0)]
        assert [sub["id"] for sub in order_subtasks(subtasks)] == [3, 2, 1]

    def test_missing_series_ids_and_ids(self):
        subtasks = [{"name": "b", "series_id": None}, {"name": "a", "series_id": 1}, {"name": "c"}]
        assert names(order_subtasks(subtasks))[0] == "a"
        assert sorted(names(order_subtasks(subtasks))) == ["a", "b", "c"]

    def test_empty_and_missing(self):
        assert order_subtasks([]) == []
        assert order_subtasks(None) == []


class TestHasSubtaskGraph:
    @pytest.mark.parametrize("task, expected", [
        ({}, False),
        ({"subtasks": None}, False),
        ({"subtasks": []}, True),  # OCP said: no subtasks at all
        ({"subtasks": [{"id": 1, "status": "RUNNING"}]}, False),
        ({"subtasks": [{"id": 1, "upstreams": []}, {"id": 2, "series_id": 0}]}, True),
        ({"subtasks": [{"id": 1, "downstreams": []}, {"id": 2}]}, False),
    ])
    def test_only_subtasks_that_carry_their_order(self, task, expected):
        assert has_subtask_graph(task) is expected


class TestProgressAndResults:
    def test_progress_counts_every_state(self):
        statuses = ["SUCCESSFUL", "SUCCESSFUL", "RUNNING", "FAILED", "PENDING", "READY", "CANCELING", None]
        counts = progress({"subtasks": [{"status": status} for status in statuses]})
        assert counts == {"total": 8, "successful": 2, "running": 1, "failed": 1, "pending": 4}

    def test_progress_without_subtasks(self):
        assert progress({}) == {"total": 0, "successful": 0, "running": 0, "failed": 0, "pending": 0}

    def test_without_subtasks_is_a_copy(self):
        task = normalize_task(sample_task())
        small = without_subtasks(task)
        assert "subtasks" not in small and small["id"] == task["id"]
        assert "subtasks" in task

    @pytest.mark.parametrize("status, finished", [("RUNNING", False), ("FAILED", True), ("SUCCESSFUL", True),
                                                  (None, False)])
    def test_is_finished(self, status, finished):
        assert is_finished({"status": status}) is finished


class TestTiming:
    def test_parse_ocp_times(self):
        parsed = parse_time("2024-07-23T17:42:34.056+08:00")
        assert (parsed.hour, parsed.microsecond, parsed.utcoffset().total_seconds()) == (17, 56000, 8 * 3600)
        assert parse_time("2024-07-23T09:42:34Z").utcoffset().total_seconds() == 0
        assert parse_time("2024-07-23T17:42:34.1+08:00").microsecond == 100000
        assert parse_time("2024-07-23T17:42:34.123456789+08:00").microsecond == 123456
        for unreadable in ("yesterday", "", None, 12, "2024-13-45T99:00:00"):
            assert parse_time(unreadable) is None

    def test_a_finished_task(self):
        task = {"start_time": "2024-07-23T17:42:34.056+08:00", "finish_time": "2024-07-23T17:44:02.311+08:00"}
        assert task_timing(task) == (task["start_time"], task["finish_time"], 88.255)

    def test_create_time_stands_in_for_a_missing_start_time(self):
        task = {"create_time": "2024-07-23T17:42:30.000+08:00", "finish_time": "2024-07-23T17:42:40.500+08:00"}
        assert task_timing(task) == (task["create_time"], task["finish_time"], 10.5)

    def test_a_running_task_has_no_duration(self):
        assert task_timing({"start_time": "2024-07-23T17:42:34.056+08:00"}) == (
            "2024-07-23T17:42:34.056+08:00", None, None)
        assert task_timing({}) == (None, None, None)

    def test_unreadable_or_incomparable_times_give_no_duration(self):
        assert task_timing({"start_time": "soon", "finish_time": "2024-07-23T17:44:02.311+08:00"})[2] is None
        assert task_timing({"start_time": "2024-07-23T17:42:34", "finish_time": "2024-07-23T17:44:02+08:00"})[2] is None


class TestDescribeFailure:
    def failed_task(self, subtask_name="Upgrade tenant data version"):
        ocp = FakeOcp(shape="nested")
        ocp.add_tenant(2000025)
        task_id = ocp.add_task(2000025, status="FAILED", failed_subtask=subtask_name)
        ocp.tasks[task_id].fail_message = "ErrorCode = 4012, Details = timeout on zone2"
        return ocp, normalize_task(ocp.get_task(task_id))

    def test_the_failed_subtask_is_the_first_failed_one_in_execution_order(self):
        task = normalize_task(sample_task())
        for sub in task["subtasks"]:
            if sub["name"] in ("Create tenant service name", "Failover to primary tenant"):
                sub["status"] = "FAILED"
        assert failed_subtask(task)["name"] == "Failover to primary tenant"
        assert failed_subtask({}) is None and failed_subtask(normalize_task(sample_task())) is None

    def test_it_reads_the_log_of_the_failed_subtask_once(self):
        ocp, task = self.failed_task()
        failed = failed_subtask(task)
        description = describe_failure(ocp, task)
        assert (description["id"], description["name"]) == (failed["id"], "Upgrade tenant data version")
        assert len(description["log_tail"]) == 10
        assert description["log_tail"][-1].endswith("ERROR ErrorCode = 4012, Details = timeout on zone2")
        assert "log_error" not in description
        assert [call.args for call in ocp.calls_to("get_subtask_log")] == [(task["id"], failed["id"])]

    def test_an_unreadable_log_does_not_hide_the_failure(self):
        ocp, task = self.failed_task()
        ocp.script("get_subtask_log", api_error(404, "COM10002", "Subtask log not found"))
        description = describe_failure(ocp, task)
        assert description["name"] == "Upgrade tenant data version"
        assert description["log_tail"] == []
        assert "COM10002" in description["log_error"] and "Subtask log not found" in description["log_error"]
        assert len(ocp.calls_to("get_subtask_log")) == 1

    def test_a_failed_task_without_a_failed_subtask(self):
        ocp = FakeOcp()
        assert describe_failure(ocp, {"id": 1, "status": "FAILED", "subtasks": []}) == {
            "id": None, "name": None, "log_tail": []}
        assert ocp.calls == []

    def test_log_tail_keeps_the_last_non_empty_lines(self):
        log = "\n".join("line %d" % n for n in range(1, 31)) + "\n\n"
        assert log_tail(log) == ["line %d" % n for n in range(21, 31)]
        assert log_tail("a\n\n  \nb", lines=5) == ["a", "b"]
        assert log_tail("") == [] and log_tail(None) == []
