# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""oceanbase.ocp.ocp_alarms: an ansible-rulebook event source that polls OCP's alarm list.

For an OCP whose alarm channels cannot reach the host that runs ansible-rulebook. Every ``interval`` seconds it
reads ``GET /api/v2/alarm/alarms`` (status Active, scope ObTenant, every page) with the collection's client and
authentication, and puts each alarm it has not emitted yet on the queue once, in the shape of the webhook body of
the rulebook oceanbase.ocp.ocp_alarm_failover (see README, "Event-driven failover").
"""

from __future__ import absolute_import, division, print_function

import asyncio
import logging
import math
import os
import re
import sys

DOCUMENTATION = r"""
---
short_description: Poll OCP's alarm list and emit each new active tenant alarm once.
description:
  - An ansible-rulebook event source for OceanBase Cloud Platform (OCP) alarms, for OCPs whose HTTP alarm
    channel cannot reach the ansible-rulebook host.
  - Every O(interval) seconds it reads C(GET /api/v2/alarm/alarms) with C(status=Active) and C(scope=ObTenant),
    every page, and emits each alarm it has not emitted before, once. An alarm is the same alarm while its id (or,
    without an id, its target) and its C(activeAt) stay the same; an alarm raised again after it cleared is new.
  - Events have the webhook body's shape under C(payload) (C(alarm_name) is OCP's C(alarmType), C(alarm_level),
    C(alarm_target), C(ob_cluster_name), C(tenant_name), C(ob_tenant_id), C(status)) plus C(alarm_id),
    C(active_at), C(summary), C(description), and C(cluster_id) / C(tenant_id), the OCP ids of the standby tenant
    to promote. Those come from O(standby_of) or, by default, from the OCP tenant the alarm names (looked up by
    cluster and tenant name). When they cannot be found, the event has C(unresolved) with the reason instead.
  - The connection options and their environment fallbacks are those of the collection's modules. Secrets never
    appear in events or logs. A failed poll is logged in one line and retried at the next interval.
options:
  api_url:
    description: Base URL of OCP, e.g. C(https://ocp.example.com:8080). Defaults to E(OCP_API_URL).
    type: str
    required: true
  username:
    description: OCP user for HTTP Basic authentication. Defaults to E(OCP_USERNAME).
    type: str
  password:
    description: Password of O(username). Defaults to E(OCP_PASSWORD).
    type: str
  access_key_id:
    description: AccessKey id for AK/SK signing (recommended). Defaults to E(OCP_ACCESS_KEY_ID).
    type: str
  access_key_secret:
    description: AccessKey secret. Defaults to E(OCP_ACCESS_KEY_SECRET).
    type: str
  validate_certs:
    description: Verify OCP's TLS certificate. Defaults to E(OCP_VALIDATE_CERTS), then true.
    type: bool
    default: true
  ca_path:
    description: CA bundle that verifies OCP's certificate. Defaults to E(OCP_CA_PATH).
    type: path
  request_timeout:
    description: Seconds to wait for each OCP answer. Defaults to E(OCP_REQUEST_TIMEOUT), then 30.
    type: float
    default: 30
  interval:
    description: Seconds between two polls.
    type: float
    default: 30
  standby_of:
    description:
      - Alarms about a tenant that is not itself the standby to promote (typically the primary tenant that is
        down): for an alarm about O(standby_of[].tenant_name) in O(standby_of[].ob_cluster_name), emit the OCP ids
        O(standby_of[].cluster_id) / O(standby_of[].tenant_id) of its standby tenant.
      - Alarms about other tenants are resolved by name to their own OCP ids.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Fail OceanBase standby tenants over on OCP alarms, polling OCP
  hosts: localhost
  sources:
    - name: OCP alarm list
      oceanbase.ocp.ocp_alarms:
        interval: 30
        standby_of:
          - {ob_cluster_name: ob_east, tenant_name: orders, cluster_id: 3000020, tenant_id: 2000101}
  rules:
    - name: Show the alarm
      condition: event.payload.status == "Active"
      action:
        print_event:
"""

LOG = logging.getLogger("oceanbase.ocp.ocp_alarms")
PLUGIN = "oceanbase.ocp.ocp_alarms"

# The OCP API paths this source reads (the modules' paths are in plugins/module_utils/client.py).
ALARMS_PATH = "/api/v2/alarm/alarms"
CLUSTERS_PATH = "/api/v2/ob/clusters"
CLUSTER_TENANTS_PATH = "/api/v2/ob/clusters/%d/tenants"
# OCP documents 200 as the largest page of the alarm list; 2000 for clusters and tenants.
ALARM_PAGE_SIZE = 200
PAGE_SIZE = 2000
MAX_PAGES = 1000  # a bound, so a server that always reports more pages cannot keep a poll going forever
# [assumed] label keys of an alarm, tried in order (OCP names the cluster label obregion in older versions); the
# target's `ob_cluster=<name>:tenant_name=<name>:ob_tenant_id=<id>` form is documented.
CLUSTER_KEYS = ("ob_cluster", "obregion")
TENANT_KEYS = ("tenant_name",)
OB_TENANT_ID_KEYS = ("ob_tenant_id",)

CONNECTION_OPTIONS = {
    "api_url": "OCP_API_URL",
    "username": "OCP_USERNAME",
    "password": "OCP_PASSWORD",
    "access_key_id": "OCP_ACCESS_KEY_ID",
    "access_key_secret": "OCP_ACCESS_KEY_SECRET",
    "validate_certs": "OCP_VALIDATE_CERTS",
    "ca_path": "OCP_CA_PATH",
    "request_timeout": "OCP_REQUEST_TIMEOUT",
}
OPTIONS = set(CONNECTION_OPTIONS) | {"interval", "standby_of"}
TRUE_WORDS = ("1", "true", "yes", "on", "y", "t")
FALSE_WORDS = ("0", "false", "no", "off", "n", "f")


def _collection_client():
    """OcpClient and OcpApiError of this collection.

    ansible-rulebook runs this file with runpy, outside Ansible's collection loader, so the folder holding
    ansible_collections/ goes on sys.path first (this file is .../ansible_collections/oceanbase/ocp/extensions/
    eda/plugins/event_source/ocp_alarms.py); the path is not resolved, so a symlinked collection works too.
    """
    parts = os.path.abspath(__file__).split(os.sep)
    if len(parts) > 8 and parts[-8:-4] == ["ansible_collections", "oceanbase", "ocp", "extensions"]:
        root = os.sep.join(parts[:-8]) or os.sep
        if root not in sys.path:
            sys.path.insert(0, root)
    try:
        from ansible_collections.oceanbase.ocp.plugins.module_utils.client import (  # pylint: disable=import-outside-toplevel
            HAS_REQUESTS,
            HAS_URLLIB3,
            OcpApiError,
            OcpClient,
        )
    except ImportError as exc:
        raise ImportError("%s: cannot import the collection's OCP client (%s); run it from an installed "
                          "oceanbase.ocp collection" % (PLUGIN, exc)) from None
    if not (HAS_REQUESTS and HAS_URLLIB3):
        raise ImportError("%s needs the Python packages requests and urllib3 (pip install -r requirements.txt of "
                          "the collection) in the Python that runs ansible-rulebook" % PLUGIN)
    return OcpClient, OcpApiError


def _bool(name, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("%s must be true or false, got %r" % (name, value))


def _seconds(name, value):
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds <= 0:
        raise ValueError("%s must be a positive number of seconds, got %r" % (name, value))
    return seconds


def _positive_id(name, value):
    if isinstance(value, bool) or not re.match(r"^[1-9][0-9]*$", str(value)):
        raise ValueError("%s must be a positive integer id, got %r" % (name, value))
    return int(value)


def settings(args, environ):
    """The source's settings from its arguments and the OCP_* environment; ValueError names what is wrong."""
    problems = []
    unknown = sorted(set(args) - OPTIONS - {"eda_feedback_queue"})
    if unknown:
        problems.append("unknown option(s) %s (the options are %s)" % (", ".join(unknown), ", ".join(sorted(OPTIONS))))
    values = {}
    for option, variable in CONNECTION_OPTIONS.items():
        value = args.get(option)
        if value is None or value == "":
            value = environ.get(variable) or None  # an empty variable counts as unset, as for the modules
        values[option] = value
    if not values["api_url"]:
        problems.append("api_url (or OCP_API_URL) is required")
    basic = values["username"] or values["password"]
    signed = values["access_key_id"] or values["access_key_secret"]
    if basic and signed:
        problems.append("use either username/password (OCP_USERNAME/OCP_PASSWORD) or access_key_id/"
                        "access_key_secret (OCP_ACCESS_KEY_ID/OCP_ACCESS_KEY_SECRET), not both")
    elif not ((values["username"] and values["password"]) or (values["access_key_id"] and values["access_key_secret"])):
        problems.append("set either username and password (OCP_USERNAME/OCP_PASSWORD) or access_key_id and "
                        "access_key_secret (OCP_ACCESS_KEY_ID/OCP_ACCESS_KEY_SECRET); empty values count as unset")
    for name, check, default in (("validate_certs", _bool, True), ("request_timeout", _seconds, 30.0)):
        try:
            values[name] = default if values[name] is None else check(name, values[name])
        except ValueError as exc:
            problems.append(str(exc))
    if values["ca_path"] and not os.path.exists(values["ca_path"]):
        problems.append("ca_path %s does not exist: point it at OCP's CA bundle" % values["ca_path"])
    try:
        values["interval"] = _seconds("interval", args.get("interval", 30))
    except ValueError as exc:
        problems.append(str(exc))
    try:
        values["standby_of"] = standby_map(args.get("standby_of") or [])
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError("%s: invalid options, nothing was sent to OCP: %s." % (PLUGIN, "; ".join(problems)))
    return values


def standby_map(entries):
    """{(ob_cluster_name, tenant_name): (cluster_id, tenant_id)} from the standby_of option."""
    if not isinstance(entries, list):
        raise ValueError("standby_of must be a list of {ob_cluster_name, tenant_name, cluster_id, tenant_id}")
    mapping = {}
    for index, entry in enumerate(entries):
        where = "standby_of[%d]" % index
        if not isinstance(entry, dict) or set(entry) != {"ob_cluster_name", "tenant_name", "cluster_id", "tenant_id"}:
            raise ValueError("%s must have exactly ob_cluster_name, tenant_name, cluster_id and tenant_id" % where)
        key = (str(entry["ob_cluster_name"]), str(entry["tenant_name"]))
        if key in mapping:
            raise ValueError("%s repeats tenant %s of %s" % (where, key[1], key[0]))
        mapping[key] = (_positive_id(where + ".cluster_id", entry["cluster_id"]),
                        _positive_id(where + ".tenant_id", entry["tenant_id"]))
    return mapping


def target_fields(target):
    """The key=value pairs of an alarm target such as ``ob_cluster=c1:tenant_name=t1:ob_tenant_id=1002``."""
    fields = {}
    for part in str(target or "").split(":"):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields


def label_fields(labels):
    """An alarm's labels as a dict: [assumed] a mapping, or a list of {key, value} (or {name, value}) items."""
    if isinstance(labels, dict):
        return dict((str(key), value) for key, value in labels.items())
    fields = {}
    for item in labels if isinstance(labels, list) else []:
        if isinstance(item, dict) and "value" in item and (item.get("key") or item.get("name")):
            fields[str(item.get("key") or item.get("name"))] = item["value"]
    return fields


def _first(keys, *sources):
    for source in sources:
        for key in keys:
            value = source.get(key)
            if value not in (None, ""):
                return str(value)
    return None


def dedup_key(alarm):
    """What makes an alarm the same alarm from one poll to the next: its id (or target) and when it went active."""
    identity = alarm.get("id")
    if identity is None:
        identity = alarm.get("target") or (alarm.get("alarmType"), alarm.get("summary"))
    return (str(identity), str(alarm.get("activeAt")))


class AlarmPoller:
    """One poll: the alarms not emitted before, as events. Synchronous (the client is): run it in a thread."""

    def __init__(self, client, standby_of=None):
        self.client = client
        self.standby_of = dict(standby_of or {})
        self.seen = set()

    def all_pages(self, path, params, size):
        items = []
        for page in range(1, MAX_PAGES + 1):
            data = self.client.get(path, params=dict(params, page=page, size=size))
            data = data if isinstance(data, dict) else {"contents": data if isinstance(data, list) else []}
            contents = data.get("contents") or []
            items.extend(item for item in contents if isinstance(item, dict))
            total_pages = (data.get("page") or {}).get("totalPages")
            if not contents or not isinstance(total_pages, int) or page >= total_pages:
                break
        return items

    def poll(self):
        """Read every page of active tenant alarms; return the events of the new ones.

        Nothing is remembered unless the whole poll succeeds: after an error, the next poll emits the same alarms.
        Alarms that are no longer active are forgotten, so an alarm raised again is new.
        """
        alarms = self.all_pages(ALARMS_PATH, {"status": "Active", "scope": "ObTenant"}, ALARM_PAGE_SIZE)
        alarms.sort(key=lambda alarm: (str(alarm.get("activeAt")), str(alarm.get("id"))))  # oldest first
        lookups = {}
        current, events = set(), []
        for alarm in alarms:
            if alarm.get("status", "Active") != "Active" or alarm.get("scope", "ObTenant") != "ObTenant":
                continue  # the server filters already; an OCP that ignores a filter must not trigger anything
            key = dedup_key(alarm)
            if key not in self.seen and key not in current:
                events.append(self.event(alarm, lookups))
            current.add(key)
        self.seen = current
        return events

    def event(self, alarm, lookups):
        target = target_fields(alarm.get("target"))
        labels = label_fields(alarm.get("labels"))
        cluster_name = _first(CLUSTER_KEYS, labels, target)
        tenant_name = _first(TENANT_KEYS, labels, target)
        ob_tenant_id = _first(OB_TENANT_ID_KEYS, labels, target)
        payload = {
            "alarm_name": alarm.get("alarmType"),
            "alarm_level": alarm.get("level"),
            "alarm_target": alarm.get("target"),
            "ob_cluster_name": cluster_name,
            "tenant_name": tenant_name,
            "ob_tenant_id": int(ob_tenant_id) if ob_tenant_id and ob_tenant_id.isdigit() else ob_tenant_id,
            "status": "Active",
            "alarm_id": alarm.get("id"),
            "active_at": alarm.get("activeAt"),
            "summary": alarm.get("summary"),
            "description": alarm.get("description"),
        }
        ids, reason = self.standby_ids(cluster_name, tenant_name, lookups)
        if ids:
            payload["cluster_id"], payload["tenant_id"] = ids
        else:
            payload["unresolved"] = reason
        return {"payload": payload}

    def standby_ids(self, cluster_name, tenant_name, lookups):
        """((cluster_id, tenant_id), None), or (None, why not)."""
        if not cluster_name or not tenant_name:
            return None, "The alarm names no cluster and tenant (target and labels lack ob_cluster / tenant_name)."
        if (cluster_name, tenant_name) in self.standby_of:
            return self.standby_of[(cluster_name, tenant_name)], None
        if "clusters" not in lookups:
            lookups["clusters"] = self.all_pages(CLUSTERS_PATH, {}, PAGE_SIZE)
        cluster_ids = [c.get("id") for c in lookups["clusters"] if c.get("name") == cluster_name]
        if len(cluster_ids) != 1 or not isinstance(cluster_ids[0], int):
            return None, "OCP has %d clusters named %s; map the tenant with the source's standby_of option." % (
                len(cluster_ids), cluster_name)
        key = (cluster_ids[0], tenant_name)
        if key not in lookups:
            # `name` is a fuzzy filter: compare exactly here.
            tenants = self.all_pages(CLUSTER_TENANTS_PATH % cluster_ids[0], {"name": tenant_name}, PAGE_SIZE)
            lookups[key] = [t.get("id") for t in tenants if t.get("name") == tenant_name]
        tenant_ids = lookups[key]
        if len(tenant_ids) != 1 or not isinstance(tenant_ids[0], int):
            return None, "OCP cluster %s has %d tenants named %s; map it with the source's standby_of option." % (
                cluster_name, len(tenant_ids), tenant_name)
        return (cluster_ids[0], tenant_ids[0]), None


async def main(queue, args):
    """ansible-rulebook's entry point: poll until cancelled."""
    values = settings(args, os.environ)
    client_class, api_error = _collection_client()
    try:
        client = client_class(
            api_url=values["api_url"], username=values["username"], password=values["password"],
            access_key_id=values["access_key_id"], access_key_secret=values["access_key_secret"],
            validate_certs=values["validate_certs"], ca_path=values["ca_path"],
            request_timeout=values["request_timeout"], pool_size=2)
    except ValueError as exc:  # an unusable api_url: the message never holds a password
        raise ValueError("%s: invalid options, nothing was sent to OCP: %s" % (PLUGIN, exc)) from None
    poller = AlarmPoller(client, values["standby_of"])
    loop = asyncio.get_running_loop()
    LOG.info("%s: polling %s%s every %g s", PLUGIN, client.base_url, ALARMS_PATH, values["interval"])
    failing = False
    try:
        while True:
            try:
                events = await loop.run_in_executor(None, poller.poll)
            except api_error as exc:
                LOG.warning("%s: reading OCP's alarms failed, next try in %g s: %s", PLUGIN, values["interval"], exc)
                failing = True
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # Keep watching: one unreadable answer must not stop the failover automation.
                LOG.error("%s: unexpected %s while reading OCP's alarms, next try in %g s: %s", PLUGIN,
                          type(exc).__name__, values["interval"], exc)
                failing = True
            else:
                if failing:
                    LOG.warning("%s: reading OCP's alarms works again", PLUGIN)
                    failing = False
                for event in events:
                    await queue.put(event)
            await asyncio.sleep(values["interval"])
    finally:
        client.close()
