# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's one error type, :class:`OcpApiError`, and how transport failures and OCP error answers become
one actionable line (what failed, and what to do about it).

OCP's error codes the collection relies on are listed in docs/ocp-api.md ("Error codes"); the ones that decide a hint
are in this file, in one place.
"""

from __future__ import absolute_import, division, print_function

import re

try:
    import requests
    import urllib3
    from urllib3.exceptions import NewConnectionError, ProtocolError, ReadTimeoutError
except ImportError:  # client.py reports the missing library; keep this module importable
    pass

BASIC_AUTH_HINT = "Check username/password (or OCP_USERNAME/OCP_PASSWORD)."
ACCESS_KEY_AUTH_HINT = (
    "Check access_key_id/access_key_secret (or OCP_ACCESS_KEY_ID/OCP_ACCESS_KEY_SECRET) and that this host's "
    "clock is within 15 minutes of OCP's (signed requests carry a Date)."
)
# OCP checks an AK/SK signature against the request it receives: its method, path and query, Host and Date. A proxy
# that rewrites the path (a prefix stripped or added) or the Host header breaks every signature.
ACCESS_KEY_PROXY_HINT = (
    "A proxy in front of OCP that rewrites the request path or Host header also fails every signature (OCP checks"
    " the path it receives, not the one signed): point api_url at OCP itself, or have the proxy pass path and Host"
    " through unchanged."
)
ACCESS_KEY_PREFIX_HINT = (
    "api_url has the path prefix %r, which is signed as part of the path: if a proxy strips it before OCP, OCP"
    " checks a different path and refuses the signature; point api_url at OCP itself, or have the proxy keep the"
    " path."
)
API_URL_HINT = "Check that api_url points at OCP itself (e.g. https://ocp.example.com:8080), not at a proxy or login page."
NETWORK_HINT = "Check api_url and the network (DNS, firewall, proxy) between this host and OCP."
TLS_HINT = "Set ca_path to the CA bundle that signed OCP's certificate, or validate_certs: false for a test OCP."

# What an OCP "not found" answer was about. OCP's error code tells, not the HTTP status: a tenant, a cluster, or the
# API path itself (then api_url is not OCP's base URL, e.g. a proxy's, or this OCP lacks the operation).
NOT_FOUND_TENANT = "tenant"
NOT_FOUND_CLUSTER = "cluster"
NOT_FOUND_TASK = "task"
NOT_FOUND_PATH = "path"
NOT_FOUND_OTHER = "other"

# Full OCP sends string codes, OCP Express (which shares OCP's server code) numeric ones (docs/ocp-api.md, "Error
# codes we act on"). [confirmed] OCP's error table: OBE11001 / OBE11002 cluster with this id / name does not exist;
# OBE21003 tenant with this id does not exist; OBE21002 tenant not found in the cluster; TSK10001 task does not exist.
# [confirmed] OCP Express's ErrorCodes: 60001 / 60002 tenant name / id not found; 20000 task does not exist.
# Which code OCP sends for an unknown cluster or tenant on a given endpoint is not documented: all of them count.
NOT_FOUND_KIND_BY_CODE = {
    "OBE11001": NOT_FOUND_CLUSTER,
    "OBE11002": NOT_FOUND_CLUSTER,
    "OBE21002": NOT_FOUND_TENANT,
    "OBE21003": NOT_FOUND_TENANT,
    "60001": NOT_FOUND_TENANT,
    "60002": NOT_FOUND_TENANT,
    "TSK10001": NOT_FOUND_TASK,
    "20000": NOT_FOUND_TASK,
}
# [confirmed] COM10002 (OCP) / 10002 (OCP Express): the generic "not found", whose message names what was not found
# ("No records of the ObCluster type found ...", "Cluster 3000010 not found."): for these codes the message decides.
GENERIC_NOT_FOUND_CODES = frozenset(["COM10002", "10002"])
# Every code that means "not found", whatever the HTTP status (some builds send them with 400 or 500).
NOT_FOUND_CODES = frozenset(NOT_FOUND_KIND_BY_CODE) | GENERIC_NOT_FOUND_CODES

# A generic not-found message about the path itself: OCP's own "no such API", Spring's "No handler found for POST
# /api/...", Spring 6's "No static resource api/...".
_PATH_NOT_FOUND_MESSAGE = re.compile(r"no such api|no handler found|no static resource|no endpoint|unknown (api|path)", re.I)
# The first resource a generic not-found message names decides ("Tenant 2 not found in cluster 1" is about a tenant).
_NOT_FOUND_SUBJECT = re.compile(r"(tenant|cluster|task)", re.I)
_SUBJECT_KIND = {"tenant": NOT_FOUND_TENANT, "cluster": NOT_FOUND_CLUSTER, "task": NOT_FOUND_TASK}

NOT_FOUND_HINTS = {
    NOT_FOUND_TENANT: (
        "OCP does not know this tenant in this cluster: check tenant_id, and that cluster_id is the OCP cluster that"
        " holds that tenant (the standby's cluster, not its primary's)."),
    NOT_FOUND_CLUSTER: (
        "OCP does not know this cluster: check cluster_id (the OCP id of the cluster that holds the standby"
        " tenants; GET /api/v2/ob/clusters lists them)."),
    NOT_FOUND_TASK: "OCP does not know this task: it may have been cleaned up; look for the tenant's tasks in OCP.",
    NOT_FOUND_PATH: (
        "OCP does not know this API path: api_url is probably not OCP's base URL (a proxy in front of OCP, a wrong"
        " or missing path prefix, the wrong port), or this OCP version lacks the operation. Give OCP's base URL,"
        " e.g. https://ocp.example.com:8080."),
    NOT_FOUND_OTHER: "Check cluster_id/tenant_id (they must exist in OCP) and that api_url is OCP's base URL.",
}
REDACTED = "********"


def one_line(text):
    """Collapse whitespace so an error message stays on one line."""
    return re.sub(r"\s+", " ", str(text)).strip()


class OcpApiError(Exception):
    """The one error type of the client; ``str()`` is one line: what failed and what to do about it.

    ``response_lost`` is True when the request may have reached OCP but no answer came back (read timeout,
    connection dropped after sending), as opposed to never sent (refused, DNS, TLS) or answered with an error.
    ``not_found`` says what a "not found" answer was about: one of the NOT_FOUND_* values (tenant, cluster, task,
    path, other), or None when the answer is not a "not found".
    """

    def __init__(self, method, path, message, status=None, code=None, trace_id=None, hint="", response_lost=False,
                 not_found=None):
        self.method = method
        self.path = path
        self.message = one_line(message)
        self.status = status
        self.code = None if code is None else str(code)
        self.trace_id = trace_id
        self.hint = hint
        self.response_lost = response_lost
        self.not_found = not_found
        super().__init__(self.render())

    def render(self):
        parts = ["%s %s failed:" % (self.method, self.path)]
        if self.status is not None:
            parts.append("HTTP %d" % self.status)
        message = self.message.rstrip(".")  # the sentence goes on with the traceId
        parts.append("%s: %s" % (self.code, message) if self.code else message)
        text = " ".join(parts)
        if self.trace_id:
            text += " (traceId %s)" % self.trace_id
        if not text.endswith("."):
            text += "."
        if self.hint:
            text += " " + self.hint
        return text

    def __str__(self):
        return self.render()

    def to_dict(self):
        return dict(
            status=self.status,
            code=self.code,
            message=self.message,
            trace_id=self.trace_id,
            method=self.method,
            path=self.path,
        )


def not_found_kind(status, code, message):
    """What a "not found" answer is about (a NOT_FOUND_* value), or None when the answer is not a "not found".

    OCP's error code decides; for its generic not-found code the message names the resource. A 404 without any OCP
    error code did not come from OCP's API handlers (a proxy's page, or Spring's page for an unknown path): the path.
    """
    code = None if code is None else str(code)
    if code in NOT_FOUND_KIND_BY_CODE:
        return NOT_FOUND_KIND_BY_CODE[code]
    if code in GENERIC_NOT_FOUND_CODES:
        text = str(message or "")
        if _PATH_NOT_FOUND_MESSAGE.search(text):
            return NOT_FOUND_PATH
        subject = _NOT_FOUND_SUBJECT.search(text)
        return _SUBJECT_KIND[subject.group(1).lower()] if subject else NOT_FOUND_OTHER
    if status == 404:
        return NOT_FOUND_PATH if code is None else NOT_FOUND_OTHER
    return None


def http_hint(status, code, auth_hint, trace_id, not_found=None):
    """What to do about an OCP error answer, given its HTTP status, OCP error code and not-found kind."""
    if status == 401:
        return auth_hint
    if status == 403:
        return "The OCP user lacks permission for this operation (failovers and their prechecks need permission to modify tenants)."
    if not_found is not None:
        return NOT_FOUND_HINTS[not_found]
    if status == 429:
        return "OCP is rate-limiting requests (HTTP 429); retry later or send fewer requests at once."
    if status is not None and status >= 500:
        if trace_id:
            return "OCP server error: quote traceId %s to find it in OCP's server log." % trace_id
        return "OCP server error: see OCP's server log."
    if status == 409:
        return "OCP reports a conflict: another operation may be running on this tenant."
    if status is not None and status >= 400:
        return "OCP rejected the request: check the module's parameters."
    return ""


def html_title(text):
    match = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
    return one_line(match.group(1))[:80] if match else ""


def transport_failure(exc, timeout, where):
    """(message, hint, response_lost) for an exception raised by requests before any answer came back.

    ``where`` names the server (scheme://host:port) for the message.
    """
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error with %s: %s" % (where, root_cause(exc)), TLS_HINT, False
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "could not connect to %s within %g s" % (where, timeout), NETWORK_HINT, False
    if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(reason, ReadTimeoutError):
        return "no answer from %s within %g s (request_timeout)" % (where, timeout), NETWORK_HINT + " Raise request_timeout if OCP is slow.", True
    if isinstance(reason, NewConnectionError):
        return "could not connect to %s: %s" % (where, root_cause(exc)), NETWORK_HINT, False
    if isinstance(exc, requests.exceptions.InvalidURL):
        return "invalid URL: %s" % root_cause(exc), "Check api_url.", False
    if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)) or isinstance(reason, ProtocolError):
        return "the connection was lost before OCP answered: %s" % root_cause(exc), NETWORK_HINT, True
    # Anything else may have happened after the request went out: never claim it did not reach OCP.
    return "request failed: %s" % root_cause(exc), NETWORK_HINT, True


def root_cause(exc):
    """The innermost useful text of a chain of requests/urllib3 exceptions, e.g. "[Errno 111] Connection refused"."""
    seen = set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        nested = getattr(current, "reason", None)
        if nested is None and current.args and isinstance(current.args[0], BaseException):
            nested = current.args[0]
        if nested is None:
            nested = current.__cause__ or current.__context__
        if not isinstance(nested, BaseException):
            break
        current = nested
    text = str(current)
    # urllib3 prefixes the connection object's repr: keep what the OS said.
    text = re.sub(r"^<[^>]*>:\s*", "", text)
    return one_line(text)[:300]


class RunFailure(Exception):
    """A module run that fails with a result to show: every tenant and task known so far.

    ``message`` says what happened and what to do next; ``result`` is the module result at that point;
    ``changed`` whether anything was submitted; ``error`` the OcpApiError behind it, if any. run_module turns it
    into fail_json: the one place where the engine's failures become Ansible's.
    """

    def __init__(self, message, result=None, changed=False, error=None):
        super(RunFailure, self).__init__(message)
        self.message = message
        self.result = dict(result or {})
        self.changed = changed
        self.error = error
