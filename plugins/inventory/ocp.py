# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
name: ocp
short_description: OceanBase tenants managed by OCP, as inventory hosts grouped by cluster and role
version_added: 0.1.0
description:
  - Reads the OceanBase clusters and tenants an OceanBase Cloud Platform (OCP) manages and makes one host per
    tenant, named C(<cluster name>.<tenant name>), in the groups C(ocp_cluster_<cluster name>) and, when its role
    is known, C(ocp_role_primary) or C(ocp_role_standby). Group names are sanitised as Ansible requires.
  - With O(host_per=cluster), one host per cluster instead, carrying its tenants in C(ocp_tenants), so that a
    cluster's tenants always travel together (AWX job slicing splits hosts, never a host).
  - Host variables (tenant hosts) C(ocp_cluster_id), C(ocp_cluster_name), C(ocp_tenant_id), C(ocp_tenant_name),
    C(ocp_tenant_role) (V(PRIMARY), V(STANDBY), or null when OCP gives no evidence), C(ocp_tenant_role_source)
    (V(tenant), V(tasks) or V(none), as the modules' C(role_source)), C(ocp_tenant_mode), C(ocp_tenant_status),
    C(ocp_api_url) (the OCP the host came from, which the role M(oceanbase.ocp.tenant_failover) connects to) and
    C(ansible_connection=local).
  - Host variables (cluster hosts) C(ocp_cluster_id), C(ocp_cluster_name), C(ocp_api_url),
    C(ansible_connection=local) and C(ocp_tenants), a list of C({tenant_id, tenant_name, tenant_role,
    tenant_role_source, tenant_mode, tenant_status}).
  - Where a role comes from. OCP documents no tenant-level role field. The role is the tenant's C(tenantRole)
    field when OCP sends it, else what the tenant's latest role-changing OCP task proves (a successful
    C(Failover tenant) task makes it primary, a successful switchover submitted for it a standby); a running or
    failed latest task, or no task at all, leaves it null. It is never guessed, and no precheck is run.
  - Requests grow with pages, not tenants. One cluster list; the tenants of all clusters (C(GET /api/v2/ob/tenants))
    or, with O(clusters), of each selected cluster; and, only for clusters with a tenant whose role OCP does not
    report, one task list per cluster and role-changing task name. Lists are read 2000 entries a page, OCP's
    largest page.
  - Uses a YAML configuration file whose name ends with C(ocp.yml) or C(ocp.yaml).
author:
  - oceanbase.ocp maintainers (@oceanbase)
requirements:
  - requests
extends_documentation_fragment:
  - constructed
  - inventory_cache
  - oceanbase.ocp.connection.plugins
options:
  plugin:
    description: The name of this plugin; makes the file a configuration of it.
    required: true
    type: str
    choices:
      - oceanbase.ocp.ocp
  clusters:
    description:
      - Only these clusters, each given by its OCP id or by a name pattern (shell-style C(*), C(?), C([...]),
        matched against the whole cluster name, case-sensitive). Empty means every cluster.
      - An id or a name without wildcards that matches no cluster is reported as a warning.
    type: list
    elements: str
    default: []
  tenant_names:
    description:
      - Only tenants whose name matches one of these shell-style patterns (whole name, case-sensitive). Empty
        means every tenant.
    type: list
    elements: str
    default: []
  tenant_roles:
    description:
      - Only tenants with one of these roles; V(UNKNOWN) stands for a tenant without role evidence (null
        C(ocp_tenant_role)). Empty means every tenant.
    type: list
    elements: str
    choices:
      - PRIMARY
      - STANDBY
      - UNKNOWN
    default: []
  host_per:
    description:
      - V(tenant), one host per tenant; V(cluster), one host per cluster (named after the cluster) that carries its
        tenants in C(ocp_tenants).
      - Use V(cluster) where hosts are split without regard to clusters, such as AWX job slicing, and the
        playbook must still send one failover request per cluster (README, "A whole fleet").
    type: str
    choices:
      - tenant
      - cluster
    default: tenant
notes:
  - Errors (authentication, an unreachable OCP, TLS) fail the inventory source with one line that says what to
    do; ansible-inventory and ansible-playbook then report the source as not parsed. Secrets never appear in
    output, nor in the cache or host variables.
  - The cache holds the tenants as read (after O(clusters) and O(tenant_names)); after changing those options,
    refresh it with C(--flush-cache).
  - Options set in the file may be templates (for example C("{{ lookup('ansible.builtin.env', 'MY_OCP_PW') }}"))
    or vault-encrypted; values from the environment are used as they are.
seealso:
  - module: oceanbase.ocp.ocp_tenant_failover
  - name: Inventory plugins
    description: How Ansible uses inventory plugins, constructed groups and the inventory cache.
    link: https://docs.ansible.com/ansible/latest/plugins/inventory.html
"""

EXAMPLES = r"""
# prod.ocp.yml: every tenant of the OCP; the connection comes from the OCP_* environment variables.
# ansible-inventory -i prod.ocp.yml --graph
plugin: oceanbase.ocp.ocp

---
# dr.ocp.yml: the tenants of two clusters, named orders_*, with groups by tenant mode and status.
plugin: oceanbase.ocp.ocp
api_url: https://ocp.example.com:8080
access_key_id: "{{ lookup('ansible.builtin.env', 'DR_OCP_AK') }}"
access_key_secret: "{{ lookup('ansible.builtin.env', 'DR_OCP_SK') }}"
clusters:
  - obcluster_dr
  - "3000020"
tenant_names:
  - "orders_*"
keyed_groups:
  - key: ocp_tenant_mode | lower
    prefix: mode
  - key: ocp_tenant_status | lower
    prefix: status
groups:
  needs_attention: ocp_tenant_role is none
compose:
  dba_team: "'payments' if ocp_tenant_name.startswith('pay') else 'core'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: /tmp/ocp-inventory-cache
cache_timeout: 600

---
# fleet.ocp.yml for AWX job slicing: one host per cluster, carrying its standby tenants.
plugin: oceanbase.ocp.ocp
host_per: cluster
tenant_roles:
  - STANDBY
"""

import os

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.oceanbase.ocp.plugins.module_utils.client import (
    HAS_REQUESTS,
    HAS_URLLIB3,
    OcpClient,
    validate_api_url,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.common import connection_problems, ocp_argument_spec
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.inventory import (
    cluster_hosts,
    cluster_of,
    name_selected,
    role_selected,
    select_clusters,
    tenant_hosts,
    tenant_records,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import normalize_tasks
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import ROLE_CHANGING_TASK_NAMES, reported_role

# The connection options and the environment variable each falls back to (documented by the
# oceanbase.ocp.connection.plugins doc fragment, the same options and variables as the modules').
CONNECTION_ENV = {
    "api_url": "OCP_API_URL",
    "username": "OCP_USERNAME",
    "password": "OCP_PASSWORD",
    "access_key_id": "OCP_ACCESS_KEY_ID",
    "access_key_secret": "OCP_ACCESS_KEY_SECRET",
    "validate_certs": "OCP_VALIDATE_CERTS",
    "ca_path": "OCP_CA_PATH",
    "request_timeout": "OCP_REQUEST_TIMEOUT",
}
# Text options that may be templates (or vault-encrypted) in the configuration file.
TEMPLATED_OPTIONS = ("api_url", "username", "password", "access_key_id", "access_key_secret")

HOST_PER_CLUSTER = "cluster"
# Task lists of several clusters are read at once, but gently: an inventory refresh must not load OCP.
MAX_PARALLEL_TASK_LISTS = 4


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "oceanbase.ocp.ocp"
    INVENTORY_FILE_SUFFIXES = ("ocp.yml", "ocp.yaml")

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(self.INVENTORY_FILE_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        if not (HAS_REQUESTS and HAS_URLLIB3):
            raise AnsibleParserError("%s needs the Python packages requests and urllib3 on the controller "
                                     "(pip install -r requirements.txt of the collection)" % self.NAME)
        config = self._read_config_data(path)
        settings = self._connection_settings(config)

        # The inventory cache, as ansible-core's developer guide and amazon.aws's inventory plugins use it: read
        # it unless told to refresh (cache=False: --flush-cache, meta: refresh_inventory), write it when it was
        # missing or refreshed; ansible-core's update_cache_if_changed() then stores it.
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        tenants = None
        if use_cache:
            try:
                tenants = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if tenants is None:
            tenants = self._read_tenants(settings)
        if update_cache:
            self._cache[cache_key] = tenants
        self._populate(tenants, settings["api_url"])

    def _connection_settings(self, config):
        """OcpClient keyword arguments from the options; AnsibleParserError (one line, no secret) if unusable."""
        defaults = ocp_argument_spec()
        settings = {}
        for option, variable in CONNECTION_ENV.items():
            value = self.get_option(option)
            if option in config:
                if option in TEMPLATED_OPTIONS and value is not None:
                    # A template or a vault-encrypted value of the file; to_native decrypts a vaulted one.
                    value = to_native(self.templar.template(value))
            elif os.environ.get(variable) == "":
                # An empty variable counts as unset, as for the modules (AWX injects every variable of a credential
                # type); ansible's config would read "" as false (validate_certs) or the current directory (ca_path).
                value = defaults[option].get("default")
            if value == "":
                value = None
            settings[option] = value
        problems = []
        if not settings["api_url"]:
            problems.append("api_url (or OCP_API_URL) is required")
        if (settings["username"] or settings["password"]) and (settings["access_key_id"] or settings["access_key_secret"]):
            problems.append("use either username/password (OCP_USERNAME/OCP_PASSWORD) or access_key_id/"
                            "access_key_secret (OCP_ACCESS_KEY_ID/OCP_ACCESS_KEY_SECRET), not both")
        else:
            problems.extend(connection_problems(settings))
        if settings["api_url"]:
            try:
                settings["api_url"] = validate_api_url(settings["api_url"])
            except ValueError as exc:
                problems.append(str(exc).rstrip("."))
        if problems:
            raise AnsibleParserError("%s: invalid connection options, nothing was sent to OCP: %s."
                                     % (self.NAME, "; ".join(problems)))
        return settings

    def _read_tenants(self, settings):
        """Every selected tenant as a plain record (what the cache holds), in cluster then tenant name order."""
        client = OcpClient(**settings)
        try:
            return self._tenant_records(client)
        except OcpApiError as error:
            # OcpApiError's text is one line saying what failed and what to do; it never holds a secret (the
            # client redacts what OCP echoes). Not chained: ansible would print the same line twice.
            raise AnsibleParserError("%s: could not read the inventory from OCP: %s" % (self.NAME, error)) from None
        finally:
            client.close()

    def _tenant_records(self, client):
        clusters = select_clusters(client.list_clusters(), self.get_option("clusters"), self.display.warning)
        if self.get_option("clusters"):
            raw_tenants = []
            for cluster_id in sorted(clusters):
                raw_tenants.extend(client.list_tenants(cluster_id))
        else:
            raw_tenants = client.list_all_tenants()
        raw_tenants = [tenant for tenant in raw_tenants
                       if isinstance(tenant, dict) and tenant.get("id") is not None and tenant.get("clusterId") is not None
                       and name_selected(tenant.get("name"), self.get_option("tenant_names"))]

        # Role evidence from tasks only where OCP reports no role; one task list per cluster and task name.
        clusters_to_read = sorted(set(cluster_of(tenant) for tenant in raw_tenants if reported_role(tenant) is None))
        queries = [(cluster_id, name) for cluster_id in clusters_to_read for name in ROLE_CHANGING_TASK_NAMES]
        answers = run_concurrently(lambda query: client.list_tasks(clusterId=query[0], name=query[1]),
                                   queries, MAX_PARALLEL_TASK_LISTS)
        tasks = [task for raw_tasks in answers for task in normalize_tasks(raw_tasks)]
        return tenant_records(raw_tenants, clusters, tasks)

    def _populate(self, tenants, api_url):
        selected = [tenant for tenant in tenants if role_selected(tenant["tenant_role"], self.get_option("tenant_roles"))]
        if self.get_option("host_per") == HOST_PER_CLUSTER:
            hosts = cluster_hosts(selected)
        else:
            hosts = tenant_hosts(selected)
        strict = self.get_option("strict")
        taken = set()
        for name, hostvars, groups in hosts:
            if name in taken:
                # Cluster names are unique in OCP and tenant names within a cluster; never drop a tenant anyway.
                unique = "%s.%s" % (name, hostvars.get("ocp_tenant_id", hostvars["ocp_cluster_id"]))
                self.display.warning("%s: two OCP entries make the host name %s; the second one is %s"
                                     % (self.NAME, name, unique))
                name = unique
            taken.add(name)
            hostvars = dict(hostvars, ocp_api_url=api_url, ansible_connection="local")
            self.inventory.add_host(name)
            for group in groups:
                group = self.inventory.add_group(self._sanitize_group_name(group))
                self.inventory.add_child(group, name)
            for variable, value in hostvars.items():
                self.inventory.set_variable(name, variable, value)
            self._set_composite_vars(self.get_option("compose"), hostvars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, name, strict=strict)
