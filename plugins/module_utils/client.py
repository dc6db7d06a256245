# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client for the OceanBase Cloud Platform (OCP) REST API v2.

One ``requests.Session`` per retry policy (keep-alive, a connection pool sized for the caller's concurrency),
Basic or AK/SK authentication (the signing is in auth.py), parsing of OCP's response envelope into data or the
one error type, :class:`OcpApiError` (errors.py), whose text is one actionable line. Every OCP API path the
collection uses is in this file. The API facts behind it, confirmed or assumed, are in docs/ocp-api.md.
"""

from __future__ import absolute_import, division, print_function

import calendar
import email.utils
import json
import re
import time
import traceback

from urllib.parse import urlsplit

try:
    import urllib3
    from urllib3.exceptions import InsecureRequestWarning
    from urllib3.util.retry import Retry
except ImportError:
    HAS_URLLIB3 = False
    URLLIB3_IMPORT_ERROR = traceback.format_exc()
    Retry = object
else:
    HAS_URLLIB3 = True
    URLLIB3_IMPORT_ERROR = None

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.auth import HTTPBasicAuth
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

from ansible_collections.oceanbase.ocp.plugins.module_utils.auth import OcpAccessKeyAuth
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import (
    ACCESS_KEY_AUTH_HINT,
    ACCESS_KEY_PREFIX_HINT,
    ACCESS_KEY_PROXY_HINT,
    API_URL_HINT,
    BASIC_AUTH_HINT,
    NOT_FOUND_HINTS,
    NOT_FOUND_PATH,
    REDACTED,
    OcpApiError,
    html_title,
    http_hint,
    not_found_kind,
    transport_failure,
)


# Sent (and signed) on every request so OCP's audit log shows where a call came from.
ORIGIN_HEADER = "x-ocp-origin"
ORIGIN = "ansible-oceanbase-ocp"

# Statuses worth another try on a request that is safe to repeat.
RETRY_STATUSES = frozenset([429, 500, 502, 503, 504])
# The longest wait a server may ask for (Retry-After / RateLimit-Reset) before we retry anyway.
MAX_SERVER_REQUESTED_WAIT = 60.0
# OCP's largest page size: fewer round trips when listing tasks or tenants.
PAGE_SIZE = 2000
# A subtask log is read only to explain a failure that is already known: one attempt, and not long, so a log
# endpoint that fails or hangs delays the failure report by at most this many seconds.
SUBTASK_LOG_TIMEOUT = 5.0

# The OCP API paths, in one place (docs/ocp-api.md, "Endpoints at a glance").
PRECHECK_PATH = "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck"
BATCH_PRECHECK_PATH = "/api/v2/ob/clusters/%d/tenants/failoverPreCheck"
FAILOVER_PATH = "/api/v2/ob/clusters/%d/tenants/failover"
TENANT_PATH = "/api/v2/ob/clusters/%d/tenants/%d"
TASK_PATH = "/api/v2/tasks/instances/%d"
TASKS_PATH = "/api/v2/tasks/instances"
SUBTASK_LOG_PATH = "/api/v2/tasks/instances/%d/subtasks/%d/log"
TASK_RETRY_PATH = "/api/v2/tasks/instances/%d/retry"
CLUSTERS_PATH = "/api/v2/ob/clusters"
CLUSTER_TENANTS_PATH = "/api/v2/ob/clusters/%d/tenants"
ALL_TENANTS_PATH = "/api/v2/ob/tenants"
SWITCHOVER_PRECHECK_PATH = "/api/v2/ob/clusters/%d/tenants/%d/switchoverPreCheck"
SWITCHOVER_PATH = "/api/v2/ob/clusters/%d/tenants/switchover"

# An api_url that ends in OCP's API prefix: every path above already starts with it.
API_PREFIX_IN_URL = re.compile(r"/api(/v\d+)?/*$", re.I)


def rate_limit_reset_seconds(value, now):
    """Seconds to wait according to a ``RateLimit-Reset`` header value, or None when it cannot be read.

    [assumed] OCP documents the header but not its unit (docs/ocp-api.md, "HTTP status codes and throttling"). The
    IETF RateLimit draft makes it delta-seconds; some gateways send an epoch timestamp instead, so a value that can
    only be a point in time is read as one.
    """
    try:
        seconds = float(value.strip())
    except (AttributeError, ValueError):
        return None
    if seconds > 1e9:  # an epoch time (any date after 2001), not a delay
        seconds -= now
    return max(seconds, 0.0)


class OcpRetry(Retry):
    """urllib3's Retry, also honouring ``RateLimit-Reset`` and capping any wait a server asks for."""

    def get_retry_after(self, response):
        wait = super().get_retry_after(response)
        if wait is None:
            wait = rate_limit_reset_seconds(response.headers.get("RateLimit-Reset"), time.time())
        if wait is None:
            return None
        return min(wait, MAX_SERVER_REQUESTED_WAIT)


def retry_policy(max_retries, backoff_factor):
    """The retry policy of reads (GET, and POSTs that change nothing, such as the failover precheck).

    Connection errors, lost responses and RETRY_STATUSES are retried with exponential backoff and jitter; any
    other error (TLS, bad URL) is not, as another try cannot help. ``raise_on_status=False`` hands the last
    error response back so its OCP error is reported rather than urllib3's "too many 503 error responses".
    """
    options = dict(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset(["GET", "POST"]),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        raise_on_status=False,
        respect_retry_after_header=True,
    )
    try:
        return OcpRetry(backoff_jitter=backoff_factor, **options)
    except TypeError:  # urllib3 < 2 has no backoff_jitter
        return OcpRetry(**options)


class OcpClient:
    """OCP API v2 client; see the module docstring. Thread-safe for concurrent requests."""

    def __init__(self, api_url, username=None, password=None, access_key_id=None, access_key_secret=None,
                 validate_certs=True, ca_path=None, request_timeout=30, max_retries=4, backoff_factor=0.5,
                 pool_size=50):
        self.base_url = validate_api_url(api_url)
        self._server = "%s://%s" % urlsplit(self.base_url)[:2]
        if access_key_id:
            auth = OcpAccessKeyAuth(access_key_id, access_key_secret or "")
            self._auth_hint = access_key_auth_hint(urlsplit(self.base_url).path)
        else:
            # UTF-8, not requests' latin-1 default, so any password can be sent.
            auth = HTTPBasicAuth((username or "").encode("utf-8"), (password or "").encode("utf-8"))
            self._auth_hint = BASIC_AUTH_HINT
        self._secrets = [secret for secret in (password, access_key_secret) if secret]
        self.request_timeout = request_timeout
        self._verify = ca_path if (ca_path and validate_certs) else bool(validate_certs)
        if not validate_certs:
            # The user chose not to verify: do not print urllib3's warning on every request.
            urllib3.disable_warnings(InsecureRequestWarning)
        self._retrying = self._session(auth, retry_policy(max_retries, backoff_factor), pool_size)
        self._once = self._session(auth, OcpRetry(total=0, read=False, redirect=0, raise_on_status=False), pool_size)

    @staticmethod
    def _session(auth, retry, pool_size):
        session = requests.Session()
        session.auth = auth
        session.headers.update({ORIGIN_HEADER: ORIGIN, "Accept": "application/json",
                                "User-Agent": "%s %s" % (ORIGIN, requests.utils.default_user_agent())})
        adapter = HTTPAdapter(pool_maxsize=max(1, pool_size), max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def close(self):
        self._retrying.close()
        self._once.close()

    def get(self, path, params=None):
        """GET ``path``; returns the envelope's ``data``. Retried."""
        return self._request("GET", path, params=params, session=self._retrying)[0]

    def post(self, path, body=None, retry=False):
        """POST ``body`` as JSON; returns the envelope's ``data``. Retried only if ``retry`` (the POST changes nothing)."""
        return self._request("POST", path, body=body, session=self._retrying if retry else self._once)[0]

    def get_all_pages(self, path, params=None):
        """Every ``data.contents`` item of a paged list, fetching PAGE_SIZE items a request."""
        items = []
        page = 1
        while True:
            query = dict(params or {})
            query.update(page=page, size=PAGE_SIZE)
            data = self.get(path, params=query)
            if isinstance(data, list):
                return items + data
            data = data if isinstance(data, dict) else {}
            contents = data.get("contents") or []
            items.extend(contents)
            page_info = data.get("page") or {}
            # The samples say totalPages, OCP's reference tables totalPage (docs/ocp-api.md, "Paging"): read both.
            total_pages = page_info.get("totalPages", page_info.get("totalPage"))
            if not contents or not isinstance(total_pages, int) or page >= total_pages:
                return items
            page += 1

    def failover_precheck(self, cluster_id, tenant_id):
        """Raw ObTenantPreCheckResult of a standby tenant (camelCase). Retried: the precheck changes nothing."""
        return self.failover_precheck_answer(cluster_id, tenant_id)[0]

    def failover_precheck_answer(self, cluster_id, tenant_id):
        """(raw ObTenantPreCheckResult, server time of the answer as epoch seconds or None); see server_time()."""
        path = PRECHECK_PATH % (cluster_id, tenant_id)
        data, answered_at = self._request("POST", path, session=self._retrying)
        return self._expect_dict("POST", path, data), answered_at

    def batch_failover_precheck_answer(self, cluster_id):
        """(raw ObTenantPreCheckResults, server time of the answer or None) of the batch failover precheck of a
        cluster (no body). Documented: ``data`` is one ObTenantPreCheckResult. How several tenants are reported is
        not documented (docs/ocp-api.md, BFP): a list in ``data.contents`` (or ``data`` itself) is taken as one
        result per tenant too. Retried: the precheck changes nothing."""
        path = BATCH_PRECHECK_PATH % cluster_id
        data, answered_at = self._request("POST", path, session=self._retrying)
        if isinstance(data, dict) and isinstance(data.get("contents"), list):
            data = data["contents"]
        if isinstance(data, list):
            return [entry for entry in data if isinstance(entry, dict)], answered_at
        if data is None:
            return [], answered_at
        return [self._expect_dict("POST", path, data)], answered_at

    def failover(self, cluster_id, items):
        """Submit a batch failover; ``items`` are ``{"tenantId": int, "serviceName": str}`` (serviceName optional).

        Returns the raw TaskInstances (``data.contents``). Never retried: a second submission could start a
        second failover.
        """
        path = FAILOVER_PATH % cluster_id
        data = self.post(path, body={"failoverTenantItemList": list(items)}, retry=False)
        return list(self._expect_dict("POST", path, data).get("contents") or [])

    def get_tenant(self, cluster_id, tenant_id):
        path = TENANT_PATH % (cluster_id, tenant_id)
        return self._expect_dict("GET", path, self.get(path))

    def get_task(self, task_id):
        path = TASK_PATH % task_id
        return self._expect_dict("GET", path, self.get(path))

    def list_tasks(self, **filters):
        """Every TaskInstance matching ``filters`` (name, status, type, clusterId, tenantId, hostId), all pages.

        Raw, in whichever shape OCP sends: read them through ocp_task.normalize_task. ``name`` is a fuzzy match.
        """
        return self.get_all_pages(TASKS_PATH, params=filters)

    def list_clusters(self, **filters):
        """Every cluster OCP manages (raw), all pages; ``name`` is a fuzzy match."""
        return self.get_all_pages(CLUSTERS_PATH, params=filters)

    def list_tenants(self, cluster_id, **filters):
        """Every tenant of one cluster (raw), all pages; ``name`` is a fuzzy match."""
        return self.get_all_pages(CLUSTER_TENANTS_PATH % cluster_id, params=filters)

    def list_all_tenants(self, **filters):
        """Every tenant OCP manages (raw), all pages."""
        return self.get_all_pages(ALL_TENANTS_PATH, params=filters)

    def retry_task(self, task_id):
        """Retry a FAILED task (its failed subtasks run again); returns the raw task. Never retried by the client:
        a lost answer is followed on the task itself."""
        path = TASK_RETRY_PATH % task_id
        return self.post(path, retry=False)

    def switchover_precheck(self, cluster_id, tenant_id, standby_tenant_id):
        """Raw SwitchoverPreCheckResult of a primary tenant and its standby. Retried: it changes nothing."""
        return self.switchover_precheck_answer(cluster_id, tenant_id, standby_tenant_id)[0]

    def switchover_precheck_answer(self, cluster_id, tenant_id, standby_tenant_id):
        """(raw SwitchoverPreCheckResult, server time of the answer as epoch seconds or None); see server_time()."""
        path = SWITCHOVER_PRECHECK_PATH % (cluster_id, tenant_id)
        body = {"tenantId": tenant_id, "standbyTenantId": standby_tenant_id}
        data, answered_at = self._request("POST", path, body=body, session=self._retrying)
        return self._expect_dict("POST", path, data), answered_at

    def switchover(self, cluster_id, pairs):
        """Submit a batch switchover; ``pairs`` are ``{"tenantId": primary, "standbyTenantId": standby}``.

        Returns the raw TaskInstances (``data.contents``). Never retried: a second submission could start a second
        switchover.
        """
        path = SWITCHOVER_PATH % cluster_id
        data = self.post(path, body={"tenantParamList": list(pairs)}, retry=False)
        return list(self._expect_dict("POST", path, data).get("contents") or [])

    def get_subtask_log(self, task_id, subtask_id):
        """The log of a subtask (lines joined by newlines).

        One attempt with a short timeout (SUBTASK_LOG_TIMEOUT), never retried: the log only explains a failure that
        is already known, and must not hold up its report. Raises OcpApiError when the log cannot be read.
        """
        path = SUBTASK_LOG_PATH % (task_id, subtask_id)
        timeout = min(self.request_timeout, SUBTASK_LOG_TIMEOUT)
        data = self._request("GET", path, session=self._once, timeout=timeout)[0]
        return self._expect_dict("GET", path, data).get("log") or ""

    def _request(self, method, path, session, params=None, body=None, timeout=None):
        """(the envelope's data, server time of the answer or None); raises OcpApiError."""
        timeout = self.request_timeout if timeout is None else timeout
        kwargs = dict(params=params, timeout=timeout, verify=self._verify, allow_redirects=False)
        if body is not None:
            kwargs["data"] = json.dumps(body).encode("utf-8")
            kwargs["headers"] = {"Content-Type": "application/json"}
        try:
            response = session.request(method, self.base_url + path, **kwargs)
        except requests.exceptions.RequestException as exc:
            message, hint, lost = transport_failure(exc, timeout, self._server)
            # What the OS or urllib3 says about a connection never holds a secret: not redacted.
            raise OcpApiError(method, path, message, hint=hint, response_lost=lost) from exc
        return self._data_from(response, method, path)

    def _data_from(self, response, method, path):
        status = response.status_code
        if 300 <= status < 400:
            location = urlsplit(response.headers.get("Location", ""))
            raise self._error(method, path, "redirected to %s" % (location.path or "another page"), status=status,
                              hint=API_URL_HINT + " Use https:// if OCP redirects http to https.")
        try:
            payload = response.json()
        except ValueError as exc:
            raise self._not_json_error(response, method, path, exc) from exc
        if not isinstance(payload, dict) or ("successful" not in payload and "data" not in payload and "error" not in payload):
            if status == 404:
                raise self._error(method, path, "the answer is JSON but not an OCP API response", status=status,
                                  hint=NOT_FOUND_HINTS[NOT_FOUND_PATH], not_found=NOT_FOUND_PATH)
            raise self._error(method, path, "the answer is JSON but not an OCP API response", status=status, hint=API_URL_HINT)
        if 200 <= status < 300 and payload.get("successful", True) is not False:
            return payload.get("data"), server_time(payload.get("timestamp"), response.headers.get("Date"))
        raise self._envelope_error(payload, response, method, path)

    def _envelope_error(self, payload, response, method, path):
        """The OcpApiError of an error envelope (or of a bare Spring error page, which has no ``error`` object)."""
        error = payload.get("error")
        if not isinstance(error, dict):
            error = {"message": error or payload.get("message")}
        message = error.get("message") or response.reason or "OCP reported an error"
        sub_errors = [sub.get("message") for sub in error.get("subErrors") or [] if isinstance(sub, dict) and sub.get("message")]
        if sub_errors:
            message = "%s (%s)" % (message, "; ".join(sub_errors))
        status = response.status_code
        if 200 <= status < 300 and isinstance(payload.get("status"), int):
            status = payload["status"]  # "successful": false under HTTP 200: the envelope's status tells more
        code = error.get("code")
        code = None if code is None else str(code)
        trace_id = payload.get("traceId")
        not_found = not_found_kind(status, code, message)
        return self._error(method, path, message, status=status, code=code, trace_id=trace_id, not_found=not_found,
                           hint=http_hint(status, code, self._auth_hint, trace_id, not_found))

    def _not_json_error(self, response, method, path, exc):
        text = response.text or ""
        content_type = response.headers.get("Content-Type", "")
        if not text.strip():
            message = "OCP sent an empty answer where a JSON response was expected"
        elif "html" in content_type.lower() or text.lstrip().startswith("<"):
            title = html_title(text)
            message = "expected a JSON response from the OCP API but got an HTML page" + (" (%r)" % title if title else "")
        else:
            message = "the response is not valid JSON (truncated or corrupted? %s)" % exc
        hint = API_URL_HINT
        not_found = None
        if response.status_code == 404:
            # Not OCP's API answering about a tenant or cluster (that comes as an error envelope): the path.
            hint, not_found = NOT_FOUND_HINTS[NOT_FOUND_PATH], NOT_FOUND_PATH
        elif response.status_code >= 500:
            hint += " A proxy in front of OCP may have answered for it; retry later if OCP is restarting."
        # A success status with an unreadable body: OCP may well have applied the request, so for a POST this is
        # as good as a lost answer (the failover module then looks for the tasks instead of trusting either way).
        lost = 200 <= response.status_code < 300
        return self._error(method, path, message, status=response.status_code, hint=hint, response_lost=lost,
                           not_found=not_found)

    def _expect_dict(self, method, path, data):
        if isinstance(data, dict):
            return data
        # A success envelope without its data: whether a POST was applied is unknown, as for a lost answer.
        raise self._error(method, path, "OCP answered without the expected data object", hint=API_URL_HINT,
                          response_lost=True)

    def _error(self, method, path, message, **kwargs):
        """An OcpApiError about an answer: whatever OCP (or a proxy) wrote is redacted, in case it echoed a secret."""
        return OcpApiError(method, path, self._redact(message), **kwargs)

    def _redact(self, text):
        text = str(text)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def validate_api_url(api_url):
    """The base URL without a trailing slash; ValueError (a clear message, never the URL's password) if unusable."""
    url = urlsplit(str(api_url or "").strip())
    if url.username or url.password:
        raise ValueError("api_url must not contain credentials: use username/password or access_key_id/access_key_secret.")
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(
            "api_url must be OCP's base URL starting with http:// or https://, e.g. https://ocp.example.com:8080; got %r."
            % str(api_url)
        )
    if url.query or url.fragment:
        raise ValueError("api_url must be OCP's base URL without a query or fragment, e.g. https://ocp.example.com:8080.")
    if API_PREFIX_IN_URL.search(url.path):
        raise ValueError(
            "api_url must not end in %s (the modules add OCP's API paths themselves): give OCP's base URL, e.g. "
            "https://ocp.example.com:8080; got %r." % (API_PREFIX_IN_URL.search(url.path).group(0).rstrip("/"), str(api_url)))
    return "%s://%s%s" % (url.scheme, url.netloc, url.path.rstrip("/"))


def access_key_auth_hint(base_path):
    """What to check when OCP refuses an AK/SK signature (HTTP 401), given the path of api_url."""
    prefix = base_path.rstrip("/")
    if prefix:
        return "%s %s" % (ACCESS_KEY_AUTH_HINT, ACCESS_KEY_PREFIX_HINT % prefix)
    return "%s %s" % (ACCESS_KEY_AUTH_HINT, ACCESS_KEY_PROXY_HINT)


_ISO_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})$", re.I)


def iso_epoch(text):
    """Epoch seconds of an ISO-8601 time with a UTC offset ("2024-07-23T17:42:34.069+08:00"), or None.

    A time without an offset is refused: it would be read in an unknown time zone.
    """
    match = _ISO_TIME.match(str(text or "").strip())
    if not match:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.group(1, 2, 3, 4, 5, 6))
    fraction = float("0." + match.group(7)) if match.group(7) else 0.0
    zone = match.group(8).upper().replace(":", "")
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
    try:
        return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + fraction - offset
    except (OverflowError, ValueError):
        return None


def server_time(timestamp, date_header):
    """When the server answered, as epoch seconds: the envelope's ``timestamp`` (OCP's clock, milliseconds), else the
    HTTP ``Date`` header (whole seconds), else None. Never this host's clock, whose skew would leak into results."""
    answered_at = iso_epoch(timestamp)
    if answered_at is None and date_header:
        parsed = email.utils.parsedate_tz(date_header)
        answered_at = email.utils.mktime_tz(parsed) if parsed else None
    return None if answered_at is None else float(answered_at)
