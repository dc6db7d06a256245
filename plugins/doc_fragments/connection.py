# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function


class ModuleDocFragment:
    # The OCP connection options shared by every module (plugins/module_utils/common.py ocp_argument_spec()).
    # PLUGINS (oceanbase.ocp.connection.plugins) below documents the same options for plugins that run on the
    # controller (the inventory plugin), where the environment fallbacks are env: entries. Keep both in step.
    DOCUMENTATION = r"""
options:
  api_url:
    description:
      - Base URL of the OCP server, with its scheme and port and without C(/api/v2), for example
        C(https://ocp.example.com:8080).
      - If not set, the value of the E(OCP_API_URL) environment variable is used.
    type: str
    required: true
  username:
    description:
      - OCP user for HTTP Basic authentication. Requires O(password).
      - Mutually exclusive with O(access_key_id) and O(access_key_secret); one of O(username) or
        O(access_key_id) is required.
      - If not set, the value of the E(OCP_USERNAME) environment variable is used.
    type: str
  password:
    description:
      - Password of O(username).
      - If not set, the value of the E(OCP_PASSWORD) environment variable is used.
    type: str
  access_key_id:
    description:
      - AccessKey ID for OCP's AK/SK authentication (C(OCP-ACCESS-KEY-HMACSHA1) request signing), which OCP
        recommends for automation. Requires O(access_key_secret).
      - Each request is signed with a fresh C(Date) header, which OCP accepts only within 15 minutes of its own
        clock, so keep this host's clock in sync.
      - If not set, the value of the E(OCP_ACCESS_KEY_ID) environment variable is used.
    type: str
  access_key_secret:
    description:
      - AccessKey secret of O(access_key_id). It signs requests and is never sent.
      - If not set, the value of the E(OCP_ACCESS_KEY_SECRET) environment variable is used.
    type: str
  validate_certs:
    description:
      - Whether to verify OCP's TLS certificate. Set to V(false) only for a test OCP with a self-signed
        certificate; prefer O(ca_path).
      - If not set, the value of the E(OCP_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificates that verify OCP's TLS certificate, instead of the system's.
      - If not set, the value of the E(OCP_CA_PATH) environment variable is used.
    type: path
  request_timeout:
    description:
      - Seconds to wait for OCP to accept a connection and then for each answer.
      - If not set, the value of the E(OCP_REQUEST_TIMEOUT) environment variable is used.
    type: float
    default: 30
notes:
  - Reads (and prechecks, which change nothing) are retried with exponential backoff on connection errors and
    HTTP 429, 500, 502, 503 and 504, honouring C(Retry-After) and C(RateLimit-Reset). Requests that start a
    change, such as a failover, are never retried.
  - Every request carries an C(x-ocp-origin) header with the value C(ansible-oceanbase-ocp).
attributes:
  action_group:
    description: Use C(group/oceanbase.ocp.ocp) in C(module_defaults) to set the connection options for every module.
    support: full
    membership:
      - oceanbase.ocp.ocp
"""

    # The same connection options for controller-side plugins (inventory), with their OCP_* environment entries.
    PLUGINS = r"""
options:
  api_url:
    description:
      - Base URL of the OCP server, with its scheme and port and without C(/api/v2), for example
        C(https://ocp.example.com:8080).
      - Required, here or in the environment.
    type: str
    env:
      - name: OCP_API_URL
  username:
    description:
      - OCP user for HTTP Basic authentication. Requires O(password).
      - Mutually exclusive with O(access_key_id) and O(access_key_secret); one of O(username) or
        O(access_key_id) is required.
    type: str
    env:
      - name: OCP_USERNAME
  password:
    description:
      - Password of O(username).
    type: str
    env:
      - name: OCP_PASSWORD
  access_key_id:
    description:
      - AccessKey ID for OCP's AK/SK authentication (C(OCP-ACCESS-KEY-HMACSHA1) request signing), which OCP
        recommends for automation. Requires O(access_key_secret).
      - Each request is signed with a fresh C(Date) header, which OCP accepts only within 15 minutes of its own
        clock, so keep this host's clock in sync.
    type: str
    env:
      - name: OCP_ACCESS_KEY_ID
  access_key_secret:
    description:
      - AccessKey secret of O(access_key_id). It signs requests and is never sent.
    type: str
    env:
      - name: OCP_ACCESS_KEY_SECRET
  validate_certs:
    description:
      - Whether to verify OCP's TLS certificate. Set to V(false) only for a test OCP with a self-signed
        certificate; prefer O(ca_path).
    type: bool
    default: true
    env:
      - name: OCP_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of the CA certificates that verify OCP's TLS certificate, instead of the system's.
    type: path
    env:
      - name: OCP_CA_PATH
  request_timeout:
    description:
      - Seconds to wait for OCP to accept a connection and then for each answer.
    type: float
    default: 30
    env:
      - name: OCP_REQUEST_TIMEOUT
notes:
  - An environment variable set to the empty string counts as unset, as AWX credentials inject every variable of
    their type.
  - Reads are retried with exponential backoff on connection errors and HTTP 429, 500, 502, 503 and 504,
    honouring C(Retry-After) and C(RateLimit-Reset).
  - Every request carries an C(x-ocp-origin) header with the value C(ansible-oceanbase-ocp).
"""
