#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: ocp_tenant_info
short_description: List OceanBase tenants that OCP manages, with their primary or standby role
version_added: 0.1.0
description:
  - Reads the tenants of one OCP cluster, one tenant, or every tenant OCP manages, from OCP's tenant lists
    (C(GET /api/v2/ob/clusters/{id}/tenants), C(GET /api/v2/ob/tenants), every page) or the tenant detail, and
    reports each with its role (V(PRIMARY), V(STANDBY) or null) and where that role comes from.
  - Also reports each tenant's latest role-changing OCP task (C(Failover tenant), C(Switchover ob tenant for
    network mode)) and the one running now, if any, read from OCP's task list with one request per task name
    (every page) for all the tenants together.
  - Read-only; C(changed) is always V(false).
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
  cluster_id:
    description:
      - OCP ID of the cluster whose tenants to report.
      - Mutually exclusive with O(cluster_name). Without either, every tenant OCP manages (that the OCP user may
        read) is reported.
    type: int
  cluster_name:
    description:
      - Name of the cluster whose tenants to report, instead of O(cluster_id).
      - Compared exactly (OCP's own name filter also matches parts of names). A name that no cluster has, or that
        several clusters share, fails the module with the similar names or the IDs OCP has.
    type: str
  tenant_id:
    description:
      - OCP ID of the one tenant to report. Needs O(cluster_id) or O(cluster_name).
      - Mutually exclusive with O(name).
    type: int
  name:
    description:
      - Name of the one tenant to report, instead of O(tenant_id). Needs O(cluster_id) or O(cluster_name).
      - Compared exactly, so V(t1) never reports C(t10). A name that no tenant of the cluster has, or that several
        share, fails the module with the similar names or the IDs.
    type: str
  precheck_unknown_roles:
    description:
      - For each tenant whose role nothing else shows (RV(tenants[].role_source=none)), run OCP's failover
        precheck, which changes nothing, and take the role it implies (RV(tenants[].role_source=precheck)).
      - One precheck request per such tenant, up to 50 at a time, each taking seconds in OCP; hence off by default.
        Tenants with a running role-changing task are not prechecked, as their role is changing.
    type: bool
    default: false
notes:
  - B(Where roles come from) (RV(tenants[].role_source)). OCP documents no tenant-level role field, so the module
    takes the first evidence there is, in this order.
  - V(tenant) is the tenant's C(tenantRole) field, which some OCP versions send (not documented by OCP; used when
    present).
  - V(tasks) is the tenant's B(latest) role-changing task, when it SUCCEEDED. A C(Failover tenant) task makes its
    tenant primary; a switchover task makes the tenant it was submitted for (the primary at the time) a standby.
    Only the latest counts, since a tenant failed over long ago may have been switched back since.
  - V(precheck) is the failover precheck, run only with O(precheck_unknown_roles=true). OCP's error C(OBE26013)
    says the tenant is not a standby (primary, or the role its message names); any other answer says that OCP
    examined it as a standby.
  - V(none) means no evidence, and then the role is null, never guessed. That is the case of a tenant whose latest
    role-changing task is RUNNING or FAILED, or that never had one, when OCP sends no C(tenantRole).
  - C(cluster_type) in the result is OCP's C(clusterType), the type of the cluster the tenant belongs to
    (cluster-level primary/standby of OceanBase 3.x), not the tenant's own role.
  - Requests grow with pages of OCP's lists, not with tenants. One tenant list (or one detail), one task list
    per role-changing task name, and one cluster list for O(cluster_name). Prechecks (opt-in) are per tenant.
seealso:
  - module: oceanbase.ocp.ocp_task_info
  - module: oceanbase.ocp.ocp_failover_precheck
  - module: oceanbase.ocp.ocp_tenant_failover
"""

EXAMPLES = r"""
- name: Report the tenants of the DR cluster
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
      access_key_id: "{{ vault_ocp_access_key_id }}"
      access_key_secret: "{{ vault_ocp_access_key_secret }}"
  tasks:
    - name: Read the tenants of obcluster_dr
      oceanbase.ocp.ocp_tenant_info:
        cluster_name: obcluster_dr
      register: dr

    - name: Show each tenant's role
      ansible.builtin.debug:
        msg: >-
          {{ item.name }} ({{ item.tenant_id }}): {{ item.role | default('unknown', true) }}
          from {{ item.role_source }}{{ ', task ' ~ item.running_task.id ~ ' running' if item.running_task else '' }}
      loop: "{{ dr.tenants }}"
      loop_control:
        label: "{{ item.name }}"

    - name: Standby tenants of the cluster, by name
      ansible.builtin.set_fact:
        standby_tenants: "{{ dr.tenants | selectattr('role', 'equalto', 'STANDBY') | map(attribute='name') }}"

- name: Check one tenant after a failover
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read trade_dr
      oceanbase.ocp.ocp_tenant_info:
        api_url: https://ocp.example.com:8080
        username: "{{ ocp_user }}"
        password: "{{ ocp_password }}"
        cluster_name: obcluster_dr
        name: trade_dr
        precheck_unknown_roles: true
      register: trade

    - name: Insist that it is primary now
      ansible.builtin.assert:
        that: trade.tenants[0].role == 'PRIMARY'
        fail_msg: "trade_dr is {{ trade.tenants[0].role }} (from {{ trade.tenants[0].role_source }})"

- name: Every tenant OCP manages
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read them all
      oceanbase.ocp.ocp_tenant_info:
        api_url: https://ocp.example.com:8080
      register: everything
"""

RETURN = r"""
tenants:
  description:
    - The tenants, ordered by cluster ID and tenant ID. Besides the keys below, every field OCP sends for the tenant
      is included in snake_case (for example C(ob_tenant_id), C(ob_version), C(primary_zone), C(locked),
      C(readonly), C(create_time), C(cluster_type); C(zones) when the tenant detail was read).
  returned: always
  type: list
  elements: dict
  contains:
    tenant_id:
      description: OCP ID of the tenant.
      type: int
      sample: 2000101
    name:
      description: Name of the tenant.
      type: str
      sample: trade_dr
    cluster_id:
      description: OCP ID of the tenant's cluster.
      type: int
      sample: 3000020
    cluster_name:
      description: Name of the tenant's cluster.
      type: str
      sample: obcluster_dr
    mode:
      description: Compatibility mode, V(MYSQL) or V(ORACLE).
      type: str
      sample: MYSQL
    status:
      description: OCP's status of the tenant (V(NORMAL), V(CREATING), V(MODIFYING), V(DELETING), ...).
      type: str
      sample: NORMAL
    role:
      description:
        - V(PRIMARY) or V(STANDBY); null when OCP gives no evidence (RV(tenants[].role_source=none)).
      type: str
      sample: STANDBY
    role_source:
      description:
        - Where RV(tenants[].role) comes from. V(tenant) is the tenant's C(tenantRole) field. V(tasks) is its latest
          role-changing task, which succeeded. V(precheck) is the failover precheck (O(precheck_unknown_roles)).
          V(none) means no evidence. See the notes.
      type: str
      sample: tasks
    running_task:
      description:
        - The tenant's role-changing OCP task that is RUNNING now, null when there is none.
      type: dict
      sample:
        id: 12022230
        name: Failover tenant
        status: RUNNING
        start_time: "2024-07-23T17:42:34.056+08:00"
        finish_time: null
        progress: {total: 5, successful: 2, running: 1, failed: 0, pending: 2}
      contains:
        id:
          description: OCP ID of the task.
          type: int
        name:
          description: Name of the task.
          type: str
        status:
          description: V(RUNNING).
          type: str
        start_time:
          description: When the task started, as OCP reports it.
          type: str
        finish_time:
          description: Null while the task runs.
          type: str
        progress:
          description: Counts of its subtasks by state (V(total), V(successful), V(running), V(failed), V(pending)).
          type: dict
    latest_role_task:
      description:
        - The tenant's latest role-changing OCP task, whatever its status (the running one, or a finished one);
          null when OCP has none for the tenant. Same keys as RV(tenants[].running_task).
      type: dict
      sample:
        id: 12022226
        name: Failover tenant
        status: SUCCESSFUL
        start_time: "2024-07-23T17:42:34.056+08:00"
        finish_time: "2024-07-23T17:44:02.311+08:00"
        progress: {total: 5, successful: 5, running: 0, failed: 0, pending: 0}
    precheck_error:
      description:
        - Why the failover precheck could not tell the role (OCP's error), when O(precheck_unknown_roles=true)
          prechecked the tenant and OCP refused the precheck with another error than C(OBE26013).
      type: str
      returned: when a precheck was refused
      sample: "POST /api/v2/ob/clusters/3000020/tenants/2000101/failoverPreCheck failed: HTTP 500 ..."
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.names import (
    entry_id,
    entry_name,
    resolve_cluster,
    resolve_tenants,
    tasks_named,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import TASK_RUNNING, progress
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    ROLE_CHANGING_TASK_NAMES,
    SOURCE_PRECHECK,
    TENANT_ROLE_FIELD,
    latest_role_change,
    role_changing_tasks_of,
    role_from_precheck,
    role_from_precheck_error,
    tenant_role,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import id_problems

ARGUMENT_SPEC = dict(
    cluster_id=dict(type="int"),
    cluster_name=dict(type="str"),
    tenant_id=dict(type="int"),
    name=dict(type="str"),
    precheck_unknown_roles=dict(type="bool", default=False),
)

# Prechecks take seconds each in OCP: run many at once, but not so many that OCP is flooded.
MAX_PARALLEL_PRECHECKS = 50


def input_problems(params):
    problems = []
    if (params["tenant_id"] is not None or params["name"] is not None) and \
            params["cluster_id"] is None and params["cluster_name"] is None:
        problems.append("tenant_id and name need the tenant's cluster: set cluster_id or cluster_name as well")
    for option in ("cluster_id", "tenant_id"):
        if params[option] is not None:
            problems += id_problems(option, [params[option]])
    for option in ("cluster_name", "name"):
        if params[option] == "":
            problems.append("%s must not be empty" % option)
    return problems


def read_tenants(client, cluster_id, tenant_id, name):
    """The raw tenants to report: one, the cluster's, or every tenant OCP manages; each once."""
    if cluster_id is None:
        raw = client.list_all_tenants()
    elif tenant_id is not None:
        raw = [client.get_tenant(cluster_id, tenant_id)]
    else:
        raw = client.list_tenants(cluster_id)
        if name is not None:
            resolved = resolve_tenants(client, cluster_id, [{"name": name}], option="name", tenants=raw)
            raw = [entry for entry in raw if entry_id(entry) == resolved[0]["tenant_id"]]
    # A list read over a page edge (OCP's lists have no documented default order) can repeat an entry.
    unique = dict((entry_id(entry), entry) for entry in raw if isinstance(entry, dict) and entry_id(entry) is not None)
    return sorted(unique.values(), key=lambda entry: (entry_id({"id": entry.get("clusterId")}) or 0, entry_id(entry)))


def task_summary(task):
    if task is None:
        return None
    return {"id": task.get("id"), "name": task.get("name"), "status": task.get("status"),
            "start_time": task.get("start_time"), "finish_time": task.get("finish_time"), "progress": progress(task)}


def tenant_entry(raw, cluster_name, history):
    """The result entry of one raw tenant: OCP's fields in snake_case, then the role and the tasks."""
    tenant_id = entry_id(raw)
    evidence = tenant_role(tenant_id, raw, history)
    running = [task for task in role_changing_tasks_of(tenant_id, history) if task.get("status") == TASK_RUNNING]
    entry = dict(
        tenant_id=tenant_id,
        name=entry_name(raw),
        cluster_id=entry_id({"id": raw.get("clusterId")}),
        cluster_name=raw.get("clusterName") or cluster_name,
        mode=raw.get("mode"),
        status=raw.get("status"),
        role=evidence.role,
        role_source=evidence.source,
        running_task=task_summary(running[-1] if running else None),
        latest_role_task=task_summary(latest_role_change(tenant_id, history)),
    )
    # Then whatever else OCP sent, in snake_case; the role field is reported as role (with its source) only.
    others = camel_dict_to_snake_dict(dict((key, value) for key, value in raw.items()
                                           if key not in ("id", TENANT_ROLE_FIELD)))
    for key, value in others.items():
        entry.setdefault(key, value)
    return entry


def precheck_roles(client, entries):
    """Fill in the role of each entry nothing decided, from the failover precheck (read-only, concurrent)."""
    undecided = [entry for entry in entries if entry["role"] is None and entry["running_task"] is None]

    def precheck(entry):
        try:
            answer = client.failover_precheck(entry["cluster_id"], entry["tenant_id"])
        except OcpApiError as error:
            role = role_from_precheck_error(error)
            return (role, None) if role is not None else (None, str(error))
        return role_from_precheck(answer.get("checkResults")), None

    for entry, (role, error) in zip(undecided, run_concurrently(precheck, undecided, MAX_PARALLEL_PRECHECKS)):
        if role is not None:
            entry.update(role=role, role_source=SOURCE_PRECHECK)
        else:
            entry["precheck_error"] = error


def run(module, client):
    params = module.params
    problems = input_problems(params)
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s." % "; ".join(problems))
    cluster_id = cluster_name = None
    if params["cluster_id"] is not None or params["cluster_name"] is not None:
        cluster_id, cluster_name = resolve_cluster(client, params["cluster_id"], params["cluster_name"])
    raw_tenants = read_tenants(client, cluster_id, params["tenant_id"], params["name"])
    filters = {}
    if cluster_id is not None:
        filters["clusterId"] = cluster_id
    if len(raw_tenants) == 1 and (params["tenant_id"] is not None or params["name"] is not None):
        filters["tenantId"] = entry_id(raw_tenants[0])
    # Without a cluster, one task list per task name for all of OCP: fewer requests than one per cluster.
    history = tasks_named(client, ROLE_CHANGING_TASK_NAMES, **filters) if raw_tenants else []
    entries = [tenant_entry(raw, cluster_name, history) for raw in raw_tenants]
    if params["precheck_unknown_roles"]:
        precheck_roles(client, entries)
    return False, {"tenants": entries}, None


def main():
    module = OcpModule(**ocp_module_kwargs(
        ARGUMENT_SPEC,
        mutually_exclusive=[["cluster_id", "cluster_name"], ["tenant_id", "name"]],
        supports_check_mode=True,
    ))
    run_module(module, run)


if __name__ == "__main__":
    main()
