# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of module_utils/common.py: connection options, their constraints, building the client, running."""

from __future__ import annotations

import threading

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.oceanbase.ocp.plugins.module_utils import common
from ansible_collections.oceanbase.ocp.plugins.module_utils.client import OcpClient
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError, RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.common import (
    OCP_MUTUALLY_EXCLUSIVE,
    OCP_REQUIRED_ONE_OF,
    OCP_REQUIRED_TOGETHER,
    client_from_module,
    ocp_argument_spec,
    ocp_module_kwargs,
    run_module,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.tests.unit.plugins.doubles import FakeOcp, install_client
from ansible_collections.oceanbase.ocp.tests.unit.plugins.module_exit import ModuleExit, capture_module_exits

BASIC = {"api_url": "https://ocp.example.com:8080", "username": "admin", "password": "Adm1n-Secret!"}
AKSK = {"api_url": "https://ocp.example.com:8080", "access_key_id": "AK1", "access_key_secret": "SK-secret"}


@pytest.fixture(autouse=True)
def capture_exits(monkeypatch):
    """exit_json/fail_json raise ModuleExit carrying what the module would return."""
    capture_module_exits(monkeypatch)


@pytest.fixture(autouse=True)
def no_ocp_environment(monkeypatch):
    for name in ("OCP_API_URL", "OCP_USERNAME", "OCP_PASSWORD", "OCP_ACCESS_KEY_ID", "OCP_ACCESS_KEY_SECRET",
                 "OCP_VALIDATE_CERTS", "OCP_CA_PATH", "OCP_REQUEST_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def new_module(args, **extra):
    with patch_module_args(args):
        return AnsibleModule(**ocp_module_kwargs({}, supports_check_mode=True, **extra))


# --- argument spec ------------------------------------------------------------------------------------------


def test_argument_spec_names_types_and_env_fallbacks():
    spec = ocp_argument_spec()
    assert {name: (option["type"], option["fallback"][1]) for name, option in spec.items()} == {
        "api_url": ("str", ["OCP_API_URL"]),
        "username": ("str", ["OCP_USERNAME"]),
        "password": ("str", ["OCP_PASSWORD"]),
        "access_key_id": ("str", ["OCP_ACCESS_KEY_ID"]),
        "access_key_secret": ("str", ["OCP_ACCESS_KEY_SECRET"]),
        "validate_certs": ("bool", ["OCP_VALIDATE_CERTS"]),
        "ca_path": ("path", ["OCP_CA_PATH"]),
        "request_timeout": ("float", ["OCP_REQUEST_TIMEOUT"]),
    }
    assert spec["api_url"]["required"] is True
    assert spec["password"]["no_log"] is True
    assert spec["access_key_secret"]["no_log"] is True
    assert spec["validate_certs"]["default"] is True
    assert spec["request_timeout"]["default"] == 30


def test_argument_spec_is_a_fresh_dict_each_call():
    first = ocp_argument_spec()
    first["api_url"]["required"] = False
    first["extra"] = {}
    assert ocp_argument_spec()["api_url"]["required"] is True
    assert "extra" not in ocp_argument_spec()


def test_module_kwargs_merge_the_module_spec_and_constraints():
    kwargs = ocp_module_kwargs(
        {"cluster_id": {"type": "int", "required": True}},
        mutually_exclusive=[["tenant_id", "tenant_ids"]],
        required_one_of=[["tenant_id", "tenant_ids"]],
        supports_check_mode=True,
    )
    assert set(kwargs["argument_spec"]) == set(ocp_argument_spec()) | {"cluster_id"}
    assert kwargs["mutually_exclusive"] == OCP_MUTUALLY_EXCLUSIVE + [["tenant_id", "tenant_ids"]]
    assert kwargs["required_one_of"] == OCP_REQUIRED_ONE_OF + [["tenant_id", "tenant_ids"]]
    assert kwargs["required_together"] == OCP_REQUIRED_TOGETHER
    assert kwargs["supports_check_mode"] is True
    kwargs["required_together"].append(["x", "y"])
    assert ["x", "y"] not in OCP_REQUIRED_TOGETHER


@pytest.mark.parametrize("args", [BASIC, AKSK])
def test_either_authentication_is_accepted(args):
    module = new_module(args)
    assert module.params["validate_certs"] is True
    assert module.params["request_timeout"] == 30


@pytest.mark.parametrize("args, fragment", [
    (dict(BASIC, access_key_id="AK1", access_key_secret="SK"), "mutually exclusive"),
    (dict(BASIC, access_key_id="AK1"), "mutually exclusive"),
    ({"api_url": "https://ocp.example.com"}, "one of the following is required: username, access_key_id"),
    ({"api_url": "https://ocp.example.com", "username": "admin"}, "parameters are required together: username, password"),
    ({"api_url": "https://ocp.example.com", "access_key_id": "AK1"},
     "parameters are required together: access_key_id, access_key_secret"),
    ({"username": "admin", "password": "x"}, "missing required arguments: api_url"),
])
def test_authentication_constraints(args, fragment):
    with pytest.raises(ModuleExit) as caught:
        new_module(args)
    assert caught.value.failed
    assert fragment in caught.value.result["msg"]


@pytest.mark.parametrize("args, expected", [
    ({"username": "admin", "password": "x"}, common.API_URL_MISSING + "."),
    ({"username": "admin", "password": "x", "cluster": None},
     "missing required arguments: cluster; " + common.API_URL_MISSING + "."),
])
def test_a_missing_api_url_says_where_it_can_come_from(args, expected):
    spec = {"cluster": {"type": "int", "required": True}} if "cluster" in args else {}
    args = {key: value for key, value in args.items() if value is not None}
    with patch_module_args(args):
        with pytest.raises(ModuleExit) as caught:
            common.OcpModule(**ocp_module_kwargs(spec))
    message = caught.value.result["msg"]
    assert message == expected
    for place in ("api_url option", "module_defaults for group/oceanbase.ocp.ocp", "OCP_API_URL", "ocp_api_url"):
        assert place in message


def test_other_missing_arguments_are_left_alone():
    assert common.explain_missing_api_url("missing required arguments: cluster_id") == \
        "missing required arguments: cluster_id"
    assert common.explain_missing_api_url("something else: api_url") == "something else: api_url"


def test_environment_fallbacks(monkeypatch):
    monkeypatch.setenv("OCP_API_URL", "https://ocp.example.com:8080")
    monkeypatch.setenv("OCP_ACCESS_KEY_ID", "AK1")
    monkeypatch.setenv("OCP_ACCESS_KEY_SECRET", "SK-from-env")
    monkeypatch.setenv("OCP_VALIDATE_CERTS", "false")
    monkeypatch.setenv("OCP_REQUEST_TIMEOUT", "7.5")
    module = new_module({})
    assert module.params["api_url"] == "https://ocp.example.com:8080"
    assert module.params["access_key_secret"] == "SK-from-env"
    assert module.params["validate_certs"] is False
    assert module.params["request_timeout"] == 7.5
    assert "SK-from-env" in module.no_log_values


def test_empty_environment_variables_count_as_unset(monkeypatch):
    # What an AWX AK/SK credential injects: every OCP_* variable of the credential type, "" for the empty ones.
    monkeypatch.setenv("OCP_API_URL", "https://ocp.example.com:8080")
    monkeypatch.setenv("OCP_USERNAME", "")
    monkeypatch.setenv("OCP_PASSWORD", "")
    monkeypatch.setenv("OCP_ACCESS_KEY_ID", "AK1")
    monkeypatch.setenv("OCP_ACCESS_KEY_SECRET", "SK-from-env")
    monkeypatch.setenv("OCP_CA_PATH", "")
    module = new_module({})
    assert module.params["username"] is None
    assert module.params["password"] is None
    assert module.params["ca_path"] is None
    assert module.params["access_key_id"] == "AK1"


# --- client_from_module -------------------------------------------------------------------------------------


def test_client_from_module_builds_the_client():
    client = client_from_module(new_module(dict(AKSK, request_timeout=12, validate_certs=False)), pool_size=80)
    assert isinstance(client, OcpClient)
    assert client.base_url == "https://ocp.example.com:8080"
    assert client.request_timeout == 12
    assert client._verify is False
    assert client._retrying.get_adapter(client.base_url)._pool_maxsize == 80


def test_missing_requests_gives_missing_required_lib(monkeypatch):
    monkeypatch.setattr(common, "HAS_REQUESTS", False)
    with pytest.raises(ModuleExit) as caught:
        client_from_module(new_module(BASIC))
    assert "Failed to import the required Python library (requests)" in caught.value.result["msg"]


def test_missing_urllib3_gives_missing_required_lib(monkeypatch):
    monkeypatch.setattr(common, "HAS_URLLIB3", False)
    with pytest.raises(ModuleExit) as caught:
        client_from_module(new_module(BASIC))
    assert "(urllib3)" in caught.value.result["msg"]


@pytest.mark.parametrize("api_url", ["ocp.example.com:8080", "ftp://ocp.example.com"])
def test_bad_api_url_fails_clearly(api_url):
    with pytest.raises(ModuleExit) as caught:
        client_from_module(new_module(dict(BASIC, api_url=api_url)))
    assert "api_url must be OCP's base URL starting with http:// or https://" in caught.value.result["msg"]


@pytest.mark.parametrize("request_timeout", [0, -1, float("nan"), float("inf")])
def test_non_positive_request_timeout_fails(request_timeout):
    with pytest.raises(ModuleExit) as caught:
        client_from_module(new_module(dict(BASIC, request_timeout=request_timeout)))
    assert "request_timeout must be a positive number" in caught.value.result["msg"]


@pytest.mark.parametrize("args", [
    dict(AKSK, access_key_id=""),
    dict(BASIC, password=""),
    {"api_url": "https://ocp.example.com:8080", "username": "", "password": ""},
], ids=["empty-access-key-id", "empty-password", "empty-pair"])
def test_empty_credentials_fail_before_any_request(args):
    with pytest.raises(ModuleExit) as caught:
        client_from_module(new_module(args))
    assert "set either username and password" in caught.value.result["msg"]
    assert "nothing was sent" in caught.value.result["msg"]


def test_missing_ca_path_fails_naming_it(tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(ModuleExit) as caught:
        client_from_module(new_module(dict(BASIC, ca_path=missing)))
    assert "ca_path %s does not exist" % missing in caught.value.result["msg"]


def test_secrets_stay_censored_when_option_validation_itself_breaks(monkeypatch):
    # ansible/ansible#81672: a non-dict element in a list-of-dicts option stops ansible-core collecting no_log
    # values, so its own "bad option" failure would echo the password. OcpModule adds the secrets back.
    censored = []

    def recording_fail_json(self, msg, **result):
        censored.append(set(self.no_log_values))
        raise ModuleExit(True, dict(result, msg=msg))

    monkeypatch.setattr(AnsibleModule, "fail_json", recording_fail_json)
    spec = {"tenants": {"type": "list", "elements": "dict", "options": {"tenant_id": {"type": "int"}}}}
    with patch_module_args(dict(BASIC, tenants=["2000025"])):
        with pytest.raises(ModuleExit):
            common.OcpModule(**ocp_module_kwargs(spec))
    with patch_module_args(dict(BASIC, api_url="https://admin:Url-Secret-9@ocp.example.com")):
        with pytest.raises(ModuleExit):
            client_from_module(common.OcpModule(**ocp_module_kwargs({})))
    assert "Adm1n-Secret!" in censored[0]
    assert {"Adm1n-Secret!", "Url-Secret-9"} <= censored[1]


# --- run_concurrently (no sleeping: barriers and events decide who runs when) --------------------------------


def test_run_concurrently_keeps_input_order_and_bounds_concurrency():
    together = threading.Barrier(5, timeout=10)  # breaks (and fails the test) unless five calls run at once
    running = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def work(item):
        with lock:
            running["now"] += 1
            running["peak"] = max(running["peak"], running["now"])
        together.wait()
        with lock:
            running["now"] -= 1
        return item * 10

    assert run_concurrently(work, range(20), max_workers=5) == [item * 10 for item in range(20)]
    assert running["peak"] == 5


def test_run_concurrently_runs_every_call_together_when_allowed():
    together = threading.Barrier(30, timeout=10)
    assert run_concurrently(lambda item: together.wait() is not None, range(30), max_workers=50) == [True] * 30


def test_run_concurrently_reraises_the_first_failure_in_input_order():
    seven_failed = threading.Event()

    def work(item):
        if item == 3:
            assert seven_failed.wait(timeout=10)
            raise ValueError("item 3")
        if item == 7:
            seven_failed.set()
            raise ValueError("item 7")
        return item

    with pytest.raises(ValueError, match="item 3"):
        run_concurrently(work, range(10), max_workers=4)


def test_run_concurrently_edge_cases():
    assert run_concurrently(lambda item: item, [], max_workers=5) == []
    assert run_concurrently(lambda item: item + 1, [1, 2], max_workers=1) == [2, 3]
    assert run_concurrently(lambda item: item + 1, (1, 2), max_workers=0) == [2, 3]


# --- run_module: the one error policy -----------------------------------------------------------------------


@pytest.fixture
def ocp(monkeypatch):
    """The client run_module builds: a FakeOcp (nothing leaves the test)."""
    return install_client(monkeypatch, FakeOcp())


def test_run_module_exits_with_changed_and_result(ocp):
    seen = []

    def run(module, client):
        seen.append(client)
        return True, {"answer": 42}, {"before": {}, "after": {"x": 1}}

    with pytest.raises(ModuleExit) as caught:
        run_module(new_module(BASIC), run, pool_size=80)
    assert not caught.value.failed
    assert caught.value.result == {"changed": True, "answer": 42}
    assert seen == [ocp] and ocp.closed
    assert ocp.client_kwargs["pool_size"] == 80 and ocp.client_kwargs["password"] == BASIC["password"]


def test_run_module_returns_the_diff_in_diff_mode(ocp):
    with patch_module_args(dict(BASIC, _ansible_diff=True)):
        module = AnsibleModule(**ocp_module_kwargs({}))
    with pytest.raises(ModuleExit) as caught:
        run_module(module, lambda module, client: (False, {}, {"before": "a", "after": "b"}))
    assert caught.value.result == {"changed": False, "diff": {"before": "a", "after": "b"}}


def test_run_module_turns_ocp_errors_into_one_line_failures(ocp):
    error = OcpApiError("POST", "/api/v2/x", "wrong user or password", status=401, code="IAM10004",
                        trace_id="abc", hint="Check username/password (or OCP_USERNAME/OCP_PASSWORD).")

    def run(module, client):
        raise error

    with pytest.raises(ModuleExit) as caught:
        run_module(new_module(BASIC), run)
    assert caught.value.failed
    assert caught.value.result == {
        "msg": str(error),
        "error": {"status": 401, "code": "IAM10004", "message": "wrong user or password", "trace_id": "abc",
                  "method": "POST", "path": "/api/v2/x"}}
    assert ocp.closed


def test_run_module_fails_a_run_failure_with_its_result(ocp):
    error = OcpApiError("POST", "/api/v2/x", "refused", status=409, code="OBE21005")

    def run(module, client):
        raise RunFailure("OCP refused it.", {"tenants": [{"tenant_id": 1}], "tasks": [], "polls": 0}, changed=False,
                         error=error)

    with pytest.raises(ModuleExit) as caught:
        run_module(new_module(BASIC), run)
    assert caught.value.failed
    assert caught.value.result == {"msg": "OCP refused it.", "changed": False, "tenants": [{"tenant_id": 1}],
                                   "tasks": [], "polls": 0, "error": error.to_dict()}
    assert ocp.closed


def test_run_module_fails_a_run_failure_without_an_ocp_error(ocp):
    def run(module, client):
        raise RunFailure("Timed out.", {"tenants": []}, changed=True)

    with pytest.raises(ModuleExit) as caught:
        run_module(new_module(BASIC), run)
    assert caught.value.result == {"msg": "Timed out.", "changed": True, "tenants": []}
