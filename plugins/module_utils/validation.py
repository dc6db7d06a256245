# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of module input that AnsibleModule's own type checks let through; each returns a list of messages. And
as_int, the integer a value from OCP's JSON or from a module argument stands for."""

from __future__ import absolute_import, division, print_function

import math


def as_int(value):
    """``value`` as an int: a JSON number, or a string of digits (some OCP builds send Java longs as strings), else
    None. YAML's and JSON's true is an int to Python, never a number here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def id_problems(name, values):
    """Messages for values that are not positive integer IDs (YAML's true is an int to Python, never an ID)."""
    bad = [value for value in values if isinstance(value, bool) or value is None or value <= 0]
    if not bad:
        return []
    return ["%s must be a positive integer ID, got %s" % (name, ", ".join(str(value) for value in bad))]


def seconds_problems(name, value):
    """Messages for a duration that is not a positive, finite number of seconds (None means unset: fine)."""
    if value is None:
        return []
    if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        return ["%s must be a positive number of seconds, got %s" % (name, value)]
    return []


def duplicate_problems(option, key, values):
    """A message when ``values`` (the ``key`` of each item of ``option``) lists something more than once."""
    duplicates = sorted(set(value for value in values if values.count(value) > 1), key=str)
    if not duplicates:
        return []
    return ["%s lists %s %s more than once: list each once"
            % (option, key, ", ".join(str(value) for value in duplicates))]
