# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the OCP client: signing, envelope parsing, retries and error messages.

HTTP goes to a small scripted server on a loopback port, so requests, urllib3's retries and the connection
pool run for real.
"""

from __future__ import annotations

import base64
import calendar
import email.utils
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from ansible_collections.oceanbase.ocp.plugins.module_utils import client as client_module
from ansible_collections.oceanbase.ocp.plugins.module_utils.auth import (
    OcpAccessKeyAuth,
    canonical_query,
    content_md5,
    host_header,
    sign,
    string_to_sign,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.client import (
    MAX_SERVER_REQUESTED_WAIT,
    OcpClient,
    OcpRetry,
    rate_limit_reset_seconds,
    retry_policy,
    validate_api_url,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import ACCESS_KEY_AUTH_HINT, BASIC_AUTH_HINT, OcpApiError

PASSWORD = "Pa55-w0rd!secret"
SECRET_KEY = "SK-very-secret-0001"

# OCP's published AK/SK test vectors (docs/ocp-api.md, "Authentication").
VECTOR_AK = "cqammmxBpfGjFlto"
VECTOR_SK = "2fc0c299cc94c6be266f2ceece765d4d"
VECTOR_1_BODY = b'{"name":"test01","description":"test","regionId":1}'
VECTOR_1_DATE = "Tue, 17 Jan 2023 09:13:57 GMT"
VECTOR_2_DATE = "Tue, 17 Jan 2023 04:14:02 GMT"


def epoch(http_date):
    return calendar.timegm(email.utils.parsedate(http_date))


def envelope(data=None, status=200, trace_id="0123456789abcdef"):
    return {"data": data, "successful": True, "timestamp": "2024-07-23T17:42:34.069+08:00", "duration": 3,
            "status": status, "traceId": trace_id, "server": "3af57a8e6b"}


def error_envelope(status, code, message, trace_id="8a4d817ee7e5aed8"):
    return {"successful": False, "timestamp": "2024-07-23T17:42:34.069+08:00", "duration": 3, "status": status,
            "traceId": trace_id, "server": "3af57a8e6b",
            "error": {"code": code, "message": message, "target": None, "subErrors": []}}


class Reply:
    """One scripted answer of the test server."""

    def __init__(self, status=200, body=None, headers=None, raw=None, delay=0.0, drop=False):
        self.status = status
        self.body = envelope({}) if body is None and raw is None else body
        self.headers = headers or {}
        self.raw = raw
        self.delay = delay
        self.drop = drop

    def payload(self):
        if self.raw is not None:
            return self.raw if isinstance(self.raw, bytes) else self.raw.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")


class ScriptedServer:
    """HTTP/1.1 server answering from a script of Replies (then the default), recording every request."""

    def __init__(self):
        self.script = []
        self.default = Reply()
        self.requests = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server.lock:
                    server.requests.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                            "body": body, "start": time.monotonic(),
                                            "connection": self.client_address})
                    reply = server.script.pop(0) if server.script else server.default
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                payload = reply.payload()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json"}
                headers.update(reply.headers)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = handle_any

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def reply(self, *replies):
        with self.lock:
            self.script.extend(replies)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    with ScriptedServer() as scripted:
        yield scripted


def make_client(url, **kwargs):
    options = dict(username="admin", password=PASSWORD, backoff_factor=0, request_timeout=5)
    options.update(kwargs)
    return OcpClient(url, **options)


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return "http://127.0.0.1:%d" % port


def assert_clean(error, *secrets):
    text = str(error) + json.dumps(error.to_dict())
    assert "\n" not in str(error)
    for secret in secrets or (PASSWORD, SECRET_KEY):
        assert secret not in text


# --- signing -----------------------------------------------------------------------------------------------


def vector_1_request():
    auth = OcpAccessKeyAuth(VECTOR_AK, VECTOR_SK, clock=lambda: epoch(VECTOR_1_DATE))
    return requests.Request("POST", "http://ocp.alibaba.net:8080/api/v2/compute/idcs", data=VECTOR_1_BODY,
                            headers={"Content-Type": "application/json", "x-ocp-data": "A,1"}, auth=auth).prepare()


def test_vector_1_string_to_sign_and_signature():
    text = string_to_sign("POST", content_md5(VECTOR_1_BODY), "application/json", VECTOR_1_DATE,
                          "ocp.alibaba.net:8080", {"x-ocp-data": "A,1"}, "/api/v2/compute/idcs", "")
    assert content_md5(VECTOR_1_BODY) == "186974DB33A090A16D3E2CA35F547B56"
    assert text == ("POST\n186974DB33A090A16D3E2CA35F547B56\napplication/json\nTue, 17 Jan 2023 09:13:57 GMT\n"
                    "ocp.alibaba.net:8080\nx-ocp-data:A,1\n/api/v2/compute/idcs")
    assert sign(VECTOR_SK, text) == "XN8P+O+v3vUabB16ZCooq5wMJoY="


def test_vector_1_through_the_auth_on_a_prepared_request():
    prepared = vector_1_request()
    assert prepared.headers["Date"] == VECTOR_1_DATE
    assert prepared.headers["Host"] == "ocp.alibaba.net:8080"
    assert prepared.headers["Authorization"] == "OCP-ACCESS-KEY-HMACSHA1 %s:XN8P+O+v3vUabB16ZCooq5wMJoY=" % VECTOR_AK


VECTOR_2_STRING = ("GET\n\napplication/json;charset=utf-8\nTue, 17 Jan 2023 04:14:02 GMT\nocp.alibaba.net:8080\n"
                   "\n/api/v2/compute/idcs?size=100")


def test_vector_2_string_to_sign_and_signature():
    """The second published vector reproduces when the request has no x-ocp-* header (its header line is empty).

    "Same keys and host" in the team notes the vectors were quoted from (docs/ocp-api.md, "Authentication") means
    the access key pair and host of vector 1, not its x-ocp-data header.
    """
    auth = OcpAccessKeyAuth(VECTOR_AK, VECTOR_SK, clock=lambda: epoch(VECTOR_2_DATE))
    prepared = requests.Request("GET", "http://ocp.alibaba.net:8080/api/v2/compute/idcs", params={"size": 100},
                                headers={"Content-Type": "application/json;charset=utf-8"}, auth=auth).prepare()
    text = string_to_sign("GET", "", "application/json;charset=utf-8", VECTOR_2_DATE, "ocp.alibaba.net:8080", {},
                          "/api/v2/compute/idcs", "size=100")
    assert text == VECTOR_2_STRING
    assert sign(VECTOR_SK, text) == "TsQD6HDOuZuJ409m0wdnZPmijlc="
    assert prepared.headers["Authorization"].endswith(":TsQD6HDOuZuJ409m0wdnZPmijlc=")


def test_vector_2_with_vector_1_header_gives_the_value_first_computed_for_it():
    """With vector 1's x-ocp-data header the signature differs from the published one: the header was not part of it."""
    text = VECTOR_2_STRING.replace("\n\n/api", "\nx-ocp-data:A,1\n/api")
    assert sign(VECTOR_SK, text) == "wkodzdww4Np/FYP527tDylifLMY="


def test_canonical_query_sorts_encodes_and_joins_repeated_keys():
    assert canonical_query("size=100") == "size=100"
    assert canonical_query("b=2&a=x%20y&status=RUNNING&status=FAILED") == "a=x%20y&b=2&status=RUNNING,FAILED"
    assert canonical_query("name=Failover+tenant&sort=name,asc") == "name=Failover%20tenant&sort=name%2Casc"
    assert canonical_query("empty=") == "empty="


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8080/api", "127.0.0.1:8080"),
    ("https://ocp.example.com/api", "ocp.example.com"),
    ("https://ocp.example.com:443/api", "ocp.example.com"),
    ("http://ocp.example.com:80/api", "ocp.example.com"),
    ("https://ocp.example.com:8443/api", "ocp.example.com:8443"),
    ("http://[::1]:8080/api", "[::1]:8080"),
])
def test_host_header_matches_what_http_client_sends(url, expected):
    assert host_header(url) == expected


def verify_received_signature(received, access_key_id, secret):
    """Check a request as the server received it, independently of the client's signing helpers."""
    headers = {name.lower(): value for name, value in received["headers"].items()}
    url = urlsplit(received["path"])
    ocp_lines = "\n".join("%s:%s" % (name, headers[name]) for name in sorted(headers) if name.startswith("x-ocp-"))
    body_md5 = hashlib.md5(received["body"]).hexdigest().upper() if received["body"] else ""
    resource = url.path + ("?" + url.query if url.query else "")
    text = "\n".join([received["method"], body_md5, headers.get("content-type", ""), headers["date"], headers["host"],
                      ocp_lines, resource])
    expected = base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()).decode()
    assert headers["authorization"] == "OCP-ACCESS-KEY-HMACSHA1 %s:%s" % (access_key_id, expected)


def test_every_request_is_signed_with_a_fresh_date(server):
    ticks = iter([epoch(VECTOR_1_DATE), epoch(VECTOR_1_DATE) + 61, epoch(VECTOR_1_DATE) + 122])
    client = OcpClient(server.url, access_key_id="AK1", access_key_secret=SECRET_KEY, backoff_factor=0)
    client._retrying.auth._clock = client._once.auth._clock = lambda: next(ticks)
    client.get("/api/v2/tasks/instances/1")
    client.get("/api/v2/tasks/instances/1")
    client.post("/api/v2/ob/clusters/1/tenants/failover", body={"failoverTenantItemList": [{"tenantId": 2}]})
    dates = [received["headers"]["Date"] for received in server.requests]
    assert dates == ["Tue, 17 Jan 2023 09:13:57 GMT", "Tue, 17 Jan 2023 09:14:58 GMT", "Tue, 17 Jan 2023 09:15:59 GMT"]
    for received in server.requests:
        assert received["headers"]["x-ocp-origin"] == "ansible-oceanbase-ocp"
        verify_received_signature(received, "AK1", SECRET_KEY)
    assert server.requests[2]["headers"]["Content-Type"] == "application/json"


def test_signed_query_with_repeated_keys_matches_what_is_sent(server):
    server.default = Reply(body=envelope({"contents": [], "page": {"number": 1, "totalPages": 1}}))
    client = OcpClient(server.url, access_key_id="AK1", access_key_secret=SECRET_KEY, backoff_factor=0)
    client.list_tasks(clusterId=1, status=["RUNNING", "FAILED"], name="Failover tenant")
    received = server.requests[0]
    auth = OcpAccessKeyAuth("AK1", SECRET_KEY)
    headers = received["headers"]
    url = urlsplit(received["path"])
    text = string_to_sign("GET", "", "", headers["Date"], headers["Host"], {"x-ocp-origin": headers["x-ocp-origin"]},
                          url.path, url.query)
    assert "?clusterId=1&name=Failover%20tenant&page=1&size=2000&status=RUNNING,FAILED" in text
    assert headers["Authorization"] == "OCP-ACCESS-KEY-HMACSHA1 AK1:%s" % sign(SECRET_KEY, text)
    assert "SK-very" not in repr(auth)


def test_basic_auth_sends_utf8_credentials(server):
    client = OcpClient(server.url, username="admin", password="pässwörd", backoff_factor=0)
    client.get("/api/v2/tasks/instances/1")
    header = server.requests[0]["headers"]["Authorization"]
    assert base64.b64decode(header.split()[1]).decode("utf-8") == "admin:pässwörd"
    assert server.requests[0]["headers"]["x-ocp-origin"] == "ansible-oceanbase-ocp"


# --- envelope parsing ---------------------------------------------------------------------------------------


def test_success_returns_data(server):
    server.reply(Reply(body=envelope({"id": 7, "status": "RUNNING"})))
    assert make_client(server.url).get_task(7) == {"id": 7, "status": "RUNNING"}
    assert server.requests[0]["path"] == "/api/v2/tasks/instances/7"


def test_error_with_string_code(server):
    server.reply(Reply(404, error_envelope(404, "OBE21002", "Tenant 99 not found in cluster 1.")))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover_precheck(1, 99)
    error = caught.value
    assert (error.status, error.code, error.trace_id, error.method) == (404, "OBE21002", "8a4d817ee7e5aed8", "POST")
    assert error.path == "/api/v2/ob/clusters/1/tenants/99/failoverPreCheck"
    assert error.response_lost is False
    assert str(error) == (
        "POST /api/v2/ob/clusters/1/tenants/99/failoverPreCheck failed: HTTP 404 OBE21002: Tenant 99 not found in "
        "cluster 1 (traceId 8a4d817ee7e5aed8). OCP does not know this tenant in this cluster: check tenant_id, and "
        "that cluster_id is the OCP cluster that holds that tenant (the standby's cluster, not its primary's)."
    )
    assert error.not_found == "tenant"
    assert error.to_dict() == {"status": 404, "code": "OBE21002", "message": "Tenant 99 not found in cluster 1.",
                               "trace_id": "8a4d817ee7e5aed8", "method": "POST",
                               "path": "/api/v2/ob/clusters/1/tenants/99/failoverPreCheck"}


def test_error_with_numeric_code_and_sub_errors(server):
    body = error_envelope(400, 60018, "Invalid\nparameter")
    body["error"]["subErrors"] = [{"code": 1, "message": "tenantId must be positive"}]
    server.reply(Reply(400, body))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get_tenant(1, 2)
    assert caught.value.code == "60018"
    assert caught.value.message == "Invalid parameter (tenantId must be positive)"
    assert "HTTP 400 60018: Invalid parameter" in str(caught.value)
    assert_clean(caught.value)


def test_successful_false_with_http_200_is_an_error(server):
    body = error_envelope(500, "OBE26017", "Internal verification in OceanBase failed.")
    server.reply(Reply(200, body))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/ob/clusters/1/tenants/2")
    assert caught.value.status == 500
    assert caught.value.code == "OBE26017"


HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>nginx</body></html>"


def test_html_page_gives_a_readable_error(server):
    server.reply(Reply(502, raw=HTML_PAGE, headers={"Content-Type": "text/html"}))
    client = make_client(server.url)
    with pytest.raises(OcpApiError) as caught:
        client.post("/api/v2/ob/clusters/1/tenants/failover", body={}, retry=False)
    text = str(caught.value)
    assert "got an HTML page ('502 Bad Gateway')" in text
    assert "api_url points at OCP itself" in text
    assert "proxy" in text
    assert caught.value.status == 502
    assert_clean(caught.value)


def test_login_page_with_http_200(server):
    server.reply(Reply(200, raw="<!DOCTYPE html><html><title>Login - OCP</title></html>",
                       headers={"Content-Type": "text/html;charset=UTF-8"}))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/tasks/instances/1")
    assert "HTML page ('Login - OCP')" in str(caught.value)


def test_truncated_json(server):
    server.reply(Reply(200, raw='{"data": {"contents": [{"id": 1'))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/tasks/instances")
    assert "not valid JSON (truncated or corrupted?" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unreadable_success_answer_to_the_failover_counts_as_lost(server):
    # HTTP 200 with a broken body: OCP probably applied the failover, so the module must look for the tasks
    # (response_lost) rather than report a plain error a rerun would not know how to treat.
    server.reply(Reply(200, raw='{"data": {"contents": [{"id": 12022226, "tenantId'))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover(1, [{"tenantId": 2}])
    assert caught.value.response_lost is True
    server.reply(Reply(502, raw=HTML_PAGE, headers={"Content-Type": "text/html"}))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover(1, [{"tenantId": 2}])
    assert caught.value.response_lost is False


def test_empty_body(server):
    server.reply(Reply(200, raw=b""))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/tasks/instances/1")
    assert "empty answer" in str(caught.value)


def test_json_that_is_not_an_envelope(server):
    server.reply(Reply(200, body=[1, 2, 3]))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/tasks/instances/1")
    assert "not an OCP API response" in str(caught.value)


def test_spring_error_page_without_envelope(server):
    server.reply(Reply(404, body={"timestamp": "2024-01-01", "status": 404, "error": "Not Found", "path": "/x"}))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/tasks/instances/1")
    assert caught.value.status == 404
    assert "Not Found" in str(caught.value)
    # No OCP error code: not OCP's API answering about a resource, but an unknown path (wrong base URL, a proxy).
    assert caught.value.not_found == "path"
    assert "OCP does not know this API path: api_url is probably not OCP's base URL" in str(caught.value)


@pytest.mark.parametrize("status, code, message, kind, hint", [
    (404, "OBE21002", "Tenant 2 not found in cluster 1.", "tenant", "check tenant_id"),
    (404, 60002, "The tenant with the ID of 2 does not exist.", "tenant", "check tenant_id"),
    (404, "OBE21003", "The tenant with id 2 does not exist.", "tenant", "check tenant_id"),
    (404, "OBE11001", "The cluster with id 3999999 does not exist.", "cluster", "check cluster_id"),
    (404, "OBE11002", "The cluster ob_x does not exist.", "cluster", "check cluster_id"),
    (404, "TSK10001", "The task does not exist.", "task", "OCP does not know this task"),
    (404, "COM10002", "Cluster 3999999 not found.", "cluster", "OCP does not know this cluster: check cluster_id"),
    (404, "10002", "No records of the ObCluster type found based on the id parameter.", "cluster", "check cluster_id"),
    (404, "COM10002", "Tenant 2 not found in cluster 1.", "tenant", "check tenant_id"),
    (404, "COM10002", "No such API: POST /api/v2/ob/clusters/1/tenants/2/failoverPreCheck.", "path",
     "api_url is probably not OCP's base URL"),
    (404, "COM10002", "No static resource api/v3/ob/clusters.", "path", "api_url is probably not OCP's base URL"),
    (404, "COM10002", "Task instance 5 not found.", "task", "OCP does not know this task"),
    (404, None, "Not Found", "path", "a proxy in front of OCP"),
    (404, "XYZ00001", "Gone.", "other", "Check cluster_id/tenant_id"),
    (400, "OBE21002", "Tenant 2 not found in cluster 1.", "tenant", "check tenant_id"),
    (400, "COM10001", "Bad parameter.", None, "check the module's parameters"),
])
def test_not_found_kinds_come_from_the_error_code(server, status, code, message, kind, hint):
    server.reply(Reply(status, error_envelope(status, code, message)))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url, max_retries=0).failover_precheck(1, 2)
    assert caught.value.not_found == kind
    assert hint in str(caught.value)
    assert len(server.requests) == 1, "a not-found answer is not retried"


def test_html_404_page_of_a_proxy_is_about_the_path(server):
    server.reply(Reply(404, raw="<html><title>404 Not Found</title></html>", headers={"Content-Type": "text/html"}))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get_tenant(1, 2)
    assert caught.value.not_found == "path"
    assert "got an HTML page ('404 Not Found')" in str(caught.value)
    assert "OCP does not know this API path" in str(caught.value)


def test_redirect_is_not_followed(server):
    server.reply(Reply(302, raw=b"", headers={"Location": "/login?next=/api"}))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).get("/api/v2/tasks/instances/1")
    assert "redirected to /login" in str(caught.value)
    assert len(server.requests) == 1


def test_unexpected_data_shape(server):
    server.reply(Reply(body=envelope(None)))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover_precheck(1, 2)
    assert "without the expected data" in str(caught.value)


# --- operations ---------------------------------------------------------------------------------------------


def test_failover_posts_the_items_and_returns_the_tasks(server):
    server.reply(Reply(body=envelope({"contents": [{"id": 12022226, "name": "Failover tenant"}]})))
    tasks = make_client(server.url).failover(3000010, [{"tenantId": 2000025, "serviceName": "SERVICE_B"}])
    assert tasks == [{"id": 12022226, "name": "Failover tenant"}]
    received = server.requests[0]
    assert received["path"] == "/api/v2/ob/clusters/3000010/tenants/failover"
    assert json.loads(received["body"]) == {"failoverTenantItemList": [{"tenantId": 2000025, "serviceName": "SERVICE_B"}]}


def test_get_all_pages_reads_every_page(server):
    server.reply(
        Reply(body=envelope({"contents": [{"id": 1}, {"id": 2}], "page": {"number": 1, "totalPages": 3}})),
        Reply(body=envelope({"contents": [{"id": 3}], "page": {"number": 2, "totalPages": 3}})),
        Reply(body=envelope({"contents": [{"id": 4}], "page": {"number": 3, "totalPages": 3}})),
    )
    tasks = make_client(server.url).list_tasks(clusterId=1, name="Failover tenant")
    assert [task["id"] for task in tasks] == [1, 2, 3, 4]
    assert [urlsplit(r["path"]).query for r in server.requests] == [
        "clusterId=1&name=Failover+tenant&page=%d&size=2000" % page for page in (1, 2, 3)]


def test_get_subtask_log(server):
    server.reply(Reply(body=envelope({"log": "line 1\nline 2"})))
    assert make_client(server.url).get_subtask_log(5, 6) == "line 1\nline 2"
    assert server.requests[0]["path"] == "/api/v2/tasks/instances/5/subtasks/6/log"


def test_get_subtask_log_is_one_attempt(server):
    # The log only explains a failure that is already known: a failing log endpoint must not hold up its report
    # with the retry budget (five attempts with backoff), and keeps the client's one error type.
    server.default = Reply(500, error_envelope(500, "COM10000", "log storage unavailable"))
    client = make_client(server.url, backoff_factor=0.5)
    started = time.monotonic()
    with pytest.raises(OcpApiError) as caught:
        client.get_subtask_log(5, 6)
    assert time.monotonic() - started < 1.0
    assert len(server.requests) == 1
    assert caught.value.status == 500
    assert "log storage unavailable" in str(caught.value)


def test_get_subtask_log_times_out_quickly(server, monkeypatch):
    monkeypatch.setattr(client_module, "SUBTASK_LOG_TIMEOUT", 0.3)
    server.default = Reply(body=envelope({"log": "late"}), delay=2.0)
    started = time.monotonic()
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url, request_timeout=30).get_subtask_log(5, 6)
    assert time.monotonic() - started < 1.5
    assert len(server.requests) == 1
    assert "within 0.3 s" in str(caught.value)


def test_precheck_answer_carries_the_server_time(server):
    server.reply(Reply(body=dict(envelope({"valid": True}), timestamp="2024-07-23T17:42:34.069+08:00")))
    data, answered_at = make_client(server.url).failover_precheck_answer(1, 2)
    assert data == {"valid": True}
    assert answered_at == pytest.approx(1721727754.069)


def test_server_time_falls_back_to_the_date_header(server):
    body = envelope({"valid": True})
    del body["timestamp"]
    server.reply(Reply(body=body))  # http.server sends a Date header of its own, in whole seconds
    answered_at = make_client(server.url).failover_precheck_answer(1, 2)[1]
    assert answered_at == int(answered_at)
    assert abs(answered_at - time.time()) < 5


@pytest.mark.parametrize("text, expected", [
    ("2024-07-23T17:42:34.069+08:00", 1721727754.069),
    ("2024-07-23T09:42:34Z", 1721727754.0),
    ("2024-07-23T09:42:34.5-0100", 1721731354.5),
    ("2024-07-23 09:42:34.123456+00:00", 1721727754.123456),
    ("2024-07-23T17:42:34.069", None),  # no offset: the time zone is unknown
    ("yesterday", None),
    (None, None),
    (1721727754, None),
])
def test_iso_epoch(text, expected):
    result = client_module.iso_epoch(text)
    assert result == (pytest.approx(expected) if expected is not None else None)


def test_api_url_path_prefix_and_trailing_slash(server):
    make_client(server.url + "/ocp/").get("/api/v2/tasks/instances/1")
    assert server.requests[0]["path"] == "/ocp/api/v2/tasks/instances/1"


# --- retries ------------------------------------------------------------------------------------------------


def test_get_is_retried_on_503_then_succeeds(server):
    server.reply(Reply(503, error_envelope(503, "COM10000", "busy")), Reply(502, raw="<html>bad gateway</html>"),
                 Reply(body=envelope({"id": 1})))
    assert make_client(server.url).get_task(1) == {"id": 1}
    assert len(server.requests) == 3


def test_precheck_post_is_retried(server):
    server.reply(Reply(500, error_envelope(500, "COM10000", "boom")), Reply(504, raw=b""),
                 Reply(body=envelope({"valid": True, "tenantId": 2})))
    assert make_client(server.url).failover_precheck(1, 2)["valid"] is True
    assert [r["method"] for r in server.requests] == ["POST"] * 3


def test_get_is_retried_when_the_connection_drops(server):
    server.reply(Reply(drop=True), Reply(body=envelope({"id": 1})))
    assert make_client(server.url).get_task(1) == {"id": 1}
    assert len(server.requests) == 2


def test_rate_limit_reset_is_honoured(server):
    server.reply(Reply(429, error_envelope(429, "COM10000", "Too many requests"),
                       headers={"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"}))
    started = time.monotonic()
    make_client(server.url).get_task(1)
    elapsed = server.requests[1]["start"] - server.requests[0]["start"]
    assert len(server.requests) == 2
    assert 0.9 <= elapsed < 5, elapsed
    assert time.monotonic() - started >= 0.9


def test_retry_after_is_honoured(server):
    server.reply(Reply(429, error_envelope(429, "COM10000", "slow down"), headers={"Retry-After": "1"}))
    make_client(server.url).failover_precheck(1, 2)
    assert 0.9 <= server.requests[1]["start"] - server.requests[0]["start"] < 5


def test_failover_post_is_never_retried_on_503(server):
    server.reply(Reply(503, error_envelope(503, "COM10000", "busy"), headers={"Retry-After": "0"}))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover(1, [{"tenantId": 2}])
    assert len(server.requests) == 1
    assert caught.value.status == 503
    assert caught.value.response_lost is False


def test_failover_post_is_never_retried_when_the_answer_is_lost(server):
    server.reply(Reply(drop=True))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover(1, [{"tenantId": 2}])
    assert len(server.requests) == 1
    assert caught.value.response_lost is True
    assert caught.value.status is None
    assert "connection was lost before OCP answered" in str(caught.value)
    assert_clean(caught.value)


def test_failover_read_timeout_means_response_lost(server):
    server.reply(Reply(body=envelope({"contents": []}), delay=1.5))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url, request_timeout=0.5).failover(1, [{"tenantId": 2}])
    assert caught.value.response_lost is True
    assert "within 0.5 s" in str(caught.value)
    assert len(server.requests) == 1


def test_get_read_timeout_is_retried_then_reported(server):
    server.default = Reply(delay=1.0)
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url, request_timeout=0.3, max_retries=1).get_task(1)
    assert len(server.requests) == 2
    assert caught.value.response_lost is True
    assert "within 0.3 s" in str(caught.value)


def test_gives_up_after_the_budget_with_the_last_error(server):
    server.reply(*[Reply(503, error_envelope(503, "COM10000", "busy #%d" % attempt, trace_id="t%d" % attempt))
                   for attempt in range(1, 6)])
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url, max_retries=4).get_task(1)
    assert len(server.requests) == 5
    error = caught.value
    assert (error.status, error.code, error.message, error.trace_id) == (503, "COM10000", "busy #5", "t5")
    assert "OCP server error: quote traceId t5" in str(error)


def test_connection_refused_is_retried_then_reported(monkeypatch):
    url = closed_port_url()
    attempts = []
    original = client_module.OcpRetry.increment

    def counting_increment(self, *args, **kwargs):
        attempts.append(kwargs.get("error"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(client_module.OcpRetry, "increment", counting_increment)
    with pytest.raises(OcpApiError) as caught:
        make_client(url, max_retries=2).get_task(1)
    assert len(attempts) == 3
    error = caught.value
    assert error.status is None
    assert error.response_lost is False
    assert "could not connect" in str(error) and "Connection refused" in str(error)
    assert "Check api_url and the network" in str(error)
    assert_clean(error)


def test_failover_to_a_refused_port_was_never_sent():
    with pytest.raises(OcpApiError) as caught:
        make_client(closed_port_url()).failover(1, [{"tenantId": 2}])
    assert caught.value.response_lost is False


def test_unresolvable_host_is_a_connection_error():
    with pytest.raises(OcpApiError) as caught:
        make_client("http://ocp.invalid:8080", max_retries=0).get_task(1)
    assert caught.value.response_lost is False
    assert "Check api_url and the network" in str(caught.value)


def test_tls_error_gets_a_tls_hint(server):
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url.replace("http://", "https://"), max_retries=3).get_task(1)
    text = str(caught.value)
    assert "TLS error" in text and "ca_path" in text and "validate_certs" in text
    assert caught.value.response_lost is False
    assert len(server.requests) == 0


def test_retry_policy():
    policy = retry_policy(4, 0.5)
    assert policy.total == policy.connect == policy.read == policy.status == 4
    assert policy.other == 0
    assert set(policy.status_forcelist) == {429, 500, 502, 503, 504}
    assert set(policy.allowed_methods) == {"GET", "POST"}
    assert policy.raise_on_status is False
    assert policy.backoff_factor == 0.5
    assert getattr(policy, "backoff_jitter", 0.5) == 0.5


class FakeResponse:
    def __init__(self, headers):
        self.headers = headers


@pytest.mark.parametrize("headers, expected", [
    ({}, None),
    ({"RateLimit-Reset": "3"}, 3),
    ({"RateLimit-Reset": "not-a-number"}, None),
    ({"RateLimit-Reset": "86400"}, MAX_SERVER_REQUESTED_WAIT),
    ({"Retry-After": "2", "RateLimit-Reset": "30"}, 2),
    ({"Retry-After": "7200"}, MAX_SERVER_REQUESTED_WAIT),
])
def test_server_requested_wait(headers, expected):
    assert OcpRetry(3).get_retry_after(FakeResponse(headers)) == expected


def test_rate_limit_reset_as_epoch_time():
    assert rate_limit_reset_seconds("1700000010", now=1700000000.0) == 10
    assert rate_limit_reset_seconds("1600000000", now=1700000000.0) == 0
    assert rate_limit_reset_seconds(None, now=0) is None


def test_pool_serves_concurrent_requests_in_parallel(server):
    server.default = Reply(body=envelope({"valid": True}), delay=0.5)
    client = make_client(server.url, pool_size=20)
    results = []
    threads = [threading.Thread(target=lambda tid=tid: results.append(client.failover_precheck(1, tid)))
               for tid in range(1, 21)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert time.monotonic() - started < 3, "20 prechecks of 0.5 s each should overlap"
    assert client._retrying.get_adapter(server.url)._pool_maxsize == 20


# --- error messages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, code, expected", [
    (401, "IAM10004", BASIC_AUTH_HINT),
    (403, "IAM11000", "lacks permission"),
    (404, "COM10002", "Check cluster_id/tenant_id"),  # the message names no resource
    (500, "OBE21002", "OCP does not know this tenant"),
    (409, "COM10003", "conflict"),
    (400, "COM10001", "check the module's parameters"),
    (429, "COM10000", "rate-limiting"),
    (500, "COM10000", "OCP server error: quote traceId 8a4d817ee7e5aed8"),
])
def test_error_hints(server, status, code, expected):
    server.default = Reply(status, error_envelope(status, code, "server says: the password %s is wrong" % PASSWORD))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url, max_retries=0).get_tenant(1, 2)
    assert expected in str(caught.value)
    assert caught.value.code == code
    assert "********" in caught.value.message
    assert_clean(caught.value)


def test_401_with_access_keys_names_the_access_key_options(server):
    server.reply(Reply(401, error_envelope(401, "IAM10004", "Signature mismatch for " + SECRET_KEY)))
    client = OcpClient(server.url, access_key_id="AK1", access_key_secret=SECRET_KEY, backoff_factor=0)
    with pytest.raises(OcpApiError) as caught:
        client.get_tenant(1, 2)
    assert ACCESS_KEY_AUTH_HINT in str(caught.value)
    assert "OCP_ACCESS_KEY_ID" in str(caught.value)
    # A path-rewriting proxy breaks every signature: the hint names that possibility.
    assert "A proxy in front of OCP that rewrites the request path or Host header" in str(caught.value)
    assert_clean(caught.value)
    assert len(server.requests) == 1, "401 is not retried"


def test_401_with_access_keys_behind_a_path_prefix_names_the_prefix(server):
    server.reply(Reply(401, error_envelope(401, "IAM10004", "Signature mismatch.")))
    client = OcpClient(server.url + "/ocp", access_key_id="AK1", access_key_secret=SECRET_KEY, backoff_factor=0)
    with pytest.raises(OcpApiError) as caught:
        client.get_tenant(1, 2)
    assert "api_url has the path prefix '/ocp', which is signed as part of the path" in str(caught.value)
    assert "if a proxy strips it before OCP" in str(caught.value)


def test_401_with_basic_auth(server):
    server.reply(Reply(401, error_envelope(401, "IAM10004", "wrong user or password", trace_id="2692bd8d54b25810")))
    with pytest.raises(OcpApiError) as caught:
        make_client(server.url).failover_precheck(1, 2)
    assert str(caught.value) == (
        "POST /api/v2/ob/clusters/1/tenants/2/failoverPreCheck failed: HTTP 401 IAM10004: wrong user or password "
        "(traceId 2692bd8d54b25810). Check username/password (or OCP_USERNAME/OCP_PASSWORD)."
    )


@pytest.mark.parametrize("api_url, fragment", [
    ("ocp.example.com:8080", "must be OCP's base URL starting with http:// or https://"),
    ("ftp://ocp.example.com", "starting with http:// or https://"),
    ("https://", "starting with http:// or https://"),
    ("https://ocp.example.com/?x=1", "without a query"),
    ("https://ocp.example.com:8080/api/v2", "must not end in /api/v2 (the modules add OCP's API paths themselves): "
     "give OCP's base URL, e.g. https://ocp.example.com:8080; got 'https://ocp.example.com:8080/api/v2'."),
    ("https://ocp.example.com:8080/api/v2/", "must not end in /api/v2"),
    ("https://ocp.example.com:8080/api", "must not end in /api (the modules"),
    ("https://gw.example.com/ocp/API/V2", "must not end in /API/V2"),
    ("", "starting with http"),
])
def test_bad_api_url(api_url, fragment):
    with pytest.raises(ValueError) as caught:
        validate_api_url(api_url)
    assert fragment in str(caught.value)


def test_api_url_with_credentials_is_rejected_without_echoing_them():
    with pytest.raises(ValueError) as caught:
        OcpClient("https://admin:%s@ocp.example.com" % PASSWORD, username="admin", password=PASSWORD)
    assert PASSWORD not in str(caught.value)
    assert "must not contain credentials" in str(caught.value)


def test_validate_certs_and_ca_path(server, tmp_path):
    bundle = tmp_path / "ca.pem"
    assert make_client(server.url, validate_certs=True, ca_path=str(bundle))._verify == str(bundle)
    assert make_client(server.url, validate_certs=False, ca_path=str(bundle))._verify is False
    assert make_client(server.url)._verify is True
