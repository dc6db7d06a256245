"""The Flask application: OCP's /api/v2 endpoints plus the simulator's /_sim control API.

Every /api request goes through the same pipeline: log it, let fault rules fire, authenticate,
check permission, route, answer with OCP's envelope.
"""

from __future__ import annotations

import json
import logging
import math
import socket
import time
import urllib.parse
from http import HTTPStatus

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from . import alarms, envelope
from .auth import presented_scheme
from .envelope import ApiError
from .faults import default_error_code
from .state import Page, paginate

LOG = logging.getLogger("ocp_simulator")

API_PREFIX = "/api/"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
MAX_PAGE_SIZE = 2000
DEFAULT_PAGE_SIZE = 10

PROXY_ERROR_PAGE = """<html>
<head><title>{status} {reason}</title></head>
<body>
<center><h1>{status} {reason}</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""
TRUNCATED_JSON = '{"data": {"contents": [{"clusterId": 3000010, "creator": "admin", "id": 1202'


def create_app(backend):
    """`backend` (a Simulator) holds model (State), fault_rules, request_recorder (RequestLog), authenticator, server_id and reset()."""
    app = Flask("ocp_simulator")

    def is_api():
        return request.path.startswith(API_PREFIX)

    def respond(body, status, headers=None):
        return Response(envelope.dumps(body), status=status, headers=headers, mimetype="application/json")

    def ok(data, answered_at=None):
        """`answered_at`: the model time the data stands for, the envelope's timestamp (default: now)."""
        return respond(envelope.success_body(data, g.started_at, backend.server_id, answered_at=answered_at), 200)

    def fail(status, code, message, headers=None):
        return respond(envelope.error_body(status, code, message, g.started_at, backend.server_id), status, headers)

    # ----- the /api pipeline

    @app.before_request
    def begin():
        g.started_at = time.time()
        if not is_api():
            return None
        raw_body = request.get_data(cache=True)
        g.entry = backend.request_recorder.start(
            request.method, request.path, request.args.to_dict(flat=False), raw_body,
            presented_scheme(request.headers.get("Authorization")))
        rule = backend.fault_rules.match_http(request.method, request.path)
        g.fault = rule
        if rule is not None:
            backend.request_recorder.update(g.entry, fault=rule.label)
            early = apply_fault(rule)
            if early is not None:
                return early
        identity = backend.authenticator.authenticate({
            "method": request.method,
            "body": raw_body,
            "path": _raw_path(),
            "query_string": request.query_string.decode("latin-1"),
            "headers": request.headers,
        }, time.time())
        g.identity = identity
        backend.request_recorder.update(g.entry, user=identity.principal)
        if request.method not in READ_METHODS and "write" not in identity.permissions:
            raise ApiError(403, envelope.NOT_AUTHORIZED, "User %s is not authorized to modify resources." % identity.username)
        return None

    def apply_fault(rule):
        """Answer for the faults that stop a request here; None lets it go on."""
        params = rule.params
        if rule.action == "latency":
            time.sleep(params["seconds"])
            return None
        if rule.action == "status":
            status = params["status"]
            headers = {}
            if status == 429:
                reset = params.get("reset", 1)
                headers = {"RateLimit-Limit": str(params.get("limit", 100)), "RateLimit-Remaining": "0",
                           "RateLimit-Reset": _header_seconds(reset), "Retry-After": str(int(math.ceil(reset)))}
            code = params.get("code") or default_error_code(status)
            message = params.get("message") or _reason(status)
            return fail(status, code, message, headers)
        if rule.action == "drop":
            _drop_connection()
            return Response(status=204)
        if rule.action == "malformed_json":
            return Response(TRUNCATED_JSON, status=200, mimetype="application/json")
        if rule.action == "html":
            status = params.get("status", 502)
            page = PROXY_ERROR_PAGE.format(status=status, reason=_reason(status))
            return Response(page, status=status, mimetype="text/html")
        return None  # lost_response acts after the request is handled

    @app.after_request
    def finish(response):
        entry = g.get("entry")
        if entry is None:
            return response
        rule = g.get("fault")
        status = response.status_code
        if rule is not None and rule.action == "drop":
            status = None
        elif rule is not None and rule.action == "lost_response":
            if rule.params["mode"] == "drop":
                _drop_connection()
                status = None
            else:
                time.sleep(rule.params["seconds"])
        backend.request_recorder.update(entry, status=status)
        return response

    @app.errorhandler(ApiError)
    def api_error(error):
        return fail(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error):
        if not is_api():
            return Response(json.dumps({"error": error.description}), status=error.code, mimetype="application/json")
        if error.code == 405:
            return fail(405, envelope.METHOD_NOT_ALLOWED, "Request method %s is not supported for %s." % (request.method, request.path),
                        {"Allow": ", ".join(error.valid_methods or [])})
        if error.code == 404:
            return fail(envelope.NO_HANDLER_STATUS, envelope.NO_HANDLER_CODE, envelope.NO_HANDLER_MESSAGE % (request.method, request.path))
        return fail(error.code, envelope.INTERNAL_ERROR if error.code >= 500 else envelope.INVALID_PARAMETER, error.description)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        LOG.exception("simulator error on %s %s", request.method, request.path)
        if not is_api():
            return Response(json.dumps({"error": repr(error)}), status=500, mimetype="application/json")
        return fail(500, envelope.INTERNAL_ERROR, "Internal error: %s" % type(error).__name__)

    # ----- OCP endpoints

    @app.get("/api/v2/ob/clusters")
    def list_clusters():
        return ok(backend.model.find_clusters(_page_args(), names=_list_arg("name")))

    @app.get("/api/v2/ob/clusters/<cluster_id>")
    def get_cluster(cluster_id):
        return ok(backend.model.get_cluster(_path_id(cluster_id, "id")))

    @app.get("/api/v2/ob/clusters/<cluster_id>/tenants")
    def list_cluster_tenants(cluster_id):
        return ok(backend.model.find_tenants(_page_args(), cluster_id=_path_id(cluster_id, "id"), **_tenant_filters()))

    @app.get("/api/v2/ob/tenants")
    def list_tenants():
        return ok(backend.model.find_tenants(_page_args(), **_tenant_filters()))

    @app.get("/api/v2/ob/clusters/<cluster_id>/tenants/<tenant_id>")
    def get_tenant(cluster_id, tenant_id):
        return ok(backend.model.get_tenant(_path_id(cluster_id, "id"), _path_id(tenant_id, "tenantId")))

    @app.post("/api/v2/ob/clusters/<cluster_id>/tenants/<tenant_id>/failoverPreCheck")
    def failover_precheck(cluster_id, tenant_id):
        cluster_id = _path_id(cluster_id, "id")
        tenant_id = _path_id(tenant_id, "tenantId")
        backend.model.get_tenant(cluster_id, tenant_id)  # unknown cluster or tenant: 404 before the wait
        time.sleep(backend.model.timing["precheck_seconds"])
        answered_at, result = backend.model.failover_precheck(cluster_id, tenant_id)
        return ok(result, answered_at)

    @app.post("/api/v2/ob/clusters/<cluster_id>/tenants/failoverPreCheck")
    def batch_failover_precheck(cluster_id):
        cluster_id = _path_id(cluster_id, "id")
        backend.model.get_cluster(cluster_id)
        time.sleep(backend.model.timing["precheck_seconds"])  # one precheck round for the whole cluster
        answered_at, result = backend.model.batch_failover_precheck(cluster_id)
        return ok(result, answered_at)

    @app.post("/api/v2/ob/clusters/<cluster_id>/tenants/failover")
    def failover(cluster_id):
        cluster_id = _path_id(cluster_id, "id")
        backend.model.get_cluster(cluster_id)
        items = _failover_items()
        answered_at, tasks = backend.model.create_failover_tasks(
            cluster_id, items, g.identity.username, _executor(), backend.fault_rules.take_task_failure)
        return ok({"contents": tasks}, answered_at)

    @app.post("/api/v2/ob/clusters/<cluster_id>/tenants/<tenant_id>/switchoverPreCheck")
    def switchover_precheck(cluster_id, tenant_id):
        cluster_id = _path_id(cluster_id, "id")
        tenant_id = _path_id(tenant_id, "tenantId")
        backend.model.get_tenant(cluster_id, tenant_id)
        pair = _switchover_pair(_json_body(), "", path_tenant_id=tenant_id)
        backend.model.check_tenant_ids([pair["standbyTenantId"]])  # 404 before the wait
        time.sleep(backend.model.timing["precheck_seconds"])
        answered_at, result = backend.model.switchover_precheck(cluster_id, tenant_id, pair["standbyTenantId"])
        return ok(result, answered_at)

    @app.post("/api/v2/ob/clusters/<cluster_id>/tenants/<tenant_id>/switchover")
    def switchover(cluster_id, tenant_id):
        cluster_id = _path_id(cluster_id, "id")
        tenant_id = _path_id(tenant_id, "tenantId")
        backend.model.get_tenant(cluster_id, tenant_id)
        pair = _switchover_pair(_json_body(), "", path_tenant_id=tenant_id)
        answered_at, tasks = backend.model.create_switchover_tasks(
            cluster_id, [pair], g.identity.username, _executor(), backend.fault_rules.take_task_failure)
        return ok(tasks[0], answered_at)

    @app.post("/api/v2/ob/clusters/<cluster_id>/tenants/switchover")
    def batch_switchover(cluster_id):
        cluster_id = _path_id(cluster_id, "id")
        backend.model.get_cluster(cluster_id)
        pairs = _switchover_pairs()
        answered_at, tasks = backend.model.create_switchover_tasks(
            cluster_id, pairs, g.identity.username, _executor(), backend.fault_rules.take_task_failure)
        return ok({"contents": tasks}, answered_at)

    @app.get("/api/v2/tasks/instances")
    def list_tasks():
        tenant_name = request.args.get("tenantName") or None
        return ok(backend.model.find_tasks(
            _page_args(), names=_list_arg("name"), statuses=_list_arg("status"), types=_list_arg("type"),
            cluster_id=_int_arg("clusterId"), tenant_id=_int_arg("tenantId"), host_id=_int_arg("hostId"),
            # OCP's reference spells the cluster name filter "cluterName"; both are read.
            cluster_names=_list_arg("clusterName") + _list_arg("cluterName"), tenant_name=tenant_name))

    @app.get("/api/v2/tasks/instances/<task_id>")
    def get_task(task_id):
        return ok(backend.model.get_task(_path_id(task_id, "id")))

    @app.get("/api/v2/tasks/instances/<task_id>/subtasks/<subtask_id>/log")
    def subtask_log(task_id, subtask_id):
        return ok({"log": backend.model.subtask_log(_path_id(task_id, "id"), _path_id(subtask_id, "subtaskId"))})

    @app.post("/api/v2/tasks/instances/<task_id>/retry")
    def retry_task(task_id):
        answered_at, task = backend.model.retry_task(_path_id(task_id, "id"), backend.fault_rules.take_task_failure)
        return ok(task, answered_at)

    @app.get("/api/v2/alarm/alarms")
    def list_alarms():
        return ok(paginate(backend.alarms.find(**alarms.query_filters(request.args)), lambda alarm: alarm,
                           _page_args(max_size=alarms.MAX_PAGE_SIZE)))

    # ----- control API (no auth, never logged, never faulted)

    @app.get("/_sim/requests")
    def sim_requests():
        return _json({"requests": backend.request_recorder.entries()})

    @app.delete("/_sim/requests")
    def sim_clear_requests():
        backend.request_recorder.clear()
        return _json({"cleared": True})

    @app.get("/_sim/faults")
    def sim_faults():
        return _json({"faults": backend.fault_rules.list()})

    @app.post("/_sim/faults")
    def sim_add_fault():
        try:
            return _json({"id": backend.fault_rules.add(_control_body())})
        except ValueError as error:
            return _json({"error": str(error)}, 400)

    @app.delete("/_sim/faults")
    def sim_clear_faults():
        backend.fault_rules.clear()
        return _json({"cleared": True})

    @app.patch("/_sim/tenants/<int:tenant_id>")
    def sim_patch_tenant(tenant_id):
        try:
            return _json(backend.model.patch_tenant(tenant_id, _control_body()))
        except KeyError:
            return _json({"error": "tenant %s not found" % tenant_id}, 404)
        except ValueError as error:
            return _json({"error": str(error)}, 400)

    @app.patch("/_sim/timing")
    def sim_patch_timing():
        try:
            return _json(backend.model.patch_timing(_control_body()))
        except ValueError as error:
            return _json({"error": str(error)}, 400)

    @app.patch("/_sim/options")
    def sim_patch_options():
        try:
            return _json(backend.model.patch_options(_control_body()))
        except ValueError as error:
            return _json({"error": str(error)}, 400)

    @app.post("/_sim/reset")
    def sim_reset():
        try:
            backend.reset(_control_body(allow_empty=True))
        except ValueError as error:
            return _json({"error": str(error)}, 400)
        return _json({"reset": True})

    @app.get("/_sim/state")
    def sim_state():
        return _json(backend.model.dump())

    @app.get("/_sim/alarms")
    def sim_alarms():
        return _json({"alarms": backend.alarms.dump()})

    @app.post("/_sim/alarms")
    def sim_raise_alarm():
        try:
            return _json(backend.alarms.raise_alarm(_control_body()))
        except ValueError as error:
            return _json({"error": str(error)}, 400)

    @app.patch("/_sim/alarms/<int:alarm_id>")
    def sim_patch_alarm(alarm_id):
        try:
            return _json(backend.alarms.patch(alarm_id, _control_body()))
        except KeyError:
            return _json({"error": "alarm %s not found" % alarm_id}, 404)
        except ValueError as error:
            return _json({"error": str(error)}, 400)

    return app


# ----- request helpers (they read flask.request; errors become OCP error envelopes)

def _raw_path():
    """The path as the client sent it, which is what it signed."""
    raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    return urllib.parse.urlsplit(raw_uri).path if raw_uri else request.path


def _path_id(text, name):
    try:
        return int(text)
    except ValueError:
        raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter %s: %r is not an integer." % (name, text)) from None


def _int_arg(name, default=None, minimum=None, maximum=None):
    text = request.args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter %s: %r is not an integer." % (name, text)) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = "between %s and %s" % (minimum, maximum) if maximum is not None else "at least %s" % minimum
        raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter %s: %d, must be %s." % (name, value, bounds))
    return value


def _list_arg(name):
    """Values of a filter given repeated (status=A&status=B) or comma-separated (status=A,B)."""
    return [value for text in request.args.getlist(name) for value in text.split(",") if value]


def _tenant_filters():
    return {"names": _list_arg("name"), "modes": _list_arg("mode"), "statuses": _list_arg("status")}


def _page_args(max_size=MAX_PAGE_SIZE):
    """page (1-based), size (max 2000) and sort=field,asc|desc (repeatable) of a list request."""
    sorts = []
    for sort in request.args.getlist("sort"):
        field, _comma, direction = sort.partition(",")
        if not field or direction.lower() not in ("", "asc", "desc"):
            raise ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter sort: %r." % sort)
        sorts.append((field, direction.lower() == "desc"))
    return Page(number=_int_arg("page", 1, minimum=1),
                size=_int_arg("size", DEFAULT_PAGE_SIZE, minimum=1, maximum=max_size), sorts=tuple(sorts))


def _executor():
    return request.environ.get("SERVER_NAME", "127.0.0.1")


def _invalid(message):
    return ApiError(400, envelope.INVALID_PARAMETER, "Invalid parameter: %s." % message)


def _json_body():
    """The request's JSON object body: 415 unless it is JSON, 400 unless it parses to an object."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise ApiError(415, envelope.UNSUPPORTED_MEDIA_TYPE,
                       "Content type '%s' not supported, use application/json." % (request.content_type or ""))
    try:
        body = json.loads(request.get_data(cache=True).decode("utf-8"))
    except ValueError:
        raise _invalid("malformed JSON request body") from None
    if not isinstance(body, dict):
        raise _invalid("the request body must be a JSON object")
    return body


def _id_field(item, key, where):
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("%s%s must be an integer" % (where, key))
    return value


def _switchover_pair(item, where, path_tenant_id=None):
    """{tenantId: primary, standbyTenantId: standby} of a switchover (precheck) body or tenantParamList item."""
    if not isinstance(item, dict):
        raise _invalid("%s must be an object" % where.rstrip("."))
    tenant_id = _id_field(item, "tenantId", where)
    standby_id = _id_field(item, "standbyTenantId", where)
    if path_tenant_id is not None and tenant_id != path_tenant_id:
        raise _invalid("tenantId %d of the body is not the path's tenant %d" % (tenant_id, path_tenant_id))
    if standby_id == tenant_id:
        raise _invalid("%sstandbyTenantId must differ from tenantId" % where)
    return {"tenantId": tenant_id, "standbyTenantId": standby_id}


def _switchover_pairs():
    """The tenantParamList of a batch switchover body: each tenant in one pair at most."""
    items = _json_body().get("tenantParamList")
    if items is None:
        raise _invalid("tenantParamList is required")
    if not isinstance(items, list):
        raise _invalid("tenantParamList must be a list")
    if not items:
        raise _invalid("tenantParamList must not be empty")
    pairs = []
    seen = set()
    for index, item in enumerate(items):
        where = "tenantParamList[%d]." % index
        pair = _switchover_pair(item, where)
        for key in ("tenantId", "standbyTenantId"):
            if pair[key] in seen:
                raise _invalid("%s%s %d is duplicated" % (where, key, pair[key]))
            seen.add(pair[key])
        pairs.append(pair)
    return pairs


def _failover_items():
    """The failoverTenantItemList of a batch failover body, checked field by field."""
    invalid = _invalid
    body = _json_body()
    items = body.get("failoverTenantItemList")
    if items is None:
        raise invalid("failoverTenantItemList is required")
    if not isinstance(items, list):
        raise invalid("failoverTenantItemList must be a list")
    if not items:
        raise invalid("failoverTenantItemList must not be empty")
    checked = []
    seen = set()
    for index, item in enumerate(items):
        where = "failoverTenantItemList[%d]" % index
        if not isinstance(item, dict):
            raise invalid("%s must be an object" % where)
        tenant_id = item.get("tenantId")
        if isinstance(tenant_id, bool) or not isinstance(tenant_id, int):
            raise invalid("%s.tenantId must be an integer" % where)
        service_name = item.get("serviceName")
        if service_name is not None and not isinstance(service_name, str):
            raise invalid("%s.serviceName must be a string" % where)
        if tenant_id in seen:
            raise invalid("%s.tenantId %d is duplicated" % (where, tenant_id))
        seen.add(tenant_id)
        checked.append({"tenantId": tenant_id, "serviceName": service_name or None})
    return checked


def _control_body(allow_empty=False):
    raw = request.get_data(cache=True)
    if not raw.strip() and allow_empty:
        return None
    try:
        body = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise ValueError("the request body must be JSON") from None
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")
    return body


def _json(body, status=200):
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _drop_connection():
    """Close the client's TCP connection so it gets no response at all (werkzeug's server only)."""
    connection = request.environ.get("werkzeug.socket")
    if connection is None:
        raise RuntimeError("dropping a connection needs werkzeug's server (no werkzeug.socket in the WSGI environ)")
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client has gone already


def _header_seconds(seconds):
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def _reason(status):
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
