"""A stateful simulator of the OceanBase Cloud Platform (OCP) REST API, for tests and demos.

It implements the documented API (paths, envelope, authentication, camelCase fields) independently
of the collection's plugins, so that it can serve as a test oracle::

    from ocp_simulator import Simulator
    with Simulator("tests/ocp_simulator/scenarios/default.yml") as sim:
        requests.get(sim.url + "/api/v2/ob/clusters", auth=("admin", "Adm1n-Secret!"))

or from a shell: ``PYTHONPATH=tests python -m ocp_simulator --scenario FILE --port 0``.
"""

from .scenario import load_scenario
from .server import Simulator

__all__ = ["Simulator", "load_scenario"]
