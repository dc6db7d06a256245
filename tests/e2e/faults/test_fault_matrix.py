"""The fault-injection matrix: every module and the role, through ansible-playbook at -vvv, against a misbehaving OCP.

One case per fault, each with its expected outcome, run against both task shapes OCP may send: `documented` (nested
cluster {id, ...}/tenant {id, ...}/creator {id, name} in the task list and detail, no tenantRole field on tenants)
and `flat` (the flat TaskInstance everywhere, and the assumed tenantRole/primaryTenantId fields). Bad inputs run in
one shape only: nothing reaches OCP. Every case is also checked, and counted in the closing table (conftest.py), for
what must never happen whatever the fault: a Python traceback, a secret in the output, a tenant failed over twice
(a second failover request in one run, a second retry of a task in one run, or a new failover task of a tenant whose
previous one had not failed). The credentials of the scenario are the canaries: AK/SK runs and Basic runs
alternate, and neither secret may appear anywhere in what ansible printed.

Each case has a simulator of its own, so its request log and its tasks are its own. Every case runs when the first
one comes up (run_all), several playbooks at once, longest first: most cases sleep (retry backoff, a lost answer
followed until wait_timeout, timeouts). Module cases share playbooks, a task per case with its own slice of the
output, since each ansible-playbook start costs a second of CPU; a role case, a rerun or two parallel runs get a
playbook of their own. Some cases act on the simulator while the module runs (`during`): OCP carrying out a request
whose answer was an error, another job's failover of the same tenant, an OCP restart.
Timings are lower bounds only; nothing asserts how fast anything was. The double-failover detector is tested too
(test_the_double_failover_detector), so that the closing table's zero means something.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import copy
import dataclasses
import fnmatch
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

import pytest
import yaml
from harness import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ADMIN_PASSWORD, ADMIN_USER, SECRETS, crashed
from ocp_simulator import Simulator
from ocp_simulator.failover import SUBTASK_NAMES
from ocp_simulator.scenario import SCENARIO_DIR

PRECHECK = "oceanbase.ocp.ocp_failover_precheck"
FAILOVER = "oceanbase.ocp.ocp_tenant_failover"
ROLE = "oceanbase.ocp.precheck_then_failover"  # the playbook that runs the role oceanbase.ocp.tenant_failover
ROLE_PRECHECK_TASK = "Precheck every tenant given by id"
ROLE_BLOCKED_TASK = "Stop before any failover when a precheck blocks it"
ROLE_SUBMIT_TASK = "Submit the failover in one batch"  # the role's first module run: wait: false
ROLE_WAIT_TASK = "Wait for OCP's failover tasks"  # the role's second module run: attaches to the tasks and waits
ROLE_SUMMARY_TASK = "Summarise the failover"  # sets tenant_failover_summary: each tenant's action, task and role
ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")
VERBOSITY = 3

# The task shapes every precheck, failover and role case runs against (simulator options).
SHAPES = {
    "documented": {"task_shape": "nested", "expose_tenant_role": False},
    "flat": {"task_shape": "flat", "expose_tenant_role": True},
}
BOTH_SHAPES = tuple(SHAPES)
ONE_SHAPE = ("documented",)

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

# Fault rule paths are fnmatch globs, where * also matches "/": the tenant list glob needs method GET.
FAILOVER_POST = "/api/v2/ob/clusters/*/tenants/failover"
PRECHECK_POST = "/api/v2/ob/clusters/*/tenants/*/failoverPreCheck"
TENANT_LIST = "/api/v2/ob/clusters/*/tenants"
TASK_LIST = "/api/v2/tasks/instances"
RETRY_POST = "/api/v2/tasks/instances/*/retry"
FAILOVER_TASK_NAME = "Failover tenant"
ROLE_SOURCES = ("tenant", "tasks", "precheck", "none")

# The client's read retry budget (plugins/module_utils/client.py, max_retries=4): five attempts in all.
RETRIES = 4
ATTEMPTS = RETRIES + 1
# Reads of the task list before the failover request: one per role-changing task name (role_change.py reads its
# history exactly by name), so a fault meant for the polls lets these through.
HISTORY_READS = 2

# A failover subtask slow enough that a rerun attaches while the task still runs, even on a slow, busy machine: after
# the first run times out, the rerun starts ansible-playbook again (and, for the role, runs several tasks) first.
RERUN_FAILOVER_TIMING = {"subtask_seconds_by_name": {"Failover to primary tenant": 45.0}}
# The role submits (wait: false), prints the task ids, then waits in a second module run: with a subtask of a few
# seconds the task still runs when that run reads, so it attaches to the task (and a failing subtask fails while it
# waits), even on a slow, busy machine.
ROLE_TASK_TIMING = {"subtask_seconds_by_name": {"Failover to primary tenant": 4.0}}
# Long enough that the module still waits when the simulator stops right after the failover request.
RESTART_FAILOVER_TIMING = {"subtask_seconds_by_name": {"Failover to primary tenant": 8.0}}
# OCP records the tasks later than the read timeout of the failover request: following a lost answer must outlast it.
LATE_RECORDING = {"task_record_delay_seconds": 3.0}
LATE_REQUEST_TIMEOUT = 2
# wait_timeout of the cases where no task ever appears: the module follows the task list that long, then fails.
FOLLOW_TIMEOUT = 5
# Fragments of the failure after a lost answer that no task ever explained (role_change.follow_lost_answer).
# What the result says of tenants whose failover request may or may not have been applied.
OUTCOME_UNKNOWN_FIELDS = {"tenants.*.action": ["outcome_unknown", "outcome_unknown"], "tenants.*.task_id": [None, None],
                          "changed": True}
OUTCOME_UNKNOWN = ("the outcome is unknown", "did not submit again", "'Failover tenant'", "cluster %d" % STANDBY_CLUSTER,
                   "A rerun reads OCP's state afresh")
REFUSED = "OCP refused the failover request for tenants %d, %d, so nothing was submitted" % (OHAYO, SALES)

# Every case runs when the first of them comes up, at most POOL_WORKERS playbooks at a time (most cases sleep: retry
# backoff, a lost answer followed until wait_timeout, timeouts, slow subtasks; the longest work starts first). Module
# cases share playbooks (run_in_one_playbook); BATCH marks the bad inputs, whose connection is among the task's options.
BATCH = "bad input"
POOL_WORKERS = 6
RUN_TIMEOUT = 300  # seconds a run may take before it is stopped (every case sets short wait timeouts)

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
    per_shape: dict = dataclasses.field(default_factory=dict)  # shape -> overrides of these fields in that shape
    sent: str = ANY  # what the request log must show: ANY, NO_FAILOVER or NOTHING
    attempts: tuple = ()  # (method, path glob, statuses in order, or how many requests), or a tuple of them
    failover_tasks: int | dict | None = None  # "Failover tenant" tasks the case created for each requested tenant
    timing: dict = dataclasses.field(default_factory=dict)  # scenario timing overrides
    options: dict = dataclasses.field(default_factory=dict)  # scenario option overrides (besides the shape's)
    scenario_file: str | None = None  # a scenario of tests/ocp_simulator/scenarios instead of the default one
    history: tuple = ()  # seeded OCP tasks (scenario key `tasks`) added to the scenario
    check_mode: bool = False  # module cases: run the task in check mode
    secrets: tuple = ()  # canaries besides the admin password and the access key secret
    failing_task: str | None = None  # role cases: the task that must fail
    run_timeout: float = RUN_TIMEOUT  # stop a run still going after this many seconds (a problem of the case)
    rerun: Rerun | None = None
    during: Callable | None = None  # acts on the simulator while the first run runs: (simulator, process, events)
    parallel: bool = False  # two runs at once, Basic and AK/SK, against the same simulator; `check` judges them
    check: Callable | None = None  # further expectations: Outcome -> list of problems
    group: str | None = None  # BATCH: a bad input (the connection among the task's options, one shape)
    slow: bool = False  # mostly sleeps for seconds (backoff, wait_timeout, slow subtasks): started first
    shapes: tuple = BOTH_SHAPES  # the task shapes the case runs against (one test per shape)
    shape: str = "documented"  # the shape of this test (set by for_shapes)
    bug: str | None = None  # a known bug of the collection: the case is a strict xfail with this reason


@dataclasses.dataclass
class Run:
    rc: int | None  # None in the batch: there the task's status says whether it failed
    output: str
    results: list
    started: float | None = None  # time.time() around the run: which requests of the log are this run's
    ended: float | None = None
    auth: str | None = None  # parallel runs: the scheme the simulator logs for this run's requests
    stopped_after: float | None = None  # the run was still going after so many seconds and was stopped


@dataclasses.dataclass
class Outcome:
    case: Case
    runs: list
    requests: list  # the simulator's request log over all runs
    tasks: list  # the simulator's tasks at the end, flat (also those OCP had not recorded yet)
    seeded_ids: frozenset = frozenset()  # tasks that existed before the first run (seeded history)
    events: dict = dataclasses.field(default_factory=dict)  # what `during` did: restarted_at, foreign_task_ids
    fault_rules: list = dataclasses.field(default_factory=list)  # the rules after the first run, with their counters
    notes: list = dataclasses.field(default_factory=list)  # problems found while running

    @property
    def foreign_ids(self):
        """Tasks another job (the case, through the simulator) created: not the collection's submissions."""
        return frozenset(self.events.get("foreign_task_ids", ()))

    def created_failover_tasks(self, tenant_id):
        return [task for task in self.tasks if task["tenantId"] == tenant_id and task["name"] == FAILOVER_TASK_NAME
                and task["id"] not in self.seeded_ids and task["id"] not in self.foreign_ids]


PRECHECK_ARGS = {"cluster_id": STANDBY_CLUSTER, "tenant_id": OHAYO}
TWO_TENANTS = [{"tenant_id": OHAYO, "service_name": "SVC_OHAYO"}, {"tenant_id": SALES}]
FAILOVER_ARGS = {"cluster_id": STANDBY_CLUSTER, "tenants": TWO_TENANTS, "wait_timeout": 60}
ROLE_VARS = {"tenant_failover_cluster_id": STANDBY_CLUSTER, "tenant_failover_tenants": TWO_TENANTS,
             "tenant_failover_wait_timeout": 60}
ATTACHED_AND_SUCCEEDED = {"tenants.*.action": ["attached_to_running_task"] * 2, "tenants.*.task_status": ["SUCCESSFUL"] * 2,
                          "tenants.*.role_after": ["PRIMARY"] * 2}
BOTH_FAILED_OVER = {"tenants.*.action": ["failed_over"] * 2, "tenants.*.task_status": ["SUCCESSFUL"] * 2,
                    "tenants.*.role_after": ["PRIMARY"] * 2, "tenants.*.concurrent_task_ids": [[], []]}
# The same without concurrent_task_ids: the role's summary has no such key, a case with another job checks it apart.
FAILED_OVER = {key: value for key, value in BOTH_FAILED_OVER.items() if key != "tenants.*.concurrent_task_ids"}
# Where the roles of the default scenario's two standbys come from, in each shape: no history, so the precheck
# where OCP sends no role field.
ROLES_FROM = {"documented": {"fields": {"tenants.*.role_source": ["precheck"] * 2}},
              "flat": {"fields": {"tenants.*.role_source": ["tenant"] * 2}}}
# A FAILED "Failover tenant" task of ohayo_2 from before the role switch: it is still a standby.
FAILED_BEFORE_THE_SWITCH = ({"name": FAILOVER_TASK_NAME, "clusterId": STANDBY_CLUSTER, "tenantId": OHAYO, "status": "FAILED",
                             "failedSubtask": "Reset log restore source", "ageSeconds": 600},)


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


def merged(*dicts):
    result = {}
    for item in dicts:
        result.update(item)
    return result


# ----- acting on the simulator while a run runs (Case.during): (simulator, process, events)


def request_seen(simulator, process, predicate):
    """The first request-log entry that satisfies `predicate`, polled while the run runs (None if it ended first)."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        for entry in simulator.request_log():
            if predicate(entry):
                return entry
        time.sleep(0.02)
    return None


def is_failover_post(entry):
    return entry["method"] == "POST" and fnmatch.fnmatchcase(entry["path"], FAILOVER_POST)


def is_retry_post(entry):
    return entry["method"] == "POST" and fnmatch.fnmatchcase(entry["path"], RETRY_POST)


def submitted_items(entry):
    body = entry["body"] if isinstance(entry["body"], dict) else {}
    items = body.get("failoverTenantItemList")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def ocp_applies_it_anyway(simulator, process, events):
    """OCP carried out the failover request although the answer the module got says otherwise (a 5xx, a proxy's error
    page, an unreadable body): the fault stopped the request before the simulator handled it, so create the tasks
    OCP would have created, as it would have (recorded late when the timing says so)."""
    entry = request_seen(simulator, process, lambda item: is_failover_post(item) and item["fault"] is not None)
    if entry is None:
        return
    cluster_id = int(entry["path"].split("/")[5])
    items = [{"tenantId": item["tenantId"], "serviceName": item.get("serviceName")} for item in submitted_items(entry)]
    simulator.state.create_failover_tasks(cluster_id, items, ADMIN_USER, "127.0.0.1", simulator.fault_rules.take_task_failure)
    events["applied_anyway"] = True


def another_job_fails_over(tenant_id):
    """Once OCP has answered the run's failover request, another job's failover of `tenant_id` starts (the scenario's
    OCP must accept it: option refuse_running_task false)."""

    def during(simulator, process, events):
        entry = request_seen(simulator, process, lambda item: is_failover_post(item) and item["status"] == 200)
        if entry is None:
            return
        _at, tasks = simulator.state.create_failover_tasks(STANDBY_CLUSTER, [{"tenantId": tenant_id, "serviceName": None}],
                                                           ADMIN_USER, "127.0.0.2", simulator.fault_rules.take_task_failure)
        events.setdefault("foreign_task_ids", []).extend(task["id"] for task in tasks)

    return during


def restart_after_failover(seconds):
    """Once OCP applied the failover request, stop it for `seconds`, then start it again (same port, same state)."""

    def during(simulator, process, events):
        request_seen(simulator, process, lambda item: is_failover_post(item) and item["status"] == 200)
        simulator.stop()
        time.sleep(seconds)
        simulator.start()
        events["restarted_at"] = time.time()

    return during


# ----- expectations that need the simulator's ids


def names_failed_subtask(subtask_name, tenant_id=SALES, tenant_name="sales_2"):
    """The failure message names the tenant, its task, the failed subtask and quotes the subtask's log."""

    def check(outcome):
        tasks = outcome.created_failover_tasks(tenant_id)
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


def reports_the_role_after_a_failed_task(subtask_name, tenant_id=SALES):
    """A failed task leaves the role its failed subtask left: still a standby before the role switch, a primary after
    it (the half-done failover a later run finds). Where OCP sends no role, null (unknown) is honest too."""
    switched = SUBTASK_NAMES.index(subtask_name) > SUBTASK_NAMES.index("Failover to primary tenant")

    def check(outcome):
        entry = target_entry(outcome.case, outcome.runs[0])
        tenant = next((item for item in entry["result"].get("tenants", []) if item.get("tenant_id") == tenant_id), {})
        allowed = ["PRIMARY"] if switched else ["STANDBY"]
        if switched and outcome.case.shape == "documented":
            allowed.append(None)
        if tenant.get("role_after") not in allowed:
            return ["tenant %d: role_after %r after its task FAILED at %r, expected one of %r (the simulator's tenant is %s)"
                    % (tenant_id, tenant.get("role_after"), subtask_name, allowed, "PRIMARY" if switched else "STANDBY")]
        return []

    return check


def injected_failure(subtask_name):
    return "ErrorCode = 4012, Details = injected failure at %s" % subtask_name


def names_running_tasks(outcome):
    """A timed-out wait names every tenant's task, still RUNNING."""
    message = failure_message(outcome.case, outcome.runs[0])
    problems = []
    for tenant_id in requested_tenants(outcome.case):
        for task in outcome.created_failover_tasks(tenant_id):
            if "tenant %d: task %d RUNNING" % (tenant_id, task["id"]) not in message:
                problems.append("the timeout message does not name tenant %d's task %d RUNNING: %s"
                                % (tenant_id, task["id"], message))
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
    restarted_at = outcome.events.get("restarted_at")
    if restarted_at is None:
        return ["the simulator was not restarted"]
    polls = [entry for entry in outcome.requests if entry["path"] == TASK_LIST and entry["time"] > restarted_at]
    return [] if polls else ["no task poll reached the simulator after its restart"]


def seeded_task_id(outcome, tenant_id=OHAYO):
    ids = sorted(task["id"] for task in outcome.tasks if task["id"] in outcome.seeded_ids and task["tenantId"] == tenant_id
                 and task["name"] == FAILOVER_TASK_NAME)
    return ids[-1] if ids else None


def names_the_earlier_failed_task(outcome):
    """The resubmitted tenant names the FAILED task seeded before the run."""
    entry = target_entry(outcome.case, outcome.runs[0])
    earlier = seeded_task_id(outcome)
    problems = field_problems(entry["result"], {"tenants.0.earlier_failed_task_id": earlier,
                                                "tenants.1.earlier_failed_task_id": None})
    created = [task["id"] for task in outcome.created_failover_tasks(OHAYO)]
    problems += field_problems(entry["result"], {"tenants.0.task_id": created[0] if created else "a new task"})
    return problems


def refuses_the_half_done_task(outcome):
    """Nothing sent; the message names the half-done task, its failed subtask and the option that retries it."""
    message = failure_message(outcome.case, outcome.runs[0])
    task_id = seeded_task_id(outcome)
    fragments = ["task %s FAILED at subtask 'Create tenant service name'" % task_id, "after the role switch",
                 "retry_failed_tasks"]
    return ["%r not in the failure message: %s" % (text, message) for text in fragments if text not in message]


def retried_the_half_done_task(action):
    def check(outcome):
        entry = target_entry(outcome.case, outcome.runs[0])
        task_id = seeded_task_id(outcome)
        expected = {"tenants.0.action": action, "tenants.0.earlier_failed_task_id": task_id}
        if action == "retried_failed_task":
            expected.update({"tenants.0.task_id": task_id, "tenants.0.task_status": "SUCCESSFUL",
                             "tenants.0.role_after": "PRIMARY"})
        problems = field_problems(entry["result"], expected)
        retries = [item for item in outcome.requests if is_retry_post(item)]
        wanted = ["/api/v2/tasks/instances/%s/retry" % task_id] if action == "retried_failed_task" else []
        if [item["path"] for item in retries] != wanted:
            problems.append("retry requests %s, expected %s" % ([item["path"] for item in retries], wanted))
        return problems

    return check


def notices_the_other_job(outcome):
    """The other job's task is in concurrent_task_ids of its tenant, and a warning names it."""
    foreign = sorted(outcome.foreign_ids)
    if not foreign:
        return ["the other job's failover never started"]
    entry = target_entry(outcome.case, outcome.runs[0])
    problems = field_problems(entry["result"], {"tenants.0.concurrent_task_ids": foreign,
                                                "tenants.1.concurrent_task_ids": []})
    warnings = " ".join(str(item) for item in entry["result"].get("warnings") or [])
    for text in ("tenant %d (ohayo_2)" % OHAYO, str(foreign[0]), "allow_simultaneous"):
        if text not in warnings:
            problems.append("%r not in the warnings: %r" % (text, warnings))
    return problems


def no_subtasks_in_the_result(outcome):
    entry = target_entry(outcome.case, outcome.runs[0])
    tasks = entry["result"].get("tasks") or []
    with_subtasks = [task.get("id") for task in tasks if "subtasks" in task]
    problems = [] if tasks else ["no tasks in the result"]
    return problems + (["tasks %s carry subtasks although return_subtasks is false" % with_subtasks] if with_subtasks else [])


def one_run_refused_as_a_conflict(outcome):
    """Two runs at once against an OCP that guards: one fails the tenants over, OCP refuses the other's request
    with 409 (a running task), and that run says nothing was submitted."""
    problems = []
    verdicts = []
    for run in outcome.runs:
        entry = target_entry(dataclasses.replace(outcome.case, failed=run.rc != 0), run)
        if entry is None:
            problems.append("a run has no result of the failover (rc %s): %s" % (run.rc, run.output[-2000:]))
            continue
        verdicts.append((run.rc, entry))
    if problems:
        return problems
    by_rc = sorted(verdicts, key=lambda item: item[0])
    if [rc for rc, _entry in by_rc] != [0, 2]:
        return ["expected one run to succeed and one to fail, got rc %s" % [rc for rc, _entry in by_rc]]
    problems += field_problems(by_rc[0][1]["result"], BOTH_FAILED_OVER)
    message = str(by_rc[1][1]["result"].get("msg", ""))
    for text in (REFUSED, "HTTP 409 OBE21005"):
        if text not in message:
            problems.append("%r not in the refused run's message: %s" % (text, message))
    statuses = sorted(entry["status"] for entry in outcome.requests if is_failover_post(entry))
    if statuses != [200, 409]:
        problems.append("failover requests answered %s, expected one 200 and one 409" % statuses)
    return problems


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
                  messages=("HTTP 404 OBE11001", "Cluster %d not found" % UNKNOWN_CLUSTER,
                            "OCP does not know this cluster: check cluster_id"),
                  attempts=("POST", PRECHECK_POST, [404])),
    precheck_case("precheck-404-tenant", {"tenant_id": UNKNOWN_TENANT}, failed=True, attempts=("POST", PRECHECK_POST, [404]),
                  messages=("HTTP 404 OBE21002", "OCP does not know this tenant in this cluster: check tenant_id",
                            "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, UNKNOWN_TENANT))),
    precheck_case("precheck-429-burst-absorbed", auth="aksk", faults=(status_fault(PRECHECK_POST, 429, count=2, reset=1),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [429, 429, 200]), check=waited_between_attempts(1)),
    precheck_case("precheck-429-beyond-retry-budget", faults=(status_fault(PRECHECK_POST, 429, reset=0.5),), failed=True,
                  messages=("HTTP 429", "OCP is rate-limiting requests"),
                  attempts=("POST", PRECHECK_POST, [429] * ATTEMPTS), slow=True),
    precheck_case("precheck-500-burst-absorbed", faults=(status_fault(PRECHECK_POST, 500, count=2),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [500, 500, 200])),
    precheck_case("precheck-502-burst-absorbed", auth="aksk", faults=(status_fault(PRECHECK_POST, 502, count=3),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [502, 502, 502, 200]), slow=True),
    precheck_case("precheck-503-burst-as-long-as-the-budget-absorbed", faults=(status_fault(PRECHECK_POST, 503, count=RETRIES),),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [503] * RETRIES + [200]), slow=True),
    precheck_case("precheck-503-burst-one-longer-than-the-budget", auth="aksk",
                  faults=(status_fault(PRECHECK_POST, 503, count=ATTEMPTS),), failed=True,
                  messages=("HTTP 503 COM10000", "OCP server error: quote traceId"),
                  attempts=("POST", PRECHECK_POST, [503] * ATTEMPTS), slow=True),
    precheck_case("precheck-500-beyond-retry-budget", faults=(status_fault(PRECHECK_POST, 500),), failed=True,
                  messages=("HTTP 500 COM10000", "OCP server error: quote traceId"),
                  attempts=("POST", PRECHECK_POST, [500] * ATTEMPTS), slow=True),
    precheck_case("precheck-html-error-page-absorbed", faults=({"path": PRECHECK_POST, "action": "html", "count": 1},),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, [502, 200])),
    precheck_case("precheck-malformed-json", auth="aksk", faults=({"path": PRECHECK_POST, "action": "malformed_json"},),
                  failed=True, messages=("the response is not valid JSON (truncated or corrupted?",),
                  attempts=("POST", PRECHECK_POST, [200])),
    precheck_case("precheck-connection-refused", {"api_url": SimUrl("closed port")}, failed=True,
                  messages=("could not connect to http://127.0.0.1:", "Check api_url and the network"), slow=True),
    precheck_case("precheck-read-timeout-absorbed", {"request_timeout": 2}, auth="aksk",
                  faults=({"path": PRECHECK_POST, "action": "latency", "seconds": 6, "count": 1},),
                  fields={"valid": True}, attempts=("POST", PRECHECK_POST, 2), slow=True),
    precheck_case("precheck-read-timeout-beyond-retry-budget", {"request_timeout": 1},
                  faults=({"path": PRECHECK_POST, "action": "latency", "seconds": 3},), failed=True,
                  messages=("no answer from http://127.0.0.1:", "within 1 s (request_timeout)", "Raise request_timeout"),
                  attempts=("POST", PRECHECK_POST, ATTEMPTS), slow=True),
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
    # Refusals (4xx) of the reads or of the failover request: nothing submitted, a clear error.
    failover_case("failover-401-wrong-access-key-secret", {"access_key_secret": WRONG_KEY_SECRET}, auth="aksk", failed=True,
                  secrets=(WRONG_KEY_SECRET,), sent=NO_FAILOVER, failover_tasks=0,
                  messages=("HTTP 401 IAM10004", "Check access_key_id/access_key_secret")),
    failover_case("failover-401-on-the-failover-request", faults=(status_fault(FAILOVER_POST, 401),), failed=True,
                  failover_tasks=0, attempts=("POST", FAILOVER_POST, [401]),
                  messages=(REFUSED, "HTTP 401 IAM10000", "Check username/password")),
    failover_case("failover-403-read-only-access-key", {"access_key_id": VIEWER_KEY_ID, "access_key_secret": VIEWER_KEY_SECRET},
                  auth="aksk", failed=True, secrets=(VIEWER_KEY_SECRET,), failover_tasks=0,
                  attempts=("POST", FAILOVER_POST, [403]), messages=(REFUSED, "HTTP 403 IAM11000", "lacks permission"),
                  # Where OCP sends no role, the precheck (a POST as well) is refused first.
                  per_shape={"documented": {"attempts": (("POST", PRECHECK_POST, [403, 403]), ("POST", FAILOVER_POST, [])),
                                            "messages": ("HTTP 403 IAM11000", "lacks permission")}}),
    failover_case("failover-404-cluster", {"cluster_id": UNKNOWN_CLUSTER}, failed=True, sent=NO_FAILOVER, failover_tasks=0,
                  messages=("HTTP 404 OBE11001", "Cluster %d not found" % UNKNOWN_CLUSTER)),
    failover_case("failover-404-tenant", {"tenants": TWO_TENANTS + [{"tenant_id": UNKNOWN_TENANT}]}, auth="aksk",
                  failed=True, sent=NO_FAILOVER, failover_tasks=0,
                  messages=("tenant %d:" % UNKNOWN_TENANT, "HTTP 404 OBE21002", "Nothing was sent to OCP")),
    failover_case("failover-409-conflict", auth="aksk", failed=True, failover_tasks=0,
                  faults=(status_fault(FAILOVER_POST, 409, count=1, message="Tenant ohayo_2 already has a running failover task."),),
                  attempts=("POST", FAILOVER_POST, [409]),
                  messages=(REFUSED, "HTTP 409", "already has a running failover task")),
    failover_case("failover-429-on-the-failover-request-is-not-retried", faults=(status_fault(FAILOVER_POST, 429, count=1),),
                  failed=True, failover_tasks=0, attempts=("POST", FAILOVER_POST, [429]), messages=(REFUSED, "HTTP 429")),
    # Faults of the reads, absorbed by the client's retries, or not.
    failover_case("failover-429-burst-on-reads-absorbed", auth="aksk",
                  faults=(status_fault(TENANT_LIST, 429, count=2, method="GET", reset=0.5),),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    failover_case("failover-502-burst-on-reads-absorbed", faults=(status_fault(TENANT_LIST, 502, count=3, method="GET"),),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    failover_case("failover-502-on-reads-beyond-retry-budget", auth="aksk",
                  faults=(status_fault(TENANT_LIST, 502, method="GET"),), failed=True, sent=NO_FAILOVER, failover_tasks=0,
                  attempts=("GET", TENANT_LIST, [502] * ATTEMPTS),
                  messages=("GET /api/v2/ob/clusters/%d/tenants" % STANDBY_CLUSTER, "HTTP 502"), slow=True),
    failover_case("failover-503-burst-while-waiting-absorbed",
                  faults=(status_fault(TASK_LIST, 503, method="GET", skip=HISTORY_READS, count=2),),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    failover_case("failover-503-while-waiting-beyond-retry-budget", {"wait_timeout": 3}, auth="aksk",
                  faults=(status_fault(TASK_LIST, 503, method="GET", skip=HISTORY_READS),), failed=True, failover_tasks=1,
                  attempts=("POST", FAILOVER_POST, [200]),
                  messages=("HTTP 503", "rerun"), slow=True),
    failover_case("failover-malformed-json-on-reads", faults=({"method": "GET", "path": TASK_LIST, "action": "malformed_json"},),
                  failed=True, sent=NO_FAILOVER, failover_tasks=0, messages=("the response is not valid JSON",)),
    failover_case("failover-read-timeout-on-reads-absorbed", {"request_timeout": 2}, auth="aksk",
                  faults=({"method": "GET", "path": TENANT_LIST, "action": "latency", "seconds": 6, "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200]), slow=True),
    failover_case("failover-slow-task-list", {"request_timeout": 5},
                  faults=({"method": "GET", "path": TASK_LIST, "action": "latency", "seconds": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200]), slow=True),
    failover_case("failover-slow-task-list-while-following-a-lost-answer", {"request_timeout": LATE_REQUEST_TIMEOUT},
                  auth="aksk", timing=LATE_RECORDING,
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},
                          {"method": "GET", "path": TASK_LIST, "action": "latency", "seconds": 3, "skip": HISTORY_READS,
                           "count": 2}),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1), slow=True),
    # The answer to the failover request is lost after OCP applied it: exactly one request, the module follows the
    # task list until the tasks appear, also when OCP records them seconds after the request timed out.
    failover_case("failover-lost-response-dropped", {"request_timeout": 2},
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1)),
    failover_case("failover-lost-response-dropped-tasks-recorded-late", {"request_timeout": LATE_REQUEST_TIMEOUT},
                  auth="aksk", timing=LATE_RECORDING,
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1), slow=True),
    failover_case("failover-lost-response-delayed-past-the-request-timeout", {"request_timeout": 1}, auth="aksk",
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "delay", "seconds": 4, "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1)),
    failover_case("failover-lost-response-delayed-tasks-recorded-late", {"request_timeout": 1}, timing=LATE_RECORDING,
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "delay", "seconds": 4, "count": 1},),
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1), slow=True),
    failover_case("failover-lost-response-without-waiting-tasks-recorded-late",
                  {"wait": False, "request_timeout": LATE_REQUEST_TIMEOUT}, timing=merged(LATE_RECORDING, ROLE_TASK_TIMING),
                  faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},),
                  fields={"tenants.*.action": ["failed_over"] * 2, "tenants.*.task_status": ["RUNNING"] * 2,
                          "tenants.*.role_after": [None, None], "changed": True},
                  failover_tasks=1, attempts=("POST", FAILOVER_POST, 1), slow=True),
    failover_case("failover-unreadable-2xx-applied-tasks-recorded-late", auth="aksk", timing=LATE_RECORDING,
                  faults=({"path": FAILOVER_POST, "action": "malformed_json", "count": 1},), during=ocp_applies_it_anyway,
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200]), slow=True),
    failover_case("failover-500-applied-anyway", faults=(status_fault(FAILOVER_POST, 500, count=1),),
                  during=ocp_applies_it_anyway, fields=BOTH_FAILED_OVER, failover_tasks=1,
                  attempts=("POST", FAILOVER_POST, [500]), slow=True),
    failover_case("failover-502-error-page-applied-anyway-tasks-recorded-late", auth="aksk", timing=LATE_RECORDING,
                  faults=({"path": FAILOVER_POST, "action": "html", "count": 1},), during=ocp_applies_it_anyway,
                  fields=BOTH_FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [502]), slow=True),
    # A lost answer, or a server error, that no task ever explains: one request, then "outcome unknown" once
    # wait_timeout has passed; a rerun reads OCP afresh and submits (no task exists).
    failover_case("failover-dropped-before-ocp-applied-it", {"request_timeout": 2, "wait_timeout": FOLLOW_TIMEOUT},
                  faults=({"path": FAILOVER_POST, "action": "drop", "count": 1},), failed=True, failover_tasks=1,
                  attempts=("POST", FAILOVER_POST, [None, 200]), messages=OUTCOME_UNKNOWN,
                  rerun=Rerun({"wait_timeout": 60}, BOTH_FAILED_OVER), slow=True),
    failover_case("failover-dropped-every-time", {"request_timeout": 2, "wait_timeout": FOLLOW_TIMEOUT}, auth="aksk",
                  faults=({"path": FAILOVER_POST, "action": "drop"},), failed=True, failover_tasks=0,
                  attempts=("POST", FAILOVER_POST, [None]), messages=OUTCOME_UNKNOWN, fields=OUTCOME_UNKNOWN_FIELDS,
                  slow=True),
    failover_case("failover-500-on-the-failover-request", {"wait_timeout": FOLLOW_TIMEOUT},
                  faults=(status_fault(FAILOVER_POST, 500),), failed=True, failover_tasks=0, fields=OUTCOME_UNKNOWN_FIELDS,
                  attempts=("POST", FAILOVER_POST, [500]), messages=OUTCOME_UNKNOWN + ("HTTP 500 COM10000",), slow=True),
    failover_case("failover-502-error-page-on-the-failover-request", {"wait_timeout": FOLLOW_TIMEOUT}, auth="aksk",
                  faults=({"path": FAILOVER_POST, "action": "html"},), failed=True, failover_tasks=0,
                  attempts=("POST", FAILOVER_POST, [502]), messages=OUTCOME_UNKNOWN + ("HTTP 502",), slow=True),
    failover_case("failover-malformed-json-on-the-failover-request", {"wait_timeout": FOLLOW_TIMEOUT},
                  faults=({"path": FAILOVER_POST, "action": "malformed_json"},), failed=True, failover_tasks=0,
                  attempts=("POST", FAILOVER_POST, [200]), messages=OUTCOME_UNKNOWN + ("not valid JSON",), slow=True),
] + [
    failover_case("failover-task-failed-at-" + subtask_slug(name), auth=("aksk", "basic")[index % 2],
                  faults=({"action": "task_fail", "subtask": name, "tenantId": SALES, "message": injected_failure(name)},),
                  failed=True, failover_tasks=1, check=lambda outcome, name=name: (
                      names_failed_subtask(name)(outcome) + reports_the_role_after_a_failed_task(name)(outcome)),
                  fields={"tenants.*.task_status": ["SUCCESSFUL", "FAILED"], "tenants.1.failed_subtask.name": name,
                          "tenants.0.role_after": "PRIMARY"})
    for index, name in enumerate(SUBTASK_NAMES)
] + [
    failover_case("failover-task-failed-without-subtasks-in-the-result", {"return_subtasks": False}, auth="aksk",
                  faults=({"action": "task_fail", "subtask": "Failover to primary tenant", "tenantId": SALES,
                           "message": injected_failure("Failover to primary tenant")},),
                  failed=True, failover_tasks=1, fields={"tenants.*.task_status": ["SUCCESSFUL", "FAILED"]},
                  check=lambda outcome: (names_failed_subtask("Failover to primary tenant")(outcome)
                                         + no_subtasks_in_the_result(outcome))),
] + [
    # History: a switchback (an old failover SUCCESSFUL, a later switchover made the tenant a standby again), a
    # FAILED failover before the role switch (submitted again), a half-done failover (FAILED after the switch).
    failover_case("failover-after-a-switchback", scenario_file="switchback.yml", fields=BOTH_FAILED_OVER,
                  per_shape={"documented": {"fields": {"tenants.*.role_source": ["tasks", "precheck"]}},
                             "flat": {"fields": {"tenants.*.role_source": ["tenant", "tenant"]}}},
                  failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    failover_case("failover-after-a-task-failed-before-the-role-switch", auth="aksk", history=FAILED_BEFORE_THE_SWITCH,
                  fields=BOTH_FAILED_OVER, per_shape=ROLES_FROM, failover_tasks=1,
                  attempts=("POST", FAILOVER_POST, [200]), check=names_the_earlier_failed_task),
    failover_case("failover-half-done-not-retried", scenario_file="half_done_failover.yml", failed=True, sent=NO_FAILOVER,
                  failover_tasks=0, attempts=("POST", RETRY_POST, 0), check=refuses_the_half_done_task),
    failover_case("failover-half-done-retried", {"retry_failed_tasks": True}, scenario_file="half_done_failover.yml",
                  auth="aksk", fields={"tenants.1.action": "failed_over", "tenants.*.task_status": ["SUCCESSFUL"] * 2},
                  failover_tasks={OHAYO: 0, SALES: 1}, attempts=(("POST", RETRY_POST, [200]), ("POST", FAILOVER_POST, [200])),
                  check=retried_the_half_done_task("retried_failed_task")),
    failover_case("failover-half-done-retried-in-check-mode", {"retry_failed_tasks": True}, check_mode=True,
                  scenario_file="half_done_failover.yml", sent=NO_FAILOVER, failover_tasks=0,
                  fields={"changed": True, "tenants.1.action": "would_fail_over"}, attempts=("POST", RETRY_POST, 0),
                  check=retried_the_half_done_task("would_retry_failed_task")),
    failover_case("failover-half-done-retry-answer-lost", {"retry_failed_tasks": True, "request_timeout": 2},
                  scenario_file="half_done_failover.yml",
                  faults=({"path": RETRY_POST, "action": "lost_response", "mode": "drop", "count": 1},),
                  fields={"tenants.1.action": "failed_over", "tenants.*.task_status": ["SUCCESSFUL"] * 2},
                  failover_tasks={OHAYO: 0, SALES: 1}, attempts=(("POST", RETRY_POST, 1), ("POST", FAILOVER_POST, [200])),
                  check=retried_the_half_done_task("retried_failed_task"), slow=True),
    # Concurrent runs: against an OCP that guards (409 for a tenant with a running task), and against one that does
    # not, where another job's task of the same tenant appears while the module waits.
    failover_case("failover-two-runs-at-once-one-refused", parallel=True,
                  timing={"subtask_seconds_by_name": {"Failover to primary tenant": 6.0}},
                  faults=({"path": FAILOVER_POST, "action": "latency", "seconds": 6, "count": 2},),
                  attempts=("POST", FAILOVER_POST, 2), failover_tasks=1, check=one_run_refused_as_a_conflict, slow=True),
    # (concurrent_task_ids: notices_the_other_job)
    failover_case("failover-another-jobs-task-appears-while-waiting", auth="aksk",
                  options={"refuse_running_task": False},
                  timing={"subtask_seconds_by_name": {"Reset log restore source": 2.0}},
                  during=another_job_fails_over(OHAYO), fields=FAILED_OVER,
                  failover_tasks=1, attempts=("POST", FAILOVER_POST, [200]), check=notices_the_other_job, slow=True),
    # Timeouts and restarts.
    failover_case("failover-wait-timeout-then-rerun", {"wait_timeout": 2}, timing=RERUN_FAILOVER_TIMING, failed=True,
                  failover_tasks=1, check=names_running_tasks, attempts=("POST", FAILOVER_POST, [200]),
                  messages=("Timed out after 2 seconds", "rerun to resume waiting", "does not submit again"),
                  rerun=Rerun({"wait_timeout": 120}, ATTACHED_AND_SUCCEEDED), slow=True),
    failover_case("failover-simulator-restarted-mid-wait", auth="aksk", timing=RESTART_FAILOVER_TIMING,
                  during=restart_after_failover(3.0), fields=BOTH_FAILED_OVER, failover_tasks=1,
                  attempts=("POST", FAILOVER_POST, [200]), check=polls_resumed_after_restart, slow=True),
]

ROLE_CASES = [
    role_case("role-401-wrong-password", {"ocp_password": WRONG_PASSWORD}, failed=True, sent=NO_FAILOVER, failover_tasks=0,
              secrets=(WRONG_PASSWORD,), failing_task=ROLE_PRECHECK_TASK, messages=("HTTP 401 IAM10004", "Check username/password")),
    role_case("role-403-read-only-user", {"ocp_username": VIEWER_USER, "ocp_password": VIEWER_PASSWORD}, failed=True,
              sent=NO_FAILOVER, failover_tasks=0, secrets=(VIEWER_PASSWORD,), failing_task=ROLE_PRECHECK_TASK,
              messages=("HTTP 403 IAM11000", "lacks permission")),
    role_case("role-404-tenant", {"tenant_failover_tenants": TWO_TENANTS + [{"tenant_id": UNKNOWN_TENANT}]}, auth="aksk",
              failed=True, sent=NO_FAILOVER, failover_tasks=0, failing_task=ROLE_PRECHECK_TASK,
              messages=("/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck failed: HTTP 404 OBE21002"
                        % (STANDBY_CLUSTER, UNKNOWN_TENANT), "OCP does not know this tenant in this cluster")),
    role_case("role-503-burst-on-prechecks-absorbed", auth="aksk", faults=(status_fault(PRECHECK_POST, 503, count=3),),
              timing=ROLE_TASK_TIMING, fields=FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, [200])),
    role_case("role-lost-failover-response-tasks-recorded-late", {"ocp_request_timeout": LATE_REQUEST_TIMEOUT},
              timing=merged(ROLE_TASK_TIMING, LATE_RECORDING),
              faults=({"path": FAILOVER_POST, "action": "lost_response", "mode": "drop", "count": 1},),
              fields=FAILED_OVER, failover_tasks=1, attempts=("POST", FAILOVER_POST, 1), slow=True),
    role_case("role-failover-request-dropped-before-ocp-applied-it",
              {"ocp_request_timeout": 2, "tenant_failover_wait_timeout": FOLLOW_TIMEOUT}, auth="aksk",
              faults=({"path": FAILOVER_POST, "action": "drop"},), failed=True, failover_tasks=0,
              failing_task=ROLE_SUBMIT_TASK, attempts=("POST", FAILOVER_POST, [None]), messages=OUTCOME_UNKNOWN, slow=True,
              run_timeout=90),
    # The switchback's primaries are alive: the role prechecks ohayo_2 as the standby it is again (not "already
    # primary" after its old failover) and OCP's OBE26107 stops it.
    role_case("role-after-a-switchback", scenario_file="switchback.yml", failed=True, sent=NO_FAILOVER, failover_tasks=0,
              failing_task=ROLE_BLOCKED_TASK, messages=("tenant %d (ohayo_2) error" % OHAYO, "OBE26107")),
    role_case("role-half-done-not-retried", scenario_file="half_done_failover.yml", auth="aksk", failed=True,
              sent=NO_FAILOVER, failover_tasks=0, failing_task=ROLE_SUBMIT_TASK, attempts=("POST", RETRY_POST, 0),
              check=refuses_the_half_done_task),
    role_case("role-half-done-retried", {"tenant_failover_retry_failed_tasks": True}, scenario_file="half_done_failover.yml",
              timing=ROLE_TASK_TIMING, fields={"tenants.*.action": ["retried_failed_task", "failed_over"],
                                               "tenants.*.task_status": ["SUCCESSFUL"] * 2, "tenants.*.role_after": ["PRIMARY"] * 2},
              failover_tasks={OHAYO: 0, SALES: 1}, attempts=(("POST", RETRY_POST, 1), ("POST", FAILOVER_POST, [200]))),
    role_case("role-task-failed", auth="aksk", failed=True, failover_tasks=1, failing_task=ROLE_WAIT_TASK,
              timing=ROLE_TASK_TIMING,
              faults=({"action": "task_fail", "subtask": "Failover to primary tenant", "tenantId": SALES,
                       "message": injected_failure("Failover to primary tenant")},),
              check=names_failed_subtask("Failover to primary tenant")),
    role_case("role-wait-timeout-then-rerun", {"tenant_failover_wait_timeout": 2}, timing=RERUN_FAILOVER_TIMING, failed=True,
              failover_tasks=1, failing_task=ROLE_WAIT_TASK, check=names_running_tasks,
              messages=("Timed out after 2 seconds", "rerun to resume waiting"),
              rerun=Rerun({"tenant_failover_wait_timeout": 120}, ATTACHED_AND_SUCCEEDED)),
]

ROLE_BAD_INPUTS = [
    role_case("role-bad-input-cluster-id-missing", {"tenant_failover_cluster_id": ABSENT}, failed=True, sent=NOTHING,
              messages=("tenant_failover_cluster_id",)),
    role_case("role-bad-input-cluster-id-not-an-integer", {"tenant_failover_cluster_id": "abc"}, failed=True, sent=NOTHING,
              messages=("tenant_failover_cluster_id", "unable to convert to int")),
    role_case("role-bad-input-tenants-empty", {"tenant_failover_tenants": []}, failed=True, sent=NOTHING,
              messages=("tenant_failover_tenants must list at least one tenant",)),
    role_case("role-bad-input-tenants-duplicated", {"tenant_failover_tenants": TWO_TENANTS + [{"tenant_id": OHAYO}]},
              auth="aksk", failed=True, sent=NOTHING,
              messages=("tenant_failover_tenants lists tenant_id %d more than once: list each once" % OHAYO,)),
    role_case("role-bad-input-tenants-not-a-list", {"tenant_failover_tenants": str(OHAYO)}, failed=True, sent=NOTHING,
              messages=("tenant_failover_tenants",)),
    role_case("role-bad-input-tenant-without-tenant-id", {"tenant_failover_tenants": [{"service_name": "SVC"}]},
              failed=True, sent=NOTHING,
              messages=("tenant_failover_tenants[0] gives neither tenant_id nor name: give exactly one",)),
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
    role_case("role-bad-input-retry-failed-tasks-not-a-boolean", {"tenant_failover_retry_failed_tasks": "maybe"},
              auth="aksk", failed=True, sent=NOTHING, messages=("tenant_failover_retry_failed_tasks",)),
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
                 ("one of the following is required: cluster_id, cluster_name",)),
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
                 ("tenants lists tenant_id %d more than once" % OHAYO, "nothing was sent to OCP"), auth="aksk"),
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


def for_shapes(cases, shapes=None):
    """One case per task shape it runs against (`shapes`, else the case's own), the shape's name appended to its id,
    with the case's overrides for that shape (`fields` are merged into the case's fields)."""
    expanded = []
    for case in cases:
        names = shapes or case.shapes
        for shape in names:
            overrides = dict(case.per_shape.get(shape, {}))
            overrides["fields"] = merged(case.fields, overrides.get("fields", {}))
            expanded.append(dataclasses.replace(
                case, id=case.id if len(names) == 1 and shapes else "%s-%s" % (case.id, shape), shape=shape, **overrides))
    return expanded


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
    """The case's scenario: the default one (or its own file) with the matrix's fast timing, the case's timing, the
    shape's options, the case's options and seeded history."""
    if case.scenario_file:
        with open(Path(SCENARIO_DIR) / case.scenario_file, encoding="utf-8") as stream:
            scenario = yaml.safe_load(stream)
        scenario["timing"] = merged(scenario.get("timing") or {}, base["timing"])
    else:
        scenario = copy.deepcopy(base)
    scenario["timing"] = merged(scenario["timing"], copy.deepcopy(case.timing))
    scenario["options"] = merged(scenario.get("options") or {}, SHAPES[case.shape], case.options)
    scenario["tasks"] = list(scenario.get("tasks") or []) + [dict(entry) for entry in case.history]
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


def module_task(case, args, simulator, variables, auth):
    """The case's task. Fault cases get the connection in the task's module_defaults, as users set it; bad inputs get
    it among the task's options, so a case can leave a connection option out. Connection options go into `variables`."""
    if case.group == BATCH:
        options = materialize(merged(dict(api_url=simulator.url, **credentials(auth)), args), simulator)
        task = {"name": case.id, case.target: through_variables("task_" + case.id, options, variables)}
    else:
        options = materialize(args, simulator)
        task = {"name": case.id, case.target: through_variables("task_" + case.id, options, variables)}
        if auth:
            defaults = through_variables("defaults_" + case.id, dict(api_url=simulator.url, **credentials(auth)), variables)
            task["module_defaults"] = {"group/oceanbase.ocp.ocp": defaults}
    if case.check_mode:
        task["check_mode"] = True
    return task


def role_inputs(args, simulator, auth):
    """(extra vars, environment) of a role run: Basic comes from OCP_* variables as AWX injects them, AK/SK from ocp_* vars."""
    variables = materialize(args, simulator)
    env = {}
    if auth == "basic":
        env = {"OCP_API_URL": simulator.url, "OCP_USERNAME": ADMIN_USER, "OCP_PASSWORD": ADMIN_PASSWORD}
    elif auth == "aksk":
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
    """Run a case that needs a playbook of its own (a role, a rerun, parallel runs) against a simulator of its own."""
    with Simulator(scenario=scenario_for(case, base_scenario), host="127.0.0.1", port=0) as simulator:
        for rule in case.faults:
            simulator.add_fault(**rule)
        seeded = frozenset(simulator.state.tasks)
        events = {}
        if case.parallel:
            # Basic and AK/SK: the request log tells the two runs' requests apart by the scheme.
            with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
                futures = [executor.submit(run_case, case, case.args, simulator, env, workdir / auth, auth=auth, tagged=True)
                           for auth in ("basic", "aksk")]
            runs = [future.result() for future in futures]
        else:
            runs = [run_case(case, case.args, simulator, env, workdir / "run", events=events)]
        fault_rules = simulator.faults()
        if case.rerun is not None:
            simulator.clear_faults()
            runs.append(run_case(dataclasses.replace(case, during=None), dict(case.args, **case.rerun.args), simulator,
                                 env, workdir / "rerun"))
        return Outcome(case, runs, simulator.request_log(), list(simulator.state.tasks.values()), seeded_ids=seeded,
                       events=events, fault_rules=fault_rules)


def run_case(case, args, simulator, env, workdir, auth=None, tagged=False, events=None):
    """One ansible-playbook run of the case (with `auth`, else the case's credentials)."""
    auth = auth or case.auth
    workdir.mkdir(parents=True)
    result_file = workdir / "results.jsonl"
    run_env = dict(env, OCP_TEST_RESULT_FILE=str(result_file))
    variables = {}
    if case.target == ROLE:
        playbook = ROLE
        variables, role_env = role_inputs(args, simulator, auth)
        run_env.update(role_env)
    else:
        play = {"name": case.id, "hosts": "localhost", "gather_facts": False,
                "tasks": [module_task(case, args, simulator, variables, auth)]}
        playbook = write_playbook(workdir / "playbook.yml", play)
    command = ansible_command(playbook, write_variables(workdir / "variables.yml", variables))
    started = time.time()
    with run_with_helpers(command, workdir, run_env, [(case, simulator, events)]) as process:
        rc = wait_for(process, case.run_timeout)
    output = (workdir / "output.txt").read_text(encoding="utf-8")
    return Run(rc, output, read_results(result_file), started=started, ended=time.time(), auth=auth if tagged else None,
               stopped_after=None if rc is not None else case.run_timeout)


def wait_for(process, seconds):
    """The exit status of the run, or None when it was still going after `seconds` (run_with_helpers stops it)."""
    try:
        return process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return None


@contextlib.contextmanager
def run_with_helpers(command, workdir, env, cases):
    """Start ansible-playbook (output to workdir/output.txt, one stream so each task's lines stay under its TASK
    header) and, for each (case, simulator, events) whose case acts `during` the run, a thread that does so."""
    with open(workdir / "output.txt", "w", encoding="utf-8") as output:
        # A session of its own: stopping a run stops the module processes it started too, which would otherwise
        # go on polling a port that a later case's simulator may reuse.
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        helpers = [threading.Thread(target=case.during, args=(simulator, process, events), daemon=True)
                   for case, simulator, events in cases if case.during is not None]
        for helper in helpers:
            helper.start()
        try:
            yield process
        finally:
            if process.poll() is None:
                # Still running, so the group is this run's own: ansible-playbook, its workers, the module.
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            for helper in helpers:
                helper.join(timeout=RUN_TIMEOUT)


def run_in_one_playbook(cases, base_scenario, env, workdir):
    """Run module cases in one playbook, one task each (ignore_errors), each against a simulator of its own: one
    ansible-playbook start for many cases. Each case's output is its task's lines; a secret in the lines around the
    tasks (play header, recap) counts for every case of the playbook."""
    workdir.mkdir(parents=True)
    result_file = workdir / "results.jsonl"
    with contextlib.ExitStack() as stack:
        simulators, seeded, events = {}, {}, {}
        variables = {}
        tasks = []
        for case in cases:
            simulator = stack.enter_context(Simulator(scenario=scenario_for(case, base_scenario), host="127.0.0.1", port=0))
            simulators[case.id] = simulator
            seeded[case.id] = frozenset(simulator.state.tasks)
            events[case.id] = {}
            for rule in case.faults:
                simulator.add_fault(**rule)
            tasks.append(dict(module_task(case, case.args, simulator, variables, case.auth), ignore_errors=True))
        playbook = write_playbook(workdir / "playbook.yml",
                                  {"name": "fault matrix", "hosts": "localhost", "gather_facts": False, "tasks": tasks})
        command = ansible_command(playbook, write_variables(workdir / "variables.yml", variables))
        helpers = [(case, simulators[case.id], events[case.id]) for case in cases]
        with run_with_helpers(command, workdir, dict(env, OCP_TEST_RESULT_FILE=str(result_file)), helpers) as process:
            returncode = wait_for(process, RUN_TIMEOUT)
        output = (workdir / "output.txt").read_text(encoding="utf-8")
        results = read_results(result_file)
        sections = task_sections(output)
        headers = list(TASK_HEADER.finditer(output))
        recap = output.find("PLAY RECAP")
        around = output[:headers[0].start() if headers else len(output)] + (output[recap:] if recap >= 0 else "")
        outcomes = {}
        for case in cases:
            simulator = simulators[case.id]
            run = Run(None, sections.get(case.id, "") + "\n" + around, [entry for entry in results if entry["task"] == case.id])
            outcome = Outcome(case, [run], simulator.request_log(), list(simulator.state.tasks.values()),
                              seeded_ids=seeded[case.id], events=events[case.id], fault_rules=simulator.faults())
            if returncode is None:
                outcome.notes.append("the playbook was still going after %d s and was stopped" % RUN_TIMEOUT)
            elif returncode != 0:
                outcome.notes.append("the playbook exited %d:\n%s" % (returncode, output[-3000:]))
            outcomes[case.id] = outcome
    return outcomes


# Rough seconds each kind of case takes, to start the longest work first and to size the shared playbooks.
ESTIMATED_SECONDS = {"rerun": 55.0, "parallel": 15.0, "slow": 8.0, "role": 4.0, "quick": 1.5, "bad input": 0.7}
PLAYBOOK_START_SECONDS = 2.0
CHUNK_SECONDS = 30.0  # how much work one shared playbook gets, at most (each start costs a second of CPU)


def kind_of(case):
    if case.rerun is not None:
        return "rerun"
    if case.parallel:
        return "parallel"
    if case.target == ROLE:
        return "role"
    if case.group == BATCH:
        return "bad input"
    return "slow" if case.slow else "quick"


def work_items(cases):
    """How `cases` run: (estimated seconds, cases, shared playbook or not), longest first. A role, a rerun or
    parallel runs need a playbook of their own; module cases share playbooks of about CHUNK_SECONDS of work."""
    items = []
    chunks = defaultdict(list)
    for case in cases:
        kind = kind_of(case)
        if kind in ("rerun", "parallel", "role"):
            stopped_late = case.run_timeout if case.run_timeout < RUN_TIMEOUT else 0  # a known hang runs that long
            items.append((max(ESTIMATED_SECONDS[kind], stopped_late) + PLAYBOOK_START_SECONDS, [case], False))
            continue
        chunk = chunks[kind]
        if not chunk or sum(ESTIMATED_SECONDS[kind] for _case in chunk[-1]) + ESTIMATED_SECONDS[kind] > CHUNK_SECONDS:
            chunk.append([])
        chunk[-1].append(case)
    for kind, groups in chunks.items():
        items.extend((ESTIMATED_SECONDS[kind] * len(group) + PLAYBOOK_START_SECONDS, group, True) for group in groups)
    return sorted(items, key=lambda item: -item[0])


def run_all(cases, base_scenario, env, workdir):
    """Run every case, at most POOL_WORKERS playbooks at a time: case id -> Outcome (or the exception it raised)."""
    outcomes = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=POOL_WORKERS) as executor:
        futures = {}
        for index, (_seconds, group, shared) in enumerate(work_items(cases)):
            where = workdir / ("%03d-%s" % (index, group[0].id))
            if shared:
                futures[executor.submit(run_in_one_playbook, group, base_scenario, env, where)] = group
            else:
                futures[executor.submit(lambda case, where: {case.id: execute(case, base_scenario, env, where)},
                                        group[0], where)] = group
        for future, group in futures.items():
            error = future.exception()
            outcomes.update({case.id: error for case in group} if error else future.result())
    return outcomes


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


def is_failover_result(result):
    """A result of oceanbase.ocp.ocp_tenant_failover (a role's run of it included)."""
    return isinstance(result.get("tenants"), list) and "polls" in result


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


def requests_of(run, requests):
    """The requests of the log that `run` sent: those that arrived while it ran (and, for parallel runs, its scheme)."""
    return [entry for entry in requests
            if (run.started is None or run.started <= entry["time"] <= run.ended)
            and (run.auth is None or entry["auth"] == run.auth)]


def double_failovers(outcome):
    """What the collection submitted twice: a tenant named by two failover requests of one run, a task retried twice in
    one run, or a new "Failover tenant" task of a tenant whose previous role-changing task is a failover that had not
    FAILED (seeded history counts as previous tasks; the case's "other job" tasks are not the collection's)."""
    twice = set()
    for run in outcome.runs:
        submitted = Counter()
        for entry in requests_of(run, outcome.requests):
            if is_failover_post(entry):
                submitted.update(("tenant", item.get("tenantId")) for item in submitted_items(entry))
            elif is_retry_post(entry):
                submitted[("retried task", entry["path"].split("/")[-2])] += 1
        twice.update(key for key, count in submitted.items() if count > 1)
    by_tenant = defaultdict(list)
    for task in sorted(outcome.tasks, key=lambda task: task["id"]):
        if task["id"] not in outcome.foreign_ids:
            by_tenant[task["tenantId"]].append(task)
    for tenant_id, tasks in by_tenant.items():
        for previous, task in zip(tasks, tasks[1:]):
            if (task["name"] == FAILOVER_TASK_NAME and task["id"] not in outcome.seeded_ids
                    and previous["name"] == FAILOVER_TASK_NAME and previous["status"] != "FAILED"):
                twice.add(("tenant", tenant_id))
    return sorted(twice, key=str)


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
    problems = list(outcome.notes) + request_problems(outcome) + fault_problems(outcome)
    problems += [problem for run in outcome.runs for problem in result_contract_problems(run)]
    if case.parallel:
        return problems + (case.check(outcome) if case.check is not None else [])
    problems += ["a run was still going after %g s and was stopped" % run.stopped_after
                 for run in outcome.runs if run.stopped_after]
    first = outcome.runs[0]
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
    if case.failing_task and case.failed and not entry["task"].endswith(case.failing_task):
        problems.append("task %r failed, expected %r" % (entry["task"], case.failing_task))
    text = failure_message(case, first) if case.failed else first.output
    problems += ["%r not in the %s: %s" % (fragment, "failure message" if case.failed else "output", text)
                 for fragment in case.messages if fragment not in text]
    problems += field_problems(entry["result"], case.fields)
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


def result_contract_problems(run):
    """Whatever the shape OCP sent, every failover result carries snake_case tasks with cluster_id and tenant_id, and
    every tenant entry says where its role came from and lists concurrent tasks (an empty list normally)."""
    problems = []
    for entry in run.results:
        result = entry["result"]
        if not is_failover_result(result):
            continue
        for task in result.get("tasks") or []:
            ids = (task.get("cluster_id"), task.get("tenant_id"))
            if not all(isinstance(value, int) and not isinstance(value, bool) for value in ids):
                problems.append("%s: task %s has cluster_id/tenant_id %r" % (entry["task"], task.get("id"), ids))
            camel = sorted(key for key in task if key in ("clusterId", "tenantId", "cluster", "tenant"))
            if camel:
                problems.append("%s: task %s carries OCP's raw keys %s" % (entry["task"], task.get("id"), camel))
        for tenant in result["tenants"]:
            concurrent = tenant.get("concurrent_task_ids")
            if not (isinstance(concurrent, list) and all(isinstance(task_id, int) for task_id in concurrent)):
                problems.append("%s: tenant %s has concurrent_task_ids %r" % (entry["task"], tenant.get("tenant_id"), concurrent))
            if tenant.get("role_source") not in ROLE_SOURCES:
                problems.append("%s: tenant %s has role_source %r" % (entry["task"], tenant.get("tenant_id"),
                                                                      tenant.get("role_source")))
    return problems


def fault_problems(outcome):
    """Every fault rule of the case fired at least once: a case whose fault never happened proves nothing."""
    return ["fault rule %s (%s %s) never fired" % (rule["name"], rule["method"], rule["path"])
            for rule in outcome.fault_rules if not rule["applied"]]


def request_problems(outcome):
    case = outcome.case
    problems = []
    if case.sent == NOTHING and outcome.requests:
        problems.append("requests reached OCP although the input is bad: %s"
                        % ["%s %s" % (entry["method"], entry["path"]) for entry in outcome.requests])
    if case.sent == NO_FAILOVER and any(is_failover_post(entry) for entry in outcome.requests):
        problems.append("a failover request reached OCP")
    attempts = case.attempts
    for method, path, expected in ((attempts,) if attempts and isinstance(attempts[0], str) else attempts):
        matching = [entry for entry in outcome.requests if entry["method"] == method and fnmatch.fnmatchcase(entry["path"], path)]
        actual = [entry["status"] for entry in matching] if isinstance(expected, list) else len(matching)
        if actual != expected:
            problems.append("%s %s: got %r, expected %r" % (method, path, actual, expected))
    if case.failover_tasks is not None:
        for tenant_id in requested_tenants(case):
            expected = case.failover_tasks.get(tenant_id, 0) if isinstance(case.failover_tasks, dict) else case.failover_tasks
            count = len(outcome.created_failover_tasks(tenant_id))
            if count != expected:
                problems.append("tenant %d has %d new failover tasks, expected %d" % (tenant_id, count, expected))
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
    twice = double_failovers(outcome)
    problems = outcome_problems(outcome)
    fault_tally.record(outcome.case.id, passed=not (problems or leaked or traceback or twice),
                       double_failover=bool(twice), traceback=traceback, leaked_secret=bool(leaked))
    assert not leaked, "secret(s) %s in the output:\n%s" % (leaked, "\n".join(run.output for run in outcome.runs))
    assert not traceback, "a module crashed:\n%s" % "\n".join(run.output for run in outcome.runs)
    assert not twice, "submitted twice: %s; failover and retry requests: %s" % (
        twice, [entry for entry in outcome.requests if is_failover_post(entry) or is_retry_post(entry)])
    assert not problems, "\n".join(problems)


# ----- the test

ALL_CASES = (for_shapes(PRECHECK_CASES + FAILOVER_CASES + ROLE_CASES)
             + for_shapes(ROLE_BAD_INPUTS + BAD_MODULE_INPUTS, shapes=ONE_SHAPE))


@pytest.fixture(scope="module")
def outcomes():
    """Outcomes of the cases (case id -> Outcome), filled when the first case comes up: every case runs then."""
    return {}


def selected_cases(session):
    """The cases this session runs (after -k and the like), in order."""
    cases = [getattr(item, "callspec", None) and item.callspec.params.get("case") for item in session.items]
    return [case for case in cases if isinstance(case, Case)]


@pytest.mark.parametrize("case", as_params(ALL_CASES))
def test_fault_case(case, request, scenario, ansible_env, tmp_path, outcomes, fault_tally):
    if case.id not in outcomes:
        pending = [item for item in selected_cases(request.session) if item.id not in outcomes]
        outcomes.update(run_all(pending, scenario, ansible_env, tmp_path / "matrix"))
    outcome = outcomes[case.id]
    if isinstance(outcome, BaseException):
        raise outcome
    judge_and_record(outcome, fault_tally)


# ----- the double-failover detector itself (no OCP): it must fire, or the closing table's zero means nothing


def _post(at, *tenant_ids, auth="basic"):
    return {"method": "POST", "path": "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER, "time": at, "auth": auth,
            "status": 200, "body": {"failoverTenantItemList": [{"tenantId": tenant_id} for tenant_id in tenant_ids]}}


def _task(task_id, tenant_id, status, name=FAILOVER_TASK_NAME):
    return {"id": task_id, "tenantId": tenant_id, "status": status, "name": name}


def _outcome(requests, tasks, runs=((0, 10),), seeded=(), foreign=()):
    case = failover_case("detector")
    return Outcome(case, [Run(0, "", [], started=start, ended=end) for start, end in runs], requests, tasks,
                   seeded_ids=frozenset(seeded), events={"foreign_task_ids": list(foreign)})


@pytest.mark.parametrize("requests, tasks, runs, seeded, foreign, expected", [
    pytest.param([_post(1, OHAYO, SALES)], [_task(1, OHAYO, "SUCCESSFUL"), _task(2, SALES, "SUCCESSFUL")], ((0, 10),), (), (),
                 [], id="one-request-one-task-each"),
    pytest.param([_post(1, OHAYO), _post(2, OHAYO)], [_task(1, OHAYO, "SUCCESSFUL")], ((0, 10),), (), (),
                 [("tenant", OHAYO)], id="second-request-in-one-run"),
    pytest.param([_post(1, OHAYO), _post(12, OHAYO)], [_task(1, OHAYO, "SUCCESSFUL"), _task(2, OHAYO, "SUCCESSFUL")],
                 ((0, 10), (11, 20)), (), (), [("tenant", OHAYO)], id="rerun-submits-after-success"),
    pytest.param([_post(1, OHAYO), _post(12, OHAYO)], [_task(1, OHAYO, "FAILED"), _task(2, OHAYO, "SUCCESSFUL")],
                 ((0, 10), (11, 20)), (), (), [], id="rerun-submits-after-failure"),
    pytest.param([_post(1, OHAYO)], [_task(1, OHAYO, "SUCCESSFUL"), _task(2, OHAYO, "SUCCESSFUL")], ((0, 10),), (1,), (),
                 [("tenant", OHAYO)], id="submits-over-a-seeded-success"),
    pytest.param([_post(1, OHAYO)], [_task(1, OHAYO, "SUCCESSFUL"), _task(2, OHAYO, "SUCCESSFUL", "Switchover ob tenant for network mode"),
                                     _task(3, OHAYO, "SUCCESSFUL")], ((0, 10),), (1, 2), (), [], id="switchback-then-submits"),
    pytest.param([_post(1, OHAYO)], [_task(1, OHAYO, "RUNNING"), _task(2, OHAYO, "RUNNING")], ((0, 10),), (), (2,), [],
                 id="another-jobs-task-is-not-ours"),
    pytest.param([dict(_post(1), path="/api/v2/tasks/instances/7/retry", body=None)] * 2, [], ((0, 10),), (), (),
                 [("retried task", "7")], id="retried-twice-in-one-run"),
])
def test_the_double_failover_detector(requests, tasks, runs, seeded, foreign, expected):
    assert double_failovers(_outcome(requests, tasks, runs, seeded, foreign)) == expected
