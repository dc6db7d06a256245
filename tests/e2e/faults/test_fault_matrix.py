"""The fault-injection matrix: every module and the role, through ansible-playbook at -vvv, against a misbehaving OCP.

One case per fault, each with its expected outcome. Every case is also checked, and counted in the closing table
(conftest.py), for what must never happen whatever the fault: a Python traceback, a secret in the output, a tenant
failed over twice. The credentials of the scenario are the canaries: AK/SK runs and Basic runs alternate, and
neither secret may appear anywhere in what ansible printed.

Each case has a simulator of its own, so its request log and its tasks are its own. The bad module inputs run as one
playbook (a task per case, each with its own slice of the output); the cases that mostly sleep (retry backoff, grace
periods, timeouts) run as concurrent playbooks; every other case runs its own playbook when its turn comes.
Timings are lower bounds only; nothing asserts how fast anything was.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import dataclasses
import fnmatch
import json
import re
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

import pytest
import yaml
from harness import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ADMIN_PASSWORD, ADMIN_USER, SECRETS, crashed
from ocp_simulator import Simulator
from ocp_simulator.failover import SUBTASK_NAMES

PRECHECK = "oceanbase.ocp.ocp_failover_precheck"
FAILOVER = "oceanbase.ocp.ocp_tenant_failover"
ROLE = "oceanbase.ocp.precheck_then_failover"  # the playbook that runs the role oceanbase.ocp.tenant_failover
ROLE_PRECHECK_TASK = "Precheck every tenant"
ROLE_WAIT_TASK = "Wait for OCP's failover tasks"  # the role's second module run: attaches to the tasks and waits
ROLE_SUMMARY_TASK = "Summarise the failover"  # sets tenant_failover_summary: each tenant's action, task and role
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
VERBOSITY = 3

STANDBY_CLUSTER = 3000010
OHAYO = 2000025  # ohayo_2: a standby whose primary is down
SALES = 2000026  # sales_2: the same
UNKNOWN_CLUSTER = 3999999
UNKNOWN_TENANT = 2999999

VIEWER_USER = "viewer"  # read-only accounts of the default scenario
VIEWER_PASSWORD = "V1ewer-Secret!"
VIEWER_KEY_ID = "AKVIEWER0001"
VIEWER_KEY_SECRET = "SKviewer-secret-0001"
WRONG_PASSWORD = "Wr0ng-Passw0rd!"
WRONG_KEY_SECRET = "SKwrong-secret-9999"

# Fault rule paths are fnmatch globs, where * also matches "/": the tenant GET glob needs method GET.
FAILOVER_POST = "/api/v2/ob/clusters/*/tenants/failover"
PRECHECK_POST = "/api/v2/ob/clusters/*/tenants/*/failoverPreCheck"
TENANT_GET = "/api/v2/ob/clusters/*/tenants/*"
TASK_LIST = "/api/v2/tasks/instances"
FAILOVER_TASK_NAME = "Failover tenant"

# The client's read retry budget (plugins/module_utils/client.py, max_retries=4): five attempts in all.
RETRIES = 4
ATTEMPTS = RETRIES + 1

# A failover subtask slow enough that a rerun attaches while the task still runs, even on a slow, busy machine: after
# the first run times out, the rerun starts ansible-playbook again (and, for the role, runs two tasks) before it reads.
RERUN_FAILOVER_TIMING = {"subtask_seconds_by_name": {"Failover to primary tenant": 30.0}}
# The role submits (wait: false), prints the task ids, then waits in a second module run: with a subtask of a few
# seconds the task still runs when that run reads, so it attaches to the task (and a failing subtask fails while it
# waits), even on a slow, busy machine.
ROLE_TASK_TIMING = {"subtask_seconds_by_name": {"Failover to primary tenant": 4.0}}
# Long enough that the module still waits when the simulator stops right after the failover request.
RESTART_FAILOVER_TIMING = {"subtask_seconds_by_name": {"Failover to primary tenant": 8.0}}

# Cases run in a group when the first of them comes up: BATCH in one playbook, SLOW (they mostly sleep through retry
# backoff, grace periods and timeouts) as concurrent playbooks, at most SLOW_WORKERS at a time.
BATCH, SLOW = "batch", "slow"
SLOW_WORKERS = 6
RUN_TIMEOUT = 600

# What the request log must show: ANY (no constraint), NO_FAILOVER (no failover request), NOTHING (no /api request).
ANY, NO_FAILOVER, NOTHING = "any", "no failover request", "no request at all"

TASK_HEADER = re.compile(r"^TASK \[(?P<name>.*)\] \*+$", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class SimUrl:
    """A URL made from the case's simulator when the case runs: `form` is a key of sim_url()."""

    form: str


@dataclasses.dataclass(frozen=True)
class Absent:
    """Marks an option the task leaves out, even one the run's connection settings would give it."""


ABSENT = Absent()
# Connection options reach the task through variables, as secrets do in real playbooks: ansible-core 2.19 prints the
# playbook lines around a failing task, which would otherwise show a neighbouring task's literal password.
CONNECTION_OPTIONS = ("api_url", "username", "password", "access_key_id", "access_key_secret")


@dataclasses.dataclass(frozen=True)
class Rerun:
    """A second run of the case, without faults, right after the first: it must succeed with these result fields."""

    args: dict  # overrides of the case's arguments
    fields: dict


@dataclasses.dataclass(frozen=True)
class Case:
    """One fault (or bad input) and the outcome it must have."""

    id: str
    target: str  # PRECHECK, FAILOVER or ROLE
    args: dict  # the module's options, or the role's variables
    faults: tuple = ()  # rules for simulator.add_fault(), added before the run
    auth: str | None = "basic"  # the run's credentials: "basic", "aksk", or None when the case sets its own
    failed: bool = False  # whether the run must fail (rc 2, the task failed)
    messages: tuple = ()  # fragments of the failure message (of the output when the run succeeds)
    fields: dict = dataclasses.field(default_factory=dict)  # "dotted.path" (with * for every item) in the result -> value
    sent: str = ANY  # what the request log must show: ANY, NO_FAILOVER or NOTHING
    attempts: tuple | None = None  # (method, path glob, statuses in order, or how many requests)
    failover_tasks: int | None = None  # "Failover tenant" tasks each requested tenant has at the end
    timing: dict = dataclasses.field(default_factory=dict)  # scenario timing overrides
    secrets: tuple = ()  # canaries besides the admin password and the access key secret
    failing_task: str | None = None  # role cases: the task that must fail
    rerun: Rerun | None = None
    restart_for: float = 0.0  # stop the simulator this long once the failover request is in
    check: Callable | None = None  # further expectations: Outcome -> list of problems
    group: str | None = None  # BATCH or SLOW: run together with the other cases of the group (GROUP_RUNNERS)
    bug: str | None = None  # a known bug of the collection: the case is a strict xfail with this reason


@dataclasses.dataclass
class Run:
    rc: int | None  # None in the batch: there the task's status says whether it failed
    output: str
    results: list


@dataclasses.dataclass
class Outcome:
    case: Case
    runs: list
    requests: list  # the simulator's request log over all runs
    tasks: list  # the simulator's tasks at the end
    notes: list = dataclasses.field(default_factory=list)  # problems found while running
    restarted_at: float | None = None


PRECHECK_ARGS = {"cluster_id": STANDBY_CLUSTER, "tenant_id": OHAYO}
TWO_TENANTS = [{"tenant_id": OHAYO, "service_name": "SVC_OHAYO"}, {"tenant_id": SALES}]
FAILOVER_ARGS = {"cluster_id": STANDBY_CLUSTER, "tenants": TWO_TENANTS}
ROLE_VARS = {"tenant_failover_cluster_id": STANDBY_CLUSTER, "tenant_failover_tenants": TWO_TENANTS,
             "tenant_failover_wait_timeout": 120}
ATTACHED_AND_SUCCEEDED = {"tenants.*.action": ["attached_to_running_task"] * 2, "tenants.*.task_status": ["SUCCESSFUL"] * 2,
                          "tenants.*.role_after": ["PRIMARY"] * 2}
BOTH_FAILED_OVER = {"tenants.*.action": ["failed_over"] * 2, "tenants.*.task_status": ["SUCCESSFUL"] * 2,
                    "tenants.*.role_after": ["PRIMARY"] * 2}


def precheck_case(case_id, args=None, **expectations):
    expectations.setdefault("failover_tasks", 0)  # a precheck never starts a failover
    return Case(case_id, PRECHECK, dict(PRECHECK_ARGS, **(args or {})), **expectations)


def failover_case(case_id, args=None, **expectations):
    return Case(case_id, FAILOVER, dict(FAILOVER_ARGS, **(args or {})), **expectations)


def role_case(case_id, variables=None, **expectations):
    return Case(case_id, ROLE, dict(ROLE_VARS, **(variables or {})), **expectations)


def status_fault(path, status, count=None, method="POST", **params):
    return dict(method=method, path=path, action="status", status=status, count=count, **params)


def subtask_slug(name):
    return name.lower().replace(" ", "-")


# ----- expectations that need the simulator's ids

def names_failed_subtask(subtask_name, tenant_id=SALES, tenant_name="sales_2"):
    """The failure message names the tenant, its task, the failed subtask and quotes the subtask's log."""

    def check(outcome):
        tasks = [task for task in outcome.tasks if task["tenantId"] == tenant_id]
        if len(tasks) != 1:
            return ["expected one task for tenant %d, found %d" % (tenant_id, len(tasks))]
        task = tasks[0]
        subtask = next(subtask for subtask in task["subtasks"] if subtask["name"] == subtask_name)
        message = failure_message(outcome.case, outcome.runs[0])
        fragments = [
            "tenant %d (%s): task %d FAILED at subtask '%s' (id %d), last log lines:"
            % (tenant_id, tenant_name, task["id"], subtask_name, subtask["id"]),
            "Execute sql failed: %s" % injected_failure(subtask_name),
            "POST /api/v2/tasks/instances/%d/retry" % task["id"],
        ]
        return ["%r not in the failure message: %s" % (text, message) for text in fragments if text not in message]

    return check


def injected_failure(subtask_name):
    return "ErrorCode = 4012, Details = injected failure at %s" % subtask_name


def names_running_tasks(outcome):
    """A timed-out wait names every tenant's task, still RUNNING."""
    message = failure_message(outcome.case, outcome.runs[0])
    problems = []
    for task in outcome.tasks:
        text = "tenant %d" % task["tenantId"]
        if text not in message or "task %d RUNNING" % task["id"] not in message:
            problems.append("the timeout message does not name %s's task %d RUNNING: %s" % (text, task["id"], message))
    return problems


def waited_between_attempts(seconds):
    """Each retry of the faulted precheck came at least `seconds` after the previous attempt (what OCP asked for)."""

    def check(outcome):
        times = [entry["time"] for entry in outcome.requests if fnmatch.fnmatchcase(entry["path"], PRECHECK_POST)]
        gaps = [later - earlier for earlier, later in zip(times, times[1:])]
        # A little slack: the log holds arrival times, and the first attempt may have arrived late
        return ["retried after %.2f s, before the %g s the rate-limit headers asked for" % (gap, seconds)
                for gap in gaps if gap < seconds * 0.9]

    return check


def polls_resumed_after_restart(outcome):
    polls = [entry for entry in outcome.requests if entry["path"] == TASK_LIST and entry["time"] > outcome.restarted_at]
    return [] if polls else ["no task poll reached the simulator after its restart"]


# ----- the cases

PRECHECK_CASES = [
    precheck_case("precheck-401-wrong-password", {"password": WRONG_PASSWORD}, failed=True, secrets=(WRONG_PASSWORD,),
                  messages=("HTTP 401 IAM10004", "Check username/password (or OCP_USERNAME/OCP_PASSWORD)."),
                  attempts=("POST", PRECHECK_POST, [401])),
    precheck_case("precheck-401-injected-aksk", auth="aksk", faults=(status_fault(PRECHECK_POST, 401),), failed=True,
                  messages=("HTTP 401 IAM10000", "Check access_key_id/access_key_secret"),
                  attempts=("POST", PRECHECK_POST, [401])),
    precheck_case("precheck-403-read-only-user", {"username": VIEWER_USER, "password": VIEWER_PASSWORD}, failed=True,
                  secrets=(VIEWER_PASSWORD,), messages=("HTTP 403 IAM11000", "lacks permission"),
                  attempts=("POST", PRECHECK_POST, [403])),
    precheck_case("precheck-404-cluster", {"cluster_id": UNKNOWN_CLUSTER}, auth="aksk", failed=True,
                  messages=("HTTP 404 COM10002", "Cluster %d not found" % UNKNOWN_CLUSTER,
                            "OCP does not know this cluster: check cluster_id"),
                  attempts=("POST", PRECHECK_POST, [404])),
    precheck_case("precheck-404-tenant", {"tenant_id": UNKNOWN_TENANT}, failed=True, attempts=("POST", PRECHECK_POST, [404]),
                  messages=("HTTP 404 OBE21002", "OCP does not know this tenant in this cluster: check tenant_id",
                            "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, UNKNOWN_TENANT))),
    precheck_case("precheck-429-burst-absorbed", auth="aksk", faults=(status_fault(PRECHECK_POST, 429, count=2, reset=1),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [429, 429, 200]), check=waited_between_attempts(1)),
    precheck_case("precheck-429-beyond-retry-budget", faults=(status_fault(PRECHECK_POST, 429, reset=0.5),), failed=True,
                  messages=("HTTP 429", "OCP is rate-limiting requests"),
                  attempts=("POST", PRECHECK_POST, [429] * ATTEMPTS), group=SLOW),
    precheck_case("precheck-500-burst-absorbed", faults=(status_fault(PRECHECK_POST, 500, count=2),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [500, 500, 200])),
    precheck_case("precheck-502-burst-absorbed", auth="aksk", faults=(status_fault(PRECHECK_POST, 502, count=3),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [502, 502, 502, 200]), group=SLOW),
    precheck_case("precheck-503-burst-as-long-as-the-budget-absorbed", faults=(status_fault(PRECHECK_POST, 503, count=RETRIES),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [503] * RETRIES + [200]), group=SLOW),
    precheck_case("precheck-503-burst-one-longer-than-the-budget", auth="aksk",
                  faults=(status_fault(PRECHECK_POST, 503, count=ATTEMPTS),), failed=True,
                  messages=("HTTP 503 COM10000", "OCP server error: quote traceId"),
                  attempts=("POST", PRECHECK_POST, [503] * ATTEMPTS), group=SLOW),
    precheck_case("precheck-500-beyond-retry-budget", faults=(status_fault(PRECHECK_POST, 500),), failed=True,
                  messages=("HTTP 500 COM10000", "OCP server error: quote traceId"),
                  attempts=("POST", PRECHECK_POST, [500] * ATTEMPTS), group=SLOW),
    precheck_case("precheck-html-error-page-absorbed", faults=({"path": PRECHECK_POST, "action": "html", "count": 1},),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [502, 200])),
    precheck_case("precheck-malformed-json", auth="aksk", faults=({"path": PRECHECK_POST, "action": "malformed_json"},),
                  failed=True, messages=("the response is not valid JSON (truncated or corrupted?",),
                  attempts=("POST", PRECHECK_POST, [200])),
    precheck_case("precheck-connection-refused", {"api_url": SimUrl("closed port")}, failed=True,
                  messages=("could not connect to http://127.0.0.1:", "Check api_url and the network"), group=SLOW),
    precheck_case("precheck-read-timeout-absorbed", {"request_timeout": 2}, auth="aksk",
                  faults=({"path": PRECHECK_POST, "action": "latency", "seconds": 6, "count": 1},),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, 2), group=SLOW),
    precheck_case("precheck-read-timeout-beyond-retry-budget", {"request_timeout": 1},
                  faults=({"path": PRECHECK_POST, "action": "latency", "seconds": 3},), failed=True,
                  messages=("no answer from http://127.0.0.1:", "within 1 s (request_timeout)", "Raise request_timeout"),
                  attempts=("POST", PRECHECK_POST, ATTEMPTS), group=SLOW),
    precheck_case("precheck-dropped-connection-absorbed", auth="aksk",
                  faults=({"path": PRECHECK_POST, "action": "drop", "count": 2},),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [None, None, 200])),
    precheck_case("precheck-empty-password", {"password": ""}, failed=True, sent=NOTHING,
                  messages=("set either username and password", "empty values count as unset")),
    precheck_case("precheck-empty-access-key-secret", {"access_key_secret": ""}, auth="aksk", failed=True, sent=NOTHING,
                  messages=("set either username and password", "empty values count as unset")),
    precheck_case(
        "precheck-empty-access-key-id", {"api_url": SimUrl("plain"), "access_key_id": "", "access_key_secret": ACCESS_KEY_SECRET},
        auth=None, failed=True, messages=("access_key_id",)),
]

FAILOVER_CASES = [
    failover_case("failover-401-wrong-access-key-secret", {"access_key_secret": WRONG_KEY_SECRET}, auth="aksk", failed=True,
                  secrets=(WRONG_KEY_SECRET,), sent=NO_FAILOVER, failover_tasks=0,
                  messages=("HTTP 401 IAM10004", "Check access_key_id/access_key_secret")),
    failover_case("failover-401-on-the-failover-request", faults=(status_fault(FAILOVER_POST, 401),), failed=True,
                  failover_tasks=0, attempts=("POST", FAILOVER_POST, [401]),
                  messages=("OCP answered the failover request for tenants %d, %d with an error" % (OHAYO, SALES),
                            "HTTP 401 IAM10000", "Check username/password")),
    failover_case("failover-403-read-only-access-key", {"access_key_id": VIEWER_KEY_ID, "access_key_secret": VIEWER_KEY_SECRET},
                  auth="aksk", failed=True, secrets=(VIEWER_KEY_SECRET,), failover_tasks=0,
                  attempts=("POST", FAILOVER_POST, [403]), messages=("HTTP 403 IAM11000", "lacks permission")),
    failover_case("failover-404-cluster", {"cluster_id": UNKNOWN_CLUSTER}, failed=True, sent=NO_FAILOVER, failover_tasks=0,
                  messages=("tenant %d not found in cluster %d: check cluster_id/tenant_id" % (OHAYO, UNKNOWN_CLUSTER),)),
    failover_case("failover-404-tenant", {"tenants": TWO_TENANTS + [{"tenant_id": UNKNOWN_TENANT}]}, auth="aksk",
                  failed=True, sent=NO_FAILOVER, failover_tasks=0,
                  messages=("tenant %d not found in cluster %d: check cluster_id/tenant_id" % (UNKNOWN_TENANT, STANDBY_CLUSTER),)),
    failover_case("failover-409-conflict", auth="aksk", failed=True, failover_tasks=0,
                  faults=(status_fault(FAILOVER_POST, 409, count=1, message="Tenant ohayo_2 already has a running failover task."),),
                  attempts=("POST", FAILOVER_POST, [409]),
                  messages=("HTTP 409", "already has a running failover task", "another operation may be running")),
    failover_case("failover-429-on-the-failover-request-is-not-retried", faults=(status_fault(FAILOVER_POST, 429, count=1),),
                  failed=True, failover_tasks=0, attempts=("POST", FAILOVER_POST, [429]), messages=("HTTP 429",)),
    failover_case("failover-429-burst-on-reads-absorbed", auth="aksk",
                  faults=(status_fault(TENANT_GET, 429, count=2, method="GET", reset=0.5),),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    failover_case("failover-500-on-the-failover-request", faults=(status_fault(FAILOVER_POST, 500),), failed=True,
                  failover_tasks=0, attempts=("POST", FAILOVER_POST, [500]),
                  messages=("OCP answered the failover request for tenants %d, %d with an error" % (OHAYO, SALES),
                            "HTTP 500 COM10000")),
    failover_case("failover-502-burst-on-reads-absorbed", faults=(status_fault(TENANT_GET, 502, count=3, method="GET"),),
                  fields=BOTH_FAILED_OVER, failover_tasks=1),
    failover_case("failover-502-on-reads-beyond-retry-budget", auth="aksk",
                  faults=(status_fault(TENANT_GET, 502, method="GET"),), failed=True, sent=NO_FAILOVER, failover_tasks=0,
                  messages=("GET /api/v2/ob/clusters/%d/tenants/%d failed: HTTP 502" % (STANDBY_CLUSTER, OHAYO),), group=SLOW),
    failover_case("failover-503-burst-while-waiting-absorbed",
                  faults=(status_fault(TASK_LIST, 503, method="GET", skip=1, count=2),),
                  fields=BOTH_FAILED_OVER, failover_tasks=1),
    failover_case("failover-503-while-waiting-beyond-retry-budget", {"wait_timeout": 3}, auth="aksk",
                  faults=(status_fault(TASK_LIST, 503, method="GET", skip=1),), failed=True, failover_tasks=1,
                  messages=("Timed out after 3 seconds", "Last error while polling", "HTTP 503",
                            "rerun the playbook to resume waiting"), group=SLOW),
    failover_case("failover-html-error-page-on-the-failover-request", faults=({"path": FAILOVER_POST, "action": "html"},),
                  failed=True, failover_tasks=0, attempts=("POST", FAILOVER_POST, [502]),
                  messages=("HTTP 502", "got an HTML page ('502 Bad Gateway')")),
    failover_case("failover-malformed-json-on-the-failover-request", auth="aksk",
                  faults=({"path": FAILOVER_POST, "action": "malformed_json"},), failed=True, failover_tasks=0,
                  messages=("the response is not valid JSON",)),
    failover_case("failover-malformed-json-on-reads", faults=({"method": "GET", "path": TASK_LIST, "action": "malformed_json"},),
                  failed=True, sent=NO_FAILOVER, failover_tasks=0, messages=("the response is not valid JSON",)),
    failover_case("failover-read-timeout-on-reads-absorbed", {"request_timeout": 2}, auth="aksk",
                  faults=({"method": "GET", "path": TENANT_GET, "action": "latency", "seconds": 6, "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, group=SLOW),
    failover_case("failover-lost-response-dropped", {"request_timeout": 2},
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1)),
    failover_case("failover-lost-response-delayed-past-the-request-timeout", {"request_timeout": 1}, auth="aksk",
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "delay", "seconds": 4, "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1)),
    failover_case("failover-dropped-before-ocp-applied-it-resubmitted-once", {"request_timeout": 2},
                  faults=({"path": FAILOVER_POST, "action": "drop", "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [None, 200]), group=SLOW),
    failover_case("failover-both-submissions-dropped", {"request_timeout": 2}, auth="aksk",
                  faults=({"path": FAILOVER_POST, "action": "drop", "count": 2},), failed=True, failover_tasks=0,
                  attempts=("POST", FAILOVER_POST, [None, None]),
                  messages=("The answers to both failover requests were lost", "Check the tasks in OCP"), group=SLOW),
] + [
    failover_case("failover-task-failed-at-" + subtask_slug(name), auth=("aksk", "basic")[index % 2],
                  faults=({"action": "task_fail", "subtask": name, "tenantId": SALES, "message": injected_failure(name)},),
                  failed=True, failover_tasks=1, check=names_failed_subtask(name),
                  fields={"tenants.*.task_status": ["SUCCESSFUL", "FAILED"], "tenants.1.failed_subtask.name": name,
                          "tenants.*.role_after": ["PRIMARY", "STANDBY"]})
    for index, name in enumerate(SUBTASK_NAMES)
] + [
    failover_case("failover-wait-timeout-then-rerun", {"wait_timeout": 2}, timing=RERUN_FAILOVER_TIMING, failed=True,
                  failover_tasks=1, check=names_running_tasks,
                  messages=("Timed out after 2 seconds", "rerun the playbook to resume waiting"),
                  rerun=Rerun({"wait_timeout": 120}, ATTACHED_AND_SUCCEEDED), group=SLOW),
    failover_case("failover-simulator-restarted-mid-wait", auth="aksk", timing=RESTART_FAILOVER_TIMING, restart_for=3.0,
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200]),
                  check=polls_resumed_after_restart, group=SLOW),
]

ROLE_CASES = [
    role_case("role-401-wrong-password", {"ocp_password": WRONG_PASSWORD}, failed=True, sent=NO_FAILOVER, failover_tasks=0,
              secrets=(WRONG_PASSWORD,), failing_task=ROLE_PRECHECK_TASK,
              messages=("HTTP 401 IAM10004", "Check username/password")),
    role_case("role-403-read-only-user", {"ocp_username": VIEWER_USER, "ocp_password": VIEWER_PASSWORD}, failed=True,
              sent=NO_FAILOVER, failover_tasks=0, secrets=(VIEWER_PASSWORD,),
              failing_task=ROLE_PRECHECK_TASK, messages=("HTTP 403 IAM11000", "lacks permission")),
    role_case("role-404-tenant", {"tenant_failover_tenants": TWO_TENANTS + [{"tenant_id": UNKNOWN_TENANT}]}, auth="aksk",
              failed=True, sent=NO_FAILOVER, failover_tasks=0, failing_task=ROLE_PRECHECK_TASK,
              messages=("/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck failed: HTTP 404 OBE21002"
                        % (STANDBY_CLUSTER, UNKNOWN_TENANT), "OCP does not know this tenant in this cluster")),
    role_case("role-503-burst-on-prechecks-absorbed", auth="aksk", faults=(status_fault(PRECHECK_POST, 503, count=3),),
              timing=ROLE_TASK_TIMING, fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    role_case("role-lost-failover-response", {"ocp_request_timeout": 2}, timing=ROLE_TASK_TIMING,
              faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},),
              fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1)),
    role_case("role-task-failed", auth="aksk", failed=True, failover_tasks=1, failing_task=ROLE_WAIT_TASK,
              timing=ROLE_TASK_TIMING,
              faults=({"action": "task_fail", "subtask": "Failover to primary tenant", "tenantId": SALES,
                       "message": injected_failure("Failover to primary tenant")},),
              check=names_failed_subtask("Failover to primary tenant")),
    role_case("role-wait-timeout-then-rerun", {"tenant_failover_wait_timeout": 2}, timing=RERUN_FAILOVER_TIMING, failed=True,
              failover_tasks=1, failing_task=ROLE_WAIT_TASK, check=names_running_tasks,
              messages=("Timed out after 2 seconds", "rerun the playbook to resume waiting"),
              rerun=Rerun({"tenant_failover_wait_timeout": 120}, ATTACHED_AND_SUCCEEDED), group=SLOW),
]

ROLE_BAD_INPUTS = [
    role_case("role-bad-input-cluster-id-missing", {"tenant_failover_cluster_id": ABSENT}, failed=True, sent=NOTHING,
              messages=("tenant_failover_cluster_id",)),
    role_case("role-bad-input-cluster-id-not-an-integer", {"tenant_failover_cluster_id": "abc"}, failed=True, sent=NOTHING,
              messages=("tenant_failover_cluster_id", "unable to convert to int")),
    role_case("role-bad-input-tenants-empty", {"tenant_failover_tenants": []}, failed=True, sent=NOTHING,
              messages=("tenant_failover_tenants must list at least one tenant",)),
    role_case("role-bad-input-tenants-duplicated", {"tenant_failover_tenants": TWO_TENANTS + [{"tenant_id": OHAYO}]},
              auth="aksk", failed=True, sent=NOTHING, messages=("tenant_failover_tenants", "each tenant_id once")),
    role_case("role-bad-input-tenants-not-a-list", {"tenant_failover_tenants": str(OHAYO)}, failed=True, sent=NOTHING,
              messages=("tenant_failover_tenants",)),
    role_case("role-bad-input-tenant-without-tenant-id", {"tenant_failover_tenants": [{"service_name": "SVC"}]},
              failed=True, sent=NOTHING, messages=("missing required arguments: tenant_id",)),
    role_case("role-bad-input-tenant-id-not-an-integer", {"tenant_failover_tenants": [{"tenant_id": "ohayo"}]},
              auth="aksk", failed=True, sent=NOTHING, messages=("tenant_id", "unable to convert to int")),
    role_case("role-bad-input-tenants-json-malformed",
              {"tenant_failover_tenants": ABSENT, "tenant_failover_tenants_json": '[{"tenant_id": 2000025'}, failed=True,
              sent=NOTHING, messages=("tenant_failover_tenants", "from_json")),
    role_case("role-bad-input-allow-warnings-not-a-boolean", {"tenant_failover_allow_warnings": "maybe"}, failed=True,
              sent=NOTHING, messages=("tenant_failover_allow_warnings", "not a valid boolean")),
    role_case("role-bad-input-max-sync-lag-not-a-number", {"tenant_failover_max_sync_lag_seconds": "low"}, auth="aksk",
              failed=True, sent=NOTHING, messages=("tenant_failover_max_sync_lag_seconds",)),
    role_case("role-bad-input-max-sync-lag-negative", {"tenant_failover_max_sync_lag_seconds": -1}, failed=True,
              sent=NOTHING, messages=("tenant_failover_max_sync_lag_seconds", "must be unset or zero or more")),
    role_case("role-bad-input-removed-max-sync-latency", {"tenant_failover_max_sync_latency": 1000}, failed=True,
              sent=NOTHING, messages=("tenant_failover_max_sync_latency is no longer supported",
                                      "Set tenant_failover_max_sync_lag_seconds instead")),
    role_case("role-bad-input-wait-timeout-not-an-integer", {"tenant_failover_wait_timeout": "long"}, failed=True,
              sent=NOTHING, messages=("tenant_failover_wait_timeout",)),
    role_case("role-bad-input-wait-timeout-zero", {"tenant_failover_wait_timeout": 0}, failed=True, sent=NOTHING,
              messages=("tenant_failover_wait_timeout", "must be positive")),
    role_case("role-bad-input-precheck-concurrency-zero", {"tenant_failover_precheck_concurrency": 0}, auth="aksk",
              failed=True, sent=NOTHING, messages=("tenant_failover_precheck_concurrency", "must be positive")),
    role_case("role-bad-input-precheck-concurrency-not-an-integer", {"tenant_failover_precheck_concurrency": "many"},
              failed=True, sent=NOTHING, messages=("tenant_failover_precheck_concurrency", "unable to convert to int")),
    role_case("role-bad-input-validate-certs-not-a-boolean", {"ocp_validate_certs": "maybe"}, auth="aksk", failed=True,
              sent=NOTHING, messages=("ocp_validate_certs", "not a valid boolean")),
    role_case("role-bad-input-api-url-without-scheme", {"ocp_api_url": SimUrl("no scheme")}, failed=True, sent=NOTHING,
              messages=("api_url must be OCP's base URL starting with http:// or https://",)),
    role_case("role-bad-input-request-timeout-zero", {"ocp_request_timeout": 0}, auth="aksk", failed=True, sent=NOTHING,
              messages=("request_timeout must be a positive number of seconds",)),
]


def bad_precheck(case_id, args, messages, **expectations):
    expectations.setdefault("sent", NOTHING)
    return Case(case_id, PRECHECK, dict(PRECHECK_ARGS, **args), failed=True, messages=messages, failover_tasks=0,
                group=BATCH, **expectations)


def bad_failover(case_id, args, messages, **expectations):
    expectations.setdefault("sent", NOTHING)
    return Case(case_id, FAILOVER, dict(FAILOVER_ARGS, **args), failed=True, messages=messages, failover_tasks=0,
                group=BATCH, **expectations)


MUTUALLY_EXCLUSIVE = "parameters are mutually exclusive"
TOGETHER = "parameters are required together"

# Every option of both modules: wrong types, empty, duplicates, out of range, api_url without a scheme.
# Each runs against a simulator of its own in one batch playbook; none may send anything.
BAD_MODULE_INPUTS = [
    bad_precheck("precheck-bad-input-api-url-without-scheme", {"api_url": SimUrl("no scheme")},
                 ("api_url must be OCP's base URL starting with http:// or https://",)),
    bad_failover("failover-bad-input-api-url-without-scheme", {"api_url": SimUrl("no scheme")},
                 ("api_url must be OCP's base URL starting with http:// or https://",), auth="aksk"),
    bad_precheck("precheck-bad-input-api-url-empty", {"api_url": ""}, ("api_url must be OCP's base URL",)),
    bad_failover("failover-bad-input-api-url-not-http", {"api_url": SimUrl("ftp")}, ("api_url must be OCP's base URL",)),
    bad_precheck("precheck-bad-input-api-url-with-query", {"api_url": SimUrl("with query")},
                 ("api_url must be OCP's base URL without a query",), auth="aksk"),
    bad_failover(
        "failover-bad-input-api-url-with-password", {"api_url": SimUrl("with password")},
        ("api_url must not contain credentials",), auth="aksk"),
    bad_precheck("precheck-bad-input-username-without-password",
                 {"api_url": SimUrl("plain"), "username": ADMIN_USER}, (TOGETHER, "username, password"), auth=None),
    bad_failover("failover-bad-input-password-without-username",
                 {"api_url": SimUrl("plain"), "password": ADMIN_PASSWORD}, (TOGETHER, "username, password"), auth=None),
    bad_precheck("precheck-bad-input-access-key-id-without-secret",
                 {"api_url": SimUrl("plain"), "access_key_id": ACCESS_KEY_ID},
                 (TOGETHER, "access_key_id, access_key_secret"), auth=None),
    bad_failover("failover-bad-input-basic-and-access-key-together",
                 {"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET}, (MUTUALLY_EXCLUSIVE,)),
    bad_precheck("precheck-bad-input-no-credentials", {"api_url": SimUrl("plain")},
                 ("one of the following is required: username, access_key_id",), auth=None),
    bad_failover("failover-bad-input-api-url-missing", {"api_url": ABSENT, "username": ADMIN_USER, "password": ADMIN_PASSWORD},
                 ("api_url is not set, so nothing was sent to OCP", "module_defaults for group/oceanbase.ocp.ocp",
                  "OCP_API_URL"), auth=None),
    bad_precheck("precheck-bad-input-validate-certs-not-a-boolean", {"validate_certs": "maybe"},
                 ("validate_certs", "not a valid boolean")),
    bad_precheck(
        "precheck-bad-input-ca-path-missing", {"api_url": SimUrl("https"), "ca_path": "/nonexistent/ocp-ca.pem"},
        ("ca_path",), auth="aksk"),
    bad_precheck("precheck-bad-input-request-timeout-zero", {"request_timeout": 0},
                 ("request_timeout must be a positive number of seconds",)),
    bad_failover("failover-bad-input-request-timeout-negative", {"request_timeout": -1},
                 ("request_timeout must be a positive number of seconds",), auth="aksk"),
    bad_precheck("precheck-bad-input-request-timeout-not-a-number", {"request_timeout": "soon"},
                 ("request_timeout", "unable to convert to float")),
    bad_precheck("precheck-bad-input-request-timeout-nan", {"request_timeout": "nan"}, ("request_timeout",)),
    bad_failover("failover-bad-input-request-timeout-infinite", {"request_timeout": "inf"}, ("request_timeout",)),
    bad_precheck("precheck-bad-input-unknown-option", {"colour": "red"}, ("Unsupported parameters", "colour")),
    bad_precheck("precheck-bad-input-cluster-id-missing", {"cluster_id": ABSENT},
                 ("missing required arguments: cluster_id",)),
    bad_precheck("precheck-bad-input-cluster-id-not-an-integer", {"cluster_id": "OB424_A"},
                 ("cluster_id", "unable to convert to int"), auth="aksk"),
    bad_precheck("precheck-bad-input-cluster-id-fraction", {"cluster_id": 3000010.5}, ("cluster_id", "unable to convert to int")),
    bad_precheck("precheck-bad-input-cluster-id-zero", {"cluster_id": 0}, ("cluster_id must be a positive integer ID", "nothing was sent")),
    bad_precheck("precheck-bad-input-tenant-id-negative", {"tenant_id": -3}, ("tenant_id must be a positive integer ID", "-3")),
    bad_precheck("precheck-bad-input-tenant-id-not-an-integer", {"tenant_id": "ohayo_2"},
                 ("tenant_id", "unable to convert to int"), auth="aksk"),
    bad_precheck("precheck-bad-input-tenant-id-and-tenant-ids", {"tenant_ids": [SALES]}, (MUTUALLY_EXCLUSIVE, "tenant_id|tenant_ids")),
    bad_precheck("precheck-bad-input-no-tenant", {"tenant_id": ABSENT},
                 ("one of the following is required: tenant_id, tenant_ids",)),
    bad_precheck("precheck-bad-input-tenant-ids-empty", dict(tenant_id=ABSENT, tenant_ids=[]),
                 ("tenant_ids must list at least one tenant ID",), auth="aksk"),
    bad_precheck("precheck-bad-input-tenant-ids-duplicated", dict(tenant_id=ABSENT, tenant_ids=[OHAYO, SALES, OHAYO]),
                 ("tenant_ids lists these tenant IDs more than once: %d." % OHAYO,)),
    bad_precheck("precheck-bad-input-tenant-ids-not-integers", dict(tenant_id=ABSENT, tenant_ids=["ohayo_2"]),
                 ("tenant_ids", "unable to convert to int")),
    bad_precheck("precheck-bad-input-tenant-ids-zero", dict(tenant_id=ABSENT, tenant_ids=[OHAYO, 0]),
                 ("tenant_ids must be a positive integer ID", "0")),
    bad_precheck("precheck-bad-input-tenant-ids-not-a-list", dict(tenant_id=ABSENT, tenant_ids={"id": OHAYO}),
                 ("tenant_ids", "unable to convert to list"), auth="aksk"),
    bad_precheck("precheck-bad-input-fail-on-invalid-not-a-boolean", {"fail_on_invalid": "maybe"},
                 ("fail_on_invalid", "not a valid boolean")),
    bad_precheck("precheck-bad-input-max-concurrency-zero", {"max_concurrency": 0}, ("max_concurrency must be at least 1",)),
    bad_precheck("precheck-bad-input-max-concurrency-negative", {"max_concurrency": -4},
                 ("max_concurrency must be at least 1",), auth="aksk"),
    bad_precheck("precheck-bad-input-max-concurrency-not-an-integer", {"max_concurrency": "many"},
                 ("max_concurrency", "unable to convert to int")),
    bad_failover("failover-bad-input-cluster-id-missing", {"cluster_id": ABSENT},
                 ("one of the following is required: cluster_id, cluster_name",)),
    bad_failover("failover-bad-input-cluster-id-negative", {"cluster_id": -1}, ("cluster_id must be a positive integer",)),
    bad_failover("failover-bad-input-cluster-id-not-an-integer", {"cluster_id": "OB424_A"},
                 ("cluster_id", "unable to convert to int"), auth="aksk"),
    bad_failover("failover-bad-input-tenants-missing", {"tenants": ABSENT}, ("missing required arguments: tenants",)),
    bad_failover("failover-bad-input-tenants-empty", {"tenants": []}, ("tenants must list at least one tenant",)),
    bad_failover("failover-bad-input-tenants-duplicated", {"tenants": TWO_TENANTS + [{"tenant_id": OHAYO, "service_name": "B"}]},
                 ("tenants lists tenant_id %d more than once" % OHAYO,), auth="aksk"),
    bad_failover("failover-bad-input-tenants-not-a-list", {"tenants": str(OHAYO)}, ("dictionary requested",)),
    bad_failover("failover-bad-input-tenants-plain-ids", {"tenants": [OHAYO, SALES]}, ("tenants",), auth="aksk"),
    bad_failover("failover-bad-input-tenant-without-tenant-id", {"tenants": [{"service_name": "SVC"}]},
                 ("tenants[0] gives neither tenant_id nor name: give exactly one",), auth="aksk"),
    bad_failover("failover-bad-input-tenant-id-not-an-integer", {"tenants": [{"tenant_id": "ohayo_2"}]},
                 ("tenant_id", "unable to convert to int")),
    bad_failover("failover-bad-input-tenant-id-zero", {"tenants": [{"tenant_id": 0}]}, ("tenant_id must be a positive integer",)),
    bad_failover(
        "failover-bad-input-tenant-id-boolean", {"tenants": [{"tenant_id": True}]}, ("tenant_id",)),
    bad_failover("failover-bad-input-tenant-unknown-key", {"tenants": [{"tenant_id": OHAYO, "tenant_name": "ohayo_2"}]},
                 ("Unsupported parameters", "tenants.tenant_name"), auth="aksk"),
    bad_failover(
        "failover-bad-input-service-name-not-a-string", {"tenants": [{"tenant_id": OHAYO, "service_name": ["SVC_A"]}]},
        ("service_name",),
        bug="service_name: [SVC_A] (a list) is turned into the string \"['SVC_A']\" by ansible's str conversion and "
            "submitted: OCP fails the tenant over with that service name (no check in failover.validate_request)"),
    bad_failover("failover-bad-input-wait-not-a-boolean", {"wait": "maybe"}, ("wait", "not a valid boolean")),
    bad_failover("failover-bad-input-wait-timeout-zero", {"wait_timeout": 0}, ("wait_timeout must be a positive number",),
                 auth="aksk"),
    bad_failover("failover-bad-input-wait-timeout-negative", {"wait_timeout": -5}, ("wait_timeout must be a positive number",)),
    bad_failover("failover-bad-input-wait-timeout-not-an-integer", {"wait_timeout": "long"},
                 ("wait_timeout", "unable to convert to int")),
    bad_failover("failover-bad-input-wait-timeout-fraction", {"wait_timeout": 1.5}, ("wait_timeout", "unable to convert to int"),
                 auth="aksk"),
    bad_failover("failover-bad-input-wait-sleep-zero", {"wait_sleep": 0}, ("wait_sleep must be a positive number",)),
    bad_failover("failover-bad-input-wait-sleep-negative", {"wait_sleep": -1}, ("wait_sleep must be a positive number",)),
    bad_failover("failover-bad-input-wait-sleep-not-a-number", {"wait_sleep": "often"}, ("wait_sleep", "unable to convert to float"),
                 auth="aksk"),
    bad_failover(
        "failover-bad-input-wait-sleep-nan", {"wait_sleep": "nan"}, ("wait_sleep",)),
    bad_failover("failover-bad-input-request-timeout-zero", {"request_timeout": 0},
                 ("request_timeout must be a positive number of seconds",)),
    bad_failover("failover-bad-input-unknown-option", {"force": True}, ("Unsupported parameters", "force"), auth="aksk"),
]


def as_params(cases):
    return [pytest.param(case, id=case.id, marks=[pytest.mark.xfail(strict=True, reason="BUG: " + case.bug)] if case.bug else [])
            for case in cases]


# ----- running a case

def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d" % sock.getsockname()[1]


def sim_url(simulator, form):
    host_port = simulator.url[len("http://"):]
    return {
        "plain": simulator.url,
        "closed port": closed_port_url(),
        "no scheme": host_port,
        "ftp": "ftp://" + host_port,
        "https": "https://" + host_port,
        "with query": simulator.url + "/?tenant=1",
        "with password": "http://%s:%s@%s" % (ADMIN_USER, ADMIN_PASSWORD, host_port),
    }[form]


def materialize(value, simulator):
    """The case's arguments with every SimUrl replaced by the URL it stands for and every ABSENT one left out."""
    if isinstance(value, SimUrl):
        return sim_url(simulator, value.form)
    if isinstance(value, dict):
        return {key: materialize(item, simulator) for key, item in value.items() if item is not ABSENT}
    if isinstance(value, list):
        return [materialize(item, simulator) for item in value]
    return value


def credentials(auth):
    if auth == "basic":
        return {"username": ADMIN_USER, "password": ADMIN_PASSWORD}
    if auth == "aksk":
        return {"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET}
    return {}


def scenario_for(case, base):
    scenario = copy.deepcopy(base)
    scenario["timing"].update(copy.deepcopy(case.timing))
    return scenario


def through_variables(scope, options, variables):
    """`options` with each connection option replaced by a reference to a variable named after `scope` (added to `variables`)."""
    options = dict(options)
    for name in CONNECTION_OPTIONS:
        if isinstance(options.get(name), str):
            variable = "%s_%s" % (scope.replace("-", "_"), name)
            variables[variable] = options[name]
            options[name] = "{{ %s }}" % variable
    return options


def module_task(case, args, simulator, variables, connection=None):
    """The case's task; its connection options (`connection`, then those in `args`) go into `variables`."""
    options = materialize(dict(connection or {}, **args), simulator)
    return {"name": case.id, case.target: through_variables("task_" + case.id, options, variables)}


def module_play(case, args, simulator, variables):
    """The play of a module case: the case's task, with the connection in module_defaults, as users set it."""
    play = {"name": case.id, "hosts": "localhost", "gather_facts": False,
            "tasks": [module_task(case, args, simulator, variables)]}
    if case.auth:
        defaults = through_variables("defaults_" + case.id, dict(api_url=simulator.url, **credentials(case.auth)), variables)
        play["module_defaults"] = {"group/oceanbase.ocp.ocp": defaults}
    return play


def role_inputs(case, args, simulator):
    """(extra vars, environment) of a role run: Basic comes from OCP_* variables as AWX injects them, AK/SK from ocp_* vars."""
    variables = materialize(args, simulator)
    env = {}
    if case.auth == "basic":
        env = {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}
    elif case.auth == "aksk":
        variables = dict({"ocp_api_url": simulator.url, "ocp_access_key_id": ACCESS_KEY_ID,
                          "ocp_access_key_secret": ACCESS_KEY_SECRET}, **variables)
    return variables, env


def write_playbook(path, play):
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
    return path


def write_variables(path, variables):
    path.write_text(yaml.safe_dump(variables), encoding="utf-8")
    return path


def ansible_command(playbook, variables_file):
    return [ANSIBLE_PLAYBOOK, str(playbook), "-e", "@%s" % variables_file, "-" + "v" * VERBOSITY]


def read_results(path):
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def execute(case, base_scenario, env, workdir):
    """Run a case (and its rerun) against a simulator of its own; its Outcome."""
    with Simulator(scenario=scenario_for(case, base_scenario), host="127.0.0.1", port=0) as simulator:
        for rule in case.faults:
            simulator.add_fault(**rule)
        first, restarted_at = run_case(case, case.args, simulator, env, workdir / "run")
        runs = [first]
        if case.rerun is not None:
            simulator.clear_faults()
            runs.append(run_case(case, dict(case.args, **case.rerun.args), simulator, env, workdir / "rerun")[0])
        return Outcome(case, runs, simulator.request_log(), list(simulator.state.tasks.values()), restarted_at=restarted_at)


def run_case(case, args, simulator, env, workdir):
    """One ansible-playbook run of the case: (Run, time the simulator came back after a restart, or None)."""
    workdir.mkdir(parents=True)
    result_file = workdir / "results.jsonl"
    run_env = dict(env, OCP_TEST_RESULT_FILE=str(result_file))
    variables = {}
    if case.target == ROLE:
        playbook = ROLE
        variables, role_env = role_inputs(case, args, simulator)
        run_env.update(role_env)
    else:
        playbook = write_playbook(workdir / "playbook.yml", module_play(case, args, simulator, variables))
    command = ansible_command(playbook, write_variables(workdir / "variables.yml", variables))
    output_file = workdir / "output.txt"
    restarted_at = None
    with open(output_file, "w", encoding="utf-8") as output:
        process = subprocess.Popen(command, cwd=workdir, env=run_env, stdout=output, stderr=subprocess.STDOUT)
        try:
            if case.restart_for:
                restarted_at = restart_once_failover_is_in(simulator, process, case.restart_for)
            rc = process.wait(timeout=RUN_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return Run(rc, output_file.read_text(encoding="utf-8"), read_results(result_file)), restarted_at


def restart_once_failover_is_in(simulator, process, seconds):
    """Once OCP applied the failover request, stop it for `seconds`, then start it again (same port, same state)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if failover_posts(simulator.request_log(), applied_only=True):
            break
        time.sleep(0.05)
    simulator.stop()
    time.sleep(seconds)
    simulator.start()
    return time.time()


def run_concurrently(cases, base_scenario, env, workdir):
    """Run the cases as concurrent playbooks, each against a simulator of its own: case id -> Outcome (or exception)."""
    longest_first = sorted(cases, key=lambda case: case.rerun is None)  # the reruns wait out a 30 s task
    with concurrent.futures.ThreadPoolExecutor(max_workers=SLOW_WORKERS) as executor:
        futures = {case.id: executor.submit(execute, case, base_scenario, env, workdir / case.id) for case in longest_first}
    return {case_id: future.exception() or future.result() for case_id, future in futures.items()}


def run_batch(cases, base_scenario, env, workdir):
    """Run the cases in one playbook, one task each (ignore_errors), each against a simulator of its own."""
    workdir.mkdir(parents=True)
    result_file = workdir / "results.jsonl"
    with contextlib.ExitStack() as stack:
        simulators = {}
        variables = {}
        tasks = []
        for case in cases:
            simulator = stack.enter_context(Simulator(scenario=scenario_for(case, base_scenario), host="127.0.0.1", port=0))
            simulators[case.id] = simulator
            for rule in case.faults:
                simulator.add_fault(**rule)
            connection = dict(api_url=simulator.url, **credentials(case.auth))
            tasks.append(dict(module_task(case, case.args, simulator, variables, connection), ignore_errors=True))
        playbook = write_playbook(workdir / "playbook.yml",
                                  {"name": "fault matrix batch", "hosts": "localhost", "gather_facts": False, "tasks": tasks})
        command = ansible_command(playbook, write_variables(workdir / "variables.yml", variables))
        # One stream, so each task's lines (stdout and stderr alike) stay under its TASK header.
        process = subprocess.run(command, cwd=workdir, env=dict(env, OCP_TEST_RESULT_FILE=str(result_file)),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT * 2,
                                 check=False)
        results = read_results(result_file)
        sections = task_sections(process.stdout)
        outcomes = {}
        for case in cases:
            simulator = simulators[case.id]
            run = Run(None, sections.get(case.id, ""), [entry for entry in results if entry["task"] == case.id])
            outcome = Outcome(case, [run], simulator.request_log(), list(simulator.state.tasks.values()))
            if process.returncode != 0:
                outcome.notes.append("the batch playbook exited %d:\n%s" % (process.returncode, process.stdout[-3000:]))
            outcomes[case.id] = outcome
    return outcomes


GROUP_RUNNERS = {BATCH: run_batch, SLOW: run_concurrently}


def task_sections(output):
    """Task name -> the lines ansible printed for that task (from its TASK header to the next header)."""
    headers = list(TASK_HEADER.finditer(output))
    sections = {}
    for header, following in zip(headers, headers[1:] + [None]):
        end = following.start() if following else len(output)
        sections[header.group("name")] = sections.get(header.group("name"), "") + output[header.start():end]
    return sections


# ----- judging an outcome

def dig(data, path):
    """The value at a dotted path; "*" maps the rest of the path over a list."""
    head, _dot, rest = path.partition(".")
    if head == "*":
        return [dig(item, rest) if rest else item for item in data]
    if isinstance(data, list):
        value = data[int(head)]
    else:
        value = data[head]
    return dig(value, rest) if rest else value


def target_entry(case, run):
    """The result the case's expectations are about: its module task, the role task that failed, or (the role
    succeeding) the role's summary, whose tenants carry the action, final task status and role of each tenant."""
    if case.target != ROLE:
        matches = [entry for entry in run.results if entry["task"] == case.id]
    elif case.failed:
        matches = [entry for entry in run.results if entry["status"] == "failed"]
    else:
        matches = [dict(entry, result=entry["result"]["ansible_facts"]["tenant_failover_summary"])
                   for entry in run.results if entry["task"].endswith(ROLE_SUMMARY_TASK)]
    return matches[-1] if matches else None


def failure_message(case, run):
    entry = target_entry(case, run)
    return str(entry["result"].get("msg", "")) if entry else ""


def failover_posts(requests, applied_only=False):
    posts = [entry for entry in requests if entry["method"] == "POST" and entry["path"].endswith("/tenants/failover")]
    return [entry for entry in posts if is_applied(entry)] if applied_only else posts


def is_applied(entry):
    """Whether the simulator carried the request out: answered 200 itself, or lost the answer after applying it."""
    if entry["fault"] == "lost_response":
        return True
    return entry["status"] == 200 and entry["fault"] in (None, "latency")


def tenants_failed_over_twice(requests, tasks):
    """Tenants with more failovers than one plus their FAILED ones (a new failover after a failed one is legitimate)."""
    submitted = Counter()
    for entry in failover_posts(requests, applied_only=True):
        for item in (entry["body"] or {}).get("failoverTenantItemList", []):
            submitted[item.get("tenantId")] += 1
    tasks_of = defaultdict(list)
    for task in tasks:
        if task["name"] == FAILOVER_TASK_NAME:
            tasks_of[task["tenantId"]].append(task)
    twice = []
    for tenant_id in sorted(set(submitted) | set(tasks_of)):
        allowed = 1 + sum(1 for task in tasks_of[tenant_id] if task["status"] == "FAILED")
        if submitted[tenant_id] > allowed or len(tasks_of[tenant_id]) > allowed:
            twice.append(tenant_id)
    return twice


def requested_tenants(case):
    if case.target == PRECHECK:
        ids = [case.args.get("tenant_id")] + list(case.args.get("tenant_ids") or [])
    else:
        tenants = case.args.get("tenant_failover_tenants" if case.target == ROLE else "tenants")
        ids = [item.get("tenant_id") for item in tenants if isinstance(item, dict)] if isinstance(tenants, list) else []
    return [tenant_id for tenant_id in ids if isinstance(tenant_id, int) and not isinstance(tenant_id, bool)]


def outcome_problems(outcome):
    """Every way the outcome differs from the case's expectations (the never-events are judged separately)."""
    case = outcome.case
    first = outcome.runs[0]
    problems = list(outcome.notes)
    entry = target_entry(case, first)
    if entry is None:
        return problems + ["no result of the case's task; tasks that ran: %s\n%s"
                           % ([item["task"] for item in first.results], first.output[-3000:])]
    expected_rc = 2 if case.failed else 0
    if first.rc is not None and first.rc != expected_rc:
        problems.append("ansible-playbook exited %d, expected %d" % (first.rc, expected_rc))
    failed = any(item["status"] == "failed" for item in first.results)
    if failed != case.failed:
        outcome_text = "failed" if failed else "succeeded"
        problems.append("the run %s, expected the opposite: %s" % (outcome_text, entry["result"].get("msg")))
    if case.failing_task and case.failed and case.failing_task not in entry["task"]:
        problems.append("task %r failed, expected %r" % (entry["task"], case.failing_task))
    text = failure_message(case, first) if case.failed else first.output
    problems += ["%r not in the %s: %s" % (fragment, "failure message" if case.failed else "output", text)
                 for fragment in case.messages if fragment not in text]
    problems += field_problems(entry["result"], case.fields)
    problems += request_problems(outcome)
    if case.check is not None:
        problems += case.check(outcome)
    if case.rerun is not None:
        problems += rerun_problems(outcome)
    return problems


def field_problems(result, expected_fields):
    problems = []
    for path, expected in expected_fields.items():
        try:
            actual = dig(result, path)
        except (KeyError, IndexError, TypeError, ValueError):
            problems.append("no %s in the result: %s" % (path, result))
            continue
        if actual != expected:
            problems.append("%s is %r, expected %r" % (path, actual, expected))
    return problems


def request_problems(outcome):
    case = outcome.case
    problems = []
    if case.sent == NOTHING and outcome.requests:
        problems.append("requests reached OCP although the input is bad: %s"
                        % ["%s %s" % (entry["method"], entry["path"]) for entry in outcome.requests])
    if case.sent == NO_FAILOVER and failover_posts(outcome.requests):
        problems.append("a failover request reached OCP")
    if case.attempts is not None:
        method, path, expected = case.attempts
        matching = [entry for entry in outcome.requests if entry["method"] == method and fnmatch.fnmatchcase(entry["path"], path)]
        actual = [entry["status"] for entry in matching] if isinstance(expected, list) else len(matching)
        if actual != expected:
            problems.append("%s %s: got %r, expected %r" % (method, path, actual, expected))
    if case.failover_tasks is not None:
        for tenant_id in requested_tenants(case):
            count = sum(1 for task in outcome.tasks if task["tenantId"] == tenant_id and task["name"] == FAILOVER_TASK_NAME)
            if count != case.failover_tasks:
                problems.append("tenant %d has %d failover tasks, expected %d" % (tenant_id, count, case.failover_tasks))
    return problems


def rerun_problems(outcome):
    if len(outcome.runs) < 2:
        return ["the rerun did not happen"]
    rerun = outcome.runs[1]
    entry = target_entry(dataclasses.replace(outcome.case, failed=False), rerun)
    if rerun.rc != 0 or entry is None:
        return ["the rerun failed (rc %s): %s" % (rerun.rc, rerun.output[-3000:])]
    return ["rerun: " + problem for problem in field_problems(entry["result"], outcome.case.rerun.fields)]


def judge_and_record(outcome, fault_tally):
    """Record the case in the closing table, then assert: a failing case is still counted."""
    leaked = sorted({secret for run in outcome.runs for secret in SECRETS + outcome.case.secrets if secret in run.output})
    traceback = any(crashed(run) for run in outcome.runs)
    twice = tenants_failed_over_twice(outcome.requests, outcome.tasks)
    problems = outcome_problems(outcome)
    fault_tally.record(outcome.case.id, passed=not (problems or leaked or traceback or twice),
                       double_failover=bool(twice), traceback=traceback, leaked_secret=bool(leaked))
    assert not leaked, "secret(s) %s in the output:\n%s" % (leaked, "\n".join(run.output for run in outcome.runs))
    assert not traceback, "a module crashed:\n%s" % "\n".join(run.output for run in outcome.runs)
    assert not twice, "tenants failed over twice: %s; requests: %s" % (twice, failover_posts(outcome.requests))
    assert not problems, "\n".join(problems)


# ----- the test

ALL_CASES = PRECHECK_CASES + FAILOVER_CASES + ROLE_CASES + ROLE_BAD_INPUTS + BAD_MODULE_INPUTS


@pytest.fixture(scope="module")
def group_outcomes():
    """Outcomes of the grouped cases (case id -> Outcome), filled when the first case of a group comes up."""
    return {}


def selected_cases(session, group):
    """The cases of `group` that this session runs (after -k and the like), in order."""
    cases = [getattr(item, "callspec", None) and item.callspec.params.get("case") for item in session.items]
    return [case for case in cases if isinstance(case, Case) and case.group == group]


@pytest.mark.parametrize("case", as_params(ALL_CASES))
def test_fault_case(case, request, scenario, ansible_env, tmp_path, group_outcomes, fault_tally):
    if case.group is None:
        outcome = execute(case, scenario, ansible_env, tmp_path)
    else:
        if case.id not in group_outcomes:
            pending = [item for item in selected_cases(request.session, case.group) if item.id not in group_outcomes]
            group_outcomes.update(GROUP_RUNNERS[case.group](pending, scenario, ansible_env, tmp_path / case.group))
        outcome = group_outcomes[case.id]
        if isinstance(outcome, BaseException):
            raise outcome
    judge_and_record(outcome, fault_tally)
