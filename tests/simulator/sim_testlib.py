"""Helpers shared by the simulator's tests (conftest.py puts this directory on sys.path)."""

from __future__ import annotations

import copy
import json
import os

import requests
import yaml

from ocp_simulator.scenario import DEFAULT_SCENARIO

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
ADMIN = ("admin", "Adm1n-Secret!")
VIEWER = ("viewer", "V1ewer-Secret!")
ACCESS_KEY_ID = "AKEXAMPLE0001"
ACCESS_KEY_SECRET = "SKexample-secret-0001"
REQUEST_TIMEOUT = 30

STANDBY_CLUSTER = 3000010
PRIMARY_CLUSTER = 3000001
OHAYO_2 = 2000025  # standby, primary unreachable, syncScn as in the sample
SALES_2 = 2000026  # standby, primary unreachable
BILLING_2 = 2000027  # standby, primary still reachable
AUDIT_2 = 2000028  # standby with a precheck warning
REPORTS = 2000029  # already PRIMARY

with open(DEFAULT_SCENARIO, encoding="utf-8") as _stream:
    _DEFAULT_SCENARIO = yaml.safe_load(_stream)


class OcpClient:
    """Plain `requests` calls against a simulator, Basic-authenticated as admin unless told otherwise."""

    def __init__(self, base_url, auth=ADMIN):
        self.base_url = base_url
        self.auth = auth

    def request(self, method, path, **kwargs):
        kwargs.setdefault("auth", self.auth)
        return requests.request(method, self.base_url + path, timeout=kwargs.pop("timeout", REQUEST_TIMEOUT), **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def data(self, method, path, **kwargs):
        """The `data` of a successful call; fails the test on anything else."""
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["successful"] is True, body
        return body["data"]

    def failover(self, cluster_id, *items, **kwargs):
        body = {"failoverTenantItemList": [item if isinstance(item, dict) else {"tenantId": item} for item in items]}
        return self.post("/api/v2/ob/clusters/%d/tenants/failover" % cluster_id, json=body, **kwargs)

    def task(self, task_id):
        return self.data("GET", "/api/v2/tasks/instances/%d" % task_id)


def make_scenario(subtask_seconds=0.05, precheck_seconds=0.01, timing_extra=None, **overrides):
    """The default scenario with fast timing (plus `timing_extra` keys, and any top-level keys replaced)."""
    scenario = copy.deepcopy(_DEFAULT_SCENARIO)
    scenario["timing"] = dict({"precheck_seconds": precheck_seconds, "subtask_seconds": subtask_seconds}, **(timing_extra or {}))
    scenario.update(copy.deepcopy(overrides))
    return scenario


def load_sample(name):
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as stream:
        return json.load(stream)
