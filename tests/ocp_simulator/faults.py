"""Fault rules: make the simulator misbehave the ways a real OCP (or what sits in front of it) does.

A rule is a dict::

    {"method": "POST" | "*", "path": "<glob on the URL path>", "action": "...",
     "count": N | None (every time), "skip": M (let the first M matching calls through),
     "name": "<label for the request log, default: the action>", ...action parameters}

HTTP actions, consulted for every /api request (the first rule that fires wins):
  status          respond `status` with OCP's error envelope (`code`, `message` optional);
                  429 also gets RateLimit-* and Retry-After headers (`reset` seconds, default 1; `limit`).
  latency         sleep `seconds`, then handle the request normally.
  drop            close the TCP connection without a response; the request is not applied.
  lost_response   apply the request, then lose the answer: `mode: drop` closes the connection,
                  `mode: delay` sends the real response only after `seconds`.
  malformed_json  200 with a truncated JSON body; the request is not applied.
  html            `status` (default 502) with a reverse proxy's HTML error page; not applied.
Task action, consulted when a failover or switchover task is created or retried (method and path are ignored):
  task_fail       the task fails at subtask `subtask` (for tenant `tenantId`, or any tenant; a switchover
                  matches its primary or its standby); `message` replaces the default OceanBase error in
                  the subtask log. A rule only applies to tasks that have that subtask. Retrying the failed
                  task (POST .../retry) consults the rules again: with `count: 1` the retry succeeds, a
                  rule without count makes it fail again.
"""

from __future__ import annotations

import copy
import fnmatch
import threading
from dataclasses import dataclass, field

from .envelope import INTERNAL_ERROR, INVALID_PARAMETER, NOT_AUTHORIZED, NOT_FOUND, NOT_LOGGED_IN
from .tasks import ALL_SUBTASK_NAMES

# The error code an injected status carries when the rule names none; statuses for which OCP
# documents no code (409, 429, 5xx) get the generic one.
DEFAULT_ERROR_CODES = {
    400: INVALID_PARAMETER,
    401: NOT_LOGGED_IN,
    403: NOT_AUTHORIZED,
    404: NOT_FOUND,
}


def default_error_code(status):
    return DEFAULT_ERROR_CODES.get(status, INTERNAL_ERROR)


_COMMON_KEYS = {"method", "path", "action", "count", "skip", "name"}
_ACTION_PARAMS = {
    "status": {"status", "code", "message", "reset", "limit"},
    "latency": {"seconds"},
    "drop": set(),
    "lost_response": {"mode", "seconds"},
    "malformed_json": set(),
    "html": {"status"},
    "task_fail": {"subtask", "tenantId", "message"},
}
HTTP_ACTIONS = frozenset(action for action in _ACTION_PARAMS if action != "task_fail")


@dataclass
class FaultRule:
    rule_id: int
    action: str
    method: str = "*"
    path: str = "*"
    count: int | None = None
    skip: int = 0
    name: str | None = None
    params: dict = field(default_factory=dict)
    seen: int = 0
    applied: int = 0

    @property
    def label(self):
        return self.name or self.action

    @property
    def exhausted(self):
        return self.count is not None and self.applied >= self.count

    def as_dict(self):
        rule = {"id": self.rule_id, "action": self.action, "method": self.method, "path": self.path,
                "count": self.count, "skip": self.skip, "name": self.label, "seen": self.seen, "applied": self.applied}
        rule.update(self.params)
        return rule


def validate_rule(rule):
    """Check a rule dict; return (common fields, action params). Raises ValueError naming the problem."""
    if not isinstance(rule, dict):
        raise ValueError("a fault rule must be an object")
    action = rule.get("action")
    if action not in _ACTION_PARAMS:
        raise ValueError("fault action must be one of %s, got %r" % (", ".join(sorted(_ACTION_PARAMS)), action))
    unknown = set(rule) - _COMMON_KEYS - _ACTION_PARAMS[action]
    if unknown:
        raise ValueError("unknown parameter(s) for fault action %s: %s" % (action, ", ".join(sorted(unknown))))
    params = {key: value for key, value in rule.items() if key not in _COMMON_KEYS}

    method = rule.get("method", "*")
    path = rule.get("path", "*")
    if not isinstance(method, str) or not isinstance(path, str):
        raise ValueError("fault method and path must be strings")
    count = rule.get("count")
    skip = rule.get("skip", 0) or 0
    if count is not None and not _is_int(count, minimum=0):
        raise ValueError("fault count must be a non-negative integer or null")
    if not _is_int(skip, minimum=0):
        raise ValueError("fault skip must be a non-negative integer")

    if action == "status" and not _is_int(params.get("status"), minimum=100, maximum=599):
        raise ValueError("fault action status needs an HTTP `status` between 100 and 599")
    if action == "html" and not _is_int(params.get("status", 502), minimum=100, maximum=599):
        raise ValueError("fault action html needs an HTTP `status` between 100 and 599")
    if action == "latency" and not _is_seconds(params.get("seconds")):
        raise ValueError("fault action latency needs `seconds` >= 0")
    if action == "lost_response":
        mode = params.setdefault("mode", "drop")
        if mode not in ("drop", "delay"):
            raise ValueError("fault action lost_response needs `mode` drop or delay")
        if mode == "delay" and not _is_seconds(params.get("seconds")):
            raise ValueError("fault action lost_response with mode delay needs `seconds` >= 0")
    if "reset" in params and not _is_seconds(params["reset"]):
        raise ValueError("fault parameter reset must be seconds >= 0")
    if action == "task_fail":
        if params.get("subtask") not in ALL_SUBTASK_NAMES:
            raise ValueError("fault action task_fail needs `subtask`, one of: %s" % ", ".join(ALL_SUBTASK_NAMES))
        if "tenantId" in params and not _is_int(params["tenantId"]):
            raise ValueError("fault parameter tenantId must be an integer")
    common = {"action": action, "method": method.upper(), "path": path, "count": count, "skip": skip, "name": rule.get("name")}
    return common, params


def _is_int(value, minimum=None, maximum=None):
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    return (minimum is None or value >= minimum) and (maximum is None or value <= maximum)


def _is_seconds(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0


class FaultRules:
    """The active rules, thread-safe; counters advance as rules are consulted."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules = []
        self._next_id = 1

    def add(self, rule):
        common, params = validate_rule(copy.deepcopy(rule))
        with self._lock:
            fault = FaultRule(rule_id=self._next_id, params=params, **common)
            self._next_id += 1
            self._rules.append(fault)
            return fault.rule_id

    def clear(self):
        with self._lock:
            self._rules = []

    def list(self):
        with self._lock:
            return [rule.as_dict() for rule in self._rules]

    def match_http(self, method, path):
        """The HTTP rule that fires for this request, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.action not in HTTP_ACTIONS or rule.exhausted:
                    continue
                if rule.method not in ("*", method.upper()) or not fnmatch.fnmatchcase(path, rule.path):
                    continue
                if self._fires(rule):
                    return copy.deepcopy(rule)
        return None

    def take_task_failure(self, tenant_ids, subtask_names):
        """The task_fail rule that applies to a task (run) of these tenants with these subtasks, or None."""
        with self._lock:
            for rule in self._rules:
                if rule.action != "task_fail" or rule.exhausted:
                    continue
                if rule.params.get("tenantId") is not None and rule.params["tenantId"] not in tenant_ids:
                    continue
                if rule.params["subtask"] not in subtask_names:
                    continue
                if self._fires(rule):
                    return copy.deepcopy(rule)
        return None

    @staticmethod
    def _fires(rule):
        rule.seen += 1
        if rule.seen <= rule.skip:
            return False
        rule.applied += 1
        return True
