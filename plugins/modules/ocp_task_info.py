#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: ocp_task_info
short_description: Read OCP tasks, their progress and what failed
version_added: 0.1.0
description:
  - Reads one OCP task (C(GET /api/v2/tasks/instances/{id})) or the tasks that match filters (OCP's task list,
    C(GET /api/v2/tasks/instances), every page), and reports each with its subtasks in execution order, its
    progress, and for a FAILED task the failed subtask with the end of its log.
  - Every task comes in one shape, whichever shape OCP sent (flat, or with nested C(cluster) and C(tenant)
    objects).
  - Read-only; C(changed) is always V(false). Use it with C(until) to wait for a task (see the examples).
author:
  - oceanbase.ocp maintainers (@oceanbase)
requirements:
  - requests
extends_documentation_fragment:
  - oceanbase.ocp.connection
attributes:
  check_mode:
    description: Can run in check mode; it only reads, so it runs the same way.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
options:
  task_id:
    description:
      - OCP ID of the one task to read. Mutually exclusive with the filters O(cluster_id), O(tenant_id), O(name)
        and O(status).
      - OCP can record a task a few seconds after the request that started it; until then it answers 404 and the
        module fails saying so.
    type: int
  cluster_id:
    description:
      - Only the tasks of this OCP cluster.
    type: int
  tenant_id:
    description:
      - Only the tasks of this OCP tenant.
    type: int
  name:
    description:
      - Only the tasks with exactly this name, for example C(Failover tenant) (OCP's own filter matches parts of
        names; the module compares them exactly).
    type: str
  status:
    description:
      - Only the tasks in one of these statuses.
    type: list
    elements: str
    choices: [RUNNING, FAILED, SUCCESSFUL]
  return_subtasks:
    description:
      - Include the subtasks of each task in execution order.
      - OCP's task list names subtasks without their order, so each listed task then costs one detail request
        (up to 16 at a time). Set to V(false) for long lists. RV(tasks[].progress) is returned either way, and a
        FAILED task's detail and log are read either way, for RV(tasks[].failed_subtask).
    type: bool
    default: true
notes:
  - Without any filter, every task OCP has is listed. OCP keeps tasks of every kind (including scheduled ones),
    so filter, or set O(return_subtasks=false).
  - Tasks are ordered newest first (by ID, which grows with time).
seealso:
  - module: oceanbase.ocp.ocp_tenant_info
  - module: oceanbase.ocp.ocp_tenant_failover
"""

EXAMPLES = r"""
- name: Start a failover, then watch it with ocp_task_info
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
      access_key_id: "{{ vault_ocp_access_key_id }}"
      access_key_secret: "{{ vault_ocp_access_key_secret }}"
  tasks:
    - name: Submit the failover and return at once
      oceanbase.ocp.ocp_tenant_failover:
        cluster_name: obcluster_dr
        tenants:
          - name: trade_dr
        wait: false
      register: submitted

    - name: Wait for the task to finish, up to 30 minutes
      oceanbase.ocp.ocp_task_info:
        task_id: "{{ submitted.tenants[0].task_id }}"
      register: watched
      # a task submitted a moment ago may not be recorded yet: keep trying while the module fails
      until: watched is succeeded and watched.tasks[0].status in ['SUCCESSFUL', 'FAILED']
      retries: 120
      delay: 15

    - name: Report the progress and what failed
      ansible.builtin.debug:
        msg: >-
          Task {{ item.id }} ({{ item.name }}, tenant {{ item.tenant_name }}): {{ item.status }},
          {{ item.progress.successful }}/{{ item.progress.total }} subtasks done{{
          '; failed at ' ~ item.failed_subtask.name if item.failed_subtask else '' }}
      loop: "{{ watched.tasks }}"
      loop_control:
        label: "{{ item.id }}"

- name: Report the running and failed failovers of a cluster
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read them
      oceanbase.ocp.ocp_task_info:
        api_url: https://ocp.example.com:8080
        cluster_id: 3000020
        name: Failover tenant
        status: [RUNNING, FAILED]
        return_subtasks: false
      register: failovers

    - name: One line each
      ansible.builtin.debug:
        msg: "{{ failovers.tasks | map(attribute='id') | zip(failovers.tasks | map(attribute='status')) | list }}"
"""

RETURN = r"""
tasks:
  description:
    - The tasks, newest first. Keys are snake_case versions of OCP's task fields, in one shape whatever shape OCP
      sent. Besides those below, C(type), C(operation), C(executor), C(create_time) and others when OCP sends them.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: OCP ID of the task.
      type: int
      sample: 12022226
    name:
      description: Name of the task.
      type: str
      sample: Failover tenant
    status:
      description: V(RUNNING), V(FAILED) or V(SUCCESSFUL).
      type: str
      sample: RUNNING
    cluster_id:
      description: OCP ID of the task's cluster; null for a task of no cluster (a host task).
      type: int
      sample: 3000020
    cluster_name:
      description: Name of the task's cluster, when OCP sends it.
      type: str
      sample: obcluster_dr
    tenant_id:
      description: OCP ID of the task's tenant; null for a task of no tenant.
      type: int
      sample: 2000101
    tenant_name:
      description: Name of the task's tenant, when OCP sends it.
      type: str
      sample: trade_dr
    creator:
      description: Name of the OCP user who started the task.
      type: str
      sample: admin
    start_time:
      description: When the task started, as OCP reports it.
      type: str
      sample: "2024-07-23T17:42:34.056+08:00"
    finish_time:
      description: When the task finished, as OCP reports it; null while it runs.
      type: str
      sample: "2024-07-23T17:44:02.311+08:00"
    duration_seconds:
      description: How long the task took, from OCP's start and finish times; null while it runs.
      type: float
      sample: 88.255
    subtasks:
      description:
        - The subtasks in execution order (the upstream/downstream graph, ties by series ID), with their snake_case
          fields (C(id), C(name), C(status), C(series_id), C(upstreams), C(downstreams), C(start_time), ...).
      type: list
      elements: dict
      returned: when O(return_subtasks=true)
    progress:
      description: Counts of the subtasks by state; a READY subtask counts as pending.
      type: dict
      sample: {total: 5, successful: 2, running: 1, failed: 0, pending: 2}
      contains:
        total:
          description: Number of subtasks.
          type: int
        successful:
          description: Subtasks that succeeded.
          type: int
        running:
          description: Subtasks running now.
          type: int
        failed:
          description: Subtasks that failed.
          type: int
        pending:
          description: Subtasks not started yet.
          type: int
    failed_subtask:
      description:
        - For a FAILED task, its first failed subtask in execution order and the last lines of that subtask's log;
          null for a task that did not fail.
      type: dict
      sample:
        id: 13025790
        name: Create tenant service name
        log_tail: ["2024-07-23 17:43:58 ERROR create service name failed: ORA-00600"]
      contains:
        id:
          description: OCP ID of the subtask; null when OCP marks no subtask as failed.
          type: int
        name:
          description: Name of the subtask.
          type: str
        log_tail:
          description: The last lines of its log.
          type: list
          elements: str
        log_error:
          description: Why the log could not be read, when it could not.
          type: str
          returned: when the log could not be read
"""

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError, RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.names import tasks_named
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import (
    TASK_FAILED,
    describe_failure,
    has_subtask_graph,
    normalize_task,
    normalize_tasks,
    progress,
    task_timing,
    without_subtasks,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import id_problems

FILTERS = ("cluster_id", "tenant_id", "name", "status")
ARGUMENT_SPEC = dict(
    task_id=dict(type="int"),
    cluster_id=dict(type="int"),
    tenant_id=dict(type="int"),
    name=dict(type="str"),
    status=dict(type="list", elements="str", choices=["RUNNING", "FAILED", "SUCCESSFUL"]),
    return_subtasks=dict(type="bool", default=True),
)

# Task details and subtask logs are read in parallel, but not so wide that a long list floods OCP.
MAX_PARALLEL_READS = 16


def input_problems(params):
    problems = []
    for option in ("task_id", "cluster_id", "tenant_id"):
        if params[option] is not None:
            problems += id_problems(option, [params[option]])
    if params["name"] == "":
        problems.append("name must not be empty")
    if params["status"] == []:
        problems.append("status must list at least one status (leave it out for every status)")
    return problems


def read_task(client, task_id):
    try:
        return client.get_task(task_id)
    except OcpApiError as error:
        if error.status == 404:
            raise RunFailure("OCP has no task %d (%s). A task started a moment ago may not be recorded yet: OCP"
                             " records tasks a few seconds late, so retry (until:/retries:) or check the id."
                             % (task_id, error), {"tasks": []}, error=error)
        raise


def list_tasks(client, params):
    """The tasks matching the filters, normalised: OCP filters, and the module checks again (exact name)."""
    filters = {}
    if params["cluster_id"] is not None:
        filters["clusterId"] = params["cluster_id"]
    if params["tenant_id"] is not None:
        filters["tenantId"] = params["tenant_id"]
    if params["status"]:
        # A StringArray filter: several values, comma-separated (docs/ocp-api.md, "Task list").
        filters["status"] = ",".join(sorted(set(params["status"])))
    if params["name"] is not None:
        tasks = tasks_named(client, [params["name"]], **filters)
    else:
        tasks = [task for task in normalize_tasks(client.list_tasks(**filters))
                 if all(task.get(key) in (None, value) for key, value in
                        (("cluster_id", params["cluster_id"]), ("tenant_id", params["tenant_id"]))
                        if value is not None)]
    if params["status"]:
        tasks = [task for task in tasks if task.get("status") in params["status"]]
    return tasks


def with_details(client, tasks, return_subtasks):
    """The tasks, each with its subtasks in execution order where they are needed: the detail is read (in parallel)
    for a task whose list entry lacks the subtask graph (docs/ocp-api.md, "Task list") when subtasks are returned,
    and always for a FAILED task (its first failed subtask in execution order)."""
    need = [index for index, task in enumerate(tasks)
            if not has_subtask_graph(task) and (return_subtasks or task.get("status") == TASK_FAILED)]
    details = run_concurrently(lambda index: client.get_task(tasks[index]["id"]), need, MAX_PARALLEL_READS)
    tasks = list(tasks)
    for index, detail in zip(need, details):
        if isinstance(detail, dict):
            tasks[index] = normalize_task(detail)
    return tasks


def task_entry(task, failure, return_subtasks):
    entry = task if return_subtasks else without_subtasks(task)
    entry = dict(entry)
    dummy, dummy2, duration = task_timing(task)
    entry.update(progress=progress(task), duration_seconds=duration, failed_subtask=failure)
    entry.setdefault("start_time", None)
    entry.setdefault("finish_time", None)
    return entry


def run(module, client):
    params = module.params
    problems = input_problems(params)
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s." % "; ".join(problems))
    if params["task_id"] is not None:
        tasks = [normalize_task(read_task(client, params["task_id"]))]
    else:
        tasks = list_tasks(client, params)
    # A list read over a page edge can repeat an entry; newest first (task ids grow with time).
    tasks = sorted(dict((task["id"], task) for task in tasks if task.get("id") is not None).values(),
                   key=lambda task: task["id"], reverse=True)
    tasks = with_details(client, tasks, params["return_subtasks"])
    failed = [task for task in tasks if task.get("status") == TASK_FAILED]
    failures = dict(zip((task["id"] for task in failed),
                        run_concurrently(lambda task: describe_failure(client, task), failed, MAX_PARALLEL_READS)))
    return False, {"tasks": [task_entry(task, failures.get(task["id"]), params["return_subtasks"])
                             for task in tasks]}, None


def main():
    module = OcpModule(**ocp_module_kwargs(
        ARGUMENT_SPEC,
        mutually_exclusive=[["task_id", option] for option in FILTERS],
        supports_check_mode=True,
    ))
    run_module(module, run)


if __name__ == "__main__":
    main()
