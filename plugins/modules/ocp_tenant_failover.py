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
  - oceanbase.ocp.wait
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
      - Exactly one of O(cluster_id) and O(cluster_name) is required.
    type: int
  cluster_name:
    description:
      - Name of the OCP cluster that holds the standby tenants, instead of O(cluster_id).
      - Compared exactly (OCP's own name filter also matches parts of names). A name that no cluster has, or that
        several clusters share, fails the module before anything is sent, with the similar names or the IDs.
    type: str
  tenants:
    description:
      - The standby tenants to promote, all in the cluster. At least one; each tenant at most once.
      - They are submitted together in one request and the results come back in this order.
      - Each item names its tenant by O(tenants[].tenant_id) or by O(tenants[].name), exactly one of them.
    type: list
    elements: dict
    required: true
    suboptions:
      tenant_id:
        description:
          - ID of the standby tenant in OCP.
          - Exactly one of O(tenants[].tenant_id) and O(tenants[].name) is required.
        type: int
      name:
        description:
          - Name of the standby tenant in the cluster, instead of O(tenants[].tenant_id).
          - Compared exactly, so V(t1) never selects C(t10). Unknown names (listed with the similar names OCP
            has), names several tenants share (listed with their IDs), and a tenant given twice fail the module
            before anything is sent, every problem in one message.
        type: str
      service_name:
        description:
          - Service name the tenant gets as the new primary (C(serviceName) of the OCP request).
          - Left out of the request when not set, so OCP applies its own default.
        type: str
  retry_failed_tasks:
    description:
      - What to do with a tenant whose latest C(Failover tenant) task FAILED B(after) the role switch (the tenant is
        primary, but a later step such as C(Create tenant service name) failed); the failover is half done.
      - When V(false), the module fails before sending anything, naming the task, its failed subtask and this
        option.
      - When V(true), the module retries that task in OCP (C(POST /api/v2/tasks/instances/{id}/retry)) and waits
        for it, with RV(tenants[].action=retried_failed_task). Nothing is sent in check mode
        (RV(tenants[].action=would_retry_failed_task)).
      - A tenant that is still a standby after a FAILED failover task is simply submitted again
        (RV(tenants[].action=failed_over)), and RV(tenants[].earlier_failed_task_id) names the earlier task.
    type: bool
    default: false
  submit:
    description:
      - When V(false), send nothing to OCP, and only follow each tenant's latest C(Failover tenant) task, whatever
        its status; a FAILED one is reported (not retried, not submitted again). A tenant without such a task is
        left alone when it is already primary, and fails the run otherwise.
      - For a wait that must never submit, such as the second step after O(wait=false); the role
        role C(oceanbase.ocp.tenant_failover) works that way.
    type: bool
    default: true
  return_subtasks:
    description:
      - Include the subtasks of each task in RV(tasks). Set to V(false) for big batches to keep the result small
        and to spare OCP one detail request per task.
    type: bool
    default: true
  prechecks:
    description:
      - The results of M(oceanbase.ocp.ocp_failover_precheck) for these tenants, run moments before (its
        RV(oceanbase.ocp.ocp_failover_precheck#module:prechecks)), as evidence of their roles.
      - A tenant whose role neither OCP's C(tenantRole) field nor its latest role-changing task settles is then not
        prechecked again by this module (see the notes on where roles come from); with fresh standbys of a big
        batch, that spares one precheck per tenant before the request. The role C(oceanbase.ocp.tenant_failover)
        passes its own prechecks this way.
      - Only RV(oceanbase.ocp.ocp_failover_precheck#module:prechecks[].tenant_id),
        RV(oceanbase.ocp.ocp_failover_precheck#module:prechecks[].cluster_id) and
        RV(oceanbase.ocp.ocp_failover_precheck#module:prechecks[].role) are read; an entry for another cluster, or
        without a tenant ID, fails the module before anything is sent. A precheck does not make a tenant pass; gating
        on RV(oceanbase.ocp.ocp_failover_precheck#module:valid) is the caller's.
    type: list
    elements: dict
notes:
  - B(Data loss.) A failover promotes a standby without its primary. Changes the primary committed but the standby
    had not yet received are lost, and the old primary must not take writes again. Use it when the primary is
    gone; for a planned role change, use M(oceanbase.ocp.ocp_tenant_switchover).
  - B(Idempotency.) Before it sends anything, the module reads the cluster's tenants and its role-changing tasks.
    Tenants that are already primary report RV(tenants[].action=already_primary) and C(changed=false); tenants
    with a running C(Failover tenant) task are attached to, never submitted twice.
  - B(Where roles come from) (RV(tenants[].role_source)). OCP documents no tenant-level role field. The module
    uses, in this order, the C(tenantRole) field of the tenant when OCP sends it (V(tenant)); else the tenant's
    B(latest) role-changing task (V(tasks)); a successful C(Failover tenant) task makes it primary, a successful
    switchover task submitted for it makes it a standby again (a tenant failed over long ago may have been
    switched back since); else the failover precheck (V(precheck)), where OCP's error C(OBE26013) says the tenant is not
    a standby (the one given in O(prechecks), else one the module sends). A tenant with a running role-changing
    task needs none of these, since the module attaches to the task (or stops, for another kind of task). See
    docs/ocp-api.md in the collection.
  - B(Lost answers.) The failover request is sent once and never again in the same run. When its answer is lost
    (read timeout, connection dropped, an unreadable success answer) or OCP answers with a server error, the
    module does not know whether OCP started the failover. It then reads OCP's task list until the tasks appear
    (it attaches to them and waits) or O(wait_timeout) passes; OCP may record tasks many seconds after the
    request. Then it fails, saying that the outcome is unknown and which tasks to look for in OCP; a rerun reads
    OCP's state afresh.
  - B(Concurrent runs.) Two jobs for the same tenant can both see no task and both submit; no client can close
    that window. While it waits, the module notices other C(Failover tenant) tasks of the same tenants, lists them
    in RV(tenants[].concurrent_task_ids) and warns. In AWX, set C(allow_simultaneous) to false on the job template.
  - When a task fails, the module names the tenant, the task, the failed subtask and the end of that subtask's
    log (read once; if it cannot be read the report says so). To resume, fix the cause, then retry the task in
    OCP or rerun with O(retry_failed_tasks=true).
  - Task status is polled with one list request per round, plus one more when tasks finish. With access keys,
    every request is signed afresh, so long waits are not a problem.
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

- name: Fail over by name (the module looks the IDs up in OCP)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Promote trade_dr of obcluster_dr
      oceanbase.ocp.ocp_tenant_failover:
        api_url: https://ocp.example.com:8080
        cluster_name: obcluster_dr
        tenants:
          - name: trade_dr
            service_name: SERVICE_TRADE
          - name: settlement_dr

- name: Precheck a big batch, then fail over what passed, with the prechecks as evidence of the roles
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
  vars:
    dr_tenants: [{tenant_id: 2000025}, {tenant_id: 2000026}, {tenant_id: 2000027}]
  tasks:
    - name: Precheck the standby tenants, stopping with the reasons if any may not fail over
      oceanbase.ocp.ocp_failover_precheck:
        cluster_id: 3000010
        tenant_ids: "{{ dr_tenants | map(attribute='tenant_id') }}"
        fail_on_invalid: true
      register: precheck

    - name: Fail them over without prechecking them again, and keep the result small
      oceanbase.ocp.ocp_tenant_failover:
        cluster_id: 3000010
        tenants: "{{ dr_tenants }}"
        prechecks: "{{ precheck.prechecks }}"
        return_subtasks: false

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
cluster_id:
  description: ID of the OCP cluster, as given or as looked up from O(cluster_name).
  returned: success
  type: int
  sample: 3000010
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
      description: ID of the tenant, as given or as looked up from its name.
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
          V(retried_failed_task) when it retried a half-done failover task (O(retry_failed_tasks=true)).
        - In check mode, V(would_fail_over) or V(would_retry_failed_task) instead.
        - When the module fails before sending anything because of a tenant's state (a half-done failover without
          O(retry_failed_tasks), a running task of another operation), that tenant is V(blocked) and the tenants
          that would have been submitted are V(not_submitted).
        - V(outcome_unknown) when the module fails because the answer to the failover request was lost and no task
          appeared in OCP's task list within O(wait_timeout); OCP may or may not have started the failover (the
          module reports C(changed=true)). Look in OCP before anything else; a rerun reads OCP's state afresh.
      type: str
      returned: always
      sample: failed_over
    task_id:
      description:
        - ID of the OCP task that fails the tenant over; for an already primary tenant, the task that made it primary
          when the task history proves it. Null when there is none (check mode, a role proved otherwise).
      type: int
      returned: always
      sample: 12022226
    task_status:
      description: Last known status of that task (V(RUNNING), V(FAILED), V(SUCCESSFUL)); null when there is no task.
      type: str
      returned: always
      sample: SUCCESSFUL
    role_before:
      description: Role of the tenant before the run (V(PRIMARY) or V(STANDBY)); see RV(tenants[].role_source).
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
        - Where RV(tenants[].role_before) comes from. V(tenant) is the C(tenantRole) field of the tenant (not
          documented by OCP, used when present). V(tasks) is the tenant's latest role-changing task. V(precheck)
          is the failover precheck (C(OBE26013) means not a standby). V(none) means there was no evidence.
      type: str
      returned: always
      sample: tasks
    concurrent_task_ids:
      description:
        - Other C(Failover tenant) tasks of the tenant that appeared while this run followed its own. Another job
          submitted a failover of the same tenant at the same time. Empty normally; a warning names them.
      type: list
      elements: int
      returned: always
      sample: []
    earlier_failed_task_id:
      description:
        - The tenant's FAILED failover task found before this run, which this run submitted over (the tenant was
          still a standby) or retried (half done). Null when there was none.
      type: int
      returned: always
      sample: 12022201
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
      O(tenants). Keys are snake_case versions of OCP's TaskInstance fields, in one shape whatever shape OCP sent
      (flat, or with nested cluster and tenant objects), namely C(cluster_id), C(cluster_name), C(tenant_id),
      C(tenant_name), C(creator) (a name).
    - Subtasks are in execution order (the upstream/downstream graph, ties by series ID); left out when
      O(return_subtasks=false).
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
      tenant_name: ohayo_2
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

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import FAILOVER, roles_from_prechecks, validate_request
from ansible_collections.oceanbase.ocp.plugins.module_utils.names import resolve_cluster, resolve_tenants, tenant_item_problems
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import ROLE_CHANGE_ARGUMENT_SPEC, run_operation
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import id_problems, seconds_problems

ARGUMENT_SPEC = dict(
    cluster_id=dict(type="int"),
    cluster_name=dict(type="str"),
    tenants=dict(
        type="list",
        elements="dict",
        required=True,
        options=dict(
            # Exactly one of tenant_id and name: checked by names.tenant_item_problems, which lists every item's
            # problem in one message (AnsibleModule would stop at the first).
            tenant_id=dict(type="int"),
            name=dict(type="str"),
            service_name=dict(type="str"),
        ),
    ),
    prechecks=dict(type="list", elements="dict"),
    **ROLE_CHANGE_ARGUMENT_SPEC
)


def run(module, client):
    """Fail the requested tenants over; returns (changed, result, diff) for run_module."""
    params = module.params
    # What can be judged without OCP first; the names are resolved after (list requests only), then the engine
    # gets ids as before.
    problems = id_problems("cluster_id", [params["cluster_id"]]) if params["cluster_id"] is not None else []
    if not params["tenants"]:
        problems.append("tenants must list at least one tenant to fail over")
    problems += tenant_item_problems(params["tenants"])
    problems += seconds_problems("wait_timeout", params["wait_timeout"])
    problems += seconds_problems("wait_sleep", params["wait_sleep"])
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s" % "; ".join(problems))
    cluster_id, dummy = resolve_cluster(client, params["cluster_id"], params["cluster_name"])
    tenants = resolve_tenants(client, cluster_id, params["tenants"])
    problems = validate_request(cluster_id, tenants, params["wait_timeout"], params["wait_sleep"])
    known_roles, precheck_problems = roles_from_prechecks(params["prechecks"], cluster_id)
    changed, result, diff = run_operation(FAILOVER, module, client, tenants, problems + precheck_problems,
                                          cluster_id=cluster_id, known_roles=known_roles)
    return changed, dict(result, cluster_id=cluster_id), diff


def main():
    module = OcpModule(**ocp_module_kwargs(
        ARGUMENT_SPEC,
        mutually_exclusive=[["cluster_id", "cluster_name"]],
        required_one_of=[["cluster_id", "cluster_name"]],
        supports_check_mode=True,
    ))
    run_module(module, run)


if __name__ == "__main__":
    main()
