# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client's one error type, :class:`OcpApiError`, and how transport failures and OCP error answers become
one actionable line (what failed, and what to do about it)."""

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
API_URL_HINT = "Check that api_url points at OCP itself (e.g. https://ocp.example.com:8080), not at a proxy or login page."
NETWORK_HINT = "Check api_url and the network (DNS, firewall, proxy) between this host and OCP."
TLS_HINT = "Set ca_path to the CA bundle that signed OCP's certificate, or validate_certs: false for a test OCP."
NOT_FOUND_CODES = frozenset(["OBE21002", "COM10002"])
REDACTED = "********"


def one_line(text):
    """Collapse whitespace so an error message stays on one line."""
    return re.sub(r"\s+", " ", str(text)).strip()


class OcpApiError(Exception):
    """The one error type of the client; ``str()`` is one line: what failed and what to do about it.

    ``response_lost`` is True when the request may have reached OCP but no answer came back (read timeout,
    connection dropped after sending), as opposed to never sent (refused, DNS, TLS) or answered with an error.
    """

    def __init__(self, method, path, message, status=None, code=None, trace_id=None, hint="", response_lost=False):
        self.method = method
        self.path = path
        self.message = one_line(message)
        self.status = status
        self.code = None if code is None else str(code)
        self.trace_id = trace_id
        self.hint = hint
        self.response_lost = response_lost
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


def http_hint(status, code, auth_hint, trace_id):
    """What to do about an OCP error answer, given its HTTP status and OCP error code."""
    if status == 401:
        return auth_hint
    if status == 403:
        return "The OCP user lacks permission for this operation (failovers and their prechecks need permission to modify tenants)."
    if status == 404 or code in NOT_FOUND_CODES:
        return "Check cluster_id/tenant_id (they must exist in OCP) and that api_url is OCP's base URL."
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
