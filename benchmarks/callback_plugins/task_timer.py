# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: append each task's wall time (start of the task to its result) and the size of its
result to a JSON-lines file."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_timer
type: aggregate
short_description: write per-task wall times to the file named by OCP_BENCH_TIMES_FILE (benchmarks only)
description:
  - Benchmark-only callback of oceanbase.ocp, enabled by benchmarks/run.py.
  - One JSON line per task result, with C(seconds) from the task's start to its result (monotonic clock) and the
    C(started)/C(ended) epoch times, which benchmarks/run.py lines up with the OCP simulator's request log, and
    C(result_bytes), the size of the task's result as JSON (what the module returned, as Ansible holds it).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("OCP_BENCH_TIMES_FILE")
        self._started = {}

    def v2_playbook_on_task_start(self, task, is_conditional):
        # Both clocks: the monotonic one for durations, the epoch one to compare with the simulator's log.
        self._started[task._uuid] = (time.monotonic(), time.time())

    def _record(self, result, status):
        started = self._started.get(result._task._uuid)
        if not self._path or started is None:
            return
        started_monotonic, started_epoch = started
        entry = {"task": result._task.get_name(), "status": status, "seconds": time.monotonic() - started_monotonic,
                 "started": started_epoch, "ended": time.time(),
                 "result_bytes": len(json.dumps(result._result, default=str))}
        with open(self._path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")
