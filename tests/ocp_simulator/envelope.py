"""OCP's response envelope, error codes and time formatting."""

from __future__ import annotations

import datetime
import json
import secrets
import time

# Error codes from OCP's error table (NOTES.md, confirmed).
INVALID_PARAMETER = "COM10001"
NOT_FOUND = "COM10002"
NOT_LOGGED_IN = "IAM10000"
BAD_CREDENTIALS = "IAM10004"
NOT_AUTHORIZED = "IAM11000"
TENANT_NOT_FOUND = "OBE21002"  # tenant {name} not found in cluster {id}: a tenant not in the path's cluster
TENANT_ID_NOT_FOUND = "OBE21003"  # tenant with this id does not exist: a body's tenant id known nowhere
TENANT_STATUS_NOT_ALLOWED = "OBE21005"  # operation not allowed in the tenant's current status
CLUSTER_NOT_FOUND = "OBE11001"  # cluster with this id does not exist
TASK_NOT_FOUND = "TSK10001"  # task does not exist
TASK_STATE_NOT_ALLOWED = "TSK10007"  # operation not allowed in the task's state
TENANT_ROLE_NOT_ALLOWED = "OBE26013"
TENANT_UNAVAILABLE = "OBE26021"
PRIMARY_TENANT_NOT_FOUND = "OBE26025"
PRIMARY_TENANT_CONNECTABLE = "OBE26107"

# ASSUMED: which documented code (and HTTP status) comes with which refusal; OCP's error table lists the
# codes, not the endpoints or statuses that use them.
FAILOVER_ALREADY_RUNNING = TENANT_STATUS_NOT_ALLOWED  # 409: a tenant (either of a pair) has a running failover/switchover
TASK_NOT_RETRYABLE = TASK_STATE_NOT_ALLOWED  # 409: retry of a task that is not FAILED
NOT_STANDBY_OF_PRIMARY = PRIMARY_TENANT_NOT_FOUND  # switchover: the standby's primary is not the given tenant
# ASSUMED: a path no controller serves. OCP's shared exception handler (the OCP Express code base) answers
# Spring's NoHandlerFoundException without setting an error code, so the envelope carries none (null)
# and the message Spring's handler writes; kept at 404, Spring's own status for it.
NO_HANDLER_STATUS = 404
NO_HANDLER_CODE = None
NO_HANDLER_MESSAGE = "Could not find the %s method for URL %s"
METHOD_NOT_ALLOWED = "COM10001"
UNSUPPORTED_MEDIA_TYPE = "COM10001"
INTERNAL_ERROR = "COM10000"


class ApiError(Exception):
    """An error answered with OCP's error envelope."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def ocp_time(epoch_seconds=None):
    """Format a time the way OCP does: ISO-8601, milliseconds, local UTC offset."""
    if epoch_seconds is None:
        epoch_seconds = time.time()
    moment = datetime.datetime.fromtimestamp(epoch_seconds).astimezone()
    return moment.isoformat(timespec="milliseconds")


def new_server_id():
    return secrets.token_hex(5)


def _base(status, started_at, server_id, answered_at=None):
    """`answered_at`: the server time the answer's data stands for (default: now)."""
    return {
        "successful": 200 <= status < 300,
        "timestamp": ocp_time(answered_at),
        "duration": max(0, int((time.time() - started_at) * 1000)),
        "status": status,
        "traceId": secrets.token_hex(8),
        "server": server_id,
    }


def success_body(data, started_at, server_id, status=200, answered_at=None):
    body = {"data": data}
    body.update(_base(status, started_at, server_id, answered_at))
    return body


def error_body(status, code, message, started_at, server_id):
    body = _base(status, started_at, server_id)
    body["successful"] = False
    body["error"] = {"code": code, "message": message, "target": None, "subErrors": []}
    return body


def dumps(body):
    return json.dumps(body, ensure_ascii=False)
