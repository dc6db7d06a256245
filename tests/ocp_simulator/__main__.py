"""Command line: serve a scenario until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading

from .scenario import DEFAULT_SCENARIO
from .server import Simulator


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ocp_simulator", description="Serve a simulated OCP REST API.")
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario file, YAML or JSON (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the simulator's URL to this file once it listens")
    args = parser.parse_args(argv)

    stop_requested = threading.Event()

    def request_stop(signum, frame):
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    try:
        simulator = Simulator(args.scenario, host=args.host, port=args.port).start()
    except (OSError, ValueError) as error:
        print("ocp_simulator: %s" % error, file=sys.stderr)
        return 2
    print("OCP simulator listening on %s" % simulator.url, flush=True)
    if args.port_file:
        _write_atomically(args.port_file, simulator.url + "\n")
    # A timed wait keeps the main thread responsive to signals.
    while not stop_requested.wait(0.2):
        pass
    simulator.stop()
    return 0


def _write_atomically(path, text):
    """Readers polling for the file never see it half-written."""
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".ocp-simulator-")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.exit(main())
