"""`Simulator`: the OCP simulator served over real HTTP from a background thread."""

from __future__ import annotations

import logging
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .alarms import Alarms
from .app import create_app
from .auth import Authenticator
from .envelope import new_server_id
from .faults import FaultRules
from .requestlog import RequestLog
from .scenario import DEFAULT_SCENARIO, load_scenario
from .state import State

LOG = logging.getLogger("ocp_simulator")


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without its per-request lines on stderr."""

    def log(self, type, message, *args):
        LOG.debug("%s: %s", type, message % args if args else message)


class Simulator:
    """A stateful stand-in for OCP's REST API on loopback.

    `scenario` is a path to a YAML/JSON scenario file or a dict (default: scenarios/default.yml).
    Port 0 picks a free port on the first start(); later starts reuse it.
    """

    def __init__(self, scenario=None, host="127.0.0.1", port=0):
        self._scenario_source = DEFAULT_SCENARIO if scenario is None else scenario
        self.host = host
        self.port = port
        self.server_id = new_server_id()
        self.request_recorder = RequestLog()
        self.fault_rules = FaultRules()
        self.alarms = Alarms()
        self.model = None
        self.authenticator = None
        self.reset()
        self._app = create_app(self)
        self._server = None
        self._thread = None
        self._lifecycle = threading.Lock()

    # ----- serving

    def start(self):
        with self._lifecycle:
            if self._server is None:
                try:
                    server = make_server(self.host, self.port, self._app, threaded=True, request_handler=_QuietRequestHandler)
                except SystemExit:
                    # werkzeug exits when it cannot bind; a library caller wants an exception
                    raise OSError("cannot listen on %s:%s" % (self.host, self.port)) from None
                self.port = server.socket.getsockname()[1]
                self._server = server
                self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                                name="ocp-simulator-%d" % self.port, daemon=True)
                self._thread.start()
        return self

    def stop(self):
        """Stop listening; the model, faults and request log stay as they are."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    @property
    def running(self):
        return self._server is not None

    @property
    def url(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ----- model and control

    @property
    def state(self):
        """The in-memory model, brought up to date with the clock."""
        self.model.refresh()
        return self.model

    def reset(self, scenario=None):
        """Reload everything from `scenario` (default: the scenario this simulator started with)."""
        scenario = load_scenario(self._scenario_source if scenario is None else scenario)
        if self.model is None:
            self.model = State(scenario)
        else:
            self.model.reset(scenario)
        self.authenticator = Authenticator(scenario["users"], scenario["access_keys"])
        self.alarms.reset(scenario["alarms"], scenario["tenants"], scenario["clusters"])
        self.fault_rules.clear()
        for rule in scenario["faults"]:
            self.fault_rules.add(rule)
        self.request_recorder.clear()

    def request_log(self):
        return self.request_recorder.entries()

    def clear_request_log(self):
        self.request_recorder.clear()

    def add_fault(self, **rule):
        return self.fault_rules.add(rule)

    def faults(self):
        return self.fault_rules.list()

    def clear_faults(self):
        self.fault_rules.clear()

    def raise_alarm(self, **fields):
        """Raise an OCP alarm (see alarms.py), e.g. raise_alarm(alarmType="ob_tenant_unavailable", tenantId=2000101)."""
        return self.alarms.raise_alarm(fields)

    def clear_alarm(self, alarm_id):
        return self.alarms.patch(alarm_id, {"status": "Inactive"})
