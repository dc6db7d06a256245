# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function


class ModuleDocFragment:
    # The wait options of every module that starts OCP tasks (plugins/module_utils/task_waiter.py WAIT_ARGUMENT_SPEC).
    DOCUMENTATION = r"""
options:
  wait:
    description:
      - Wait until the OCP task of every item has finished, and check the roles it leaves.
      - When V(false), return right after submission with the task IDs; a later run with the same input
        attaches to the tasks still running and waits for them without submitting again.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait for the tasks, in total for the whole batch.
      - Also bounds how long the module follows OCP's task list after a lost answer to its request.
      - When it passes, the module fails and lists every task and its status; the tasks keep running in OCP and
        a rerun resumes the wait.
    type: int
    default: 1800
  wait_sleep:
    description:
      - Seconds between the starts of two polls of the task status (a slow answer does not delay the next poll).
      - When not set, polling starts half a second after the request and backs off to one second, so a finished
        task is noticed within a second; after the first minute of a long wait (a big batch, whose every poll reads
        the list of all its running tasks) it backs off further, to five seconds.
    type: float
"""
