"""Fixtures for the OCP simulator's own tests: a simulator on a free loopback port and a client for it."""

from __future__ import annotations

import os
import sys

import pytest

SIMULATOR_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(SIMULATOR_TESTS_DIR)
for _path in (TESTS_DIR, SIMULATOR_TESTS_DIR):  # ocp_simulator, and sim_testlib
    if _path not in sys.path:
        sys.path.insert(0, _path)

from ocp_simulator import Simulator  # noqa: E402  (needs the sys.path entries above)
from sim_testlib import OcpClient, make_scenario  # noqa: E402


@pytest.fixture
def scenario():
    return make_scenario()


@pytest.fixture
def sim(scenario):
    simulator = Simulator(scenario).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def api(sim):
    return OcpClient(sim.url)


@pytest.fixture
def slow_sim():
    """Failover subtasks that take far longer than any test, so a task stays RUNNING."""
    simulator = Simulator(make_scenario(subtask_seconds=600)).start()
    yield simulator
    simulator.stop()
