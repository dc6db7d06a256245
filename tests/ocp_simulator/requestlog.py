"""The record of /api requests the simulator received, for tests to assert on.

Entries never hold credentials: only which scheme was presented and who was authenticated.
"""

from __future__ import annotations

import copy
import json
import threading
import time


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []
        self._next_seq = 1

    def start(self, method, path, query, raw_body, auth):
        """Record a request as it arrives; returns its entry for `update`."""
        with self._lock:
            entry = {
                "seq": self._next_seq,
                "time": time.time(),
                "method": method,
                "path": path,
                "query": query,
                "body": _logged_body(raw_body),
                "status": None,
                "auth": auth,
                "user": None,
                "fault": None,
            }
            self._next_seq += 1
            self._entries.append(entry)
            return entry

    def update(self, entry, **fields):
        with self._lock:
            entry.update(fields)

    def entries(self):
        with self._lock:
            return copy.deepcopy(self._entries)

    def clear(self):
        with self._lock:
            self._entries = []


def _logged_body(raw_body):
    if not raw_body:
        return None
    text = raw_body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
