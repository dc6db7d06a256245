#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: ocp_failover_precheck
short_description: Check whether OceanBase standby tenants can be failed over to primary
version_added: 0.1.0
description:
  - Runs OCP's failover precheck (C(POST /api/v2/ob/clusters/{id}/tenants/{tenantId}/failoverPreCheck)) for one
    or more standby tenants of an OCP-managed OceanBase cluster and reports, per tenant, whether a failover is
    allowed and which errors and warnings OCP found.
  - The cluster and the tenants can be given by OCP ID or by name; names are looked up exactly in OCP's lists before
    any precheck is sent.
  - The prechecks of several tenants run concurrently, so checking many tenants takes about as long as checking
    the slowest one.
  - The precheck changes nothing, so the module always reports C(changed=false) and runs in check mode too.
  - Reports how many seconds each standby lags behind (RV(prechecks[].sync_lag_seconds)) and, with
    O(max_sync_lag_seconds), refuses a tenant that lags more, which guards the data a failover may lose (RPO).
  - A tenant that is not a standby (OCP error C(OBE26013), "not allowed because the tenant's role is ...") is
    reported with its role, whether OCP sends that error as a precheck result or as an error answer; the module
    does not fail on it.
author:
  - oceanbase.ocp maintainers (@oceanbase)
requirements:
  - requests
extends_documentation_fragment:
  - oceanbase.ocp.connection
attributes:
  check_mode:
    description: Can run in check mode; the precheck changes nothing, so it runs the same way.
    support: full
  diff_mode:
    description: Returns no diff.
    support: none
options:
  cluster_id:
    description:
      - OCP ID of the cluster that holds the standby tenants.
      - Exactly one of O(cluster_id) and O(cluster_name) is required.
    type: int
  cluster_name:
    description:
      - Name of the OCP cluster that holds the standby tenants, instead of O(cluster_id).
      - Compared exactly (OCP's own name filter also matches parts of names). A name that no cluster has, or that
        several clusters share, fails the module before any precheck is sent, with the similar names or the IDs.
    type: str
  tenant_id:
    description:
      - OCP ID of the standby tenant to check.
      - Exactly one of O(tenant_id), O(tenant_ids) and O(tenant_names) is required.
    type: int
  tenant_ids:
    description:
      - OCP IDs of the standby tenants to check, all in the cluster. Must not be empty or hold duplicates.
      - Exactly one of O(tenant_id), O(tenant_ids) and O(tenant_names) is required.
    type: list
    elements: int
  tenant_names:
    description:
      - Names of the standby tenants to check, all in the cluster, instead of their IDs. Must not be empty or hold
        duplicates.
      - Resolved in the cluster's tenant list (C(GET /api/v2/ob/clusters/{id}/tenants), every page) and compared
        exactly, so V(t1) never selects C(t10). Unknown names (listed with the similar names OCP has) and names
        several tenants share (listed with their IDs) fail the module before any precheck is sent, every problem in
        one message.
      - Exactly one of O(tenant_id), O(tenant_ids) and O(tenant_names) is required.
    type: list
    elements: str
  fail_on_invalid:
    description:
      - Fail when any tenant may not be failed over, with a message that names each such tenant and OCP's
        error codes and messages. RV(prechecks) is returned either way.
      - When V(false), the module succeeds and reports the outcome in RV(valid) and RV(prechecks).
    type: bool
    default: false
  max_concurrency:
    description:
      - Most prechecks to run at the same time. Each precheck can take several seconds in OCP.
    type: int
    default: 50
  batch:
    description:
      - Ask OCP's batch failover precheck first (C(POST /api/v2/ob/clusters/{id}/tenants/failoverPreCheck), one
        request for the cluster), and precheck one by one only the tenants its answer does not cover.
      - OCP documents that endpoint's answer as B(one) tenant's precheck result and says nothing of how several
        tenants are reported; an answer that lists several (C(data.contents)) is taken tenant by tenant. So with
        OCP as documented this spares one request, and with an OCP that lists every standby, all but one.
        RV(batch_prechecked) says which tenants it answered.
      - When the endpoint fails (an OCP without it), the module warns and prechecks every tenant on its own.
      - V(false) (the default) prechecks every tenant on its own, as documented.
    type: bool
    default: false
  max_sync_lag_seconds:
    description:
      - The most seconds a standby may lag behind its primary (RV(prechecks[].sync_lag_seconds)), that is the data a
        failover may lose, the recovery point objective (RPO) you accept.
      - A standby that lags more gets the error C(SYNC_LAG_TOO_HIGH) in RV(prechecks[].errors) and is not valid.
      - A standby whose lag is unknown (OCP sent no plausible C(syncScn)) gets the error C(SYNC_LAG_UNKNOWN) and is
        not valid either, since the bound cannot be checked. Leave this option unset to precheck without the bound.
      - Tenants that are not standbys (C(OBE26013)) are not checked against it.
      - Not set by default (no bound). Must be zero or more.
    type: float
notes:
  - B(Synchronization lag.) OCP's C(syncScn) is the position (an OceanBase SCN) the standby has synchronized up to; in
    OceanBase 4.x an SCN is a time in nanoseconds since the epoch. The lag is the server time of the precheck answer
    (the C(timestamp) of OCP's response envelope, else the HTTP C(Date) header) minus C(syncScn) / 1e9, so the
    clock of the host running the module plays no part. The lag includes the time the precheck itself took in OCP,
    so it errs on the high side.
  - A C(syncScn) counts as plausible when it is an integer (or a string of digits) that, read as nanoseconds since
    the epoch, falls between 2000-01-01 and one hour after the server time of the answer. Anything else (absent,
    null, 0, OceanBase's C(SCN_MAX), a string that is not a number) gives a lag of null. A standby a little ahead of
    OCP's clock (skew between OceanBase and OCP) gets a lag of 0.
  - B(Tenant role.) A precheck of a tenant that is not a standby is refused by OCP with C(OBE26013). The module reports
    such a tenant with RV(prechecks[].role=PRIMARY) (or the role OCP's message names), RV(prechecks[].valid=false)
    and that error, and goes on with the other tenants. M(oceanbase.ocp.ocp_tenant_failover) then decides whether
    the tenant is already primary or has a failover under way.
  - OCP's API reference for the precheck, and what the collection assumes beyond it, are in the collection's
    C(docs/ocp-api.md).
"""

EXAMPLES = r"""
# The access key comes from the environment: export OCP_ACCESS_KEY_ID and OCP_ACCESS_KEY_SECRET
# before running the playbook (the connection options fall back to OCP_* variables).
- name: Precheck a failover of standby tenants
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
  tasks:
    - name: Check that the standby tenants can take over
      oceanbase.ocp.ocp_failover_precheck:
        cluster_id: 3000010
        tenant_ids: [2000025, 2000026, 2000027]
      register: precheck

    - name: Show why a tenant may not fail over
      ansible.builtin.debug:
        msg: >-
          Tenant {{ item.name }} ({{ item.tenant_id }}):
          {{ item.errors | map(attribute='error_code') | join(', ') }}
      loop: "{{ precheck.prechecks | rejectattr('valid') }}"
      loop_control:
        label: "{{ item.tenant_id }}"

    - name: Fail over only the tenants that passed
      ansible.builtin.set_fact:
        tenants_to_fail_over: "{{ precheck.prechecks | selectattr('valid') | map(attribute='tenant_id') }}"

- name: Refuse standbys that lag more than the RPO allows
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
  tasks:
    - name: Precheck with a bound on the data a failover may lose
      oceanbase.ocp.ocp_failover_precheck:
        cluster_id: 3000010
        tenant_ids: [2000025, 2000026]
        max_sync_lag_seconds: 30
      register: precheck

    - name: Show how far behind each standby is
      ansible.builtin.debug:
        msg: "{{ item.name }}: {{ item.sync_lag_seconds }} s behind ({{ item.role }})"
      loop: "{{ precheck.prechecks }}"
      loop_control:
        label: "{{ item.tenant_id }}"

- name: Precheck tenants by name
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/oceanbase.ocp.ocp:
      api_url: https://ocp.example.com:8080
  tasks:
    - name: Check the standby tenants trade_dr and pay_dr of the cluster obcluster_dr
      oceanbase.ocp.ocp_failover_precheck:
        cluster_name: obcluster_dr
        tenant_names: [trade_dr, pay_dr]
      register: precheck

    - name: Show the OCP ids the names stand for
      ansible.builtin.debug:
        msg: "cluster {{ precheck.cluster_id }}: {{ precheck.prechecks | items2dict(key_name='name', value_name='tenant_id') }}"

- name: Stop a disaster-recovery play early unless every standby tenant can take over
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Precheck, failing with the reasons if any tenant is not ready
      oceanbase.ocp.ocp_failover_precheck:
        api_url: https://ocp.example.com:8080
        username: "{{ ocp_user }}"
        password: "{{ ocp_password }}"
        ca_path: /etc/pki/ocp-ca.pem
        cluster_id: 3000010
        tenant_id: 2000025
        fail_on_invalid: true
"""

RETURN = r"""
cluster_id:
  description: ID of the OCP cluster, as given or as looked up from O(cluster_name).
  returned: success
  type: int
  sample: 3000010
batch_prechecked:
  description:
    - The tenants whose results came from OCP's batch failover precheck (O(batch=true)); the others were prechecked
      one by one.
  returned: when O(batch=true)
  type: list
  elements: int
  sample: [2000025, 2000026]
valid:
  description: Whether every tenant checked may be failed over (OCP found no error, only warnings if any).
  returned: success
  type: bool
  sample: false
prechecks:
  description:
    - One precheck result per tenant, in the order of O(tenant_ids) or O(tenant_names) (or the single
      O(tenant_id)).
    - Also returned when O(fail_on_invalid=true) fails the module because a tenant is not valid.
  returned: success
  type: list
  elements: dict
  contains:
    tenant_id:
      description: OCP ID of the standby tenant.
      type: int
      sample: 2000025
    name:
      description: Name of the standby tenant.
      type: str
      sample: ohayo_2
    cluster_id:
      description: OCP ID of the cluster of the standby tenant.
      type: int
      sample: 3000010
    cluster_name:
      description: Name of the cluster of the standby tenant.
      type: str
      sample: OB424_A
    valid:
      description: Whether OCP allows a failover of this tenant.
      type: bool
      sample: false
    sync_scn:
      description:
        - OCP's C(syncScn), the position (an OceanBase SCN, nanoseconds since the epoch) the standby tenant has
          synchronized up to; null when OCP omits it.
      type: int
      sample: 1721727753000000000
    sync_lag_seconds:
      description:
        - How many seconds the standby lags behind, the server time of the precheck answer minus C(syncScn) / 1e9,
          rounded to milliseconds (see the notes).
        - Null when C(syncScn) is absent or not a plausible SCN, or when the answer carried no server time.
      type: float
      sample: 0.754
    role:
      description:
        - The tenant's role as the precheck proves it. C(STANDBY) when OCP examined the tenant as a standby;
          C(PRIMARY) (or the role OCP's message names) when OCP refused with C(OBE26013).
      type: str
      choices: [PRIMARY, STANDBY]
      sample: STANDBY
    role_source:
      description: Where RV(prechecks[].role) comes from; always C(precheck) for this module.
      type: str
      choices: [precheck]
      sample: precheck
    primary_tenant_service_name:
      description: Service name of the primary tenant; null when OCP omits it.
      type: str
      sample: SERVICE_C
    errors:
      description:
        - Precheck results that block the failover.
        - Besides OCP's codes, C(SYNC_LAG_TOO_HIGH) and C(SYNC_LAG_UNKNOWN) from O(max_sync_lag_seconds).
      type: list
      elements: dict
      contains:
        error_code:
          description: OCP error code, or C(SYNC_LAG_TOO_HIGH) / C(SYNC_LAG_UNKNOWN).
          type: str
          sample: OBE26107
        error_message:
          description: OCP error message.
          type: str
          sample: A failover is not allowed because the primary tenant can still be connected.
    warnings:
      description: Precheck results that do not block the failover.
      type: list
      elements: dict
      contains:
        error_code:
          description: OCP error code.
          type: str
          sample: OBE26007
        error_message:
          description: OCP error message.
          type: str
          sample: Log stream synchronization of the tenant is abnormal.
error:
  description: Details of the failed OCP API call, when the module fails because of one.
  returned: failure
  type: dict
  contains:
    status:
      description: HTTP status, null when no answer came back.
      type: int
      sample: 404
    code:
      description: OCP error code.
      type: str
      sample: OBE21002
    message:
      description: OCP's error message, or what went wrong in transport.
      type: str
      sample: Tenant not found in cluster.
    trace_id:
      description: OCP's traceId of the request, to find it in OCP's server log.
      type: str
      sample: 8a4d817ee7e5aed8
    method:
      description: HTTP method of the failed call.
      type: str
      sample: POST
    path:
      description: API path of the failed call.
      type: str
      sample: /api/v2/ob/clusters/3000010/tenants/2000025/failoverPreCheck
"""


import math

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.names import resolve_cluster, resolve_tenants
from ansible_collections.oceanbase.ocp.plugins.module_utils.precheck import findings
from ansible_collections.oceanbase.ocp.plugins.module_utils.precheck import invalid_message as shared_invalid_message
from ansible_collections.oceanbase.ocp.plugins.module_utils.sync_lag import scn_value, sync_lag_seconds
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    NOT_STANDBY_CODE,
    ROLE_STANDBY,
    SOURCE_PRECHECK,
    role_from_precheck,
    role_from_precheck_error,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import id_problems

SYNC_LAG_TOO_HIGH = "SYNC_LAG_TOO_HIGH"
SYNC_LAG_UNKNOWN = "SYNC_LAG_UNKNOWN"


def precheck_entry(tenant_id, raw, answered_at=None):
    """Shape OCP's ObTenantPreCheckResult (camelCase) into the module's snake_case result."""
    check_results = raw.get("checkResults") or []
    errors, warnings = findings(check_results)
    scn = scn_value(raw.get("syncScn"))
    return dict(
        tenant_id=raw.get("tenantId", tenant_id),
        name=raw.get("name"),
        cluster_id=raw.get("clusterId"),
        cluster_name=raw.get("clusterName"),
        valid=raw.get("valid") is True,
        sync_scn=scn if scn is not None else raw.get("syncScn"),
        sync_lag_seconds=sync_lag_seconds(scn, answered_at),
        primary_tenant_service_name=raw.get("primaryTenantServiceName"),
        errors=errors,
        warnings=warnings,
        role=role_from_precheck(check_results),
        role_source=SOURCE_PRECHECK,
    )


def not_standby_entry(cluster_id, tenant_id, error, role):
    """The entry of a tenant whose precheck OCP refused with an OBE26013 error answer: not a standby."""
    return dict(
        tenant_id=tenant_id,
        name=None,
        cluster_id=cluster_id,
        cluster_name=None,
        valid=False,
        sync_scn=None,
        sync_lag_seconds=None,
        primary_tenant_service_name=None,
        errors=[dict(error_code=NOT_STANDBY_CODE, error_message=error.message)],
        warnings=[],
        role=role,
        role_source=SOURCE_PRECHECK,
    )


def apply_lag_bound(entry, bound):
    """Add SYNC_LAG_TOO_HIGH / SYNC_LAG_UNKNOWN to a standby's errors when max_sync_lag_seconds is set."""
    if bound is None or entry["role"] != ROLE_STANDBY:
        return entry
    lag = entry["sync_lag_seconds"]
    if lag is None:
        entry["errors"].append(dict(error_code=SYNC_LAG_UNKNOWN, error_message=(
            "The synchronization lag is unknown (OCP sent no plausible syncScn: %s), so max_sync_lag_seconds %g"
            " cannot be checked; unset it to go on without the bound." % (entry["sync_scn"], bound))))
    elif lag > bound:
        entry["errors"].append(dict(error_code=SYNC_LAG_TOO_HIGH, error_message=(
            "The standby lags %.3f s behind its primary (syncScn %s), above max_sync_lag_seconds %g: a failover"
            " now would lose up to that much data." % (lag, entry["sync_scn"], bound))))
    else:
        return entry
    entry["valid"] = False
    return entry


def invalid_message(prechecks):
    return shared_invalid_message("Failover", prechecks, lambda precheck: "tenant %s%s" % (
        precheck["tenant_id"], " (%s)" % precheck["name"] if precheck["name"] else ""))


def requested_tenants(module):
    """(option, values): the option that names the tenants to check and its values, in order; fails the module
    before any request if they are unusable (names are resolved later, in OCP's lists)."""
    params = module.params
    if params["tenant_names"] is not None:
        option, tenants = "tenant_names", params["tenant_names"]
    elif params["tenant_id"] is not None:
        option, tenants = "tenant_id", [params["tenant_id"]]
    else:
        option, tenants = "tenant_ids", params["tenant_ids"]
    problems = id_problems("cluster_id", [params["cluster_id"]]) if params["cluster_id"] is not None else []
    if params["max_concurrency"] < 1:
        problems.append("max_concurrency must be at least 1, got %d" % params["max_concurrency"])
    bound = params["max_sync_lag_seconds"]
    if bound is not None and (isinstance(bound, bool) or not math.isfinite(bound) or bound < 0):
        problems.append("max_sync_lag_seconds must be a number of seconds, zero or more, got %s" % bound)
    kind = "names" if option == "tenant_names" else "IDs"
    if not tenants:
        problems.append("%s must list at least one tenant %s" % (option, kind[:-1]))
    duplicates = sorted(set(tenant for tenant in tenants if tenants.count(tenant) > 1), key=str)
    if duplicates:
        problems.append("%s lists these tenant %s more than once: %s" % (option, kind, ", ".join(map(str, duplicates))))
    if option == "tenant_names":
        problems += ["tenant_names[%d] is an empty name" % index for index, name in enumerate(tenants) if not name]
    else:
        problems += id_problems(option, tenants)
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s." % "; ".join(problems))
    return option, tenants


def resolve(client, params, option, tenants):
    """(cluster_id, cluster_name or None, [(tenant_id, name or None)]): the cluster and the tenants to check, names looked up in OCP's lists
    (names.py: compared exactly, every problem in one NameResolutionError). Tenants given by ID are not looked up:
    the precheck answer names them."""
    cluster_id, cluster_name = resolve_cluster(client, params["cluster_id"], params["cluster_name"])
    if option != "tenant_names":
        return cluster_id, cluster_name, [(tenant_id, None) for tenant_id in tenants]
    resolved = resolve_tenants(client, cluster_id, [dict(name=name) for name in tenants], option)
    return cluster_id, cluster_name, [(item["tenant_id"], item["name"]) for item in resolved]


def named(entry, name, cluster_name):
    """The names the caller gave, where OCP's answer has none (an OBE26013 error answer names nothing)."""
    entry["name"] = entry["name"] or name
    entry["cluster_name"] = entry["cluster_name"] or cluster_name
    return entry


def precheck_one(client, cluster_id, cluster_name, tenant, bound):
    tenant_id, name = tenant
    try:
        raw, answered_at = client.failover_precheck_answer(cluster_id, tenant_id)
    except OcpApiError as error:
        # OCP's docs do not settle whether OBE26013 comes as a check result or as an error answer: both count.
        role = role_from_precheck_error(error)
        if role is None:
            raise
        entry = not_standby_entry(cluster_id, tenant_id, error, role)
    else:
        entry = apply_lag_bound(precheck_entry(tenant_id, raw, answered_at), bound)
    return named(entry, name, cluster_name)


def batch_prechecks(module, client, cluster_id, cluster_name, tenants, bound):
    """tenant id -> precheck entry, for the requested tenants that OCP's batch precheck answered (one request).

    Its multi-tenant answer is not documented (docs/ocp-api.md, BFP): the documented one holds one tenant, so the
    others are left to the per-tenant precheck. When the endpoint fails (an OCP without it), every tenant is; auth
    and permission errors end the run as anywhere else."""
    try:
        answers, answered_at = client.batch_failover_precheck_answer(cluster_id)
    except OcpApiError as error:
        if error.status in (401, 403):
            raise
        module.warn("The batch failover precheck of cluster %s failed (%s): every tenant is prechecked on its own"
                    " instead." % (cluster_id, error))
        return {}
    names = dict(tenants)
    found = {}
    for raw in answers:
        tenant_id = raw.get("tenantId")
        if tenant_id in names and tenant_id not in found and not isinstance(tenant_id, bool):
            found[tenant_id] = named(apply_lag_bound(precheck_entry(tenant_id, raw, answered_at), bound),
                                     names[tenant_id], cluster_name)
    return found


def run(module, client):
    option, tenants = requested_tenants(module)
    cluster_id, cluster_name, tenants = resolve(client, module.params, option, tenants)
    bound = module.params["max_sync_lag_seconds"]
    batch = batch_prechecks(module, client, cluster_id, cluster_name, tenants, bound) if module.params["batch"] else {}
    one_by_one = [tenant for tenant in tenants if tenant[0] not in batch]
    answered = dict(zip([tenant[0] for tenant in one_by_one], run_concurrently(
        lambda tenant: precheck_one(client, cluster_id, cluster_name, tenant, bound), one_by_one,
        module.params["max_concurrency"])))
    answered.update(batch)
    prechecks = [answered[tenant_id] for tenant_id, dummy in tenants]
    result = dict(cluster_id=cluster_id, valid=all(precheck["valid"] for precheck in prechecks), prechecks=prechecks)
    if module.params["batch"]:
        result["batch_prechecked"] = [tenant_id for tenant_id, dummy in tenants if tenant_id in batch]
    if module.params["fail_on_invalid"] and not result["valid"]:
        module.fail_json(msg=invalid_message(prechecks), **result)
    return False, result, None


def main():
    module = OcpModule(
        **ocp_module_kwargs(
            dict(
                cluster_id=dict(type="int"),
                cluster_name=dict(type="str"),
                tenant_id=dict(type="int"),
                tenant_ids=dict(type="list", elements="int"),
                tenant_names=dict(type="list", elements="str"),
                fail_on_invalid=dict(type="bool", default=False),
                max_concurrency=dict(type="int", default=50),
                max_sync_lag_seconds=dict(type="float"),
                batch=dict(type="bool", default=False),
            ),
            mutually_exclusive=[["cluster_id", "cluster_name"], ["tenant_id", "tenant_ids", "tenant_names"]],
            required_one_of=[["cluster_id", "cluster_name"], ["tenant_id", "tenant_ids", "tenant_names"]],
            supports_check_mode=True,
        )
    )
    # One keep-alive connection per request that can be under way at once, and no more.
    tenant_count = len(module.params["tenant_ids"] or module.params["tenant_names"] or [module.params["tenant_id"]])
    run_module(module, run, pool_size=max(1, min(module.params["max_concurrency"], tenant_count)))


if __name__ == "__main__":
    main()
