# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only: what each Ansible module process cost (wall, CPU, peak memory), for benchmarks/run.py.

benchmarks/run.py puts this directory on PYTHONPATH of ansible-playbook, so every Python process it starts imports
this file at start-up (Python's `sitecustomize` hook). Only module processes (`AnsiballZ_<module>.py`, which run
the module in the same process) record anything: at exit, one JSON line in the file named by
OCP_BENCH_MODULE_FILE, and with OCP_BENCH_PROFILE_DIR set (`run.py --profile DIR`) a cProfile of the whole
process there, `<module>-<pid>.prof` (read it with `python -m pstats`). Every other process (the controller, its
workers) is left alone.
"""

from __future__ import annotations

import atexit
import json
import os
import resource
import sys
import time

_PATH = os.environ.get("OCP_BENCH_MODULE_FILE")
_SCRIPT = os.path.basename(sys.argv[0]) if sys.argv else ""
_PREFIX = "AnsiballZ_"


def _record(started_monotonic, started_epoch, profiler):
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(os.path.join(os.environ["OCP_BENCH_PROFILE_DIR"], "%s-%d.prof" % (_module(), os.getpid())))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    entry = {
        "module": _module(),
        "started": started_epoch,
        "seconds": time.monotonic() - started_monotonic,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "max_rss_kb": usage.ru_maxrss,  # kilobytes on Linux
    }
    with open(_PATH, "a", encoding="utf-8") as stream:
        stream.write(json.dumps(entry) + "\n")


def _module():
    return _SCRIPT[len(_PREFIX):].rsplit(".", 1)[0]


def _profiler():
    if not os.environ.get("OCP_BENCH_PROFILE_DIR"):
        return None
    import cProfile  # pylint: disable=import-outside-toplevel
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler


if _PATH and _SCRIPT.startswith(_PREFIX):
    atexit.register(_record, time.monotonic(), time.time(), _profiler())
