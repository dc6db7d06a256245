# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of oceanbase.ocp.ocp_tenant_failover: read the state, submit once, wait, confirm.

The module itself only parses its options and shapes the result; this is where the OCP calls are sequenced.
The pure planning rules it applies live in failover.py, the task waiter in tasks.py.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import NOT_FOUND_CODES, OcpApiError
from ansible_collections.oceanbase.ocp.plugins.module_utils.common import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.failover import (
    ACTION_ALREADY_PRIMARY,
    ACTION_FAILED_OVER,
    ACTION_WOULD_FAIL_OVER,
    FAILOVER_TASK_NAME,
    ROLE_PRIMARY,
    changed_by,
    failover_items,
    is_failover_task,
    new_failover_tasks,
    plan_tenants,
    reconcile_lost_submission,
    reported_role,
    tasks_by_tenant,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.tasks import (
    TASK_FAILED,
    TASK_RUNNING,
    TASK_SUCCESSFUL,
    TaskWaiter,
    describe_failure,
    task_result,
    task_timing,
)

# Tenant details are read in parallel, but not so wide that a big batch floods OCP.
MAX_PARALLEL_READS = 16

# After a lost answer to the failover request, how long to keep looking for the tasks OCP may have created
# before concluding it created none: at least this, and at least the request timeout (a request that outlived
# the client's patience may still be in OCP's hands for about as long again).
LOST_RESPONSE_MIN_GRACE_SECONDS = 5.0
LOST_RESPONSE_REREAD_INTERVAL = 1.0

# OCP's answer for a tenant (or cluster) that does not exist; some builds send a not-found code with another status.
NOT_FOUND_STATUS = 404


class FailoverError(Exception):
    """A failure of the run that is not an OcpApiError of its own: the message says what happened and what next."""

    def __init__(self, message, error=None):
        super(FailoverError, self).__init__(message)
        self.error = error


class TenantFailover:
    """One run of the module: read, plan, submit once, wait, confirm.

    Kept as an object so that any failure after the first read can report every tenant and task known so far.
    """

    def __init__(self, client, cluster_id, requested, check_mode, clock, sleep):
        self.client = client
        self.cluster_id = cluster_id
        self.requested = requested
        self.check_mode = check_mode
        self.clock = clock
        self.sleep = sleep
        self.plans = []
        self.known_task_ids = set()
        self.roles_after = {}
        self.failures = {}
        self.polls = 0
        self.request_sent = False

    # Reading ---------------------------------------------------------------------------------------------------

    def read_state(self):
        tenant_ids = [item["tenant_id"] for item in self.requested]
        details = self.read_tenants(tenant_ids)
        failover_tasks = [task for task in self.client.list_tasks(clusterId=self.cluster_id, name=FAILOVER_TASK_NAME)
                          if is_failover_task(task)]
        self.known_task_ids = set(task.get("id") for task in failover_tasks)
        self.plans = plan_tenants(self.requested, details, failover_tasks)

    def read_tenants(self, tenant_ids):
        """tenant id -> detail, read in parallel; fails naming every tenant OCP does not know."""
        def read(tenant_id):
            try:
                return self.client.get_tenant(self.cluster_id, tenant_id), None
            except OcpApiError as error:
                if error.status == NOT_FOUND_STATUS or error.code in NOT_FOUND_CODES:
                    return None, error
                raise

        answers = run_concurrently(read, tenant_ids, min(len(tenant_ids), MAX_PARALLEL_READS))
        missing = [(tenant_id, error) for tenant_id, (detail, error) in zip(tenant_ids, answers) if error]
        if missing:
            raise FailoverError("; ".join(
                "tenant %s not found in cluster %s: check cluster_id/tenant_id (OCP: %s)"
                % (tenant_id, self.cluster_id, error.message) for tenant_id, error in missing), missing[0][1])
        return dict((tenant_id, detail) for tenant_id, (detail, dummy) in zip(tenant_ids, answers))

    # Submitting ------------------------------------------------------------------------------------------------

    def submit(self, request_timeout):
        """Submit the failover of every tenant that needs it, in one request, never twice for a tenant."""
        pending = [plan for plan in self.plans if plan.action == ACTION_FAILED_OVER]
        for attempt in (1, 2):
            if not pending:
                return
            self.request_sent = True
            try:
                response_tasks = self.client.failover(self.cluster_id, failover_items(pending))
            except OcpApiError as error:
                if not error.response_lost:
                    self.fail_answered(pending, error)
                pending = self.reconcile_lost(pending, request_timeout, error, last_attempt=attempt == 2)
                continue
            self.assign_response(pending, response_tasks or [])
            return

    def fail_answered(self, pending, error):
        ids = _join(plan.tenant_id for plan in pending)
        if error.status is None:
            raise FailoverError("The failover request for tenants %s never reached OCP, so nothing was submitted: %s"
                                % (ids, error), error)
        message = "OCP answered the failover request for tenants %s with an error: %s" % (ids, error)
        if error.status >= 500:
            # A server error can come after OCP recorded the tasks: look once, and report what is there.
            created, read_error = self.find_created_tasks(pending, grace_seconds=0)
            self.attach(pending, created)
            if created:
                message += (" OCP created tasks anyway (%s): they run in OCP; rerun the playbook to follow them, it"
                            " does not submit those tenants again." % _describe_tasks(created))
            elif read_error is not None:
                message += (" Whether OCP created tasks anyway could not be checked (%s): look at the task list in"
                            " OCP before rerunning." % read_error)
        others = [plan for plan in self.followed() if plan not in pending]
        if others:
            message += " Tasks followed for the other tenants: %s." % describe_plans(others)
        raise FailoverError(message, error)

    def reconcile_lost(self, pending, request_timeout, error, last_attempt):
        """After a lost answer: attach to the tasks OCP created; return the plans provably never submitted."""
        grace = max(LOST_RESPONSE_MIN_GRACE_SECONDS, float(request_timeout or 0))
        pending_ids = [plan.tenant_id for plan in pending]
        created, read_error = self.find_created_tasks(pending, grace_seconds=grace)
        self.attach(pending, created)
        if read_error is not None:
            raise FailoverError(
                "The answer to the failover request for tenants %s was lost (%s), and OCP's task list could not be"
                " read to find out whether it created the tasks: %s. Do not resubmit by hand; rerun the playbook once"
                " OCP answers: it attaches to any task OCP created and never submits a tenant twice."
                % (_join(pending_ids), error, read_error), read_error)
        without_task = [tenant_id for tenant_id in pending_ids if tenant_id not in created]
        details = self.read_tenants(without_task) if without_task else {}
        found, now_primary, to_resubmit = reconcile_lost_submission(pending_ids, created, details)
        for plan in pending:
            if plan.tenant_id in now_primary:
                plan.action = ACTION_ALREADY_PRIMARY
        if to_resubmit and last_attempt:
            raise FailoverError(
                "The answers to both failover requests were lost (%s), and after %.0f seconds OCP still shows no"
                " failover task for tenants %s. Check the tasks in OCP before doing anything else; a rerun of the"
                " playbook attaches to any task that appears and submits only tenants that still have none."
                % (error, grace, _join(to_resubmit)), error)
        return [plan for plan in pending if plan.tenant_id in to_resubmit]

    def find_created_tasks(self, pending, grace_seconds):
        """(tenant id -> failover task created for it since the first read, last read error or None).

        Re-reads the task list for up to grace_seconds while some tenant has no task, in case OCP records a task
        late; read errors are tolerated during that time.
        """
        pending_ids = [plan.tenant_id for plan in pending]
        deadline = self.clock() + grace_seconds
        created = {}
        read_error = None
        while True:
            try:
                listed = self.client.list_tasks(clusterId=self.cluster_id, name=FAILOVER_TASK_NAME)
                created = new_failover_tasks(pending_ids, listed, self.known_task_ids)
                read_error = None
            except OcpApiError as error:
                read_error = error
            if len(created) == len(pending_ids) or self.clock() >= deadline:
                return created, read_error
            self.sleep(LOST_RESPONSE_REREAD_INTERVAL)

    def assign_response(self, pending, response_tasks):
        pending_ids = [plan.tenant_id for plan in pending]
        submitted = tasks_by_tenant(pending_ids, response_tasks)
        if len(submitted) < len(pending_ids):
            # OCP accepted the batch but its answer does not name a task for every tenant: look them up.
            missing = [plan for plan in pending if plan.tenant_id not in submitted]
            found, dummy = self.find_created_tasks(missing, grace_seconds=LOST_RESPONSE_MIN_GRACE_SECONDS)
            submitted.update(found)
        self.attach(pending, submitted)
        without_task = [tenant_id for tenant_id in pending_ids if tenant_id not in submitted]
        if without_task:
            raise FailoverError(
                "OCP accepted the failover request but returned no task for tenants %s, and none shows in its task"
                " list. Check these tenants in OCP before rerunning." % _join(without_task))

    def attach(self, pending, tasks_by_tenant_id):
        for plan in pending:
            if plan.tenant_id in tasks_by_tenant_id:
                plan.task = tasks_by_tenant_id[plan.tenant_id]
                self.known_task_ids.add(plan.task.get("id"))

    # Waiting ---------------------------------------------------------------------------------------------------

    def followed(self):
        return [plan for plan in self.plans if plan.task is not None]

    def wait(self, timeout, interval):
        followed = self.followed()
        if not followed:
            return
        waiter = TaskWaiter(self.client, self.cluster_id, FAILOVER_TASK_NAME, timeout, interval,
                            clock=self.clock, sleep=self.sleep)
        try:
            outcome = waiter.wait([plan.task for plan in followed])
        except OcpApiError as error:
            raise FailoverError(
                "Waiting for the failover tasks failed: %s. The tasks keep running in OCP (%s); rerun the playbook"
                " to resume waiting, it attaches to them." % (error, describe_plans(followed)), error)
        self.polls += outcome.polls
        for plan in followed:
            plan.task = outcome.tasks[plan.task["id"]]
        # Confirm the successes before reporting any problem, so the result shows every tenant's final role.
        not_primary = self.confirm_primary([plan for plan in followed if plan.task.get("status") == TASK_SUCCESSFUL])
        failed = self.describe_failed_tasks(followed)
        problems = []
        if outcome.timed_out:
            problems.append(
                "Timed out after %s seconds waiting for the failover tasks: %s. They keep running in OCP; rerun the"
                " playbook to resume waiting, it attaches to the running tasks and does not submit again."
                % (timeout, describe_plans(followed)))
            if outcome.last_error is not None:
                problems.append("Last error while polling: %s" % outcome.last_error)
        if failed:
            problems.append(
                "Failover failed for %d of %d tenants.\n%s\nTo resume: fix the cause, retry the task in OCP (console,"
                " or POST /api/v2/tasks/instances/{id}/retry), then rerun the playbook, which attaches to the running"
                " task." % (len(failed), len(followed), "\n".join(failed)))
        if not_primary:
            problems.append("Failover tasks succeeded, but not every tenant is primary: %s. Check the tenants in OCP"
                            " before rerunning." % "; ".join(not_primary))
        if problems:
            raise FailoverError("\n".join(problems))

    def describe_failed_tasks(self, followed):
        """One report per FAILED task: tenant, task, failed subtask and the end of its log."""
        reports = []
        for plan in followed:
            if plan.task.get("status") != TASK_FAILED:
                continue
            failure = describe_failure(self.client, plan.task)
            self.failures[plan.tenant_id] = failure
            report = "tenant %s: task %s FAILED" % (_tenant_label(plan), plan.task.get("id"))
            if failure["subtask_id"] is not None:
                report += " at subtask '%s' (id %s)" % (failure["subtask_name"], failure["subtask_id"])
            if failure["log_tail"]:
                report += ", last log lines:\n  " + "\n  ".join(failure["log_tail"])
            elif failure.get("log_error"):
                report += " (its log could not be read: %s)" % failure["log_error"]
            report += "\n  Retry it with: POST /api/v2/tasks/instances/%s/retry" % plan.task.get("id")
            reports.append(report)
        return reports

    def confirm_primary(self, succeeded):
        """Record the role of every tenant whose task succeeded; returns those that do not report PRIMARY."""
        if not succeeded:
            return []
        details = self.read_tenants([plan.tenant_id for plan in succeeded])
        not_primary = []
        for plan in succeeded:
            role = reported_role(details.get(plan.tenant_id))
            # Without a role field, the successful task is the evidence (the same rule the first read uses).
            self.roles_after[plan.tenant_id] = role or ROLE_PRIMARY
            if role is not None and role != ROLE_PRIMARY:
                not_primary.append("%s reports %s after task %s" % (_tenant_label(plan), role, plan.task.get("id")))
        return not_primary

    # Results ---------------------------------------------------------------------------------------------------

    def action(self, plan):
        if self.check_mode and plan.action == ACTION_FAILED_OVER:
            return ACTION_WOULD_FAIL_OVER
        return plan.action

    def tenant_results(self):
        return [self.tenant_result(plan) for plan in self.plans]

    def tenant_result(self, plan):
        action = self.action(plan)
        entry = {
            "tenant_id": plan.tenant_id,
            "name": plan.name,
            "service_name": plan.service_name,
            "action": action,
            "task_id": None,
            "task_status": None,
            "role_before": plan.role_before,
            "role_after": self.role_after(plan, action),
            "role_source": plan.role_source,
            "started_at": None,
            "finished_at": None,
            "duration_seconds": None,
        }
        if plan.task is not None:
            started_at, finished_at, duration = task_timing(plan.task)
            entry.update(task_id=plan.task.get("id"), task_status=plan.task.get("status"), started_at=started_at,
                         finished_at=finished_at, duration_seconds=duration)
        failure = self.failures.get(plan.tenant_id)
        if failure is not None:
            entry["failed_subtask"] = {"id": failure["subtask_id"], "name": failure["subtask_name"],
                                       "log_tail": failure["log_tail"]}
        return entry

    def role_after(self, plan, action):
        """The role at the end of the run: confirmed, predicted (check mode), or None while a task runs."""
        if action == ACTION_ALREADY_PRIMARY or self.check_mode:
            return ROLE_PRIMARY
        if plan.tenant_id in self.roles_after:
            return self.roles_after[plan.tenant_id]
        if plan.task is not None and plan.task.get("status") == TASK_FAILED:
            return plan.role_before
        return None

    def task_results(self):
        return [task_result(plan.task) for plan in self.followed()]

    def changed(self):
        return changed_by(self.action(plan) for plan in self.plans)

    def submitted_anything(self):
        return any(plan.action == ACTION_FAILED_OVER and plan.task is not None for plan in self.plans)

    def diff(self):
        before, after = [], []
        for plan, entry in zip(self.plans, self.tenant_results()):
            label = {"tenant_id": plan.tenant_id, "name": plan.name}
            before.append(dict(label, role=plan.role_before))
            after.append(dict(label, role=entry["role_after"] or "%s (task %s %s)" % (
                ROLE_PRIMARY, entry["task_id"], entry["task_status"] or TASK_RUNNING)))
        return {"before": {"cluster_id": self.cluster_id, "tenants": before},
                "after": {"cluster_id": self.cluster_id, "tenants": after}}

    def result(self):
        return {"tenants": self.tenant_results(), "tasks": self.task_results(), "polls": self.polls}


def _join(values):
    return ", ".join(str(value) for value in values)


def _tenant_label(plan):
    return "%s (%s)" % (plan.tenant_id, plan.name) if plan.name else str(plan.tenant_id)


def describe_plans(plans):
    return "; ".join("tenant %s: task %s %s" % (_tenant_label(plan), plan.task.get("id"), plan.task.get("status"))
                     for plan in plans)


def _describe_tasks(tasks_by_tenant_id):
    return "; ".join("tenant %s: task %s %s" % (tenant_id, task.get("id"), task.get("status"))
                     for tenant_id, task in tasks_by_tenant_id.items())
