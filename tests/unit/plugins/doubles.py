# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The unit tests' one set of test doubles.

- :class:`FakeClock`: a monotonic clock and a ``sleep`` that advances it (no unit test sleeps for real);
- :class:`FakeOcp`: an in-memory OCP behind the :class:`OcpClient` interface (its methods, not HTTP: the client's
  own tests cover HTTP, the e2e tests run the simulator): tenants per cluster with their true roles, tasks that
  progress with the fake clock and switch roles as OCP's do, both task shapes (docs/ocp-api.md, "Tasks"),
  scripted answers and errors per call, and a call log;
- :func:`install_client`: makes ``common.client_from_module`` build that FakeOcp, for tests of a module's main().

For AnsibleModule's exit_json/fail_json, use module_exit.py.
"""

from __future__ import annotations

import datetime
import threading

from ansible_collections.oceanbase.ocp.plugins.module_utils import client as ocp_client
from ansible_collections.oceanbase.ocp.plugins.module_utils import common
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError

CLUSTER_ID = 3000010
OTHER_CLUSTER_ID = 3000020
FAILOVER = "Failover tenant"
SWITCHOVER = "Switchover ob tenant for network mode"

# The subtasks of OCP's batch failover sample, in graph (execution) order, with the sample's seriesIds (which
# disagree with that order), and the order the sample lists them in.
FAILOVER_SUBTASKS = (
    ("Reset log restore source", 3),
    ("Failover to primary tenant", 2),
    ("Upgrade tenant data version", 1),
    ("Create tenant service name", 0),
    ("Update primary tenant info task", 4),
)
FAILOVER_GRAPH_ORDER = [name for name, dummy in FAILOVER_SUBTASKS]
SWITCHOVER_SUBTASKS = (
    ("Switchover check", 0),
    ("Switchover primary to standby", 1),
    ("Update tenant info", 2),
)
LISTED_POSITIONS = {FAILOVER: (1, 0, 3, 4, 2), SWITCHOVER: (2, 0, 1)}
# Subtask id offsets by graph position: like the sample's ids (13025787, 13025788, 13025785, 13025786, 13025789),
# neither do they follow the graph.
ID_OFFSETS = {FAILOVER: (2, 3, 0, 1, 4), SWITCHOVER: (1, 0, 2)}
SUBTASKS = {FAILOVER: FAILOVER_SUBTASKS, SWITCHOVER: SWITCHOVER_SUBTASKS}
# The subtask after which the task's own tenant has its new role, and that role (a switchover's standby, in no
# field of the task, becomes PRIMARY at the same moment).
ROLE_SWITCH = {FAILOVER: ("Failover to primary tenant", "PRIMARY"), SWITCHOVER: ("Switchover primary to standby", "STANDBY")}
# The fields of a subtask in a task list entry (BasicSubtaskInstance): no graph.
BASIC_SUBTASK_FIELDS = ("id", "name", "description", "status", "operation")
# OCP time of fake-clock second 0 (any fixed point: only differences are compared).
EPOCH = datetime.datetime(2024, 7, 23, 17, 42, 34, 56000, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
DEFAULT_TASK_SECONDS = 5.0
FIRST_TASK_ID = 12022226


def ocp_time(seconds):
    """The OCP timestamp of fake-clock time ``seconds``, e.g. "2024-07-23T17:42:34.056+08:00"."""
    moment = EPOCH + datetime.timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds")


class FakeClock:
    """``clock()`` is the time; ``sleep(seconds)`` advances it and records the sleep; ``advance`` for slow calls."""

    def __init__(self, now=0.0):
        self.now = float(now)
        self.sleeps = []
        self._lock = threading.Lock()

    def __call__(self):
        return self.now

    monotonic = __call__

    def sleep(self, seconds):
        assert seconds >= 0, "slept a negative time: %r" % seconds
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds):
        with self._lock:
            self.now += seconds


# --- errors -----------------------------------------------------------------------------------------------


def api_error(status, code=None, message="OCP says no", method="GET", path="/api/v2/x", trace_id=None):
    """An OCP error answer (the envelope's error), as the client raises it."""
    return OcpApiError(method, path, message, status=status, code=code, trace_id=trace_id)


def lost_answer(method="POST", path=ocp_client.FAILOVER_PATH % CLUSTER_ID):
    """The request may have reached OCP, but no answer came back (read timeout, dropped connection)."""
    return OcpApiError(method, path, "no answer from http://ocp:8080 within 2 s (request_timeout)", response_lost=True)


def never_sent(method="POST", path=ocp_client.FAILOVER_PATH % CLUSTER_ID):
    """The request never left (connection refused): no status, not lost."""
    return OcpApiError(method, path, "could not connect to http://ocp:8080: [Errno 111] Connection refused")


# --- scripted outcomes --------------------------------------------------------------------------------------


class Then:
    """A scripted outcome: OCP applies the call, then the client raises ``outcome`` (an OcpApiError) or returns it
    instead of OCP's answer (an applied request whose answer is lost, or an answer that names no task)."""

    def __init__(self, outcome):
        self.outcome = outcome


class Returns:
    """A scripted outcome: the call returns ``value`` and OCP applies nothing."""

    def __init__(self, value):
        self.value = value


def as_usual(proceed, *args, **kwargs):
    """A scripted outcome: the call behaves as it would unscripted (to script a later call)."""
    return proceed()


class Call:
    def __init__(self, method, args, kwargs, at):
        self.method = method
        self.args = args
        self.kwargs = kwargs
        self.at = at

    def __repr__(self):
        return "Call(%s, %r, %r, at=%s)" % (self.method, self.args, self.kwargs, self.at)


class FakeTask:
    """One OCP task: runs its subtasks one after the other, ``seconds`` in all, from ``started_at``; fails at
    subtask ``fail_at`` if set; ``seconds=None`` never finishes. Progress is derived from the clock."""

    def __init__(self, task_id, name, cluster_id, tenant_id, started_at, seconds, fail_at=None, fail_message=None,
                 first_subtask_id=None, recorded_at=None, standby_id=None):
        self.id = task_id
        self.name = name
        self.cluster_id = cluster_id
        self.tenant_id = tenant_id
        self.standby_id = standby_id  # a switchover's standby
        self.created_at = started_at
        self.started_at = started_at
        self.seconds = seconds
        self.fail_at = fail_at
        self.fail_message = fail_message
        self.operation = "EXECUTE"
        self.recorded_at = started_at if recorded_at is None else recorded_at
        self.effect_applied = False
        self.templates = SUBTASKS[name]
        first = first_subtask_id or task_id + 1000000
        self.subtask_ids = [first + offset for offset in ID_OFFSETS[name]]
        self.rerun_from = 0  # subtasks before it succeeded in an earlier run (a retry)

    def _span(self, position):
        count = len(self.templates) - self.rerun_from
        if self.seconds is None:
            return self.started_at, None
        step = self.seconds / count
        index = position - self.rerun_from
        return self.started_at + index * step, self.started_at + (index + 1) * step

    def _fail_position(self):
        names = [name for name, dummy in self.templates]
        return names.index(self.fail_at) if self.fail_at else None

    def subtask_status(self, position, now):
        if position < self.rerun_from:
            return "SUCCESSFUL"
        fail = self._fail_position()
        if fail is not None and position > fail:
            return "PENDING"
        start, end = self._span(position)
        if now < start:
            return "PENDING"
        if end is None or now < end:
            return "RUNNING"
        return "FAILED" if position == fail else "SUCCESSFUL"

    def finish_time(self):
        if self.seconds is None:
            return None
        fail = self._fail_position()
        return self._span(len(self.templates) - 1 if fail is None else fail)[1]

    def status(self, now):
        finish = self.finish_time()
        if finish is None or now < finish:
            return "RUNNING"
        return "FAILED" if self.fail_at else "SUCCESSFUL"

    def role_switched(self, now):
        subtask, dummy = ROLE_SWITCH[self.name]
        position = [name for name, dummy in self.templates].index(subtask)
        return self.subtask_status(position, now) == "SUCCESSFUL"

    def subtasks(self, now, graph=True):
        views = []
        last = len(self.templates) - 1
        for position in LISTED_POSITIONS[self.name]:
            name, series_id = self.templates[position]
            status = self.subtask_status(position, now)
            view = {"id": self.subtask_ids[position], "name": name, "description": name, "status": status,
                    "operation": "RETRY" if position >= self.rerun_from and self.operation == "RETRY" else "EXECUTE",
                    "seriesId": series_id, "nodeType": "JAVA_TASK", "parallelIdx": -1, "runTime": 1,
                    "timeout": 1800, "prohibitRollback": False,
                    "upstreams": [self.subtask_ids[position - 1]] if position > 0 else [],
                    "downstreams": [self.subtask_ids[position + 1]] if position < last else []}
            views.append(view if graph else dict((key, view[key]) for key in BASIC_SUBTASK_FIELDS))
        return views

    def flat_view(self, now):
        """The TaskInstance of OCP's POST answers (flat clusterId/tenantId, creator a name)."""
        view = {"id": self.id, "name": self.name, "clusterId": self.cluster_id, "tenantId": self.tenant_id,
                "creator": "admin", "executor": "10.0.0.1", "status": self.status(now), "type": "MANUAL",
                "operation": self.operation, "prohibitRollback": False, "taskDefinitionId": -1,
                "createTime": ocp_time(self.created_at), "startTime": ocp_time(self.created_at),
                "subtasks": self.subtasks(now)}
        if view["status"] != "RUNNING":
            view["finishTime"] = ocp_time(self.finish_time())
        return view

    def nested_view(self, now, cluster_name, tenant_name, basic=False):
        """A task list entry (BasicTaskInstance, ``basic``) or the task detail (WrappedTaskInstance)."""
        view = {"id": self.id, "name": self.name,
                "cluster": {"id": self.cluster_id, "name": cluster_name, "obClusterId": 1, "type": "STANDBY"},
                "tenant": {"id": self.tenant_id, "name": tenant_name, "obTenantId": 1002, "mode": "MYSQL"},
                "creator": {"id": 100, "name": "admin"}, "status": self.status(now),
                "startTime": ocp_time(self.created_at), "subtasks": self.subtasks(now, graph=not basic)}
        if not basic:
            view.update(type="MANUAL", operation=self.operation, executor="10.0.0.1", prohibitRollback=False,
                        taskDefinitionId=-1, createTime=ocp_time(self.created_at))
        if view["status"] != "RUNNING":
            view["finishTime"] = ocp_time(self.finish_time())
        return view


class FakeOcp:
    """An in-memory OCP with OcpClient's methods; see the module docstring.

    ``shape`` is how the task list and task detail come: "nested" (OCP's task reference: list entries without the
    subtask graph) or "flat" (the POST answers' form everywhere); POST answers are always flat. With
    ``expose_roles`` tenants carry the (assumed) tenantRole field; without, only tasks and prechecks tell the role.
    ``precheck_role_error`` makes OBE26013 an error answer rather than a check result. ``record_delay`` seconds
    pass before a new task shows in the task list and detail. ``refuse_running`` refuses a failover of a tenant
    with a running role-changing task (409), as the simulator does by default.

    ``script(method, *outcomes)`` scripts the next calls of a method: an exception is raised (nothing applied),
    ``Then(x)`` applies the call then raises or returns x, ``Returns(v)`` returns v (nothing applied), a callable
    is called as ``fn(proceed, *args, **kwargs)``. ``latency[method]`` seconds pass on the clock during each call.
    ``precheck_answers[tenant_id]`` is the raw precheck answer (or an exception to raise) for that tenant, instead of
    the one derived from its role: per tenant, so it holds whatever order concurrent prechecks come in.
    ``when(at, action)`` runs ``action()`` at the first call at or after fake time ``at`` (another job acts).
    Every call is logged in ``calls`` (before its outcome).
    """

    def __init__(self, clock=None, shape="nested", expose_roles=False, precheck_role_error=False, record_delay=0.0,
                 task_seconds=DEFAULT_TASK_SECONDS, refuse_running=True):
        self.clock = clock or FakeClock()
        self.shape = shape
        self.expose_roles = expose_roles
        self.precheck_role_error = precheck_role_error
        self.record_delay = record_delay
        self.task_seconds = task_seconds
        self.refuse_running = refuse_running
        self.clusters = {CLUSTER_ID: "dr_cluster", OTHER_CLUSTER_ID: "main_cluster"}
        self.tenants = {}
        self.tasks = {}
        self.calls = []
        self.latency = {}
        self.logs = {}
        self.precheck_answers = {}
        self.next_failures = {}
        self.closed = False
        self._scripts = {}
        self._events = []
        self._next_task_id = FIRST_TASK_ID
        self._lock = threading.RLock()

    # --- setting up -------------------------------------------------------------------------------------

    def add_tenant(self, tenant_id, role="STANDBY", name=None, cluster_id=CLUSTER_ID):
        self.tenants[tenant_id] = {"id": tenant_id, "name": name or "tenant_%d" % tenant_id, "clusterId": cluster_id,
                                   "role": role, "status": "NORMAL"}
        return tenant_id

    def add_task(self, tenant_id, name=FAILOVER, status="RUNNING", failed_subtask=None, seconds=None,
                 ago=None, cluster_id=None, standby_id=None):
        """A task in OCP's history (applied effects are the test's business: set the roles it left).

        RUNNING: started now, ends after ``seconds`` (None: the FakeOcp's task time; "never" to run forever) and
        then switches the role (a switchover's, with ``standby_id``, both roles) as a real one would.
        SUCCESSFUL/FAILED: finished ``ago`` seconds ago.
        """
        with self._lock:
            now = self.clock()
            if status == "RUNNING":
                duration = None if seconds == "never" else (self.task_seconds if seconds is None else seconds)
                task = self._new_task(name, cluster_id, tenant_id, now, duration, failed_subtask, standby_id=standby_id)
                task.recorded_at = now
            else:
                duration = self.task_seconds if seconds is None else seconds
                started = now - duration - (60.0 if ago is None else ago)
                fail_at = failed_subtask or (SUBTASKS[name][0][0] if status == "FAILED" else None)
                task = self._new_task(name, cluster_id, tenant_id, started, duration, fail_at, standby_id=standby_id)
                task.recorded_at = started
                task.effect_applied = True
                assert task.status(now) == status
            return task.id

    def fail_next_task(self, tenant_id, subtask, message="ErrorCode = 4012, Details = timeout on zone2"):
        """The next task run for the tenant (a new task or a retry) fails at ``subtask``."""
        self.next_failures[tenant_id] = (subtask, message)

    def script(self, method, *outcomes):
        with self._lock:
            self._scripts.setdefault(method, []).extend(outcomes)

    def when(self, at, action):
        self._events.append((at, action))

    def role(self, tenant_id):
        self._refresh()
        return self.tenants[tenant_id]["role"]

    # --- what happened ----------------------------------------------------------------------------------

    def calls_to(self, *methods):
        return [call for call in self.calls if call.method in methods]

    def submissions(self):
        """The item lists of every failover POST."""
        return [call.args[1] for call in self.calls_to("failover")]

    def writes(self):
        """Calls that change something in OCP (prechecks change nothing)."""
        return self.calls_to("failover", "switchover", "retry_task")

    def tasks_of(self, tenant_id):
        return [task for task in self.tasks.values() if task.tenant_id == tenant_id]

    # --- the OcpClient interface --------------------------------------------------------------------------

    def list_tenants(self, cluster_id, **filters):
        return self._call("list_tenants", self._list_tenants, cluster_id, **filters)

    def list_all_tenants(self, **filters):
        return self._call("list_all_tenants", self._list_all_tenants, **filters)

    def list_clusters(self, **filters):
        return self._call("list_clusters", self._list_clusters, **filters)

    def get_tenant(self, cluster_id, tenant_id):
        return self._call("get_tenant", self._get_tenant, cluster_id, tenant_id)

    def list_tasks(self, **filters):
        return self._call("list_tasks", self._list_tasks, **filters)

    def get_task(self, task_id):
        return self._call("get_task", self._get_task, task_id)

    def get_subtask_log(self, task_id, subtask_id):
        return self._call("get_subtask_log", self._get_subtask_log, task_id, subtask_id)

    def failover_precheck(self, cluster_id, tenant_id):
        return self._call("failover_precheck", self._failover_precheck, cluster_id, tenant_id)

    def failover(self, cluster_id, items):
        return self._call("failover", self._failover, cluster_id, [dict(item) for item in items])

    def switchover(self, cluster_id, pairs):
        return self._call("switchover", self._switchover, cluster_id, [dict(pair) for pair in pairs])

    def retry_task(self, task_id):
        return self._call("retry_task", self._retry_task, task_id)

    def close(self):
        self.closed = True

    # --- behind the interface ---------------------------------------------------------------------------

    def _call(self, method, default, *args, **kwargs):
        with self._lock:
            due = [event for event in self._events if event[0] <= self.clock()]
            self._events = [event for event in self._events if event not in due]
            for dummy, action in due:
                action()
            self.calls.append(Call(method, args, kwargs, self.clock()))
            script = self._scripts.get(method)
            outcome = script.pop(0) if script else None
        if self.latency.get(method):
            self.clock.advance(self.latency[method])

        def proceed(*call_args, **call_kwargs):
            with self._lock:
                self._refresh()
                return default(*(call_args or args), **(call_kwargs or kwargs))

        if outcome is None:
            return proceed()
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, Returns):
            return outcome.value
        if isinstance(outcome, Then):
            proceed()
            if isinstance(outcome.outcome, BaseException):
                raise outcome.outcome
            return outcome.outcome
        return outcome(proceed, *args, **kwargs)

    def _refresh(self):
        """Apply the role switches of tasks that have passed their role-switch subtask by now."""
        now = self.clock()
        for task in self.tasks.values():
            if not task.effect_applied and task.role_switched(now) and task.tenant_id in self.tenants:
                self.tenants[task.tenant_id]["role"] = ROLE_SWITCH[task.name][1]
                if task.standby_id in self.tenants:
                    self.tenants[task.standby_id]["role"] = "PRIMARY"
                task.effect_applied = True

    def _new_task(self, name, cluster_id, tenant_id, now, seconds, fail_at=None, fail_message=None, standby_id=None):
        tenant = self.tenants.get(tenant_id) or {}
        task_id = self._next_task_id
        self._next_task_id += 1
        task = FakeTask(task_id, name, cluster_id or tenant.get("clusterId", CLUSTER_ID), tenant_id, now, seconds,
                        fail_at=fail_at, fail_message=fail_message, recorded_at=now + self.record_delay,
                        standby_id=standby_id)
        self.tasks[task_id] = task
        return task

    def _tenant_view(self, tenant):
        view = {"id": tenant["id"], "name": tenant["name"], "clusterId": tenant["clusterId"],
                "clusterName": self.clusters.get(tenant["clusterId"]), "status": tenant["status"], "mode": "MYSQL"}
        if self.expose_roles:
            view["tenantRole"] = tenant["role"]
        return view

    def _not_found(self, method, path, code, message):
        return OcpApiError(method, path, message, status=404, code=code)

    def _cluster(self, method, path, cluster_id):
        if cluster_id not in self.clusters:
            raise self._not_found(method, path, "OBE11001", "Cluster %s not found." % cluster_id)

    def _tenant_in(self, method, path, cluster_id, tenant_id):
        self._cluster(method, path, cluster_id)
        tenant = self.tenants.get(tenant_id)
        if tenant is None or tenant["clusterId"] != cluster_id:
            raise self._not_found(method, path, "OBE21002", "Tenant %s not found in cluster %s." % (tenant_id, cluster_id))
        return tenant

    @staticmethod
    def _name_matches(filters, name):
        """OCP's `name` filters are keywords, matched fuzzily (docs/ocp-api.md, "Lists"): a case-insensitive part."""
        return "name" not in filters or str(filters["name"]).lower() in str(name).lower()

    def _list_tenants(self, cluster_id, **filters):
        self._cluster("GET", ocp_client.CLUSTER_TENANTS_PATH % cluster_id, cluster_id)
        return [self._tenant_view(tenant) for tenant in self.tenants.values()
                if tenant["clusterId"] == cluster_id and self._name_matches(filters, tenant["name"])]

    def _list_all_tenants(self, **filters):
        return [self._tenant_view(tenant) for tenant in self.tenants.values()
                if self._name_matches(filters, tenant["name"])]

    def _list_clusters(self, **filters):
        return [{"id": cluster_id, "name": name, "status": "RUNNING"} for cluster_id, name in self.clusters.items()
                if self._name_matches(filters, name)]

    def _get_tenant(self, cluster_id, tenant_id):
        return self._tenant_view(self._tenant_in("GET", ocp_client.TENANT_PATH % (cluster_id, tenant_id), cluster_id,
                                                 tenant_id))

    def _visible(self, task, now):
        return now >= task.recorded_at

    def _task_view(self, task, now, basic=False):
        if self.shape == "flat":
            return task.flat_view(now)
        tenant = self.tenants.get(task.tenant_id) or {}
        return task.nested_view(now, self.clusters.get(task.cluster_id), tenant.get("name"), basic=basic)

    def _list_tasks(self, **filters):
        now = self.clock()
        statuses = str(filters.get("status") or "").split(",") if filters.get("status") else None
        found = []
        for task in sorted(self.tasks.values(), key=lambda task: -task.id):  # newest first
            if not self._visible(task, now):
                continue
            if "name" in filters and str(filters["name"]).lower() not in task.name.lower():  # fuzzy, as OCP's
                continue
            if "clusterId" in filters and task.cluster_id != filters["clusterId"]:
                continue
            if "tenantId" in filters and task.tenant_id != filters["tenantId"]:
                continue
            if statuses and task.status(now) not in statuses:
                continue
            found.append(self._task_view(task, now, basic=True))
        return found

    def _get_task(self, task_id):
        now = self.clock()
        task = self.tasks.get(task_id)
        if task is None or not self._visible(task, now):
            raise self._not_found("GET", ocp_client.TASK_PATH % task_id, "TSK10001",
                                  "Task instance %s not found." % task_id)
        return self._task_view(task, now)

    def _get_subtask_log(self, task_id, subtask_id):
        task = self.tasks[task_id]
        if subtask_id in self.logs:
            return self.logs[subtask_id]
        lines = ["2024-07-23 17:42:%02d.000 INFO line %d of subtask %d" % (index, index, subtask_id)
                 for index in range(1, 16)]
        if task.fail_message:
            lines.append("2024-07-23 17:42:16.000 ERROR %s" % task.fail_message)
        return "\n".join(lines) + "\n"

    def _failover_precheck(self, cluster_id, tenant_id):
        path = ocp_client.PRECHECK_PATH % (cluster_id, tenant_id)
        if tenant_id in self.precheck_answers:
            answer = self.precheck_answers[tenant_id]
            if isinstance(answer, BaseException):
                raise answer
            return answer
        tenant = self._tenant_in("POST", path, cluster_id, tenant_id)
        checks = []
        if tenant["role"] != "STANDBY":
            message = "The operation is not allowed because the tenant's role is %s: tenant %s." % (
                tenant["role"], tenant["name"])
            if self.precheck_role_error:
                raise OcpApiError("POST", path, message, status=400, code="OBE26013")
            checks.append({"errorCode": "OBE26013", "errorMessage": message, "warning": False})
        return {"valid": not checks, "checkResults": checks, "tenantId": tenant_id, "name": tenant["name"],
                "clusterId": cluster_id, "clusterName": self.clusters[cluster_id], "primaryTenantServiceName": None}

    def _failover(self, cluster_id, items):
        path = ocp_client.FAILOVER_PATH % cluster_id
        now = self.clock()
        for item in items:
            tenant = self._tenant_in("POST", path, cluster_id, item["tenantId"])
            if tenant["role"] != "STANDBY":
                raise OcpApiError("POST", path, "Failover of tenant %s is not allowed because the tenant's role is %s."
                                  % (tenant["name"], tenant["role"]), status=400, code="OBE26013")
            if self.refuse_running and any(task.status(now) == "RUNNING" for task in self.tasks_of(tenant["id"])):
                raise OcpApiError("POST", path, "Tenant %s already has a running task." % tenant["name"], status=409,
                                  code="OBE21005")
        created = []
        for item in items:
            fail_at, message = self.next_failures.pop(item["tenantId"], (None, None))
            created.append(self._new_task(FAILOVER, cluster_id, item["tenantId"], now, self.task_seconds, fail_at,
                                          message))
        return [task.flat_view(now) for task in created]

    def _switchover(self, cluster_id, pairs):
        """One switchover task per pair, all or nothing; the task is the primary's (its cluster, its tenantId)."""
        path = ocp_client.SWITCHOVER_PATH % cluster_id
        now = self.clock()
        for pair in pairs:
            primary = self._tenant_in("POST", path, cluster_id, pair["tenantId"])
            standby = self.tenants.get(pair["standbyTenantId"])
            if standby is None:
                raise self._not_found("POST", path, "OBE21003", "Tenant %s not found." % pair["standbyTenantId"])
            for tenant, role in ((primary, "PRIMARY"), (standby, "STANDBY")):
                if tenant["role"] != role:
                    raise OcpApiError("POST", path, "The operation is not allowed because the tenant's role is %s: "
                                      "tenant %s." % (tenant["role"], tenant["name"]), status=400, code="OBE26013")
                if self.refuse_running and any(task.status(now) == "RUNNING" for task in self.tasks_of(tenant["id"])):
                    raise OcpApiError("POST", path, "Tenant %s already has a running task." % tenant["name"],
                                      status=409, code="OBE21005")
        created = []
        for pair in pairs:
            fail_at, message = self.next_failures.pop(pair["tenantId"], (None, None))
            created.append(self._new_task(SWITCHOVER, cluster_id, pair["tenantId"], now, self.task_seconds, fail_at,
                                          message, standby_id=pair["standbyTenantId"]))
        return [task.flat_view(now) for task in created]

    def _retry_task(self, task_id):
        path = ocp_client.TASK_RETRY_PATH % task_id
        now = self.clock()
        task = self.tasks.get(task_id)
        if task is None:
            raise self._not_found("POST", path, "TSK10001", "Task instance %s not found." % task_id)
        if task.status(now) != "FAILED":
            raise OcpApiError("POST", path, "Task %s is not FAILED." % task_id, status=409, code="TSK10007")
        task.rerun_from = task._fail_position()
        task.started_at = now
        task.seconds = self.task_seconds
        task.fail_at, task.fail_message = self.next_failures.pop(task.tenant_id, (None, None))
        task.operation = "RETRY"
        return self._task_view(task, now)


def install_client(monkeypatch, ocp):
    """Make the modules' client (common.client_from_module) this FakeOcp; its constructor kwargs end up in
    ``ocp.client_kwargs``."""
    def factory(**kwargs):
        ocp.client_kwargs = kwargs
        return ocp

    monkeypatch.setattr(common, "OcpClient", factory)
    return ocp
