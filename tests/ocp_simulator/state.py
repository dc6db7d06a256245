"""The in-memory OCP model: clusters, tenants, role-changing tasks, and how tasks progress with the clock.

Task progress is derived from the clock rather than driven by a worker thread: each subtask run has
a planned start and end (tasks.py), and what a task changes in the model (a tenant's role, its
service name) is queued as timed events; `refresh()` applies the events that are due. A settled task
costs nothing in `refresh()`, and API views are built fresh for the items a request returns only.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import math
import threading
import time
from dataclasses import dataclass

from . import envelope
from .envelope import ApiError
from .scenario import updated_options, updated_timing
from .tasks import FAILOVER, KINDS_BY_NAME, SWITCHOVER, Run, Task

FIRST_TASK_ID = 12022226  # the first task created at run time; seeded history gets smaller ids
FIRST_SUBTASK_ID = 13025785
FIRST_USER_ID = 100  # ASSUMED: OCP's user ids for the scenario's users, in order, unless a user has `id`
DEFAULT_EXECUTOR = "127.0.0.1"  # the executor of seeded tasks (run-time tasks: the server's address)

# Tenant fields OCP documents (NOTES.md, confirmed), in the order the detail shows them; clusterType
# (the type of the tenant's cluster) follows clusterName.
TENANT_FIELDS = ("id", "name", "clusterId", "clusterName", "obClusterId", "clusterType", "obTenantId", "mode", "status",
                 "locked", "readonly", "obVersion", "primaryZone", "zones")
TENANT_LIST_OMITS = ("zones",)  # list entries carry the detail's scalar fields only (OCP's tenant list reference)
# ASSUMED: no OCP doc shows these; the tenant's role and, for a standby, its primary tenant
# (shown only with options.expose_tenant_role: true).
TENANT_ROLE_FIELD = "tenantRole"
PRIMARY_TENANT_ID_FIELD = "primaryTenantId"
PRIMARY_CLUSTER_ID_FIELD = "primaryClusterId"
CLUSTER_FIELDS = ("id", "name", "obClusterId", "type", "status", "obVersion")
# The nested objects of a task in OCP's task reference.
TASK_CLUSTER_FIELDS = ("id", "name", "obClusterId", "type")
TASK_TENANT_FIELDS = ("id", "name", "obTenantId", "mode")


def name_matches(wanted, name):
    """ASSUMED: OCP's `name` filters match a case-insensitive substring, like SQL LIKE '%name%'."""
    return wanted.lower() in str(name).lower()


@dataclass
class Page:
    """Paging arguments of a list request: 1-based page number, size, and (field, descending) sorts."""

    number: int = 1
    size: int = 10
    sorts: tuple = ()


def paginate(items, view, page):
    """OCP's paged answer: views are built for the requested page only, unless sorting needs them all."""
    start, end = (page.number - 1) * page.size, page.number * page.size
    if page.sorts:
        views = [view(item) for item in items]
        for field, descending in reversed(page.sorts):
            if any(field not in item for item in views):
                raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter sort: unknown field %r." % field)
            try:
                views.sort(key=lambda item, key=field: (item[key] is None, item[key]), reverse=descending)
            except TypeError:
                raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter sort: cannot sort by %r." % field) from None
        contents = views[start:end]
    else:
        contents = [view(item) for item in items[start:end]]
    return {
        "contents": contents,
        "page": {"number": page.number, "size": page.size, "totalElements": len(items),
                 "totalPages": int(math.ceil(len(items) / float(page.size)))},
    }


class State:
    """All clusters, tenants and tasks; every public method is thread-safe."""

    def __init__(self, scenario):
        self.lock = threading.RLock()
        self.reset(scenario)

    def reset(self, scenario):
        with self.lock:
            self.started_at = time.time()
            self.timing = copy.deepcopy(scenario["timing"])
            self.options = copy.deepcopy(scenario["options"])
            self.clusters = {cluster["id"]: cluster for cluster in copy.deepcopy(scenario["clusters"])}
            self.tenants = {tenant["id"]: tenant for tenant in copy.deepcopy(scenario["tenants"])}
            self._user_ids = {user["username"]: user.get("id", FIRST_USER_ID + index)
                              for index, user in enumerate(scenario.get("users") or [])}
            self._tasks = {}  # id -> Task, in ascending id order
            self._events = []  # heap of (time, seq, task id, task version, effect or None for "finished")
            self._event_seq = itertools.count()
            self._running = {}  # tenant id -> id of its RUNNING role-changing task
            self._next_task_id = FIRST_TASK_ID
            self._next_subtask_id = FIRST_SUBTASK_ID
            self._refreshed_until = 0.0
            self._seed(scenario.get("tasks") or [])

    # ----- clock-driven progress

    def now(self):
        with self.lock:
            return self._now()

    def _now(self):
        return max(time.time(), self._refreshed_until)

    def refresh(self, now=None):
        """Apply every task event due by `now` (default: the clock); returns the time the model stands at."""
        with self.lock:
            # Never move backwards: a request that read the clock before waiting for the lock must
            # not undo progress another request has already shown.
            now = max(self._now() if now is None else now, self._refreshed_until)
            self._refreshed_until = now
            events = self._events
            while events and events[0][0] <= now:
                _at, _seq, task_id, version, effect = heapq.heappop(events)
                task = self._tasks.get(task_id)
                if task is None or task.version != version:
                    continue  # planned before a retry replaced the plan
                if effect is None:
                    self._finish(task)
                else:
                    self._apply(task, effect)
            return now

    def _register(self, task, effects):
        """Queue what a (re)planned task will change, and mark its tenants as having a running task."""
        push = heapq.heappush
        if self.options["role_change_at"] == "subtask":
            for at, effect in effects:
                if at >= task.effects_from:
                    push(self._events, (at, next(self._event_seq), task.id, task.version, effect))
        push(self._events, (task.finish_at, next(self._event_seq), task.id, task.version, None))
        task.settled = False
        for tenant_id in task.tenant_ids:
            self._running[tenant_id] = task.id

    def _finish(self, task):
        if task.final_status == "SUCCESSFUL":
            for template in task.kind.templates:  # idempotent: a success leaves the whole effect in place
                if template.name in task.kind.effects:
                    self._apply(task, task.kind.effects[template.name])
        task.settled = True
        for tenant_id in task.tenant_ids:
            if self._running.get(tenant_id) == task.id:
                del self._running[tenant_id]

    def _apply(self, task, effect):
        tenant = self.tenants.get(task.tenant_id)
        if tenant is None:
            return
        if effect == "failover_promote":
            _make_primary(tenant)
        elif effect == "service_name":
            if task.service_name:
                tenant["serviceName"] = task.service_name
        elif effect == "switchover_demote":
            standby = self.tenants.get(task.standby_tenant_id)
            if standby is not None:
                tenant[TENANT_ROLE_FIELD] = "STANDBY"
                tenant[PRIMARY_TENANT_ID_FIELD] = standby["id"]
                tenant[PRIMARY_CLUSTER_ID_FIELD] = standby["clusterId"]
                tenant["primaryReachable"] = None
        elif effect == "switchover_promote":
            standby = self.tenants.get(task.standby_tenant_id)
            if standby is not None:
                _make_primary(standby)
        else:
            raise ValueError("unknown task effect %r" % effect)

    def _seconds_for(self, subtask_name):
        return self.timing["subtask_seconds_by_name"].get(subtask_name, self.timing["subtask_seconds"])

    # ----- seeded history

    def _seed(self, history):
        """Earlier tasks (oldest first): ids just below the run-time ones, runs in the past."""
        task_id = FIRST_TASK_ID - len(history)
        subtask_id = FIRST_SUBTASK_ID - sum(len(KINDS_BY_NAME[entry["name"]].templates) for entry in history)
        start = self.started_at
        for entry in history:
            kind = KINDS_BY_NAME[entry["name"]]
            task = Task(task_id, kind, entry["clusterId"], entry["tenantId"], self._creator(entry["creator"]),
                        DEFAULT_EXECUTOR, start - entry["ageSeconds"], subtask_id,
                        standby_tenant_id=entry["standbyTenantId"], service_name=entry["serviceName"],
                        effects_from=start)
            self._plan_seeded(task, entry, start)
            self._tasks[task_id] = task
            task_id += 1
            subtask_id += len(kind.templates)

    def _plan_seeded(self, task, entry, start):
        names = task.kind.subtask_names
        if entry["status"] == "RUNNING":
            effects = task.schedule(0, task.created_at, self._seconds_for)
            if task.finish_at <= start:
                # Still running at the simulator's start: its last subtask is the one running then.
                last = task.runs[-1]
                last[-1] = Run(last[-1].start, start + (last[-1].end - last[-1].start))
                task.finish_at = last[-1].end
                effects = task.planned_effects()
            self._register(task, effects)
            return
        failure = None
        until = len(names)
        if entry["status"] == "FAILED":
            failure = (entry["failedSubtask"], entry["failureMessage"])
            until = names.index(entry["failedSubtask"]) + 1
        planned = sum(self._seconds_for(name) for name in names[:until])
        scale = min(1.0, entry["ageSeconds"] / planned) if planned > 0 else 1.0  # finished before the start
        task.schedule(0, task.created_at, lambda name: self._seconds_for(name) * scale, failure)
        task.settled = True  # seeded history never changes roles by itself

    def _creator(self, username):
        return {"id": self._user_ids.get(username), "name": username}

    # ----- lookups

    def cluster(self, cluster_id):
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            raise ApiError(404, envelope.CLUSTER_NOT_FOUND, "Cluster %s not found." % cluster_id)
        return cluster

    def tenant_in_cluster(self, cluster_id, tenant_id):
        self.cluster(cluster_id)
        tenant = self.tenants.get(tenant_id)
        if tenant is None or tenant["clusterId"] != cluster_id:
            raise ApiError(404, envelope.TENANT_NOT_FOUND, "Tenant %s not found in cluster %s." % (tenant_id, cluster_id))
        return tenant

    def check_tenant_ids(self, tenant_ids):
        """404 (OBE21002) unless every tenant exists, in any cluster."""
        with self.lock:
            for tenant_id in tenant_ids:
                self._tenant(tenant_id)

    def _tenant(self, tenant_id):
        tenant = self.tenants.get(tenant_id)
        if tenant is None:
            raise ApiError(404, envelope.TENANT_ID_NOT_FOUND, "Tenant with id %s does not exist." % tenant_id)
        return tenant

    def _visible_task(self, task_id, now):
        """A task OCP has recorded by `now`; one created but not yet recorded answers as unknown."""
        task = self._tasks.get(task_id)
        if task is None or task.recorded_at > now:
            raise ApiError(404, envelope.TASK_NOT_FOUND, "Task instance %s not found." % task_id)
        return task

    # ----- API views (fresh objects, safe to serialise outside the lock)

    def cluster_view(self, cluster):
        return {field: cluster[field] for field in CLUSTER_FIELDS}

    def tenant_view(self, tenant, omit=()):
        cluster = self.clusters[tenant["clusterId"]]
        view = {}
        for field in TENANT_FIELDS:
            if field in omit:
                continue
            if field in ("clusterName", "obClusterId", "clusterType"):
                view[field] = cluster[{"clusterName": "name", "clusterType": "type"}.get(field, field)]
            elif field == "zones":
                view[field] = [dict(zone) if isinstance(zone, dict) else zone for zone in tenant["zones"]]
            else:
                view[field] = tenant[field]
        if self.options["expose_tenant_role"]:
            view[TENANT_ROLE_FIELD] = tenant[TENANT_ROLE_FIELD]
            for field in (PRIMARY_TENANT_ID_FIELD, PRIMARY_CLUSTER_ID_FIELD):
                if tenant[field] is not None:
                    view[field] = tenant[field]
        return view

    def _task_view(self, task, now, entry=False):
        """A task as the task detail and retry (or, `entry`, the task list) show it, in the shape
        options.task_shape says: nested (WrappedTaskInstance, BasicTaskInstance) or flat (TaskInstance)."""
        if self.options["task_shape"] == "flat":
            return task.flat_view(now)
        cluster = self.clusters.get(task.cluster_id)
        tenant = self.tenants.get(task.tenant_id)
        cluster_ref = {field: cluster[field] for field in TASK_CLUSTER_FIELDS} if cluster else {"id": task.cluster_id}
        tenant_ref = {field: tenant[field] for field in TASK_TENANT_FIELDS} if tenant else {"id": task.tenant_id}
        if entry:
            return task.basic_view(now, cluster_ref, tenant_ref)
        return task.nested_view(now, cluster_ref, tenant_ref)

    def get_cluster(self, cluster_id):
        with self.lock:
            return self.cluster_view(self.cluster(cluster_id))

    def find_clusters(self, page, names=()):
        with self.lock:
            found = [cluster for cluster in self.clusters.values()
                     if not names or any(name_matches(name, cluster["name"]) for name in names)]
            return paginate(found, self.cluster_view, page)

    def get_tenant(self, cluster_id, tenant_id):
        with self.lock:
            self.refresh()
            return self.tenant_view(self.tenant_in_cluster(cluster_id, tenant_id))

    def find_tenants(self, page, cluster_id=None, names=(), modes=(), statuses=()):
        with self.lock:
            self.refresh()
            if cluster_id is not None:
                self.cluster(cluster_id)
            found = [
                tenant for tenant in self.tenants.values()
                if (cluster_id is None or tenant["clusterId"] == cluster_id)
                and (not names or any(name_matches(name, tenant["name"]) for name in names))
                and (not modes or tenant["mode"] in modes)
                and (not statuses or tenant["status"] in statuses)
            ]
            return paginate(found, lambda tenant: self.tenant_view(tenant, omit=TENANT_LIST_OMITS), page)

    def get_task(self, task_id):
        with self.lock:
            now = self.refresh()
            return self._task_view(self._visible_task(task_id, now), now)

    def find_tasks(self, page, names=(), statuses=(), types=(), cluster_id=None, tenant_id=None, host_id=None,
                   cluster_names=(), tenant_name=None):
        """Matching recorded tasks, newest first. Filters read the model, so they work in both shapes."""
        if tenant_name is not None and cluster_id is None:
            raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter tenantName: it needs clusterId.")
        with self.lock:
            now = self.refresh()
            if host_id is not None or (types and "MANUAL" not in types):
                found = []  # role-changing tasks are MANUAL and belong to no host
            else:
                found = [
                    task for task in reversed(list(self._tasks.values()))
                    if task.recorded_at <= now
                    and (cluster_id is None or task.cluster_id == cluster_id)
                    and (tenant_id is None or task.tenant_id == tenant_id)
                    and (not names or any(name_matches(name, task.kind.name) for name in names))
                    and (not statuses or task.status(now) in statuses)
                    and (not cluster_names or any(name_matches(name, self._cluster_name(task)) for name in cluster_names))
                    and (tenant_name is None or self._tenant_name(task) == tenant_name)
                ]
            return paginate(found, lambda task: self._task_view(task, now, entry=True), page)

    def _cluster_name(self, task):
        cluster = self.clusters.get(task.cluster_id)
        return cluster["name"] if cluster else ""

    def _tenant_name(self, task):
        tenant = self.tenants.get(task.tenant_id)
        return tenant["name"] if tenant else None

    @property
    def tasks(self):
        """Every task (also those OCP has not recorded yet) in the flat form, by id: for tests."""
        with self.lock:
            now = self.refresh()
            return {task_id: task.flat_view(now) for task_id, task in self._tasks.items()}

    # ----- prechecks

    def failover_precheck(self, cluster_id, tenant_id):
        """(answer time, ObTenantPreCheckResult) for a standby tenant, as perform-a-failover-precheck.md shows it."""
        with self.lock:
            now = self.refresh()
            cluster = self.cluster(cluster_id)
            tenant = self.tenant_in_cluster(cluster_id, tenant_id)
            primary = self._primary_of(tenant)
            results = []
            if tenant[TENANT_ROLE_FIELD] != "STANDBY":
                results.append(self._role_refusal(tenant))
            else:
                if tenant["status"] == "UNAVAILABLE":
                    results.append(_check_error(
                        envelope.TENANT_UNAVAILABLE, "The operation is not supported because the tenant is unavailable."))
                if primary is None:
                    results.append(_check_error(
                        envelope.PRIMARY_TENANT_NOT_FOUND, "The primary tenant of tenant %s is not found." % tenant["name"]))
                elif self._primary_reachable(tenant, primary):
                    results.append(_check_error(
                        envelope.PRIMARY_TENANT_CONNECTABLE,
                        "A failover is not allowed because the primary tenant can still be connected."))
            results.extend(_extra_results(tenant, "errors", "warnings"))
            return now, {
                "checkResults": results,
                "clusterId": cluster["id"],
                "clusterName": cluster["name"],
                "name": tenant["name"],
                "primaryTenantServiceName": primary["serviceName"] if primary else None,
                "syncScn": self._sync_scn(tenant, now),
                "tenantId": tenant["id"],
                "valid": all(result["warning"] for result in results),
            }

    def batch_failover_precheck(self, cluster_id):
        """(answer time, data) of the batch failover precheck of a cluster: one ObTenantPreCheckResult (documented:
        of its first standby tenant, or its first tenant when it has no standby), or with
        options.batch_precheck_answer: list (ASSUMED) {"contents": [one per standby tenant]}."""
        with self.lock:
            self.cluster(cluster_id)
            tenants = sorted((tenant for tenant in self.tenants.values() if tenant["clusterId"] == cluster_id),
                             key=lambda tenant: tenant["id"])
            standbys = [tenant for tenant in tenants if tenant[TENANT_ROLE_FIELD] == "STANDBY"]
        answers = [self.failover_precheck(cluster_id, tenant["id"]) for tenant in (standbys or tenants)]
        if not answers:
            return self.refresh(), None
        if self.options["batch_precheck_answer"] == "list":
            return answers[-1][0], {"contents": [result for dummy, result in answers]}
        return answers[0]

    def switchover_precheck(self, cluster_id, tenant_id, standby_tenant_id):
        """(answer time, SwitchoverPreCheckResult): the primary's identity, the standby's ObTenantPreCheckResult."""
        with self.lock:
            now = self.refresh()
            cluster = self.cluster(cluster_id)
            primary = self.tenant_in_cluster(cluster_id, tenant_id)
            standby = self._tenant(standby_tenant_id)
            results = self._switchover_checks(primary, standby, role_as_http_error=self._role_error_is_http())
            standby_cluster = self.clusters[standby["clusterId"]]
            standby_result = {
                "checkResults": results,
                "clusterId": standby_cluster["id"],
                "clusterName": standby_cluster["name"],
                "name": standby["name"],
                "primaryTenantServiceName": primary["serviceName"],
                "syncScn": self._sync_scn(standby, now),
                "tenantId": standby["id"],
                "valid": all(result["warning"] for result in results),
            }
            return now, {
                "clusterId": cluster["id"],
                "clusterName": cluster["name"],
                "name": primary["name"],
                "standbyCheckResults": standby_result,
                "tenantId": primary["id"],
                "valid": standby_result["valid"],
            }

    def _role_error_is_http(self):
        return self.options["precheck_role_error"] == "http_error"

    def _role_refusal(self, tenant, as_http_error=None):
        """OBE26013 for a tenant of the wrong role: a check result, or (options.precheck_role_error) an HTTP 400."""
        message = "The operation is not allowed because the tenant's role is %s: tenant %s." % (
            tenant[TENANT_ROLE_FIELD], tenant["name"])
        if self._role_error_is_http() if as_http_error is None else as_http_error:
            raise ApiError(400, envelope.TENANT_ROLE_NOT_ALLOWED, message)
        return _check_error(envelope.TENANT_ROLE_NOT_ALLOWED, message)

    def _switchover_checks(self, primary, standby, role_as_http_error):
        results = []
        if primary[TENANT_ROLE_FIELD] != "PRIMARY":
            results.append(self._role_refusal(primary, role_as_http_error))
        if standby[TENANT_ROLE_FIELD] != "STANDBY":
            results.append(self._role_refusal(standby, role_as_http_error))
        elif standby[PRIMARY_TENANT_ID_FIELD] != primary["id"]:
            results.append(_check_error(envelope.NOT_STANDBY_OF_PRIMARY, "Tenant %s is not a standby tenant of tenant %s." % (
                standby["name"], primary["name"])))
        if primary["status"] == "UNAVAILABLE":
            results.append(_check_error(envelope.TENANT_UNAVAILABLE,
                                        "The operation is not supported because the primary tenant %s is unavailable." % primary["name"]))
        elif not self._primary_reachable(standby, primary):
            results.append(_check_error(envelope.TENANT_UNAVAILABLE,
                                        "The operation is not supported because the primary tenant %s cannot be connected." % primary["name"]))
        if standby["status"] == "UNAVAILABLE":
            results.append(_check_error(envelope.TENANT_UNAVAILABLE,
                                        "The operation is not supported because the standby tenant %s is unavailable." % standby["name"]))
        for tenant in (primary, standby):
            results.extend(_extra_results(tenant, "switchoverErrors", "switchoverWarnings"))
        return results

    def _primary_of(self, tenant):
        primary = self.tenants.get(tenant[PRIMARY_TENANT_ID_FIELD])
        if primary is None:
            return None
        if tenant[PRIMARY_CLUSTER_ID_FIELD] is not None and primary["clusterId"] != tenant[PRIMARY_CLUSTER_ID_FIELD]:
            return None
        return primary

    @staticmethod
    def _primary_reachable(tenant, primary):
        """Whether `tenant` (a standby) can connect to `primary`; its own override counts for its primary only."""
        if tenant["primaryReachable"] is not None and tenant[PRIMARY_TENANT_ID_FIELD] == primary["id"]:
            return bool(tenant["primaryReachable"])
        return bool(primary["reachable"])

    @staticmethod
    def _sync_scn(tenant, now):
        """OceanBase SCN (ns since the epoch) the tenant has synchronized up to, at answer time `now`."""
        if tenant.get("syncLagSeconds") is not None:
            return int((now - tenant["syncLagSeconds"]) * 10 ** 9)
        return tenant.get("syncScn")

    # ----- operations

    def create_failover_tasks(self, cluster_id, items, creator, executor, take_task_failure):
        """Validate every item, then create one RUNNING "Failover tenant" task per tenant, all or nothing.

        `items` are already well-formed ({"tenantId": int, "serviceName": str or None});
        `take_task_failure(tenant_ids, subtask_names)` returns the task_fail rule for a new task, or None.
        Returns (answer time, flat TaskInstances).
        """
        with self.lock:
            now = self.refresh()
            self.cluster(cluster_id)
            for item in items:
                tenant = self.tenant_in_cluster(cluster_id, item["tenantId"])
                if tenant[TENANT_ROLE_FIELD] != "STANDBY":
                    raise ApiError(400, envelope.TENANT_ROLE_NOT_ALLOWED,
                                   "Failover of tenant %s is not allowed because the tenant's role is %s."
                                   % (tenant["name"], tenant[TENANT_ROLE_FIELD]))
                self._refuse_if_running(tenant)
            created = [self._new_task(FAILOVER, cluster_id, item["tenantId"], None, item.get("serviceName"), creator,
                                      executor, now, take_task_failure) for item in items]
            return now, [task.flat_view(now) for task in created]

    def create_switchover_tasks(self, cluster_id, pairs, creator, executor, take_task_failure):
        """One RUNNING switchover task per {"tenantId": primary, "standbyTenantId": standby}, all or nothing.

        The primary must be in the path's cluster; each pair must pass the switchover precheck's checks
        (refused with HTTP 400 and the first error's code) and neither tenant may have a running
        role-changing task (409). Returns (answer time, flat TaskInstances).
        """
        with self.lock:
            now = self.refresh()
            self.cluster(cluster_id)
            for pair in pairs:
                primary = self.tenant_in_cluster(cluster_id, pair["tenantId"])
                standby = self._tenant(pair["standbyTenantId"])
                errors = [result for result in self._switchover_checks(primary, standby, role_as_http_error=True)
                          if not result["warning"]]
                if errors:
                    raise ApiError(400, errors[0]["errorCode"], errors[0]["errorMessage"])
                self._refuse_if_running(primary)
                self._refuse_if_running(standby)
            created = [self._new_task(SWITCHOVER, cluster_id, pair["tenantId"], pair["standbyTenantId"], None, creator,
                                      executor, now, take_task_failure) for pair in pairs]
            return now, [task.flat_view(now) for task in created]

    def _refuse_if_running(self, tenant):
        running = self._tasks.get(self._running.get(tenant["id"]))
        if running is not None and self.options["refuse_running_task"]:
            raise ApiError(409, envelope.FAILOVER_ALREADY_RUNNING, "Tenant %s already has a running task %s (%s)." % (
                tenant["name"], running.id, running.kind.name))

    def _new_task(self, kind, cluster_id, tenant_id, standby_tenant_id, service_name, creator, executor, now,
                  take_task_failure):
        task = Task(self._next_task_id, kind, cluster_id, tenant_id, self._creator(creator), executor, now,
                    self._next_subtask_id, standby_tenant_id=standby_tenant_id, service_name=service_name,
                    recorded_at=now + self.timing["task_record_delay_seconds"])
        self._next_task_id += 1
        self._next_subtask_id += len(kind.templates)
        rule = take_task_failure(task.tenant_ids, kind.subtask_names)
        effects = task.schedule(0, now, self._seconds_for, _failure_of(rule))
        self._register(task, effects)
        self._tasks[task.id] = task
        return task

    def retry_task(self, task_id, take_task_failure):
        """Resume a FAILED task from its failed subtask; returns (answer time, the task as its detail shows it)."""
        with self.lock:
            now = self.refresh()
            task = self._visible_task(task_id, now)
            if task.status(now) != "FAILED":
                raise ApiError(409, envelope.TASK_NOT_RETRYABLE,
                               "Task %s is %s; only a FAILED task can be retried." % (task_id, task.status(now)))
            for tenant_id in task.tenant_ids:
                self._refuse_if_running(self.tenants.get(tenant_id) or {"id": tenant_id, "name": tenant_id})
            position = task.failed_position()
            names = task.kind.subtask_names[position:]
            effects = task.schedule(position, now, self._seconds_for, _failure_of(take_task_failure(task.tenant_ids, names)))
            task.operation = "RETRY"
            task.subtask_operations[position] = "RETRY"
            self._register(task, effects)
            return now, self._task_view(task, now)  # the retry answers a WrappedTaskInstance, as the detail

    def subtask_log(self, task_id, subtask_id):
        with self.lock:
            now = self.refresh()
            task = self._visible_task(task_id, now)
            position = task.position_of_subtask(subtask_id)
            if position is None:
                raise ApiError(404, envelope.NOT_FOUND, "Subtask %s of task instance %s not found." % (subtask_id, task_id))
            tenant = self.tenants.get(task.tenant_id, {})
            standby = self.tenants.get(task.standby_tenant_id, {})
            context = {"tenant": tenant.get("name", task.tenant_id), "tenant_id": task.tenant_id,
                       "service_name": task.service_name,
                       "standby": standby.get("name", task.standby_tenant_id), "standby_id": task.standby_tenant_id}
            return "\n".join(task.log_lines(position, now, context))

    # ----- control API

    def patch_tenant(self, tenant_id, fields):
        with self.lock:
            tenant = self.tenants.get(tenant_id)
            if tenant is None:
                raise KeyError(tenant_id)
            unknown = set(fields) - set(tenant)
            if unknown:
                raise ValueError("unknown tenant field(s): %s" % ", ".join(sorted(unknown)))
            if "clusterId" in fields and fields["clusterId"] not in self.clusters:
                raise ValueError("unknown cluster %s" % fields["clusterId"])
            tenant.update(copy.deepcopy(fields))
            return copy.deepcopy(tenant)

    def patch_timing(self, changes):
        """Change timing at run time; tasks planned from now on use it (running plans keep theirs)."""
        with self.lock:
            self.timing = updated_timing(self.timing, changes)
            return copy.deepcopy(self.timing)

    def patch_options(self, changes):
        with self.lock:
            self.options = updated_options(self.options, changes)
            return copy.deepcopy(self.options)

    def dump(self):
        with self.lock:
            now = self.refresh()
            return {
                "clusters": copy.deepcopy(list(self.clusters.values())),
                "tenants": copy.deepcopy(list(self.tenants.values())),
                "tasks": [task.flat_view(now) for task in self._tasks.values()],
                "timing": copy.deepcopy(self.timing),
                "options": copy.deepcopy(self.options),
            }


def _make_primary(tenant):
    tenant[TENANT_ROLE_FIELD] = "PRIMARY"
    tenant[PRIMARY_TENANT_ID_FIELD] = None
    tenant[PRIMARY_CLUSTER_ID_FIELD] = None
    tenant["primaryReachable"] = None


def _failure_of(rule):
    return None if rule is None else (rule.params["subtask"], rule.params.get("message"))


def _extra_results(tenant, errors_key, warnings_key):
    results = [dict(copy.deepcopy(item), warning=False) for item in tenant[errors_key]]
    results.extend(dict(copy.deepcopy(item), warning=True) for item in tenant[warnings_key])
    return results


def _check_error(code, message):
    return {"errorCode": code, "errorMessage": message, "warning": False}
