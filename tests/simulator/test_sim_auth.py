"""Authentication: HTTP Basic, AK/SK signing (with OCP's published test vectors), permissions."""

from __future__ import annotations

import datetime
import json

import pytest
import requests

from ocp_simulator.auth import aksk_authorization, canonical_query, content_md5, http_date, sign, string_to_sign
from ocp_simulator.client import AkSkAuth
from sim_testlib import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ADMIN, OHAYO_2, STANDBY_CLUSTER, VIEWER, OcpClient

CLUSTERS = "/api/v2/ob/clusters"

# OCP's published AK/SK test vectors (NOTES.md).
VECTOR_AK = "cqammmxBpfGjFlto"
VECTOR_SK = "2fc0c299cc94c6be266f2ceece765d4d"
VECTOR_HOST = "ocp.alibaba.net:8080"


def error_of(response):
    body = response.json()
    assert body["successful"] is False
    return body["error"]["code"]


# ----- the signing code against the published vectors

def test_first_published_vector_is_reproduced_exactly():
    body = b'{"name":"test01","description":"test","regionId":1}'
    assert content_md5(body) == "186974DB33A090A16D3E2CA35F547B56"
    message = string_to_sign("POST", body, "application/json", "Tue, 17 Jan 2023 09:13:57 GMT", VECTOR_HOST,
                             [("x-ocp-data", "A,1")], "/api/v2/compute/idcs", "")
    assert message == ("POST\n186974DB33A090A16D3E2CA35F547B56\napplication/json\nTue, 17 Jan 2023 09:13:57 GMT\n"
                       "ocp.alibaba.net:8080\nx-ocp-data:A,1\n/api/v2/compute/idcs")
    assert sign(VECTOR_SK, message) == "XN8P+O+v3vUabB16ZCooq5wMJoY="


def _second_vector_message(headers):
    return string_to_sign("GET", b"", "application/json;charset=utf-8", "Tue, 17 Jan 2023 04:14:02 GMT", VECTOR_HOST,
                          headers, "/api/v2/compute/idcs", "size=100")


def test_second_published_vector_canonical_string_and_signature():
    # The published signature comes out when the GET carries no x-ocp-* header: that part is then an
    # empty line (kept), and the query is appended after "?".
    message = _second_vector_message([])
    assert message == ("GET\n\napplication/json;charset=utf-8\nTue, 17 Jan 2023 04:14:02 GMT\n"
                       "ocp.alibaba.net:8080\n\n/api/v2/compute/idcs?size=100")
    assert sign(VECTOR_SK, message) == "TsQD6HDOuZuJ409m0wdnZPmijlc="


@pytest.mark.xfail(strict=True, reason="Known discrepancy of one reading of NOTES.md ('same keys and host'): signing the "
                                       "second vector WITH the first vector's x-ocp-data:A,1 header gives "
                                       "wkodzdww4Np/FYP527tDylifLMY=, not the published signature, which was computed "
                                       "without any x-ocp-* header (see the test above).")
def test_second_published_vector_with_the_first_vectors_x_ocp_header():
    assert sign(VECTOR_SK, _second_vector_message([("x-ocp-data", "A,1")])) == "TsQD6HDOuZuJ409m0wdnZPmijlc="


def test_canonical_query_sorts_keys_encodes_and_joins_repeated_keys():
    assert canonical_query("size=100&page=1&status=RUNNING&status=FAILED&name=a b") == \
        "name=a%20b&page=1&size=100&status=RUNNING,FAILED"
    assert canonical_query("") == ""
    assert content_md5(b"") == ""


# ----- HTTP Basic

def test_basic_auth_ok(api):
    response = api.get(CLUSTERS)
    assert response.status_code == 200
    assert response.json()["successful"] is True


@pytest.mark.parametrize("auth", [("admin", "wrong"), ("nobody", "Adm1n-Secret!")])
def test_basic_auth_wrong_credentials_get_401_iam10004(api, auth):
    response = api.get(CLUSTERS, auth=auth)
    assert response.status_code == 401
    assert error_of(response) == "IAM10004"
    assert "Adm1n-Secret!" not in response.text


def test_missing_auth_gets_401_iam10000(api):
    response = api.get(CLUSTERS, auth=None)
    assert response.status_code == 401
    assert error_of(response) == "IAM10000"


def test_unknown_path_needs_auth_too(api):
    assert api.get("/api/v2/no/such/thing", auth=None).status_code == 401


def test_read_only_user_can_read_but_not_post(api):
    viewer = OcpClient(api.base_url, auth=VIEWER)
    assert viewer.get(CLUSTERS).status_code == 200
    response = viewer.post("/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, OHAYO_2))
    assert response.status_code == 403
    assert error_of(response) == "IAM11000"


# ----- AK/SK over HTTP

def test_aksk_signed_get_with_query_and_post_with_body(api, sim):
    signed = OcpClient(api.base_url, auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET))
    response = signed.get(CLUSTERS, params={"size": 5, "page": 1})
    assert response.status_code == 200, response.text
    response = signed.post("/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER,
                           json={"failoverTenantItemList": [{"tenantId": OHAYO_2}]})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["contents"][0]["creator"] == "admin"
    entries = sim.request_log()
    assert [(entry["auth"], entry["user"]) for entry in entries] == [("aksk", ACCESS_KEY_ID)] * 2


def test_aksk_signature_covers_x_ocp_headers(api):
    signed = OcpClient(api.base_url, auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET))
    assert signed.get(CLUSTERS, headers={"X-OCP-Trace": "abc"}).status_code == 200


def test_aksk_bad_signature_gets_401(api):
    response = api.get(CLUSTERS, auth=AkSkAuth(ACCESS_KEY_ID, "not-the-secret"))
    assert response.status_code == 401
    assert error_of(response) == "IAM10004"
    assert "signature" in response.json()["error"]["message"].lower()
    assert ACCESS_KEY_SECRET not in response.text


def test_aksk_tampered_body_gets_401(api):
    url = api.base_url + "/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER
    prepared = requests.Request("POST", url, json={"failoverTenantItemList": [{"tenantId": OHAYO_2}]},
                                auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET)).prepare()
    prepared.body = prepared.body.replace(b"2000025", b"2000026")
    with requests.Session() as session:
        response = session.send(prepared, timeout=30)
    assert response.status_code == 401
    assert error_of(response) == "IAM10004"


def test_aksk_unknown_access_key_gets_401(api):
    response = api.get(CLUSTERS, auth=AkSkAuth("AKNOBODY", ACCESS_KEY_SECRET))
    assert response.status_code == 401
    assert error_of(response) == "IAM10004"


@pytest.mark.parametrize("skew_minutes", [-16, 16])
def test_aksk_date_more_than_15_minutes_off_gets_401(api, skew_minutes):
    date = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=skew_minutes)
    response = api.get(CLUSTERS, auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET, date=date))
    assert response.status_code == 401
    assert error_of(response) == "IAM10004"
    assert "15 minutes" in response.json()["error"]["message"]


def test_aksk_date_a_few_minutes_off_is_accepted(api):
    date = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)
    assert api.get(CLUSTERS, auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET, date=date)).status_code == 200


def test_aksk_missing_date_gets_401(api):
    headers = {"Authorization": aksk_authorization(ACCESS_KEY_ID, "c2lnbmF0dXJl")}
    response = api.get(CLUSTERS, auth=None, headers=headers)
    assert response.status_code == 401
    assert error_of(response) == "IAM10004"


def test_aksk_read_only_key_cannot_post(api):
    signed = OcpClient(api.base_url, auth=AkSkAuth("AKVIEWER0001", "SKviewer-secret-0001"))
    assert signed.get(CLUSTERS).status_code == 200
    response = signed.post("/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER,
                           json={"failoverTenantItemList": [{"tenantId": OHAYO_2}]})
    assert response.status_code == 403
    assert error_of(response) == "IAM11000"


def test_http_date_is_rfc_1123_gmt():
    moment = datetime.datetime(2023, 1, 17, 9, 13, 57, tzinfo=datetime.timezone.utc)
    assert http_date(moment) == "Tue, 17 Jan 2023 09:13:57 GMT"


def test_request_log_never_holds_credentials(api, sim):
    api.get(CLUSTERS)
    api.get(CLUSTERS, auth=("admin", "wrong-password"))
    api.get(CLUSTERS, auth=AkSkAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET))
    api.get(CLUSTERS, auth=AkSkAuth(ACCESS_KEY_ID, "bad-secret"))
    dumped = json.dumps(sim.request_log()) + requests.get(sim.url + "/_sim/requests", timeout=30).text
    for secret in (ADMIN[1], "wrong-password", ACCESS_KEY_SECRET, "bad-secret", "Basic ", "HMACSHA1"):
        assert secret not in dumped
    assert [(entry["auth"], entry["user"], entry["status"]) for entry in sim.request_log()] == [
        ("basic", "admin", 200), ("basic", None, 401), ("aksk", ACCESS_KEY_ID, 200), ("aksk", None, 401)]
