"""OCP's alarm list (`GET /api/v2/alarm/alarms`): scenario-defined alarms, raised and cleared at run time.

An alarm is an OcpAlarm as OCP's "Query the alert event list" documents it: id, alarmType, level (1-5: Stopped,
Critical, Warning, Caution, Reminder), status (Active, Inactive, Silenced, Inhibited), scope (ObCluster, ObTenant,
...), target, activeAt, updatedAt, description, summary, labels. The scenario (and `POST /_sim/alarms`) may name a
scenario tenant with `tenantId` instead of writing `target` and `labels`: they are then derived from its names.
"""

from __future__ import annotations

import copy
import datetime
import threading

from . import envelope
from .envelope import ApiError

FIRST_ALARM_ID = 800001
# OCP documents 200 as the largest page of this list (most of its other lists allow 2000).
MAX_PAGE_SIZE = 200
LEVELS = (1, 2, 3, 4, 5)
STATUSES = ("Active", "Inactive", "Silenced", "Inhibited")
SCOPES = ("ObCluster", "ObTenant", "AppCluster", "Service", "Host")
# Fields a scenario or a control call may set; `tenantId` is the simulator's shorthand for target and labels.
SETTABLE = ("id", "alarmType", "level", "status", "scope", "appType", "target", "labels", "description", "summary",
            "activeAt", "tenantId")
DEFAULTS = {"level": 2, "status": "Active", "scope": "ObTenant", "appType": "OB", "description": "", "summary": ""}


def alarm_time():
    """Now, as OCP writes alarm times: UTC with `Z` and microseconds, e.g. 2020-12-03T01:45:04.048708Z."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def tenant_target(cluster_name, tenant_name, ob_tenant_id):
    """The target `ob_cluster=..:tenant_name=..` is OCP's form (docs/ocp-api.md; the `:ob_tenant_id=..` part is from
    NOTES.md, unconfirmed). ASSUMED: the labels mapping holds ob_cluster, tenant_name and ob_tenant_id."""
    labels = {"ob_cluster": cluster_name, "tenant_name": tenant_name, "ob_tenant_id": str(ob_tenant_id)}
    return "ob_cluster=%s:tenant_name=%s:ob_tenant_id=%s" % (cluster_name, tenant_name, ob_tenant_id), labels


class Alarms:
    """Every alarm, thread-safe. `tenants` / `clusters` are the scenario's, for the `tenantId` shorthand."""

    def __init__(self):
        self._lock = threading.Lock()
        self.reset([], [], [])

    def reset(self, entries, tenants, clusters):
        with self._lock:
            self._tenants = {tenant["id"]: tenant for tenant in tenants}
            self._clusters = {cluster["id"]: cluster for cluster in clusters}
            self._alarms = {}
            self._next_id = FIRST_ALARM_ID
        for entry in entries:
            self.raise_alarm(entry)

    def raise_alarm(self, fields):
        """Add an alarm (Active unless `status` says otherwise); returns it."""
        alarm = self._validated(fields)
        with self._lock:
            if alarm.get("id") is None:
                alarm["id"] = self._next_id
            if alarm["id"] in self._alarms:
                raise ValueError("alarm %s already exists" % alarm["id"])
            self._next_id = max(self._next_id, alarm["id"]) + 1
            now = alarm_time()
            alarm.setdefault("activeAt", now)
            alarm["updatedAt"] = now
            self._alarms[alarm["id"]] = alarm
            return copy.deepcopy(alarm)

    def patch(self, alarm_id, fields):
        """Change an alarm: `{"status": "Inactive"}` clears it, `{"status": "Active"}` raises it again (a new
        activeAt unless given). KeyError if there is no such alarm."""
        if not isinstance(fields, dict):
            raise ValueError("the change to an alarm must be a mapping")
        if "id" in fields:
            raise ValueError("an alarm's id cannot change")
        with self._lock:
            alarm = self._alarms[alarm_id]
            updated = self._validated(dict(_settable(alarm), **fields))
            updated["id"] = alarm_id
            updated["updatedAt"] = alarm_time()
            if updated["status"] == "Active" and alarm["status"] != "Active" and "activeAt" not in fields:
                updated["activeAt"] = updated["updatedAt"]
            if updated["status"] == "Inactive":
                updated["resolvedAt"] = alarm.get("resolvedAt") or updated["updatedAt"]
            self._alarms[alarm_id] = updated
            return copy.deepcopy(updated)

    def find(self, scopes=(), statuses=(), levels=(), alarm_types=(), ob_cluster=None, ob_tenant=None,
             active_at_start=None, active_at_end=None):
        """Matching alarms, newest first (times compare as epoch seconds)."""
        with self._lock:
            found = [
                copy.deepcopy(alarm) for alarm in self._alarms.values()
                if (not scopes or alarm["scope"] in scopes)
                and (not statuses or alarm["status"] in statuses)
                and (not levels or alarm["level"] in levels)
                and (not alarm_types or alarm["alarmType"] in alarm_types)
                and (ob_cluster is None or alarm["labels"].get("ob_cluster") == ob_cluster)
                and (ob_tenant is None or alarm["labels"].get("tenant_name") == ob_tenant)
                and (active_at_start is None or _epoch(alarm["activeAt"]) >= active_at_start)
                and (active_at_end is None or _epoch(alarm["activeAt"]) <= active_at_end)
            ]
        return sorted(found, key=lambda alarm: (_epoch(alarm["activeAt"]), alarm["id"]), reverse=True)

    def dump(self):
        with self._lock:
            return copy.deepcopy(sorted(self._alarms.values(), key=lambda alarm: alarm["id"]))

    def _validated(self, fields):
        if not isinstance(fields, dict):
            raise ValueError("an alarm must be a mapping")
        unknown = set(fields) - set(SETTABLE)
        if unknown:
            raise ValueError("alarm: unknown field(s) %s" % ", ".join(sorted(unknown)))
        if not fields.get("alarmType") or not isinstance(fields["alarmType"], str):
            raise ValueError("an alarm needs an alarmType (a string), e.g. ob_tenant_unavailable")
        alarm = dict(DEFAULTS)
        alarm.update(copy.deepcopy(fields))
        if alarm.get("id") is not None and (isinstance(alarm["id"], bool) or not isinstance(alarm["id"], int)):
            raise ValueError("alarm id must be an integer")
        if alarm["level"] not in LEVELS or isinstance(alarm["level"], bool):
            raise ValueError("alarm level must be one of %s" % ", ".join(map(str, LEVELS)))
        if alarm["status"] not in STATUSES:
            raise ValueError("alarm status must be one of %s" % ", ".join(STATUSES))
        if alarm["scope"] not in SCOPES:
            raise ValueError("alarm scope must be one of %s" % ", ".join(SCOPES))
        tenant_id = alarm.pop("tenantId", None)
        if tenant_id is not None:
            tenant = self._tenants.get(tenant_id)
            if tenant is None:
                raise ValueError("alarm %s: tenantId %s is not a tenant of the scenario" % (alarm["alarmType"], tenant_id))
            cluster = self._clusters[tenant["clusterId"]]
            alarm["target"], alarm["labels"] = tenant_target(cluster["name"], tenant["name"], tenant["obTenantId"])
        if not isinstance(alarm.get("target"), str) or not alarm["target"]:
            raise ValueError("alarm %s needs a target (or a tenantId to derive it from)" % alarm["alarmType"])
        alarm.setdefault("labels", {})
        if not isinstance(alarm["labels"], dict):
            raise ValueError("alarm labels must be a mapping")
        if "activeAt" in alarm:
            _epoch(alarm["activeAt"])  # must be readable
        return alarm


def query_filters(args):
    """Find() keyword arguments from the query of `GET /api/v2/alarm/alarms` (a werkzeug MultiDict)."""

    def values(name):
        return [value for text in args.getlist(name) for value in text.split(",") if value]

    levels = []
    for text in values("level"):
        try:
            levels.append(int(text))
        except ValueError:
            raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter level: %r is not an integer." % text) from None
    times = {}
    for name in ("activeAtStart", "activeAtEnd"):
        text = args.get(name)
        if text:
            try:
                times[name] = _epoch(text)
            except ValueError:
                raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter %s: %r is not a datetime." % (name, text)) from None
    return dict(scopes=values("scope"), statuses=values("status"), levels=levels, alarm_types=values("alarmType"),
                ob_cluster=args.get("obCluster") or None, ob_tenant=args.get("obTenant") or None,
                active_at_start=times.get("activeAtStart"), active_at_end=times.get("activeAtEnd"))


def _settable(alarm):
    return {key: value for key, value in alarm.items() if key in SETTABLE}


def _epoch(text):
    """Epoch seconds of an ISO-8601 time such as OCP's 2020-11-11T11:12:13.127+08:00 (ValueError if unreadable)."""
    moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()
