# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine of every operation that changes tenant roles through an OCP task (failover, switchover).

One run of :class:`RoleChangeRun`:

1. **read** the cluster's tenants (list endpoint, every page) and its role-changing tasks (one list per task
   name; names compared exactly, OCP's ``name`` filter being fuzzy);
2. **plan** each requested item: done already, a task of the operation RUNNING (attach to it), a half-done task
   (FAILED although the roles switched: retry it, or stop), or to submit;
3. **submit once**: one batch POST for every item to submit, never twice. An answer that is lost (timeout,
   dropped connection, unreadable 2xx) or a server error is *followed*: the task list is read until the tasks
   appear or ``wait_timeout`` passes, and then the run fails saying the outcome is unknown. It never resubmits;
4. **wait** for every followed task in one polling loop on a fixed schedule, noticing other jobs' tasks of the
   same tenants (``concurrent_task_ids``);
5. **confirm** the roles, describe failed tasks (failed subtask and log tail), and shape the result.

An operation is a small declarative :class:`Operation`: its task names, its request, the roles each tenant must
end in, its action names. Modules only parse options, build the run and return its result.
"""

from __future__ import absolute_import, division, print_function

import time

from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import NOT_FOUND_CODES, OcpApiError, RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import (
    TASK_FAILED,
    TASK_RUNNING,
    TASK_SUCCESSFUL,
    describe_failure,
    failed_subtask,
    has_subtask_graph,
    is_finished,
    normalize_task,
    normalize_tasks,
    task_timing,
    without_subtasks,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.task_waiter import (
    WAIT_ARGUMENT_SPEC,
    PollSchedule,
    TaskWaiter,
    is_transient,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.tenant_role import (
    NO_EVIDENCE,
    ROLE_CHANGING_TASK_NAMES,
    latest_role_change,
    reported_role,
    tenant_role,
)

ACTION_ATTACHED = "attached_to_running_task"
ACTION_RETRIED = "retried_failed_task"
ACTION_WOULD_RETRY = "would_retry_failed_task"
# When the plan stops the run before anything is sent: the item that stopped it, and the others left unsent.
ACTION_BLOCKED = "blocked"
ACTION_NOT_SUBMITTED = "not_submitted"
# The request was sent, its answer lost, and no task appeared in time: OCP may or may not have started it.
ACTION_OUTCOME_UNKNOWN = "outcome_unknown"

# The options of every role-changing module besides cluster_id and its list (each module documents them).
ROLE_CHANGE_ARGUMENT_SPEC = dict(
    retry_failed_tasks=dict(type="bool", default=False),
    return_subtasks=dict(type="bool", default=True),
    submit=dict(type="bool", default=True),
    **WAIT_ARGUMENT_SPEC
)

# Reads of task details and prechecks run in parallel, but not so wide that a big batch floods OCP.
MAX_PARALLEL_READS = 16
MAX_PARALLEL_PRECHECKS = 50
# How often the task list is read while following a lost answer, when the user set no wait_sleep.
FOLLOW_INTERVAL = 1.0
# How long the task list is followed after OCP answered the request with a server error (5xx), at most wait_timeout.
# Unlike a lost answer, OCP did answer, and most likely created nothing; but it may have recorded tasks before
# failing, so look for a while rather than once, and never resubmit.
SERVER_ERROR_FOLLOW_SECONDS = 30


class Operation:
    """The declarative part of a role change; subclasses set the attributes and implement the methods.

    An *item* is one entry of the module's list option (a tenant to fail over, a pair to switch over), a dict
    with at least ``tenant_id``: the tenant OCP's task is about (the subject).
    """

    name = None                 # in messages: "failover", "switchover"
    task_names = ()             # exact names of the OCP tasks it creates
    result_key = None           # the module's result list: "tenants", "pairs"
    action_submitted = None     # e.g. "failed_over"
    action_would_submit = None  # check mode, e.g. "would_fail_over"
    action_done = None          # nothing to do, e.g. "already_primary"
    retry_variable = None       # the role variable that sets retry_failed_tasks, named in messages

    def target_roles(self, item):
        """tenant id -> the role it must have when the operation is done."""
        raise NotImplementedError

    def submit(self, client, cluster_id, items):
        """Send the one batch request for ``items``; returns OCP's raw task list."""
        raise NotImplementedError

    def complete_roles(self, item, roles, latest):
        """Fill in roles the evidence of the subject's latest task implies for the other tenants (default: none)."""
        return roles

    def resolve_unknown_roles(self, client, cluster_id, tenant_ids):
        """tenant id -> RoleEvidence for tenants of ``cluster_id`` nothing else decided (default: leave them unknown).
        Called once per cluster that holds such tenants."""
        return {}

    def entry(self, plan, roles_after, tenant_name):
        """The operation's own keys of one result entry (ids, names, roles before/after); ``tenant_name(id)``."""
        raise NotImplementedError


def run_operation(operation, module, client, items, problems, cluster_id=None, known_roles=None):
    """A role-changing module's run(): fails the module on input ``problems`` before anything is sent, else runs
    the operation with the module's options (ROLE_CHANGE_ARGUMENT_SPEC); (changed, result, diff) for run_module.
    ``known_roles``: see RoleChangeRun."""
    if problems:
        module.fail_json(msg="Invalid input, nothing was sent to OCP: %s" % "; ".join(problems))
    params = module.params
    return RoleChangeRun(
        operation, client, params["cluster_id"] if cluster_id is None else cluster_id, items,
        check_mode=module.check_mode,
        retry_failed_tasks=params["retry_failed_tasks"], return_subtasks=params["return_subtasks"],
        wait=params["wait"], wait_timeout=params["wait_timeout"], wait_sleep=params["wait_sleep"], warn=module.warn,
        submit=params["submit"], known_roles=known_roles,
    ).run()


class Plan:
    """What a run does with one item, and what became of it."""

    def __init__(self, item, roles):
        self.item = item
        self.tenant_id = item["tenant_id"]
        self.roles = roles                # tenant id -> RoleEvidence read before anything was sent
        self.action = None
        self.task = None                  # the normalised task this run follows (submitted, attached or retried)
        self.deciding_task = None         # for a done item: the task that proves it, when the history does
        self.earlier_failed_task = None   # a FAILED task of the operation before this run's submission
        self.concurrent_task_ids = []     # other jobs' tasks of the operation for the same tenant
        self.failure = None               # describe_failure() of a FAILED task

    def __repr__(self):
        return "Plan(tenant_id=%r, action=%r, task_id=%r)" % (self.tenant_id, self.action, (self.task or {}).get("id"))


class RoleChangeRun:
    """One run of a role-changing module; see the module docstring.

    ``known_roles`` (tenant id -> RoleEvidence) is evidence the caller gathered moments before, e.g. the failover
    prechecks a role has just run: it stands in for the operation's evidence of last resort (resolve_unknown_roles)
    for the tenants nothing read by the run decides, so they are not prechecked again. The tenant's role field and
    its task history still come first.
    """

    def __init__(self, operation, client, cluster_id, items, check_mode=False, retry_failed_tasks=False,
                 return_subtasks=True, wait=True, wait_timeout=1800, wait_sleep=None, warn=None,
                 clock=time.monotonic, sleep=time.sleep, submit=True, known_roles=None):
        self.op = operation
        self.client = client
        self.cluster_id = cluster_id
        self.items = items
        self.check_mode = check_mode
        self.retry_failed_tasks = retry_failed_tasks
        # False: send nothing, only follow each item's latest task of the operation (a role that submitted with
        # wait=false waits with this, so that the wait can never submit a second time).
        self.submit_enabled = submit
        self.return_subtasks = return_subtasks
        self.wait_enabled = wait
        self.wait_timeout = wait_timeout
        self.wait_sleep = wait_sleep
        self.warn = warn or (lambda message: None)
        self.known_roles = dict(known_roles or {})
        self.clock = clock
        self.sleep = sleep
        self.tenants = {}
        self.history = []
        self.known_task_ids = set()
        self.plans = []
        self.roles_after = {}
        self.polls = 0
        self.request_sent = False
        self.submitted_at = None          # clock() when this run's batch request was sent
        self.roles_reported = False

    # The run ----------------------------------------------------------------------------------------------------

    def run(self):
        """(changed, result, diff); raises RunFailure (with the result so far) when the run cannot succeed."""
        try:
            self.read()
            self.plan()
            if not self.check_mode:
                self.submit()
                if self.wait_enabled:
                    self.wait()
        except OcpApiError as error:
            raise self.failure_from(error)
        finally:
            # Also when the run fails: another job's task may be why ours failed.
            self.warn_concurrent()
        return self.changed(), self.result(), self.diff()

    def fail(self, message, error=None):
        concurrent = [plan for plan in self.plans if plan.concurrent_task_ids]
        if concurrent:
            message += " Other jobs' %s tasks of the same tenants appeared meanwhile: %s." % (self.op.name, "; ".join(
                "tenant %s: %s" % (self.label(plan.tenant_id), _join(plan.concurrent_task_ids)) for plan in concurrent))
        return RunFailure(message, self.result(), changed=self.submitted_anything(), error=error)

    def failure_from(self, error):
        """An OCP error that ends the run: once a request was sent or a task followed, say so with every task."""
        message = str(error)
        if self.request_sent:
            message += (" A %s request was sent before this error; check OCP's task list before doing anything else"
                        " (a rerun reads OCP's state afresh)." % self.op.name)
        followed = self.followed()
        if followed:
            message += " %s tasks known so far: %s." % (self.op.name.capitalize(), describe_plans(followed))
        return self.fail(message, error)

    # 1. Reading -------------------------------------------------------------------------------------------------

    def read(self):
        subjects = [item["tenant_id"] for item in self.items]
        try:
            listed = self.client.list_tenants(self.cluster_id)
        except OcpApiError as error:
            if error.status == 404 or error.code in NOT_FOUND_CODES:
                raise self.fail("Cluster %s: %s Check cluster_id; nothing was sent to OCP." % (self.cluster_id, error),
                                error)
            raise
        self.tenants = dict((tenant.get("id"), tenant) for tenant in listed)
        missing = [tenant_id for tenant_id in subjects if tenant_id not in self.tenants]
        if missing:
            self.read_tenant_details(missing)
        others = [tenant_id for item in self.items for tenant_id in self.op.target_roles(item)
                  if tenant_id not in self.tenants]
        if others:
            everywhere = dict((tenant.get("id"), tenant) for tenant in self.client.list_all_tenants())
            unknown = [tenant_id for tenant_id in others if tenant_id not in everywhere]
            if unknown:
                raise self.fail("OCP knows no tenant with id %s: check the tenant ids, nothing was sent to OCP."
                                % _join(unknown))
            self.tenants.update((tenant_id, everywhere[tenant_id]) for tenant_id in others)
        self.roles_reported = any(reported_role(tenant) is not None for tenant in self.tenants.values())
        self.history = self.list_operation_tasks(ROLE_CHANGING_TASK_NAMES)
        # A tenant's own role-changing tasks are in its own cluster: read those of the other tenants' clusters too.
        for cluster_id in sorted(set(self.cluster_of(tenant_id) for tenant_id in others) - set([self.cluster_id])):
            self.history.extend(self.list_operation_tasks(ROLE_CHANGING_TASK_NAMES, cluster_id=cluster_id))
        self.known_task_ids = set(task["id"] for task in self.history)

    def read_tenant_details(self, tenant_ids):
        """The tenants the cluster's list did not show, one detail each: fails naming each one OCP does not know."""
        def read(tenant_id):
            try:
                return self.client.get_tenant(self.cluster_id, tenant_id), None
            except OcpApiError as error:
                if error.status == 404 or error.code in NOT_FOUND_CODES:
                    return None, error
                raise

        answers = run_concurrently(read, tenant_ids, MAX_PARALLEL_READS)
        missing = [(tenant_id, error) for tenant_id, (detail, error) in zip(tenant_ids, answers) if error]
        if missing:
            raise self.fail("; ".join("tenant %s: %s" % (tenant_id, error) for tenant_id, error in missing)
                            + " Nothing was sent to OCP.", missing[0][1])
        self.tenants.update((tenant_id, detail) for tenant_id, (detail, dummy) in zip(tenant_ids, answers))

    def list_operation_tasks(self, names, status=None, cluster_id=None):
        """The cluster's (default: the run's) tasks with exactly these names (normalised), one list request per
        name, every page."""
        cluster_id = self.cluster_id if cluster_id is None else cluster_id
        found = []
        for name in names:
            filters = dict(clusterId=cluster_id, name=name)
            if status:
                filters["status"] = status
            found.extend(task for task in normalize_tasks(self.client.list_tasks(**filters))
                         if task.get("name") == name and task.get("cluster_id") in (None, cluster_id))
        return found

    def cluster_of(self, tenant_id):
        """The OCP cluster of a tenant that was read: its clusterId (documented on list entries), else the run's."""
        return (self.tenants.get(tenant_id) or {}).get("clusterId") or self.cluster_id

    # 2. Planning ------------------------------------------------------------------------------------------------

    def plan(self):
        self.plans = []
        undecided = set()
        for item in self.items:
            latest = latest_role_change(item["tenant_id"], self.history)
            roles = dict((tenant_id, tenant_role(tenant_id, self.tenants.get(tenant_id), self.history))
                         for tenant_id in self.op.target_roles(item))
            roles = self.op.complete_roles(item, roles, latest)
            plan = Plan(item, roles)
            plan.latest = latest
            self.plans.append(plan)
            if not self.role_is_moot(latest):
                undecided.update(tenant_id for tenant_id, evidence in roles.items() if not evidence.known)
        given = dict((tenant_id, self.known_roles[tenant_id]) for tenant_id in undecided
                     if tenant_id in self.known_roles and self.known_roles[tenant_id].known)
        resolved = self.resolve_roles(undecided - set(given))
        resolved.update(given)
        if resolved:
            for plan in self.plans:
                for tenant_id in plan.roles:
                    if not plan.roles[tenant_id].known and tenant_id in resolved:
                        plan.roles[tenant_id] = resolved[tenant_id]
        blockers = []
        for plan in self.plans:
            problem = self.decide(plan)
            if problem:
                plan.action = ACTION_BLOCKED
                blockers.append(problem)
        if blockers:
            for plan in self.plans:
                if plan.action in (self.op.action_submitted, ACTION_RETRIED):
                    plan.action = ACTION_NOT_SUBMITTED
            raise self.fail("Nothing was sent to OCP: %s" % " ".join(blockers))

    def role_is_moot(self, latest):
        """Whether decide() settles the item by its latest role-changing task alone, whatever the roles: a RUNNING
        task (attach to it, or block on another operation's), or with submit=false any task of the operation
        (follow it; a SUCCESSFUL one is evidence itself). Then no precheck is spent on the item's roles."""
        if latest is None:
            return False
        if latest.get("status") == TASK_RUNNING:
            return True
        return not self.submit_enabled and latest.get("name") in self.op.task_names

    def resolve_roles(self, tenant_ids):
        """tenant id -> RoleEvidence from the operation's evidence of last resort (the failover precheck), asked in
        each tenant's own cluster."""
        by_cluster = {}
        for tenant_id in sorted(tenant_ids):
            by_cluster.setdefault(self.cluster_of(tenant_id), []).append(tenant_id)
        resolved = {}
        for cluster_id in sorted(by_cluster):
            resolved.update(self.op.resolve_unknown_roles(self.client, cluster_id, by_cluster[cluster_id]))
        return resolved

    def decide(self, plan):
        """Set the plan's action; returns a message when the item blocks the whole run, else None."""
        latest = plan.latest
        if latest is not None and latest.get("status") == TASK_RUNNING:
            if latest.get("name") in self.op.task_names:
                plan.action, plan.task = ACTION_ATTACHED, latest
                return None
            return ("tenant %s has a running %r task %s: wait until it has finished, then run again."
                    % (self.label(plan.tenant_id), latest.get("name"), latest.get("id")))
        target = self.op.target_roles(plan.item)
        in_target = all(plan.roles[tenant_id].role == role for tenant_id, role in target.items())
        if not self.submit_enabled:
            return self.decide_follow_only(plan, latest, in_target)
        if latest is not None and latest.get("status") == TASK_FAILED and latest.get("name") in self.op.task_names:
            if not in_target:
                plan.action, plan.earlier_failed_task = self.op.action_submitted, latest
                return None
            # Half done: the roles switched, but a later step of the task failed (e.g. the service name).
            latest = self.with_subtasks(latest)
            plan.earlier_failed_task = latest
            if self.retry_failed_tasks:
                plan.action = ACTION_RETRIED
                return None
            subtask = failed_subtask(latest) or {}
            return ("tenant %s: its latest %s task %s FAILED at subtask %r (id %s) after the role switch, so the %s is"
                    " not complete. Fix the cause, then retry that task in OCP, or rerun with retry_failed_tasks: true"
                    "%s to have this module retry it."
                    % (self.label(plan.tenant_id), self.op.name, latest.get("id"), subtask.get("name"),
                       subtask.get("id"), self.op.name,
                       " (role variable %s)" % self.op.retry_variable if self.op.retry_variable else ""))
        if in_target:
            plan.action = self.op.action_done
            if latest is not None and latest.get("status") == TASK_SUCCESSFUL and latest.get("name") in self.op.task_names:
                plan.deciding_task = latest
            return None
        plan.action = self.op.action_submitted
        return None

    def decide_follow_only(self, plan, latest, in_target):
        """With submit=false: follow the item's latest task of the operation, whatever its status (a FAILED one is
        reported, never retried or resubmitted); an item without one is done if its roles are, else blocks."""
        if latest is not None and latest.get("name") in self.op.task_names:
            if latest.get("status") == TASK_SUCCESSFUL and in_target:
                plan.action, plan.deciding_task = self.op.action_done, latest
            else:
                plan.action, plan.task = ACTION_ATTACHED, latest
                self.known_task_ids.add(latest["id"])
            return None
        if in_target:
            plan.action = self.op.action_done
            return None
        return ("tenant %s has no %s task to follow, and submit is false: run with submit: true to submit one."
                % (self.label(plan.tenant_id), self.op.name))

    def with_subtasks(self, task):
        """The task with its subtasks in execution order: the list entry when it has them, else its detail."""
        if has_subtask_graph(task):
            return task
        return normalize_task(self.client.get_task(task["id"]))

    # 3. Submitting ----------------------------------------------------------------------------------------------

    def submit(self):
        """One batch request for every item to submit (never a second one), then the retries of half-done tasks."""
        pending = [plan for plan in self.plans if plan.action == self.op.action_submitted]
        if pending:
            self.request_sent = True
            started = self.submitted_at = self.clock()
            try:
                answer = normalize_tasks(self.op.submit(self.client, self.cluster_id, [plan.item for plan in pending]))
            except OcpApiError as error:
                if not (error.response_lost or (error.status or 0) >= 500):
                    raise self.fail(self.refusal_message(pending, error), error)
                self.follow_lost_answer(pending, error, started)
            else:
                self.attach(pending, _newest_by_tenant(answer, [plan.tenant_id for plan in pending]))
                missing = [plan for plan in pending if plan.task is None]
                if missing:
                    self.follow_lost_answer(missing, None, started)
        for plan in self.plans:
            if plan.action == ACTION_RETRIED:
                self.retry(plan)

    def refusal_message(self, pending, error):
        if error.status is None:
            return ("The %s request for %s never reached OCP, so nothing was submitted: %s"
                    % (self.op.name, _tenants([plan.tenant_id for plan in pending]), error))
        message = ("OCP refused the %s request for %s, so nothing was submitted: %s"
                   % (self.op.name, _tenants([plan.tenant_id for plan in pending]), error))
        others = self.followed()
        if others:
            message += " Tasks followed for the other tenants: %s." % describe_plans(others)
        return message

    def follow_lost_answer(self, pending, error, started):
        """After an answer that does not say what OCP did: read the task list until the tasks appear (attach to
        them) or wait_timeout passes (fail: outcome unknown). Never submits again; OCP may record tasks late."""
        patience = self.wait_timeout
        if error is not None and not error.response_lost:
            patience = min(patience, SERVER_ERROR_FOLLOW_SECONDS)
        deadline = started + patience
        schedule = PollSchedule(self.wait_sleep or FOLLOW_INTERVAL, self.clock, self.sleep)
        read_error = None
        while True:
            waiting = [plan for plan in pending if plan.task is None]
            try:
                listed = self.list_operation_tasks(self.op.task_names)
                created = [task for task in listed if task["id"] not in self.known_task_ids]
                self.attach(waiting, _newest_by_tenant(created, [plan.tenant_id for plan in waiting]))
                read_error = None
            except OcpApiError as exc:
                if not is_transient(exc):
                    raise
                read_error = exc
            waiting = [plan for plan in pending if plan.task is None]
            if not waiting or not schedule.next(deadline):
                break
        if waiting:
            if error is None:
                what = "OCP accepted the %s request but its answer named no task for some tenants" % self.op.name
            elif error.response_lost:
                what = "The answer to the %s request was lost (%s)" % (self.op.name, error)
            else:
                what = "OCP answered the %s request with a server error (%s)" % (self.op.name, error)
            message = ("%s, and in the %g seconds since OCP's task list has shown no %s task for %s: the"
                       " outcome is unknown. This run did not submit again, and must not be resubmitted by"
                       " hand: look in OCP for tasks named %s of cluster %s for these tenants. A rerun reads OCP's"
                       " state afresh and attaches to any task that has appeared."
                       % (what, patience, self.op.name, _tenants([plan.tenant_id for plan in waiting]),
                          " or ".join(repr(name) for name in self.op.task_names), self.cluster_id))
            if read_error is not None:
                message += " The last read of the task list failed: %s" % read_error
            attached = [plan for plan in pending if plan.task is not None]
            if attached:
                message += " Tasks found for the other tenants: %s." % describe_plans(attached)
            for plan in waiting:
                plan.action = ACTION_OUTCOME_UNKNOWN
            raise self.fail(message, error)

    def attach(self, plans, tasks_by_tenant):
        for plan in plans:
            task = tasks_by_tenant.get(plan.tenant_id)
            if task is not None:
                plan.task = task
                self.known_task_ids.add(task["id"])

    def retry(self, plan):
        """Retry a half-done task in OCP (POST .../retry), once; a lost answer is followed on the task itself."""
        task_id = plan.earlier_failed_task["id"]
        self.request_sent = True
        try:
            answer = self.client.retry_task(task_id)
        except OcpApiError as error:
            if not (error.response_lost or (error.status or 0) >= 500):
                raise self.fail("OCP refused to retry task %s of tenant %s: %s"
                                % (task_id, self.label(plan.tenant_id), error), error)
            answer = None
        plan.task = self.retried_task(task_id, normalize_task(answer) if isinstance(answer, dict) else None)
        if plan.task is None:
            raise self.fail("The answer to the retry of task %s (tenant %s) was lost, and within %s seconds the task"
                            " did not show that it runs again: the outcome is unknown. Look at task %s in OCP; a rerun"
                            " reads OCP's state afresh." % (task_id, self.label(plan.tenant_id), self.wait_timeout,
                                                            task_id))

    def retried_task(self, task_id, answer):
        """The retried task as OCP shows it once the retry took (RUNNING again, or operation RETRY), or None."""
        if answer is not None and answer.get("id") == task_id and answer.get("status") == TASK_RUNNING:
            return answer
        deadline = self.clock() + self.wait_timeout
        schedule = PollSchedule(self.wait_sleep or FOLLOW_INTERVAL, self.clock, self.sleep)
        while True:
            try:
                task = normalize_task(self.client.get_task(task_id))
                if task.get("status") == TASK_RUNNING or task.get("operation") == "RETRY":
                    return task
            except OcpApiError as error:
                if not is_transient(error):
                    raise
            if not schedule.next(deadline):
                return None

    # 4. Waiting -------------------------------------------------------------------------------------------------

    def followed(self):
        return [plan for plan in self.plans if plan.task is not None]

    def wait(self):
        followed = self.followed()
        if followed:
            waiter = TaskWaiter(lambda: self.list_operation_tasks(self.op.task_names, status=TASK_RUNNING),
                                self.read_finished, self.wait_timeout, self.wait_sleep, clock=self.clock,
                                sleep=self.sleep, on_round=self.notice_concurrent)
            try:
                # The schedule starts when the batch was sent: the first poll is due one interval after the POST,
                # however long its answer (1000 tasks) took to read and normalise.
                outcome = waiter.wait([plan.task for plan in followed], started=self.submitted_at)
            except OcpApiError as error:
                raise self.fail("Waiting for the %s tasks failed: %s. The tasks keep running in OCP (%s); rerun to resume"
                                " waiting, the run attaches to them." % (self.op.name, _sentence(error),
                                                                         describe_plans(followed)), error)
            self.polls += outcome.polls
            for plan in followed:
                plan.task = outcome.tasks[plan.task["id"]]
            # A task first seen already finished (found late in the task list after a lost answer) never left the
            # RUNNING list under our eyes: give it the details read_finished gives the others.
            self.fill_details(followed)
        else:
            outcome = None
        self.confirm_and_report(followed, outcome)

    def needs_detail(self, task):
        """Whether a finished task must be read in detail: its subtasks' order is wanted (return_subtasks, or the
        report of a FAILED task) and the task list entry it came from does not carry it."""
        return (is_finished(task) and not has_subtask_graph(task)
                and (self.return_subtasks or task.get("status") == TASK_FAILED))

    def read_details(self, task_ids):
        """task id -> normalised task detail, read in parallel."""
        details = run_concurrently(self.client.get_task, task_ids, MAX_PARALLEL_READS)
        return dict((task_id, normalize_task(detail)) for task_id, detail in zip(task_ids, details)
                    if isinstance(detail, dict))

    def fill_details(self, plans):
        wanted = [plan.task["id"] for plan in plans if self.needs_detail(plan.task)]
        if wanted:
            details = self.read_details(wanted)
            for plan in plans:
                plan.task = details.get(plan.task["id"], plan.task)

    def read_finished(self, task_ids):
        """task id -> final normalised task, from one list read; a detail read only where the list lacks what is
        needed (subtasks of a FAILED task for the report, or of any task when return_subtasks is on)."""
        listed = dict((task["id"], task) for task in self.list_operation_tasks(self.op.task_names))
        self.notice_concurrent(listed.values())
        found = dict((task_id, listed[task_id]) for task_id in task_ids if task_id in listed)
        found.update(self.read_details([task_id for task_id in task_ids
                                        if task_id not in found or self.needs_detail(found[task_id])]))
        return found

    def notice_concurrent(self, listed):
        """Record other jobs' tasks of the operation for the tenants this run follows: two AWX jobs can both read
        "no task" and both submit; no client can close that window, but it must not stay hidden."""
        ours = set(plan.task["id"] for plan in self.followed())
        by_tenant = dict((plan.tenant_id, plan) for plan in self.followed())
        for task in listed:
            plan = by_tenant.get(task.get("tenant_id"))
            if (plan is not None and task["id"] not in ours and task["id"] not in self.known_task_ids
                    and task.get("name") in self.op.task_names and task["id"] not in plan.concurrent_task_ids):
                plan.concurrent_task_ids.append(task["id"])

    def warn_concurrent(self):
        for plan in self.plans:
            if plan.concurrent_task_ids:
                self.warn("Another %s task of tenant %s appeared while this run followed task %s: %s. Another job (an AWX"
                          " job, a playbook) submitted a %s of the same tenant at the same time; check both tasks in"
                          " OCP. In AWX, set allow_simultaneous: false on the job template."
                          % (self.op.name, self.label(plan.tenant_id), plan.task["id"],
                             _join(plan.concurrent_task_ids), self.op.name))

    # 5. Confirming and reporting --------------------------------------------------------------------------------

    def confirm_and_report(self, followed, outcome):
        succeeded = [plan for plan in followed if plan.task.get("status") == TASK_SUCCESSFUL]
        mismatched = self.confirm_roles(succeeded)
        failed = [plan for plan in followed if plan.task.get("status") == TASK_FAILED]
        self.roles_after_failure(failed)
        problems = []
        if outcome is not None and outcome.timed_out:
            problems.append("Timed out after %s seconds waiting for the %s tasks: %s. They keep running in OCP; rerun"
                            " to resume waiting: the run attaches to the running tasks and does not submit again."
                            % (self.wait_timeout, self.op.name, describe_plans(followed)))
            if outcome.last_error is not None:
                problems.append("Last error while polling: %s" % outcome.last_error)
        if failed:
            problems.append("The %s failed for %d of %d tenants.\n%s\nTo resume: fix the cause, then retry the task"
                            " (in OCP's console, or rerun with retry_failed_tasks: true where the module offers it,"
                            " which retries a task that failed after the role switch)." % (
                                self.op.name, len(failed), len(followed),
                                "\n".join(self.failure_report(plan) for plan in failed)))
        if mismatched:
            problems.append("The %s tasks succeeded, but not every tenant reports the expected role: %s. Check the"
                            " tenants in OCP before running again." % (self.op.name, "; ".join(mismatched)))
        if problems:
            raise self.fail("\n".join(problems))

    def failure_report(self, plan):
        plan.failure = describe_failure(self.client, plan.task)
        report = "tenant %s: task %s FAILED" % (self.label(plan.tenant_id), plan.task.get("id"))
        if plan.failure["id"] is not None:
            report += " at subtask %r (id %s)" % (plan.failure["name"], plan.failure["id"])
        if plan.failure["log_tail"]:
            report += ", last log lines:\n  " + "\n  ".join(plan.failure["log_tail"])
        elif plan.failure.get("log_error"):
            report += " (its log could not be read: %s)" % plan.failure["log_error"]
        report += "\n  Retry it with: POST /api/v2/tasks/instances/%s/retry" % plan.task.get("id")
        return report

    def roles_after_failure(self, failed):
        """Record the roles FAILED tasks left: a task that failed after its role switch leaves the new role (a
        half-done failover), one that failed before it the old one. Read again (the tenantRole field, else the
        failover precheck); a role that cannot be read stays unknown (null), never assumed."""
        tenant_ids = [tenant_id for plan in failed for tenant_id in self.op.target_roles(plan.item)]
        if not tenant_ids:
            return
        try:
            if self.roles_reported:
                fresh = dict((tenant.get("id"), tenant) for tenant in self.client.list_tenants(self.cluster_id))
                found = dict((tenant_id, reported_role(fresh.get(tenant_id))) for tenant_id in tenant_ids)
            else:
                found = dict((tenant_id, evidence.role) for tenant_id, evidence in self.resolve_roles(tenant_ids).items())
        except OcpApiError:
            found = {}  # the failure report matters more than the role: it says to check the tenant in OCP
        self.roles_after.update((tenant_id, found.get(tenant_id)) for tenant_id in tenant_ids)

    def confirm_roles(self, succeeded):
        """Record the roles after the tasks that succeeded; returns messages for tenants that contradict them.

        When OCP reports roles (the assumed tenantRole field), they are read again and must match; otherwise the
        successful task is the evidence (docs/ocp-api.md, "Tenant role").
        """
        for plan in succeeded:
            self.roles_after.update(self.op.target_roles(plan.item))
        if not succeeded or not self.roles_reported:
            return []
        fresh = dict((tenant.get("id"), tenant) for tenant in self.client.list_tenants(self.cluster_id))
        if any(tenant_id not in fresh for plan in succeeded for tenant_id in self.op.target_roles(plan.item)):
            fresh.update((tenant.get("id"), tenant) for tenant in self.client.list_all_tenants())
        mismatched = []
        for plan in succeeded:
            for tenant_id, role in self.op.target_roles(plan.item).items():
                reported = reported_role(fresh.get(tenant_id))
                if reported is not None and reported != role:
                    self.roles_after[tenant_id] = reported
                    mismatched.append("%s reports %s after task %s" % (self.label(tenant_id), reported, plan.task["id"]))
        return mismatched

    # Results ----------------------------------------------------------------------------------------------------

    def tenant_name(self, tenant_id):
        return (self.tenants.get(tenant_id) or {}).get("name")

    def label(self, tenant_id):
        name = self.tenant_name(tenant_id)
        return "%s (%s)" % (tenant_id, name) if name else str(tenant_id)

    def action_of(self, plan):
        if self.check_mode and plan.action == self.op.action_submitted:
            return self.op.action_would_submit
        if self.check_mode and plan.action == ACTION_RETRIED:
            return ACTION_WOULD_RETRY
        return plan.action

    def predicted_roles(self, plan):
        """tenant id -> the role at the end of the run: confirmed, predicted (check mode), or None while running."""
        target = self.op.target_roles(plan.item)
        action = self.action_of(plan)
        if action == self.op.action_done or self.check_mode:
            return dict(target)
        roles = {}
        for tenant_id in target:
            roles[tenant_id] = self.roles_after.get(tenant_id)
        return roles

    def entry(self, plan):
        entry = self.op.entry(plan, self.predicted_roles(plan), self.tenant_name)
        task = plan.task or plan.deciding_task
        entry.update(action=self.action_of(plan), task_id=None, task_status=None, started_at=None, finished_at=None,
                     duration_seconds=None, concurrent_task_ids=list(plan.concurrent_task_ids),
                     earlier_failed_task_id=(plan.earlier_failed_task or {}).get("id"))
        entry["role_source"] = self.role_source(plan)
        if task is not None:
            started_at, finished_at, duration = task_timing(task)
            entry.update(task_id=task.get("id"), task_status=task.get("status"), started_at=started_at,
                         finished_at=finished_at, duration_seconds=duration)
        if plan.failure is not None:
            entry["failed_subtask"] = {"id": plan.failure["id"], "name": plan.failure["name"],
                                       "log_tail": plan.failure["log_tail"]}
        return entry

    def role_source(self, plan):
        """Where the subject's role came from (tenant_role SOURCE_* values)."""
        evidence = plan.roles.get(plan.tenant_id, NO_EVIDENCE)
        return evidence.source

    def task_result(self, task):
        """A followed task as the result shows it: names filled in from the tenants read when OCP's shape has none
        (the flat form carries ids only), subtasks left out unless wanted."""
        task = dict(task if self.return_subtasks else without_subtasks(task))
        if task.get("tenant_name") is None:
            task["tenant_name"] = self.tenant_name(task.get("tenant_id"))
        if task.get("cluster_name") is None:
            task["cluster_name"] = (self.tenants.get(task.get("tenant_id")) or {}).get("clusterName")
        return task

    def result(self):
        tasks = [self.task_result(plan.task) for plan in self.followed()]
        return {self.op.result_key: [self.entry(plan) for plan in self.plans], "tasks": tasks, "polls": self.polls}

    def changed(self):
        changing = (self.op.action_submitted, self.op.action_would_submit, ACTION_ATTACHED, ACTION_RETRIED,
                    ACTION_WOULD_RETRY)
        return any(self.action_of(plan) in changing for plan in self.plans)

    def submitted_anything(self):
        """Whether this run may have changed something in OCP: a task it submitted or retried, or a request whose
        outcome is unknown (reported as changed, since OCP may have acted on it)."""
        return any((plan.task is not None and plan.action in (self.op.action_submitted, ACTION_RETRIED))
                   or plan.action == ACTION_OUTCOME_UNKNOWN for plan in self.plans)

    def diff(self):
        before, after = [], []
        for plan in self.plans:
            roles_after = self.predicted_roles(plan)
            task = plan.task or {}
            for tenant_id in self.op.target_roles(plan.item):
                label = {"tenant_id": tenant_id, "name": (self.tenants.get(tenant_id) or {}).get("name")}
                before.append(dict(label, role=plan.roles[tenant_id].role))
                after.append(dict(label, role=roles_after[tenant_id] or "%s (task %s %s)" % (
                    self.op.target_roles(plan.item)[tenant_id], task.get("id"), task.get("status") or TASK_RUNNING)))
        return {"before": {"cluster_id": self.cluster_id, self.op.result_key: before},
                "after": {"cluster_id": self.cluster_id, self.op.result_key: after}}


def _newest_by_tenant(tasks, tenant_ids):
    """tenant id -> the newest of ``tasks`` for that tenant (OCP's task ids grow with time)."""
    wanted = set(tenant_ids)
    found = {}
    for task in sorted(tasks, key=lambda task: task.get("id") or 0):
        if task.get("tenant_id") in wanted:
            found[task["tenant_id"]] = task
    return found


def _join(values):
    return ", ".join(str(value) for value in values)


def _tenants(tenant_ids):
    """ "tenant 1" or "tenants 1, 2", for messages."""
    return ("tenant %s" if len(tenant_ids) == 1 else "tenants %s") % _join(tenant_ids)


def _sentence(error):
    """An error's one-line text without its final full stop, to go on within a sentence."""
    return str(error).rstrip(".")


def describe_plans(plans):
    return "; ".join("tenant %s: task %s %s" % (plan.tenant_id, plan.task.get("id"), plan.task.get("status"))
                     for plan in plans)
