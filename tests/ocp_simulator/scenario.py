"""Scenario files: who may log in, how slow tasks are, which clusters and tenants exist.

The schema is documented at the top of scenarios/default.yml.
"""

from __future__ import annotations

import copy
import json
import os

import yaml

from .alarms import Alarms
from .faults import validate_rule
from .tasks import ALL_SUBTASK_NAMES, KINDS_BY_NAME, SWITCHOVER

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios")
DEFAULT_SCENARIO = os.path.join(SCENARIO_DIR, "default.yml")

DEFAULT_TIMING = {"precheck_seconds": 0.05, "subtask_seconds": 0.2, "subtask_seconds_by_name": {},
                  "task_record_delay_seconds": 0}
DEFAULT_OPTIONS = {
    "task_shape": "nested",  # nested (OCP's task reference) | flat (the POST samples' form) for task list/detail
    "expose_tenant_role": False,  # true: tenant detail/list add the ASSUMED tenantRole/primaryTenantId/primaryClusterId
    "precheck_role_error": "check_result",  # check_result | http_error: how a precheck refuses a tenant of the wrong role
    "role_change_at": "subtask",  # subtask: roles change when the role-switching subtask succeeds | task_success
    # ASSUMED: OCP refuses (409) a role change of a tenant that already has one running. false models an OCP that
    # does not guard, so that two racing jobs both get their task (the collection must notice, not prevent, that).
    "refuse_running_task": True,
    # The batch failover precheck (POST .../tenants/failoverPreCheck, no body) is documented to answer one
    # ObTenantPreCheckResult: single answers that of the cluster's first standby tenant. list is an ASSUMED
    # multi-tenant form, {"contents": [one per standby tenant]}, which no document shows.
    "batch_precheck_answer": "single",
}
OPTION_CHOICES = {
    "batch_precheck_answer": ("single", "list"),
    "task_shape": ("nested", "flat"),
    "precheck_role_error": ("check_result", "http_error"),
    "role_change_at": ("subtask", "task_success"),
}
CLUSTER_TYPES = ("PRIMARY", "STANDBY")
HISTORY_STATUSES = ("SUCCESSFUL", "FAILED", "RUNNING")
DEFAULT_HISTORY_CREATOR = "admin"
DEFAULT_OB_VERSION = "4.2.4.0"
DEFAULT_ZONES = ["zone1", "zone2", "zone3"]
TENANT_ROLES = ("PRIMARY", "STANDBY")
PERMISSIONS = ("read", "write")

_TOP_LEVEL_KEYS = {"users", "access_keys", "timing", "clusters", "tenants", "faults", "options", "alarms", "tasks"}


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
    per_cluster = {}  # how many tenants each cluster has so far (the default obTenantId)
    for entry in raw.get("tenants") or []:
        tenants.append(_tenant(entry, clusters_by_id, per_cluster))
    _fill_cluster_types(clusters, tenants)
    history = _history(raw.get("tasks") or [], clusters_by_id, {tenant["id"]: tenant for tenant in tenants})
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
        "options": updated_options(DEFAULT_OPTIONS, raw.get("options") or {}),
        "tasks": history,
        "alarms": copy.deepcopy(list(raw.get("alarms") or [])),
    }


def updated_timing(current, changes):
    """`current` timing with `changes` applied, validated (for the scenario and PATCH /_sim/timing)."""
    timing = _merged(current, changes, "timing")
    for key in ("precheck_seconds", "subtask_seconds", "task_record_delay_seconds"):
        if not _is_seconds(timing[key]):
            raise ValueError("timing.%s must be a number of seconds >= 0" % key)
    by_name = timing["subtask_seconds_by_name"]
    if not isinstance(by_name, dict):
        raise ValueError("timing.subtask_seconds_by_name must be a mapping")
    unknown = set(by_name) - set(ALL_SUBTASK_NAMES)
    if unknown:
        raise ValueError("timing.subtask_seconds_by_name: unknown subtask(s) %s" % ", ".join(sorted(unknown)))
    for name, seconds in by_name.items():
        if not _is_seconds(seconds):
            raise ValueError("timing.subtask_seconds_by_name[%s] must be a number of seconds >= 0" % name)
    return timing


def updated_options(current, changes):
    """`current` options with `changes` applied, validated (for the scenario and PATCH /_sim/options)."""
    options = _merged(current, changes, "options")
    for key in ("expose_tenant_role", "refuse_running_task"):
        if not isinstance(options[key], bool):
            raise ValueError("options.%s must be true or false" % key)
    for key, choices in OPTION_CHOICES.items():
        if options[key] not in choices:
            raise ValueError("options.%s must be one of %s" % (key, ", ".join(choices)))
    return options


def _is_seconds(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0


def _user(entry):
    _require_keys("user", entry, ("username", "password"))
    permissions = list(entry.get("permissions", PERMISSIONS))
    if not set(permissions) <= set(PERMISSIONS):
        raise ValueError("user %s: permissions must be among %s" % (entry["username"], ", ".join(PERMISSIONS)))
    user = {"username": str(entry["username"]), "password": str(entry["password"]), "permissions": permissions}
    if "id" in entry:  # the user's OCP id, shown in a nested task's creator {id, name}; default 100, 101, ...
        if isinstance(entry["id"], bool) or not isinstance(entry["id"], int):
            raise ValueError("user %s: id must be an integer" % entry["username"])
        user["id"] = entry["id"]
    return user


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
        "type": None,  # PRIMARY or STANDBY; default: STANDBY when it holds a standby tenant, else PRIMARY
        "zones": list(DEFAULT_ZONES),
    }
    cluster = _merged(cluster, entry, "cluster %s" % entry["id"])
    if cluster["type"] not in (None,) + CLUSTER_TYPES:
        raise ValueError("cluster %s: type must be PRIMARY or STANDBY" % entry["id"])
    return cluster


def _fill_cluster_types(clusters, tenants):
    """ASSUMED: a cluster's type is fixed when the scenario loads; role changes of its tenants leave it."""
    holding_standbys = {tenant["clusterId"] for tenant in tenants if tenant["tenantRole"] == "STANDBY"}
    for cluster in clusters:
        if cluster["type"] is None:
            cluster["type"] = "STANDBY" if cluster["id"] in holding_standbys else "PRIMARY"


def _tenant(entry, clusters_by_id, per_cluster):
    _require_keys("tenant", entry, ("id", "name", "clusterId"))
    cluster = clusters_by_id.get(entry["clusterId"]) if isinstance(entry["clusterId"], int) else None
    if cluster is None:
        raise ValueError("tenant %s refers to unknown cluster %s" % (entry["id"], entry["clusterId"]))
    index_in_cluster = per_cluster.get(cluster["id"], 0)
    per_cluster[cluster["id"]] = index_in_cluster + 1
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
        "syncScn": None,  # a literal synchronization position (ns since the epoch) ...
        "syncLagSeconds": None,  # ... or a constant lag: the precheck then reports (answer time - lag) in ns
        "warnings": [],  # extra failover precheck results
        "errors": [],
        "switchoverWarnings": [],  # extra switchover precheck results (of the primary or of the standby)
        "switchoverErrors": [],
    }
    tenant = _merged(tenant, entry, "tenant %s" % entry["id"])
    if tenant["syncScn"] is not None and tenant["syncLagSeconds"] is not None:
        raise ValueError("tenant %s: give syncScn or syncLagSeconds, not both" % entry["id"])
    if tenant["syncLagSeconds"] is not None and not _is_seconds(tenant["syncLagSeconds"]):
        raise ValueError("tenant %s: syncLagSeconds must be a number >= 0" % entry["id"])
    for kind in ("warnings", "errors", "switchoverWarnings", "switchoverErrors"):
        for item in tenant[kind]:
            if not isinstance(item, dict) or "errorCode" not in item or "errorMessage" not in item:
                raise ValueError("tenant %s: each of %s needs errorCode and errorMessage" % (entry["id"], kind))
    return tenant


def _timing(entry):
    return updated_timing(DEFAULT_TIMING, entry)


_HISTORY_FIELDS = {"name", "clusterId", "tenantId", "status", "failedSubtask", "standbyTenantId", "ageSeconds",
                   "creator", "serviceName", "failureMessage"}


def _history(entries, clusters_by_id, tenants_by_id):
    """The seeded task history: earlier role-changing tasks, oldest first."""
    history = []
    running = set()
    for index, entry in enumerate(entries):
        what = "tasks[%d]" % index
        _require_keys("seeded task", entry, ("name", "clusterId", "tenantId", "status", "ageSeconds"))
        unknown = set(entry) - _HISTORY_FIELDS
        if unknown:
            raise ValueError("%s: unknown field(s) %s" % (what, ", ".join(sorted(unknown))))
        kind = KINDS_BY_NAME.get(entry["name"])
        if kind is None:
            raise ValueError("%s: name must be one of %s" % (what, ", ".join(map(repr, KINDS_BY_NAME))))
        if entry["clusterId"] not in clusters_by_id:
            raise ValueError("%s refers to unknown cluster %s" % (what, entry["clusterId"]))
        if entry["tenantId"] not in tenants_by_id:
            raise ValueError("%s refers to unknown tenant %s" % (what, entry["tenantId"]))
        standby = entry.get("standbyTenantId")
        if kind is SWITCHOVER:
            if standby not in tenants_by_id or standby == entry["tenantId"]:
                raise ValueError("%s: a switchover needs standbyTenantId, another known tenant" % what)
        elif standby is not None:
            raise ValueError("%s: standbyTenantId is for a switchover only" % what)
        if entry["status"] not in HISTORY_STATUSES:
            raise ValueError("%s: status must be one of %s" % (what, ", ".join(HISTORY_STATUSES)))
        failed = entry.get("failedSubtask")
        if entry["status"] == "FAILED":
            if failed not in kind.subtask_names:
                raise ValueError("%s: a FAILED task needs failedSubtask, one of: %s" % (what, ", ".join(kind.subtask_names)))
        elif failed is not None:
            raise ValueError("%s: failedSubtask is for a FAILED task only" % what)
        if not _is_seconds(entry["ageSeconds"]):
            raise ValueError("%s: ageSeconds must be a number >= 0" % what)
        if entry["status"] == "RUNNING":
            for tenant_id in (entry["tenantId"], standby):
                if tenant_id in running:
                    raise ValueError("%s: tenant %s already has a RUNNING seeded task" % (what, tenant_id))
                if tenant_id is not None:
                    running.add(tenant_id)
        history.append({
            "name": kind.name, "clusterId": entry["clusterId"], "tenantId": entry["tenantId"], "status": entry["status"],
            "failedSubtask": failed, "standbyTenantId": standby, "ageSeconds": entry["ageSeconds"],
            "creator": str(entry.get("creator", DEFAULT_HISTORY_CREATOR)), "serviceName": entry.get("serviceName"),
            "failureMessage": entry.get("failureMessage"),
        })
    # Oldest first (stable for equal ages): ids follow creation time.
    return sorted(history, key=lambda task: -task["ageSeconds"])


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
