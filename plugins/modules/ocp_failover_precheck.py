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
  - The prechecks of several tenants run concurrently, so checking many tenants takes about as long as checking
    the slowest one.
  - The precheck changes nothing, so the module always reports C(changed=false) and runs in check mode too.
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
    type: int
    required: true
  tenant_id:
    description:
      - OCP ID of the standby tenant to check.
      - Exactly one of O(tenant_id) or O(tenant_ids) is required.
    type: int
  tenant_ids:
    description:
      - OCP IDs of the standby tenants to check, all in O(cluster_id). Must not be empty or hold duplicates.
      - Exactly one of O(tenant_id) or O(tenant_ids) is required.
    type: list
    elements: int
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
valid:
  description: Whether every tenant checked may be failed over (OCP found no error, only warnings if any).
  returned: success
  type: bool
  sample: false
prechecks:
  description:
    - One precheck result per tenant, in the order of O(tenant_ids) (or the single O(tenant_id)).
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
      description: OCP's C(syncScn), the synchronization point (latency) of the standby tenant; null when OCP omits it.
      type: int
      sample: 1721727753000000000
    primary_tenant_service_name:
      description: Service name of the primary tenant; null when OCP omits it.
      type: str
      sample: SERVICE_C
    errors:
      description: Precheck results that block the failover.
      type: list
      elements: dict
      contains:
        error_code:
          description: OCP error code.
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


from ansible_collections.oceanbase.ocp.plugins.module_utils.common import OcpModule, ocp_module_kwargs, run_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.precheck import findings
from ansible_collections.oceanbase.ocp.plugins.module_utils.precheck import invalid_message as shared_invalid_message
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import id_problems


def precheck_entry(tenant_id, raw):
    """Shape OCP's ObTenantPreCheckResult (camelCase) into the module's snake_case result."""
    errors, warnings = findings(raw.get("checkResults"))
    return dict(
        tenant_id=raw.get("tenantId", tenant_id),
        name=raw.get("name"),
        cluster_id=raw.get("clusterId"),
        cluster_name=raw.get("clusterName"),
        valid=raw.get("valid") is True,
        sync_scn=raw.get("syncScn"),
        primary_tenant_service_name=raw.get("primaryTenantServiceName"),
        errors=errors,
        warnings=warnings,
    )


def invalid_message(prechecks):
    return shared_invalid_message("Failover", prechecks, lambda precheck: "tenant %s%s" % (
        precheck["tenant_id"], " (%s)" % precheck["name"] if precheck["name"] else ""))


def requested_tenant_ids(module):
    """The tenant IDs to check, in order; fails the module before any request if they are unusable."""
    params = module.params
    tenant_ids = [params["tenant_id"]] if params["tenant_id"] is not None else params["tenant_ids"]
    problems = id_problems("cluster_id", [params["cluster_id"]])
    if params["max_concurrency"] < 1:
        problems.append("max_concurrency must be at least 1, got %d" % params["max_concurrency"])
    if not tenant_ids:
        problems.append("tenant_ids must list at least one tenant ID")
    duplicates = sorted(set(tenant_id for tenant_id in tenant_ids if tenant_ids.count(tenant_id) > 1))
    if duplicates:
        problems.append("tenant_ids lists these tenant IDs more than once: %s" % ", ".join(map(str, duplicates)))
    problems += id_problems("tenant_id" if params["tenant_id"] is not None else "tenant_ids", tenant_ids)
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s." % "; ".join(problems))
    return tenant_ids


def run(module, client):
    cluster_id = module.params["cluster_id"]
    tenant_ids = requested_tenant_ids(module)
    raw_results = run_concurrently(
        lambda tenant_id: client.failover_precheck(cluster_id, tenant_id), tenant_ids, module.params["max_concurrency"]
    )
    prechecks = [precheck_entry(tenant_id, raw) for tenant_id, raw in zip(tenant_ids, raw_results)]
    result = dict(valid=all(precheck["valid"] for precheck in prechecks), prechecks=prechecks)
    if module.params["fail_on_invalid"] and not result["valid"]:
        module.fail_json(msg=invalid_message(prechecks), **result)
    return False, result, None


def main():
    module = OcpModule(
        **ocp_module_kwargs(
            dict(
                cluster_id=dict(type="int", required=True),
                tenant_id=dict(type="int"),
                tenant_ids=dict(type="list", elements="int"),
                fail_on_invalid=dict(type="bool", default=False),
                max_concurrency=dict(type="int", default=50),
            ),
            mutually_exclusive=[["tenant_id", "tenant_ids"]],
            required_one_of=[["tenant_id", "tenant_ids"]],
            supports_check_mode=True,
        )
    )
    # One keep-alive connection per request that can be under way at once, and no more.
    tenant_count = len(module.params["tenant_ids"] or [module.params["tenant_id"]])
    run_module(module, run, pool_size=max(1, min(module.params["max_concurrency"], tenant_count)))


if __name__ == "__main__":
    main()
