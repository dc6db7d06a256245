# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounded parallel calls (OCP requests are I/O-bound: prechecks take seconds each)."""

from __future__ import absolute_import, division, print_function

from concurrent.futures import ThreadPoolExecutor


def run_concurrently(func, items, max_workers):
    """``[func(item) for item in items]`` with at most ``max_workers`` calls at a time.

    Results are in input order. If a call raises, calls not yet started are cancelled and the exception of the
    first failing item (in input order) is re-raised.
    """
    items = list(items)
    workers = max(1, min(int(max_workers), len(items)))
    if workers == 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(func, item) for item in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
