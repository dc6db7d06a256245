#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: ocp_tenant_failover
short_description: Fail OceanBase standby tenants over to primary through OCP
version_added: 0.1.0
description:
  - Promotes one or more OceanBase standby tenants of one cluster to primary with a single batch failover request
    to the OceanBase Cloud Platform (OCP) API (C(POST /api/v2/ob/clusters/{id}/tenants/failover)), then waits for
    the OCP task of every tenant in one polling loop.
  - Reads the state first and only submits the tenants that need it. A tenant that is already primary is left
    alone; a tenant whose C(Failover tenant) task is already running is followed to the end of that task instead
    of being submitted again.
  - Run M(oceanbase.ocp.ocp_failover_precheck) first to see whether OCP considers the failover possible.
author:
  - oceanbase.ocp maintainers (@oceanbase)
requirements:
  - requests
extends_documentation_fragment:
  - oceanbase.ocp.connection
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details:
      - Reads the tenants and their tasks, sends no failover request and does not wait for running tasks.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - Shows the role of each tenant before and after.
options:
  cluster_id:
    description:
      - ID of the OCP cluster that holds the standby tenants.
    type: int
    required: true
  tenants:
    description:
      - The standby tenants to promote, all in O(cluster_id). At least one; each tenant at most once.
      - They are submitted together in one request and the results come back in this order.
    type: list
    elements: dict
    required: true
    suboptions:
      tenant_id:
        description:
          - ID of the standby tenant in OCP.
        type: int
        required: true
      service_name:
        description:
          - Service name the tenant gets as the new primary (C(serviceName) of the OCP request).
          - Left out of the request when not set, so OCP applies its own default.
        type: str
  wait:
    description:
      - Wait until the failover task of every tenant has finished and check that each tenant reports primary.
      - When V(false), return right after submission with the task IDs; a later run with the same tenants
        attaches to the tasks still running and waits for them without submitting again.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the tasks, in total for the whole batch.
      - When it passes, the module fails and lists every task and its status; the tasks keep running in OCP and
        a rerun resumes the wait.
    type: int
    default: 1800
  wait_sleep:
    description:
      - Seconds between two polls of the task status.
      - When not set, polling starts after half a second and backs off to at most one second, so a finished task
        is noticed within a second or two.
    type: float
notes:
  - B(Data loss.) A failover promotes a standby without its primary. Changes the primary committed but the standby
    had not yet received are lost, and the old primary must not take writes again. Use it when the primary is
    gone; for a planned role change, use a switchover.
  - B(Idempotency.) The module reads the role of every tenant and the cluster's C(Failover tenant) tasks before it
    sends anything. Tenants that are already primary report RV(tenants[].action=already_primary) and
    C(changed=false); tenants with a running failover task are attached to, never submitted twice.
  - The tenant role is read from the C(tenantRole) field of the tenant detail. If OCP does not return that field,
    the module goes by the task history instead. A successful C(Failover tenant) task for the tenant means it is
    primary; otherwise the module treats it as a standby.
  - B(Lost responses.) The failover request is never retried blindly. When its answer is lost (read timeout,
    connection dropped after sending), the module reads the task list again for a grace period of at least
    O(request_timeout) seconds, looking for the tasks OCP may have created. It follows the tasks it finds. It
    resubmits, once and in one request, only the tenants that still have no task and do not report primary.
  - When OCP answers the failover request with a server error, the module fails with that error. It also lists
    any task OCP created anyway, so that a rerun can follow them.
  - When a task fails, the module names the tenant, the task, the failed subtask and the end of that subtask's
    log. To resume, fix the cause, retry the task in OCP (console, or C(POST /api/v2/tasks/instances/{id}/retry)),
    then rerun the playbook, which attaches to the retried task.
  - Task status is polled with one list request per round, plus one detail request per task that has just
    finished. With access keys, every request is signed afresh, so long waits are not a problem.
seealso:
  - module: oceanbase.ocp.ocp_failover_precheck
  - name: OCP API, perform a batch failover
    description: The OCP request this module sends.
    link: https://en.oceanbase.com/docs/ocp
"""

EXAMPLES = r"""
- name: Fail over the DR site's standby tenants (the primary site is down)
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
      access_key_id: "{{ vault_ocp_access_key_id }}"
      access_key_secret: "{{ vault_ocp_access_key_secret }}"
  tasks:
    - name: Promote the order and payment tenants
      oceanbase.ocp.ocp_tenant_failover:
        cluster_id: 3000010
        tenants:
          - tenant_id: 2000025
            service_name: SERVICE_ORDERS
          - tenant_id: 2000026
            service_name: SERVICE_PAYMENTS
          - tenant_id: 2000031
        wait_timeout: 3600
      register: failover

    - name: Show how long each tenant took
      ansible.builtin.debug:
        msg: "{{ item.tenant_id }}: {{ item.action }}, task {{ item.task_id }} {{ item.task_status }} in {{ item.duration_seconds }} s"
      loop: "{{ failover.tenants }}"

- name: Preview, submit without waiting, and wait later
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
      username: automation
      password: "{{ vault_ocp_password }}"
  tasks:
    - name: Preview a failover without sending it
      oceanbase.ocp.ocp_tenant_failover:
        cluster_id: 3000010
        tenants:
          - tenant_id: 2000025
      check_mode: true
      register: preview

    - name: Submit the failover and return at once
      oceanbase.ocp.ocp_tenant_failover:
        cluster_id: 3000010
        tenants:
          - tenant_id: 2000025
            service_name: SERVICE_ORDERS
        wait: false
      register: submitted

    - name: Later, wait for the same failover; the running task is attached to, not submitted again
      oceanbase.ocp.ocp_tenant_failover:
        cluster_id: 3000010
        tenants:
          - tenant_id: 2000025
            service_name: SERVICE_ORDERS
        wait_sleep: 5
"""

RETURN = r"""
changed:
  description:
    - Whether a tenant was failed over during the run, by a task this run submitted or by a running task it
      attached to. In check mode, whether one would be.
  returned: always
  type: bool
tenants:
  description:
    - One entry per requested tenant, in the order of O(tenants).
  returned: always
  type: list
  elements: dict
  contains:
    tenant_id:
      description: ID of the tenant.
      type: int
      returned: always
      sample: 2000025
    name:
      description: Name of the tenant, as OCP reports it.
      type: str
      returned: always
      sample: ohayo_2
    service_name:
      description: The requested service name, null when none was requested.
      type: str
      returned: always
      sample: SERVICE_ORDERS
    action:
      description:
        - V(failed_over) when this run submitted the failover, V(attached_to_running_task) when it followed a
          failover task that was already running, V(already_primary) when there was nothing to do,
          V(would_fail_over) in check mode when a failover would be submitted.
      type: str
      returned: always
      sample: failed_over
    task_id:
      description: ID of the OCP task that fails the tenant over; null when there is none (already primary, check mode).
      type: int
      returned: always
      sample: 12022226
    task_status:
      description: Last known status of that task (V(RUNNING), V(FAILED), V(SUCCESSFUL)); null when there is no task.
      type: str
      returned: always
      sample: SUCCESSFUL
    role_before:
      description: Role of the tenant before the run (V(PRIMARY) or V(STANDBY)).
      type: str
      returned: always
      sample: STANDBY
    role_after:
      description:
        - Role of the tenant at the end of the run; in check mode, the role it would have.
        - Null while its task is still running (O(wait=false)).
      type: str
      returned: always
      sample: PRIMARY
    role_source:
      description:
        - Where the roles come from. V(tenant) means the C(tenantRole) field of the tenant detail. V(tasks) means
          they are inferred from the tenant's C(Failover tenant) tasks, because OCP does not return that field.
      type: str
      returned: always
      sample: tenant
    started_at:
      description: When the task started, as OCP reports it; null when there is no task.
      type: str
      returned: always
      sample: "2024-07-23T17:42:34.056+08:00"
    finished_at:
      description: When the task finished, as OCP reports it; null while it runs or when there is no task.
      type: str
      returned: always
      sample: "2024-07-23T17:44:02.311+08:00"
    duration_seconds:
      description: How long the task took, from OCP's start and finish times; null while it runs or when there is no task.
      type: float
      returned: always
      sample: 88.255
    failed_subtask:
      description: The failed subtask of a task that failed, with the end of its log.
      type: dict
      returned: when the task failed
      contains:
        id:
          description: ID of the subtask.
          type: int
        name:
          description: Name of the subtask.
          type: str
        log_tail:
          description: The last lines of the subtask's log.
          type: list
          elements: str
tasks:
  description:
    - The OCP tasks of this run (submitted or attached to), one per tenant that has one, in the order of
      O(tenants). Keys are snake_case versions of OCP's TaskInstance fields.
    - Subtasks are in execution order (the upstream/downstream graph, ties by series ID).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 12022226
      name: Failover tenant
      cluster_id: 3000010
      tenant_id: 2000025
      status: SUCCESSFUL
      operation: EXECUTE
      type: MANUAL
      creator: admin
      start_time: "2024-07-23T17:42:34.056+08:00"
      finish_time: "2024-07-23T17:44:02.311+08:00"
      subtasks:
        - id: 13025787
          name: Reset log restore source
          series_id: 3
          status: SUCCESSFUL
          upstreams: []
          downstreams: [13025788]
        - id: 13025788
          name: Failover to primary tenant
          series_id: 2
          status: SUCCESSFUL
          upstreams: [13025787]
          downstreams: [13025785]
polls:
  description: How many polling rounds the wait took (0 when nothing was waited for).
  returned: always
  type: int
  sample: 12
"""

import time

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import validate_request
from ansible_collections.oceanbase.ocp.plugins.module_utils.failover_runner import (
    FailoverError,
    TenantFailover,
    describe_plans,
)

ARGUMENT_SPEC = dict(
    cluster_id=dict(type="int", required=True),
    tenants=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            tenant_id=dict(type="int", required=True),
            service_name=dict(type="str"),
        ),
    ),
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=1800),
    wait_sleep=dict(type="float"),
)


def run(module, client):
    """Fail the requested tenants over; returns (changed, result, diff) for run_module."""
    params = module.params
    problems = validate_request(params["cluster_id"], params["tenants"], params["wait_timeout"], params["wait_sleep"])
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s" % "; ".join(problems))

    failover = TenantFailover(client, params["cluster_id"], params["tenants"], module.check_mode,
                              clock=time.monotonic, sleep=time.sleep)
    try:
        failover.read_state()
        if not module.check_mode:
            failover.submit(params["request_timeout"])
            if params["wait"]:
                failover.wait(params["wait_timeout"], params["wait_sleep"])
    except FailoverError as failure:
        extra = {"error": failure.error.to_dict()} if failure.error is not None else {}
        module.fail_json(msg=str(failure), changed=failover.submitted_anything(), **dict(failover.result(), **extra))
    except OcpApiError as error:
        if not failover.request_sent and not failover.followed():
            raise
        # Past this point a failover may be under way: say so, with every task known, whatever failed.
        message = str(error)
        if failover.request_sent:
            message += " A failover request was sent before this error; check OCP's task list before rerunning."
        if failover.followed():
            message += " Failover tasks known so far: %s." % describe_plans(failover.followed())
        module.fail_json(msg=message, changed=failover.submitted_anything(), error=error.to_dict(),
                         **failover.result())
    return failover.changed(), failover.result(), failover.diff()


def main():
    module = OcpModule(**ocp_module_kwargs(ARGUMENT_SPEC, supports_check_mode=True))
    run_module(module, run)


if __name__ == "__main__":
    main()
