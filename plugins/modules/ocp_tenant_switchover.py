#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: ocp_tenant_switchover
short_description: Swap the roles of OceanBase primary tenants and their standbys through OCP (switchover)
version_added: 0.1.0
description:
  - Switches one or more pairs of tenants over with a single batch request to the OceanBase Cloud Platform (OCP)
    API (C(POST /api/v2/ob/clusters/{id}/tenants/switchover)). Each primary tenant of O(cluster_id) becomes a
    standby and its standby tenant becomes the primary. Then waits for OCP's task of every pair in one polling loop.
  - A switchover is planned and loses no data, unlike a failover. Use it for disaster-recovery drills, for planned
    maintenance of the primary site, and to switch back after a failover once the old site is rebuilt.
  - Reads the state first and only submits the pairs that need it. A pair whose roles are already swapped is left
    alone; a pair whose switchover task is already running is followed to the end of that task instead of being
    submitted again.
  - Run M(oceanbase.ocp.ocp_switchover_precheck) first to see whether OCP considers each switchover possible.
extends_documentation_fragment:
  - oceanbase.ocp.connection
  - oceanbase.ocp.wait
  - oceanbase.ocp.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads the tenants and their tasks, sends no switchover request and does not wait for running tasks.
  diff_mode:
    support: full
    details:
      - Shows the roles of both tenants of every pair, before and after.
options:
  cluster_id:
    description:
      - ID of the OCP cluster that holds the primary tenants of O(pairs) (their standbys may be in any cluster).
    type: int
    required: true
  pairs:
    description:
      - The tenants to swap, each primary tenant with its standby. At least one pair; a tenant in one pair only.
      - They are submitted together in one request, as C(tenantParamList), and the results come back in this order.
      - To switch back, run again with each pair reversed and O(cluster_id) the cluster of the new primaries.
    required: true
    type: list
    elements: dict
    suboptions:
      tenant_id:
        description:
          - ID of the primary tenant in OCP, in O(cluster_id). It becomes a standby.
        type: int
        required: true
      standby_tenant_id:
        description:
          - ID of its standby tenant in OCP. It becomes the primary.
        type: int
        required: true
  retry_failed_tasks:
    description:
      - What to do with a pair whose latest switchover task FAILED B(after) both roles had switched (a later step
        such as C(Set log restore source) failed); the switchover is half done.
      - When V(false), the module fails before sending anything, naming the task, its failed subtask and this
        option.
      - When V(true), the module retries that task in OCP (C(POST /api/v2/tasks/instances/{id}/retry)) and waits
        for it, with RV(pairs[].action=retried_failed_task). Nothing is sent in check mode
        (RV(pairs[].action=would_retry_failed_task)).
    type: bool
    default: false
  submit:
    description:
      - When V(false), send nothing to OCP, and only follow each pair's latest switchover task, whatever its status;
        a FAILED one is reported (not retried, not submitted again). A pair without such a task is left alone when
        it is already switched, and fails the run otherwise.
      - For a wait that must never submit, such as a second step after O(wait=false).
    type: bool
    default: true
  return_subtasks:
    description:
      - Include the subtasks of each task in RV(tasks). V(false) keeps the result of a big batch small and spares
        OCP one detail request per task.
    type: bool
    default: true
notes:
  - B(Idempotency.) Before it sends anything, the module reads both tenants of every pair and the role-changing
    tasks of their clusters. A pair whose primary is already a standby and whose standby is already the primary
    reports RV(pairs[].action=already_switched) and C(changed=false); a pair with a running switchover task is
    attached to, never submitted twice.
  - B(Where roles come from) (RV(pairs[].role_source), RV(pairs[].standby_role_source)). OCP documents no
    tenant-level role field. The module uses the C(tenantRole) field of the tenant when OCP sends it (V(tenant));
    else the newest role-changing task of either tenant of the pair (V(tasks)); a successful switchover makes the
    tenant it was submitted for a standby and the other tenant the primary, so a switch back (submitted for the
    other tenant) outweighs the older switchover; else the failover precheck of the tenant in its own cluster
    (V(precheck)), where OCP's error C(OBE26013) says the tenant is not a standby. See docs/ocp-api.md in the collection.
  - B(Lost answers.) The switchover request is sent once and never again in the same run. When its answer is lost
    (read timeout, dropped connection, an unreadable success answer) or OCP answers with a server error, the module
    reads OCP's task list until the tasks appear (it attaches to them and waits) or O(wait_timeout) passes, and
    then fails saying that the outcome is unknown; a rerun reads OCP's state afresh.
  - B(Concurrent runs.) While it waits, the module notices other switchover tasks of the same primary tenants,
    lists them in RV(pairs[].concurrent_task_ids) and warns. In AWX, set C(allow_simultaneous) to false on the
    job template.
  - OCP's switchover task belongs to the primary's cluster and names the primary only (docs/ocp-api.md). When a
    task fails, the module names the pair, the task, the failed subtask and the end of its log.
seealso:
  - module: oceanbase.ocp.ocp_switchover_precheck
  - module: oceanbase.ocp.ocp_tenant_failover
  - name: OCP API, perform a switchover
    description: The OCP request this module sends (the batch form).
    link: https://en.oceanbase.com/docs/common-ocp-10000000002169808
requirements:
  - requests
author:
  - oceanbase.ocp maintainers (@oceanbase)
"""

EXAMPLES = r"""
# The connection comes from the OCP_API_URL and OCP_ACCESS_KEY_ID / OCP_ACCESS_KEY_SECRET environment variables.
- name: Disaster-recovery drill, forth and back
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Make the DR site's standbys the primaries
      oceanbase.ocp.ocp_tenant_switchover:
        cluster_id: 3000001            # the cluster of the primary tenants
        pairs:
          - {tenant_id: 1001, standby_tenant_id: 2000025}
          - {tenant_id: 1002, standby_tenant_id: 2000026}
        wait_timeout: 3600
      register: drill

    - name: Switch back (the same pairs, reversed, from the new primaries' cluster)
      oceanbase.ocp.ocp_tenant_switchover:
        cluster_id: 3000010
        pairs:
          - {tenant_id: 2000025, standby_tenant_id: 1001}
          - {tenant_id: 2000026, standby_tenant_id: 1002}

- name: Preview a switchover without sending it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: What would be switched over
      oceanbase.ocp.ocp_tenant_switchover:
        api_url: https://ocp.example.com:8080
        username: automation
        password: "{{ vault_ocp_password }}"
        cluster_id: 3000001
        pairs:
          - {tenant_id: 1001, standby_tenant_id: 2000025}
      check_mode: true
      diff: true
"""

RETURN = r"""
changed:
  description:
    - True when some pair changed roles in this run (its task submitted, retried or attached to), or in check mode
      would; false when every pair was switched already.
  returned: always
  type: bool
pairs:
  description: One entry per requested pair, in the order of O(pairs).
  returned: always
  type: list
  elements: dict
  contains:
    tenant_id:
      description: ID of the (former) primary tenant, the tenant OCP's task is about.
      type: int
      returned: always
      sample: 1001
    standby_tenant_id:
      description: ID of its standby tenant.
      type: int
      returned: always
      sample: 2000025
    name:
      description: Name of the tenant O(pairs[].tenant_id), as OCP reports it.
      type: str
      returned: always
      sample: ohayo
    standby_name:
      description: Name of the standby tenant, as OCP reports it.
      type: str
      returned: always
      sample: ohayo_2
    action:
      description:
        - What the run did with the pair.
        - V(switched_over) - this run submitted its switchover (check mode - V(would_switch_over), nothing sent).
        - V(already_switched) - the roles were swapped already; nothing was sent (C(changed=false)).
        - V(attached_to_running_task) - a switchover task of the pair was running; the run followed it.
        - V(retried_failed_task) - the run retried a half-done task, see O(retry_failed_tasks) (check mode -
          V(would_retry_failed_task)).
        - V(blocked) - this pair stopped the run before anything was sent (a half-done task without
          O(retry_failed_tasks), a running task of another operation); the pairs that would have been submitted
          are V(not_submitted).
        - V(outcome_unknown) - the answer to the switchover request was lost and no task appeared in OCP's task
          list within O(wait_timeout); OCP may or may not have started it (C(changed=true)). Look in OCP before
          anything else; a rerun reads OCP's state afresh.
      type: str
      returned: always
      sample: switched_over
    task_id:
      description:
        - The OCP task of the pair - submitted, attached to or retried. For an already switched pair, the
          switchover task that swapped the roles when the pair's newest role-changing task proves it.
        - Null without one, for example in check mode.
      type: int
      returned: always
      sample: 12022212
    task_status:
      description: Last known status of that task (V(RUNNING), V(FAILED), V(SUCCESSFUL)); null without a task.
      type: str
      returned: always
      sample: SUCCESSFUL
    role_before:
      description: Role of the tenant O(pairs[].tenant_id) before the run (V(PRIMARY) or V(STANDBY)), or null.
      type: str
      returned: always
      sample: PRIMARY
    role_after:
      description:
        - Its role at the end of the run; in check mode, the role it would have. Null while the task still runs.
      type: str
      returned: always
      sample: STANDBY
    standby_role_before:
      description: Role of the standby tenant before the run, or null.
      type: str
      returned: always
      sample: STANDBY
    standby_role_after:
      description: Role of the standby tenant at the end of the run (as RV(pairs[].role_after)).
      type: str
      returned: always
      sample: PRIMARY
    role_source:
      description:
        - Where RV(pairs[].role_before) comes from. V(tenant) is the C(tenantRole) field of the tenant (not
          documented by OCP, used when present). V(tasks) is the newest role-changing task of the pair. V(precheck)
          is the failover precheck of the tenant (C(OBE26013) means not a standby). V(none) means no evidence.
      type: str
      returned: always
      sample: tasks
    standby_role_source:
      description: Where RV(pairs[].standby_role_before) comes from, as RV(pairs[].role_source).
      type: str
      returned: always
      sample: tasks
    concurrent_task_ids:
      description:
        - Other switchover tasks of the primary tenant that appeared while this run followed its own (another job
          switched the same pair over at the same time). Empty normally; a warning names them.
      type: list
      elements: int
      returned: always
      sample: []
    earlier_failed_task_id:
      description: The pair's FAILED switchover task found before this run (submitted over or retried), or null.
      type: int
      returned: always
      sample: null
    started_at:
      description: When the task started, as OCP reports it; null without a task.
      type: str
      returned: always
      sample: "2024-07-23T17:42:34.056+08:00"
    finished_at:
      description: When the task finished, as OCP reports it; null while it runs or without a task.
      type: str
      returned: always
      sample: "2024-07-23T17:43:10.120+08:00"
    duration_seconds:
      description: How long the task took, from OCP's start and finish times; null until it has finished.
      type: float
      returned: always
      sample: 36.064
    failed_subtask:
      description:
        - Where a FAILED task stopped, as C({id, name, log_tail}), the subtask's ID and name (for example
          C(Switchover standby tenant to primary)) and the last lines of its log.
      returned: when the task failed
      type: dict
      sample: {id: 13025803, name: Switchover standby tenant to primary, log_tail: ["ErrorCode = 4179, ..."]}
tasks:
  description:
    - The OCP tasks of this run (submitted, attached to or retried), one per pair that has one, in the order of
      O(pairs), normalised to snake_case in one shape whatever shape OCP sent (flat, or with nested cluster and
      tenant objects); C(cluster_id) and C(tenant_id) are the primary's.
    - Subtasks in execution order; left out when O(return_subtasks=false).
  returned: always
  type: list
  elements: dict
  sample:
    - id: 12022212
      name: Switchover ob tenant for network mode
      cluster_id: 3000001
      tenant_id: 1001
      tenant_name: ohayo
      status: SUCCESSFUL
      creator: admin
      subtasks:
        - {id: 13025801, name: Check switchover status, status: SUCCESSFUL}
        - {id: 13025802, name: Switchover primary tenant to standby, status: SUCCESSFUL}
polls:
  description: How many polling rounds the wait took (0 when nothing was waited for).
  returned: always
  type: int
  sample: 8
"""

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.role_change import ROLE_CHANGE_ARGUMENT_SPEC, run_operation
from ansible_collections.oceanbase.ocp.plugins.module_utils.switchover import PAIRS_OPTION, SWITCHOVER, validate_request

ARGUMENT_SPEC = dict(cluster_id=dict(type="int", required=True), pairs=PAIRS_OPTION, **ROLE_CHANGE_ARGUMENT_SPEC)


def run(module, client):
    """Switch the requested pairs over; returns (changed, result, diff) for run_module."""
    params = module.params
    problems = validate_request(params["cluster_id"], params["pairs"], params["wait_timeout"], params["wait_sleep"])
    return run_operation(SWITCHOVER, module, client, params["pairs"], problems)


def main():
    run_module(OcpModule(**ocp_module_kwargs(ARGUMENT_SPEC, supports_check_mode=True)), run)


if __name__ == "__main__":
    main()
