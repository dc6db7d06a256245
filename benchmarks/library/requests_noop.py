# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only module: imports requests and does nothing else.

The floor of module start-up for any module built on requests, as oceanbase.ocp's modules are: benchmarks/run.py
times it next to ansible.builtin.ping and ocp_failover_precheck to tell requests' import cost from the collection's.
"""

from __future__ import absolute_import, division, print_function

from ansible.module_utils.basic import AnsibleModule
import requests  # noqa: F401  # pylint: disable=unused-import


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False)


if __name__ == "__main__":
    main()
