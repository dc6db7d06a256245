"""The in-memory OCP model: clusters, tenants, failover tasks, and how tasks progress with the clock.

Task progress is derived from the clock rather than driven by a worker thread: each subtask run has
a planned start and end, and `refresh()` brings statuses, times and tenant roles up to date.
"""

from __future__ import annotations

import copy
import threading
import time

from . import envelope
from .envelope import ApiError, ocp_time
from .failover import SUBTASK_TEMPLATES, TASK_NAME, new_task, subtask_log_lines

FIRST_TASK_ID = 12022226
FIRST_SUBTASK_ID = 13025785

# Tenant fields OCP documents (NOTES.md, confirmed), in the order the detail shows them.
TENANT_FIELDS = ("id", "name", "clusterId", "clusterName", "obTenantId", "mode", "status", "locked", "readonly",
                 "obVersion", "primaryZone", "zones")
# ASSUMED: no OCP doc shows these; the tenant's role and, for a standby, its primary tenant.
TENANT_ROLE_FIELD = "tenantRole"
PRIMARY_TENANT_ID_FIELD = "primaryTenantId"
PRIMARY_CLUSTER_ID_FIELD = "primaryClusterId"
CLUSTER_FIELDS = ("id", "name", "obClusterId", "obVersion", "status")

TERMINAL_SUBTASK_STATUSES = ("SUCCESSFUL", "FAILED")


def name_matches(wanted, name):
    """ASSUMED: OCP's `name` filters match a case-insensitive substring, like SQL LIKE '%name%'."""
    return wanted.lower() in str(name).lower()


class State:
    """All clusters, tenants and tasks; every public method is thread-safe."""

    def __init__(self, scenario):
        self.lock = threading.RLock()
        self.reset(scenario)

    def reset(self, scenario):
        with self.lock:
            self.timing = copy.deepcopy(scenario["timing"])
            self.options = copy.deepcopy(scenario["options"])
            self.clusters = {cluster["id"]: cluster for cluster in copy.deepcopy(scenario["clusters"])}
            self.tenants = {tenant["id"]: tenant for tenant in copy.deepcopy(scenario["tenants"])}
            self.tasks = {}
            self._plans = {}
            self._next_task_id = FIRST_TASK_ID
            self._next_subtask_id = FIRST_SUBTASK_ID
            self._refreshed_until = 0.0

    # ----- clock-driven progress

    def refresh(self, now=None):
        """Bring every task up to `now`; apply the effects of failovers that have finished."""
        with self.lock:
            # Never move backwards: a request that read the clock before waiting for the lock must
            # not undo progress another request has already shown.
            now = max(self._now() if now is None else now, self._refreshed_until)
            self._refreshed_until = now
            for task_id, plan in self._plans.items():
                if plan["settled"]:
                    continue
                task = self.tasks[task_id]
                self._materialize(task, plan, now)
                if task["status"] == "SUCCESSFUL":
                    self._complete_failover(plan)
                plan["settled"] = task["status"] != "RUNNING"

    def _now(self):
        return max(time.time(), self._refreshed_until)

    def _materialize(self, task, plan, now):
        subtasks = {subtask["id"]: subtask for subtask in task["subtasks"]}
        statuses = []
        for subtask_id in plan["order"]:
            subtask = subtasks[subtask_id]
            runs = plan["runs"][subtask_id]
            status = _subtask_status(runs, now)
            statuses.append(status)
            subtask["status"] = status
            subtask["runTime"] = max(1, len(runs))
            if status in ("RUNNING",) + TERMINAL_SUBTASK_STATUSES:
                subtask["startTime"] = ocp_time(runs[-1]["start"])
            else:
                subtask.pop("startTime", None)
            if status in TERMINAL_SUBTASK_STATUSES:
                subtask["finishTime"] = ocp_time(runs[-1]["end"])
            else:
                subtask.pop("finishTime", None)
        if "FAILED" in statuses:
            failed_id = plan["order"][statuses.index("FAILED")]
            task["status"] = "FAILED"
            task["finishTime"] = ocp_time(plan["runs"][failed_id][-1]["end"])
        elif all(status == "SUCCESSFUL" for status in statuses):
            task["status"] = "SUCCESSFUL"
            task["finishTime"] = ocp_time(plan["runs"][plan["order"][-1]][-1]["end"])
        else:
            task["status"] = "RUNNING"
            task.pop("finishTime", None)

    def _complete_failover(self, plan):
        tenant = self.tenants.get(plan["tenant_id"])
        if tenant is None:
            return
        tenant[TENANT_ROLE_FIELD] = "PRIMARY"
        tenant[PRIMARY_TENANT_ID_FIELD] = None
        tenant[PRIMARY_CLUSTER_ID_FIELD] = None
        tenant["primaryReachable"] = None
        if plan["service_name"]:
            tenant["serviceName"] = plan["service_name"]

    def _schedule(self, plan, from_position, start, failure=None):
        """Plan runs for the subtasks from `from_position` on; a failing run ends the plan."""
        for template, subtask_id in list(zip(SUBTASK_TEMPLATES, plan["order"]))[from_position:]:
            seconds = self.timing["subtask_seconds_by_name"].get(template.name, self.timing["subtask_seconds"])
            fails = failure is not None and failure.params["subtask"] == template.name
            run = {"start": start, "end": start + seconds, "fails": fails,
                   "message": failure.params.get("message") if fails else None}
            plan["runs"][subtask_id].append(run)
            if fails:
                return
            start = run["end"]

    # ----- lookups

    def cluster(self, cluster_id):
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            raise ApiError(404, envelope.NOT_FOUND, "Cluster %s not found." % cluster_id)
        return cluster

    def tenant_in_cluster(self, cluster_id, tenant_id):
        self.cluster(cluster_id)
        tenant = self.tenants.get(tenant_id)
        if tenant is None or tenant["clusterId"] != cluster_id:
            raise ApiError(404, envelope.TENANT_NOT_FOUND, "Tenant %s not found in cluster %s." % (tenant_id, cluster_id))
        return tenant

    def task(self, task_id):
        task = self.tasks.get(task_id)
        if task is None:
            raise ApiError(404, envelope.NOT_FOUND, "Task instance %s not found." % task_id)
        return task

    # ----- API views (copies, safe to serialise outside the lock)

    def cluster_view(self, cluster):
        return {field: copy.deepcopy(cluster[field]) for field in CLUSTER_FIELDS}

    def tenant_view(self, tenant):
        view = {}
        for field in TENANT_FIELDS:
            view[field] = self.clusters[tenant["clusterId"]]["name"] if field == "clusterName" else copy.deepcopy(tenant[field])
        if self.options["expose_tenant_role"]:
            view[TENANT_ROLE_FIELD] = tenant[TENANT_ROLE_FIELD]
            for field in (PRIMARY_TENANT_ID_FIELD, PRIMARY_CLUSTER_ID_FIELD):
                if tenant[field] is not None:
                    view[field] = tenant[field]
        return view

    def get_cluster(self, cluster_id):
        with self.lock:
            return self.cluster_view(self.cluster(cluster_id))

    def find_clusters(self):
        with self.lock:
            return [self.cluster_view(cluster) for cluster in self.clusters.values()]

    def get_tenant(self, cluster_id, tenant_id):
        with self.lock:
            self.refresh()
            return self.tenant_view(self.tenant_in_cluster(cluster_id, tenant_id))

    def find_tenants(self, cluster_id=None, names=(), modes=(), statuses=()):
        with self.lock:
            self.refresh()
            if cluster_id is not None:
                self.cluster(cluster_id)
            return [
                self.tenant_view(tenant) for tenant in self.tenants.values()
                if (cluster_id is None or tenant["clusterId"] == cluster_id)
                and (not names or any(name_matches(name, tenant["name"]) for name in names))
                and (not modes or tenant["mode"] in modes)
                and (not statuses or tenant["status"] in statuses)
            ]

    def get_task(self, task_id):
        with self.lock:
            self.refresh()
            return copy.deepcopy(self.task(task_id))

    def find_tasks(self, names=(), statuses=(), types=(), cluster_id=None, tenant_id=None, host_id=None):
        """Matching tasks, newest first."""
        with self.lock:
            self.refresh()
            found = [
                copy.deepcopy(task) for task in self.tasks.values()
                if (not names or any(name_matches(name, task["name"]) for name in names))
                and (not statuses or task["status"] in statuses)
                and (not types or task["type"] in types)
                and (cluster_id is None or task["clusterId"] == cluster_id)
                and (tenant_id is None or task["tenantId"] == tenant_id)
                and (host_id is None or task.get("hostId") == host_id)
            ]
        return sorted(found, key=lambda task: task["id"], reverse=True)

    # ----- operations

    def failover_precheck(self, cluster_id, tenant_id):
        """ObTenantPreCheckResult for a standby tenant, as perform-a-failover-precheck.md shows it."""
        with self.lock:
            self.refresh()
            cluster = self.cluster(cluster_id)
            tenant = self.tenant_in_cluster(cluster_id, tenant_id)
            primary = self._primary_of(tenant)
            results = []
            if tenant[TENANT_ROLE_FIELD] != "STANDBY":
                results.append(_check_error(
                    envelope.TENANT_ROLE_NOT_ALLOWED,
                    "The operation is not allowed because the tenant's role is %s." % tenant[TENANT_ROLE_FIELD]))
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
            results.extend(dict(copy.deepcopy(item), warning=False) for item in tenant["errors"])
            results.extend(dict(copy.deepcopy(item), warning=True) for item in tenant["warnings"])
            return {
                "checkResults": results,
                "clusterId": cluster["id"],
                "clusterName": cluster["name"],
                "name": tenant["name"],
                "primaryTenantServiceName": primary["serviceName"] if primary else None,
                "syncScn": tenant["syncScn"],
                "tenantId": tenant["id"],
                "valid": all(result["warning"] for result in results),
            }

    def _primary_of(self, tenant):
        primary = self.tenants.get(tenant[PRIMARY_TENANT_ID_FIELD])
        if primary is None:
            return None
        if tenant[PRIMARY_CLUSTER_ID_FIELD] is not None and primary["clusterId"] != tenant[PRIMARY_CLUSTER_ID_FIELD]:
            return None
        return primary

    @staticmethod
    def _primary_reachable(tenant, primary):
        if tenant["primaryReachable"] is not None:
            return bool(tenant["primaryReachable"])
        return bool(primary["reachable"])

    def create_failover_tasks(self, cluster_id, items, creator, executor, take_task_failure):
        """Validate every item, then create one RUNNING "Failover tenant" task per tenant, all or nothing.

        `items` are already well-formed ({"tenantId": int, "serviceName": str or None});
        `take_task_failure(tenant_id)` returns the task_fail rule for a new task, or None.
        """
        with self.lock:
            now = self._now()
            self.refresh(now)
            for item in items:
                tenant = self.tenant_in_cluster(cluster_id, item["tenantId"])
                if tenant[TENANT_ROLE_FIELD] != "STANDBY":
                    raise ApiError(400, envelope.TENANT_ROLE_NOT_ALLOWED,
                                   "Failover of tenant %s is not allowed because the tenant's role is %s."
                                   % (tenant["name"], tenant[TENANT_ROLE_FIELD]))
                running = self._running_failover(tenant["id"])
                if running is not None:
                    raise ApiError(409, envelope.FAILOVER_ALREADY_RUNNING,
                                   "Tenant %s already has a running failover task %s." % (tenant["name"], running["id"]))
            created = [self._new_failover_task(cluster_id, item, creator, executor, now, take_task_failure(item["tenantId"]))
                       for item in items]
            self.refresh(now)
            return [copy.deepcopy(self.tasks[task_id]) for task_id in created]

    def _running_failover(self, tenant_id):
        for task in self.tasks.values():
            if task["name"] == TASK_NAME and task["tenantId"] == tenant_id and task["status"] == "RUNNING":
                return task
        return None

    def _new_failover_task(self, cluster_id, item, creator, executor, now, failure):
        task_id = self._next_task_id
        first_subtask_id = self._next_subtask_id
        self._next_task_id += 1
        self._next_subtask_id += len(SUBTASK_TEMPLATES)
        self.tasks[task_id] = new_task(task_id, first_subtask_id, cluster_id, item["tenantId"], creator, executor, ocp_time(now))
        order = [first_subtask_id + template.id_offset for template in SUBTASK_TEMPLATES]
        plan = {
            "tenant_id": item["tenantId"],
            "service_name": item.get("serviceName"),
            "order": order,
            "runs": {subtask_id: [] for subtask_id in order},
            "settled": False,
        }
        self._schedule(plan, 0, now, failure)
        self._plans[task_id] = plan
        return task_id

    def retry_task(self, task_id):
        """Resume a FAILED task from its failed subtask."""
        with self.lock:
            now = self._now()
            self.refresh(now)
            task = self.task(task_id)
            if task["status"] != "FAILED":
                raise ApiError(409, envelope.TASK_NOT_RETRYABLE,
                               "Task %s is %s; only a FAILED task can be retried." % (task_id, task["status"]))
            plan = self._plans[task_id]
            position = next(index for index, subtask_id in enumerate(plan["order"])
                            if plan["runs"][subtask_id] and plan["runs"][subtask_id][-1]["fails"])
            self._schedule(plan, position, now)
            task["operation"] = "RETRY"
            for subtask in task["subtasks"]:
                if subtask["id"] == plan["order"][position]:
                    subtask["operation"] = "RETRY"
            plan["settled"] = False
            self.refresh(now)
            return copy.deepcopy(task)

    def subtask_log(self, task_id, subtask_id):
        with self.lock:
            task = self.task(task_id)
            plan = self._plans.get(task_id)
            subtask = next((subtask for subtask in task["subtasks"] if subtask["id"] == subtask_id), None)
            if subtask is None or plan is None:
                raise ApiError(404, envelope.NOT_FOUND, "Subtask %s of task instance %s not found." % (subtask_id, task_id))
            tenant = self.tenants.get(task["tenantId"], {})
            context = {"tenant": tenant.get("name", task["tenantId"]), "tenant_id": task["tenantId"],
                       "service_name": plan["service_name"]}
            runs = copy.deepcopy(plan["runs"][subtask_id])
        return "\n".join(subtask_log_lines(subtask["name"], runs, time.time(), context))

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

    def dump(self):
        with self.lock:
            self.refresh()
            return {
                "clusters": copy.deepcopy(list(self.clusters.values())),
                "tenants": copy.deepcopy(list(self.tenants.values())),
                "tasks": copy.deepcopy(sorted(self.tasks.values(), key=lambda task: task["id"])),
            }


def _subtask_status(runs, now):
    if not runs:
        return "PENDING"
    run = runs[-1]
    if now >= run["end"]:
        return "FAILED" if run["fails"] else "SUCCESSFUL"
    if now > run["start"]:
        return "RUNNING"
    if now == run["start"]:
        return "READY"
    return "PENDING"


def _check_error(code, message):
    return {"errorCode": code, "errorMessage": message, "warning": False}
