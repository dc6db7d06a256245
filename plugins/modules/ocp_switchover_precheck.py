#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
module: ocp_switchover_precheck
short_description: Check whether OceanBase primary tenants and their standbys can swap roles (switchover)
version_added: 0.1.0
description:
  - Runs OCP's switchover precheck (C(POST /api/v2/ob/clusters/{id}/tenants/{tenantId}/switchoverPreCheck), whose body
    names the primary as C(tenantId) and its standby as C(standbyTenantId)) for one or more pairs of a primary tenant and its
    standby, and reports, per pair, whether OCP allows the switchover, which errors and warnings it found, and how
    far the standby lags behind.
  - The prechecks of several pairs run concurrently, one request per pair.
  - The precheck changes nothing, so the module always reports C(changed=false) and runs in check mode too.
extends_documentation_fragment:
  - oceanbase.ocp.connection
  - oceanbase.ocp.attributes
attributes:
  check_mode:
    support: full
    details:
      - The precheck changes nothing, so it runs the same way.
  diff_mode:
    support: none
options:
  cluster_id:
    description:
      - OCP ID of the cluster that holds the primary tenants of O(pairs).
    type: int
    required: true
  pairs:
    description:
      - The pairs to check, each a primary tenant of O(cluster_id) and its standby (in any cluster). At least one;
        a tenant in one pair only.
    type: list
    elements: dict
    required: true
    suboptions:
      tenant_id:
        description: OCP ID of the primary tenant.
        type: int
        required: true
      standby_tenant_id:
        description: OCP ID of its standby tenant, the one that would become the primary.
        type: int
        required: true
  fail_on_invalid:
    description:
      - V(true) makes the module fail when OCP refuses the switchover of a pair; the message lists every such pair
        with OCP's codes and messages, and RV(prechecks) is returned as well.
      - V(false) reports the outcome in RV(valid) and RV(prechecks) and succeeds.
    type: bool
    default: false
  max_concurrency:
    description:
      - How many pairs are prechecked at once, one request each (OCP can take seconds to answer one).
    type: int
    default: 50
notes:
  - OCP reports the findings of a switchover precheck in the standby's check results (C(standbyCheckResults));
    RV(prechecks[].errors) and RV(prechecks[].warnings) come from there, as in M(oceanbase.ocp.ocp_failover_precheck).
  - A pair whose roles do not allow a switchover (OCP's C(OBE26013), for example because it was switched over
    already) is reported as not valid with that error, whether OCP sends it as a check result or as an error
    answer. M(oceanbase.ocp.ocp_tenant_switchover) tells an already switched pair from one that cannot switch.
  - B(Synchronization lag.) RV(prechecks[].sync_lag_seconds) is the server time of the precheck answer (the
    C(timestamp) of OCP's response envelope, else the HTTP C(Date) header) minus the standby's C(syncScn) / 1e9;
    OceanBase 4.x SCNs are times in nanoseconds, and OCP's clock is used, never this host's. Null when
    C(syncScn) is absent or implausible (before 2000, or more than an hour ahead of OCP's clock). See
    docs/ocp-api.md in the collection.
seealso:
  - module: oceanbase.ocp.ocp_tenant_switchover
  - module: oceanbase.ocp.ocp_failover_precheck
requirements:
  - requests
author:
  - oceanbase.ocp maintainers (@oceanbase)
"""

EXAMPLES = r"""
# The connection comes from the OCP_API_URL and OCP_ACCESS_KEY_ID / OCP_ACCESS_KEY_SECRET environment variables.
- name: Precheck a DR drill
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Can the standbys take over?
      oceanbase.ocp.ocp_switchover_precheck:
        cluster_id: 3000001
        pairs:
          - {tenant_id: 1001, standby_tenant_id: 2000025}
          - {tenant_id: 1002, standby_tenant_id: 2000026}
      register: precheck

    - name: Show how far behind each standby is, and what OCP refuses
      ansible.builtin.debug:
        msg: "{{ precheck.prechecks | map(attribute='standby_name') | zip(precheck.prechecks | map(attribute='sync_lag_seconds'),
               precheck.prechecks | map(attribute='errors')) | list }}"

    - name: Stop unless every pair can switch over
      oceanbase.ocp.ocp_switchover_precheck:
        cluster_id: 3000001
        pairs: [{tenant_id: 1001, standby_tenant_id: 2000025}]
        fail_on_invalid: true
"""

RETURN = r"""
valid:
  description: Whether every pair may be switched over (OCP found no error in any, at most warnings).
  returned: success
  type: bool
  sample: true
prechecks:
  description:
    - One result per pair, in the order of O(pairs).
    - Also returned when O(fail_on_invalid=true) fails the module because a pair is not valid.
  returned: success
  type: list
  elements: dict
  contains:
    tenant_id:
      description: OCP ID of the primary tenant.
      type: int
      sample: 1001
    standby_tenant_id:
      description: OCP ID of the standby tenant.
      type: int
      sample: 2000025
    name:
      description: Name of the primary tenant; null when OCP refused the precheck with an error answer.
      type: str
      sample: ohayo
    cluster_id:
      description: OCP ID of the primary tenant's cluster.
      type: int
      sample: 3000001
    cluster_name:
      description: Name of the primary tenant's cluster, or null.
      type: str
      sample: OB424_P
    standby_name:
      description: Name of the standby tenant, or null.
      type: str
      sample: ohayo_2
    standby_cluster_id:
      description: OCP ID of the standby tenant's cluster, or null.
      type: int
      sample: 3000010
    standby_cluster_name:
      description: Name of the standby tenant's cluster, or null.
      type: str
      sample: OB424_A
    valid:
      description: Whether OCP allows the switchover of this pair.
      type: bool
      sample: true
    sync_scn:
      description: The standby's C(syncScn), the position (an OceanBase SCN) it has synchronized up to, or null.
      type: int
      sample: 1721727753000000000
    sync_lag_seconds:
      description:
        - How many seconds the standby lags behind its primary at the time of the answer, rounded to milliseconds;
          null when unknown (see the notes).
      type: float
      sample: 1.52
    errors:
      description: Check results that block the switchover, each with C(error_code) and C(error_message).
      type: list
      elements: dict
      sample: [{error_code: OBE26021, error_message: "The operation is not supported because the primary tenant ohayo cannot be connected."}]
    warnings:
      description: Check results that do not block it, each with C(error_code) and C(error_message).
      type: list
      elements: dict
      sample: []
error:
  description:
    - When the module fails because of an OCP API call, its details (C(status), C(code), C(message),
      C(trace_id), C(method), C(path)), as for every module of the collection.
  returned: failure
  type: dict
"""

from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.precheck import findings, invalid_message
from ansible_collections.oceanbase.ocp.plugins.module_utils.switchover import PAIRS_OPTION, pair_problems
from ansible_collections.oceanbase.ocp.plugins.module_utils.sync_lag import scn_value, sync_lag_seconds
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import NOT_STANDBY_CODE


def standby_result(raw, standby_tenant_id):
    """The standby's ObTenantPreCheckResult: docs/ocp-api.md cannot settle whether standbyCheckResults is one object
    or a list, so both are read (in a list, the standby's entry, else the first)."""
    found = raw.get("standbyCheckResults")
    if isinstance(found, list):
        entries = [entry for entry in found if isinstance(entry, dict)]
        found = next((entry for entry in entries if entry.get("tenantId") == standby_tenant_id), entries[0] if entries else None)
    return found if isinstance(found, dict) else {}


def precheck_entry(pair, raw, answered_at):
    """A SwitchoverPreCheckResult (camelCase; the primary's identity, the standby's results) as the module's entry."""
    standby = standby_result(raw, pair["standby_tenant_id"])
    errors, warnings = findings(standby.get("checkResults"))
    scn = scn_value(standby.get("syncScn"))
    return dict(
        tenant_id=pair["tenant_id"], standby_tenant_id=pair["standby_tenant_id"],
        name=raw.get("name"), cluster_id=raw.get("clusterId"), cluster_name=raw.get("clusterName"),
        standby_name=standby.get("name"), standby_cluster_id=standby.get("clusterId"),
        standby_cluster_name=standby.get("clusterName"),
        # Fails closed: an answer that says valid but lists an error is not valid.
        valid=raw.get("valid") is True and not errors,
        sync_scn=scn if scn is not None else standby.get("syncScn"), sync_lag_seconds=sync_lag_seconds(scn, answered_at),
        errors=errors, warnings=warnings,
    )


def precheck_pair(client, cluster_id, pair):
    try:
        raw, answered_at = client.switchover_precheck_answer(cluster_id, pair["tenant_id"], pair["standby_tenant_id"])
    except OcpApiError as error:
        if error.code != NOT_STANDBY_CODE:
            raise
        # OBE26013 as an error answer rather than a check result: the same finding.
        raw, answered_at = {"clusterId": cluster_id, "valid": False, "standbyCheckResults": {
            "checkResults": [{"errorCode": error.code, "errorMessage": error.message}]}}, None
    return precheck_entry(pair, raw, answered_at)


def run(module, client):
    params = module.params
    problems = pair_problems(params["cluster_id"], params["pairs"])
    if params["max_concurrency"] < 1:
        problems.append("max_concurrency must be at least 1, got %d" % params["max_concurrency"])
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s." % "; ".join(problems))
    prechecks = run_concurrently(lambda pair: precheck_pair(client, params["cluster_id"], pair), params["pairs"],
                                 params["max_concurrency"])
    result = dict(valid=all(precheck["valid"] for precheck in prechecks), prechecks=prechecks)
    if params["fail_on_invalid"] and not result["valid"]:
        module.fail_json(msg=invalid_message("Switchover", prechecks, pair_label, unit="pairs"), **result)
    return False, result, None


def pair_label(precheck):
    return "pair %s (%s) -> %s (%s)" % (precheck["tenant_id"], precheck["name"] or "?", precheck["standby_tenant_id"],
                                        precheck["standby_name"] or "?")


def main():
    module = OcpModule(**ocp_module_kwargs(dict(
        cluster_id=dict(type="int", required=True),
        pairs=PAIRS_OPTION,
        fail_on_invalid=dict(type="bool", default=False),
        max_concurrency=dict(type="int", default=50),
    ), supports_check_mode=True))
    # One keep-alive connection per request that can be under way at once, and no more.
    run_module(module, run, pool_size=max(1, min(module.params["max_concurrency"], len(module.params["pairs"]))))


if __name__ == "__main__":
    main()
