"""Scenario files: who may log in, how slow tasks are, which clusters and tenants exist.

The schema is documented at the top of scenarios/default.yml.
"""

from __future__ import annotations

import copy
import json
import os
import time

import yaml

from .alarms import Alarms
from .failover import SUBTASK_NAMES
from .faults import validate_rule

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
DEFAULT_SCENARIO = os.path.join(SCENARIO_DIR, "default.yml")

DEFAULT_TIMING = {"precheck_seconds": 0.05, "subtask_seconds": 0.2, "subtask_seconds_by_name": {}}
DEFAULT_OPTIONS = {"expose_tenant_role": True}
DEFAULT_OB_VERSION = "4.2.4.0"
DEFAULT_ZONES = ["zone1", "zone2", "zone3"]
TENANT_ROLES = ("PRIMARY", "STANDBY")
PERMISSIONS = ("read", "write")

_TOP_LEVEL_KEYS = {"users", "access_keys", "timing", "clusters", "tenants", "faults", "options", "alarms"}


def load_scenario(source):
    """Read a scenario (path to a YAML or JSON file, or a dict) and return it validated, with defaults filled in."""
    if isinstance(source, dict):
        raw = copy.deepcopy(source)
    else:
        with open(source, encoding="utf-8") as stream:
            raw = json.load(stream) if str(source).endswith(".json") else yaml.safe_load(stream)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("a scenario must be a mapping")
    unknown = set(raw) - _TOP_LEVEL_KEYS
    if unknown:
        raise ValueError("unknown scenario key(s): %s" % ", ".join(sorted(unknown)))

    users = [_user(entry) for entry in raw.get("users") or []]
    usernames = {user["username"] for user in users}
    access_keys = [_access_key(entry, usernames) for entry in raw.get("access_keys") or []]
    clusters = [_cluster(entry, index) for index, entry in enumerate(raw.get("clusters") or [])]
    clusters_by_id = {cluster["id"]: cluster for cluster in clusters}
    tenants = []
    for entry in raw.get("tenants") or []:
        tenants.append(_tenant(entry, clusters_by_id, sum(1 for tenant in tenants if tenant["clusterId"] == entry.get("clusterId"))))
    for entry in raw.get("faults") or []:
        validate_rule(copy.deepcopy(entry))
    Alarms().reset(raw.get("alarms") or [], tenants, clusters)  # validates them

    _require_unique("user", [user["username"] for user in users])
    _require_unique("access key", [key["access_key_id"] for key in access_keys])
    _require_unique("cluster id", [cluster["id"] for cluster in clusters])
    _require_unique("tenant id", [tenant["id"] for tenant in tenants])
    return {
        "users": users,
        "access_keys": access_keys,
        "timing": _timing(raw.get("timing") or {}),
        "clusters": clusters,
        "tenants": tenants,
        "faults": list(raw.get("faults") or []),
        "options": _merged(DEFAULT_OPTIONS, raw.get("options") or {}, "options"),
        "alarms": copy.deepcopy(list(raw.get("alarms") or [])),
    }


def _user(entry):
    _require_keys("user", entry, ("username", "password"))
    permissions = list(entry.get("permissions", PERMISSIONS))
    if not set(permissions) <= set(PERMISSIONS):
        raise ValueError("user %s: permissions must be among %s" % (entry["username"], ", ".join(PERMISSIONS)))
    return {"username": str(entry["username"]), "password": str(entry["password"]), "permissions": permissions}


def _access_key(entry, usernames):
    _require_keys("access key", entry, ("access_key_id", "access_key_secret", "username"))
    if entry["username"] not in usernames:
        raise ValueError("access key %s belongs to unknown user %s" % (entry["access_key_id"], entry["username"]))
    return {key: str(entry[key]) for key in ("access_key_id", "access_key_secret", "username")}


def _cluster(entry, index):
    _require_keys("cluster", entry, ("id", "name"))
    cluster = {
        "id": entry["id"],
        "name": entry["name"],
        "obClusterId": index + 1,
        "obVersion": DEFAULT_OB_VERSION,
        "status": "RUNNING",
        "zones": list(DEFAULT_ZONES),
    }
    return _merged(cluster, entry, "cluster %s" % entry["id"])


def _tenant(entry, clusters_by_id, index_in_cluster):
    _require_keys("tenant", entry, ("id", "name", "clusterId"))
    cluster = clusters_by_id.get(entry["clusterId"])
    if cluster is None:
        raise ValueError("tenant %s refers to unknown cluster %s" % (entry["id"], entry["clusterId"]))
    role = entry.get("tenantRole", "STANDBY" if entry.get("primaryTenantId") is not None else "PRIMARY")
    if role not in TENANT_ROLES:
        raise ValueError("tenant %s: tenantRole must be PRIMARY or STANDBY" % entry["id"])
    tenant = {
        "id": entry["id"],
        "name": entry["name"],
        "clusterId": entry["clusterId"],
        "obTenantId": 1002 + 2 * index_in_cluster,
        "mode": "MYSQL",
        "status": "NORMAL",
        "locked": False,
        "readonly": False,
        "obVersion": cluster["obVersion"],
        "primaryZone": cluster["zones"][0] if cluster["zones"] else "",
        "zones": [{"name": zone, "replicaType": "FULL"} for zone in cluster["zones"]],
        "tenantRole": role,
        "primaryTenantId": None,
        "primaryClusterId": None,
        # Simulation-only fields, never shown by the API as such:
        "reachable": True,  # whether a standby of this tenant can still connect to it
        "primaryReachable": None,  # on a standby: overrides its primary's `reachable` when not null
        "serviceName": None,
        "syncScn": time.time_ns() - 2 * 10 ** 9,
        "warnings": [],
        "errors": [],
    }
    tenant = _merged(tenant, entry, "tenant %s" % entry["id"])
    for kind in ("warnings", "errors"):
        for item in tenant[kind]:
            if not isinstance(item, dict) or "errorCode" not in item or "errorMessage" not in item:
                raise ValueError("tenant %s: each of %s needs errorCode and errorMessage" % (entry["id"], kind))
    return tenant


def _timing(entry):
    timing = _merged(DEFAULT_TIMING, entry, "timing")
    unknown = set(timing["subtask_seconds_by_name"]) - set(SUBTASK_NAMES)
    if unknown:
        raise ValueError("timing.subtask_seconds_by_name: unknown subtask(s) %s" % ", ".join(sorted(unknown)))
    return timing


def _merged(defaults, entry, what):
    if not isinstance(entry, dict):
        raise ValueError("%s must be a mapping" % what)
    unknown = set(entry) - set(defaults)
    if unknown:
        raise ValueError("%s: unknown field(s) %s" % (what, ", ".join(sorted(unknown))))
    merged = copy.deepcopy(defaults)
    merged.update(copy.deepcopy(entry))
    return merged


def _require_keys(what, entry, keys):
    if not isinstance(entry, dict):
        raise ValueError("each %s must be a mapping" % what)
    missing = [key for key in keys if key not in entry]
    if missing:
        raise ValueError("a %s lacks %s (it has: %s)" % (what, ", ".join(missing), ", ".join(sorted(map(str, entry)))))


def _require_unique(what, values):
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError("duplicate %s %s" % (what, value))
        seen.add(value)
