# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every oceanbase.ocp module shares: the connection options, building the client, running the module."""

from __future__ import absolute_import, division, print_function

import os
import re

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.errors import AnsibleFallbackNotFound

from ansible_collections.oceanbase.ocp.plugins.module_utils.client import (
    HAS_REQUESTS,
    HAS_URLLIB3,
    REQUESTS_IMPORT_ERROR,
    URLLIB3_IMPORT_ERROR,
    OcpClient,
)
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import OcpApiError, RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import seconds_problems

# Basic (username + password) and AK/SK (access_key_id + access_key_secret) authentication exclude each other.
OCP_MUTUALLY_EXCLUSIVE = [
    ["username", "access_key_id"],
    ["username", "access_key_secret"],
    ["password", "access_key_id"],
    ["password", "access_key_secret"],
]
OCP_REQUIRED_ONE_OF = [["username", "access_key_id"]]
OCP_REQUIRED_TOGETHER = [["username", "password"], ["access_key_id", "access_key_secret"]]


def non_empty_env_fallback(*names):
    """env_fallback that treats an empty variable as unset.

    AWX credential injectors set every OCP_* variable of the credential type, as "" for inputs left empty (an AK/SK
    credential injects OCP_USERNAME=""). Taking "" as a value would trip the Basic-vs-AK/SK exclusivity check.
    """
    value = env_fallback(*names)
    if value == "":
        raise AnsibleFallbackNotFound
    return value


def ocp_argument_spec():
    """The connection options (documented by the oceanbase.ocp.connection doc fragment); a fresh dict each call."""
    return dict(
        api_url=dict(type="str", required=True, fallback=(non_empty_env_fallback, ["OCP_API_URL"])),
        username=dict(type="str", fallback=(non_empty_env_fallback, ["OCP_USERNAME"])),
        password=dict(type="str", no_log=True, fallback=(non_empty_env_fallback, ["OCP_PASSWORD"])),
        access_key_id=dict(type="str", no_log=False, fallback=(non_empty_env_fallback, ["OCP_ACCESS_KEY_ID"])),
        access_key_secret=dict(type="str", no_log=True, fallback=(non_empty_env_fallback, ["OCP_ACCESS_KEY_SECRET"])),
        validate_certs=dict(type="bool", default=True, fallback=(non_empty_env_fallback, ["OCP_VALIDATE_CERTS"])),
        ca_path=dict(type="path", fallback=(non_empty_env_fallback, ["OCP_CA_PATH"])),
        request_timeout=dict(type="float", default=30, fallback=(non_empty_env_fallback, ["OCP_REQUEST_TIMEOUT"])),
    )


# Where api_url can come from, said when it comes from nowhere: the option, module_defaults, the environment, and the
# role's variable (the role oceanbase.ocp.tenant_failover hands ocp_api_url to the modules).
API_URL_MISSING = (
    "api_url is not set, so nothing was sent to OCP: give OCP's base URL (e.g. https://ocp.example.com:8080) as the"
    " api_url option, in module_defaults for group/oceanbase.ocp.ocp, or in the OCP_API_URL environment variable (an"
    " AWX credential of the OceanBase OCP type injects it); the role oceanbase.ocp.tenant_failover also takes it as"
    " the variable ocp_api_url"
)
_MISSING_REQUIRED = re.compile(r"^missing required arguments: (?P<names>[\w, ]+)$")


def explain_missing_api_url(msg):
    """AnsibleModule's "missing required arguments: api_url[, ...]" with where api_url can come from; else unchanged."""
    match = _MISSING_REQUIRED.match(str(msg))
    if not match:
        return msg
    names = [name.strip() for name in match.group("names").split(",") if name.strip()]
    if "api_url" not in names:
        return msg
    others = [name for name in names if name != "api_url"]
    if others:
        return "missing required arguments: %s; %s." % (", ".join(others), API_URL_MISSING)
    return API_URL_MISSING + "."


# Options and environment variables that hold secrets.
SECRET_OPTIONS = ("password", "access_key_secret")
SECRET_ENVIRONMENT = ("OCP_PASSWORD", "OCP_ACCESS_KEY_SECRET")


class OcpModule(AnsibleModule):
    """AnsibleModule that keeps the OCP secrets out of every failure, even one raised while validating options.

    ansible-core stops collecting no_log values when a list-of-dicts option holds a non-dict element
    (ansible/ansible#81672): the argument-spec failure would then echo the password in its invocation. A password
    written into api_url (rejected, but echoed the same way) is covered too.

    A missing api_url is explained (where it can come from) instead of AnsibleModule's bare "missing required
    arguments: api_url".
    """

    def fail_json(self, msg, **kwargs):
        msg = explain_missing_api_url(msg)
        params = getattr(self, "params", None) or {}
        secrets = [params.get(name) for name in SECRET_OPTIONS] + [os.environ.get(name) for name in SECRET_ENVIRONMENT]
        try:
            secrets.append(urlsplit(str(params.get("api_url") or "")).password)
        except ValueError:
            pass
        self.no_log_values.update(secret for secret in secrets if isinstance(secret, str) and secret)
        super(OcpModule, self).fail_json(msg, **kwargs)


def connection_problems(params):
    """What is wrong with the connection options that AnsibleModule's own checks let through."""
    problems = seconds_problems("request_timeout", params["request_timeout"])
    # AnsibleModule already refused both pairs at once (OCP_MUTUALLY_EXCLUSIVE); it counts "" as set, though.
    if not (params["username"] and params["password"]) and not (params["access_key_id"] and params["access_key_secret"]):
        problems.append(
            "set either username and password (OCP_USERNAME/OCP_PASSWORD) or access_key_id and access_key_secret"
            " (OCP_ACCESS_KEY_ID/OCP_ACCESS_KEY_SECRET); empty values count as unset")
    if params["ca_path"] and not os.path.exists(params["ca_path"]):
        problems.append("ca_path %s does not exist: point it at OCP's CA bundle (a PEM file or a directory)"
                        % params["ca_path"])
    return problems


def ocp_module_kwargs(argument_spec, **kwargs):
    """Keyword arguments for AnsibleModule: the connection options and constraints plus the module's own."""
    spec = ocp_argument_spec()
    spec.update(argument_spec)
    merged = dict(kwargs, argument_spec=spec)
    for key, common in (
        ("mutually_exclusive", OCP_MUTUALLY_EXCLUSIVE),
        ("required_one_of", OCP_REQUIRED_ONE_OF),
        ("required_together", OCP_REQUIRED_TOGETHER),
    ):
        merged[key] = [list(group) for group in common] + list(kwargs.get(key) or [])
    return merged


def client_from_module(module, pool_size=None):
    """An OcpClient for the module's connection options; fails the module with a clear message if it cannot.

    ``pool_size`` is the number of keep-alive connections to keep: at least the module's concurrency.
    """
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    if not HAS_URLLIB3:
        module.fail_json(msg=missing_required_lib("urllib3"), exception=URLLIB3_IMPORT_ERROR)
    params = module.params
    problems = connection_problems(params)
    if problems:
        module.fail_json(msg="Invalid connection options, nothing was sent to OCP: %s." % "; ".join(problems))
    kwargs = {}
    if pool_size is not None:
        kwargs["pool_size"] = pool_size
    try:
        return OcpClient(
            api_url=params["api_url"],
            username=params["username"],
            password=params["password"],
            access_key_id=params["access_key_id"],
            access_key_secret=params["access_key_secret"],
            validate_certs=params["validate_certs"],
            ca_path=params["ca_path"],
            request_timeout=params["request_timeout"],
            **kwargs
        )
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    return None  # not reached: fail_json exits


def run_module(module, run, pool_size=None):
    """Build the client, call ``run(module, client)`` -> ``(changed, result, diff)`` and exit the module.

    The one error policy of the collection: an OcpApiError fails the module with its one-line message and its
    details under ``error``; a RunFailure (the engine's) with its message, its result and whether anything was
    submitted.
    """
    client = client_from_module(module, pool_size=pool_size)
    try:
        changed, result, diff = run(module, client)
        output = dict(result or {})
        output["changed"] = changed
        if module._diff and diff is not None:
            output["diff"] = diff
        module.exit_json(**output)
    except RunFailure as failure:
        extra = {"error": failure.error.to_dict()} if failure.error is not None else {}
        module.fail_json(msg=failure.message, changed=failure.changed, **dict(failure.result, **extra))
    except OcpApiError as exc:
        module.fail_json(msg=str(exc), error=exc.to_dict())
    finally:
        client.close()
