# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the precheck modules (failover, switchover) share: OCP's ``checkResults`` as the modules' errors and warnings,
and the one-line message of a failed precheck."""

from __future__ import absolute_import, division, print_function


def findings(check_results):
    """(errors, warnings) of an ObTenantPreCheckResult's ``checkResults``: ``{error_code, error_message}`` dicts, a
    result marked ``warning`` among the warnings, every other one among the errors (it blocks)."""
    errors, warnings = [], []
    for check in check_results or []:
        if isinstance(check, dict):
            finding = dict(error_code=check.get("errorCode"), error_message=check.get("errorMessage"))
            (warnings if check.get("warning") else errors).append(finding)
    return errors, warnings


def invalid_message(operation, prechecks, label, unit="tenants"):
    """"<Operation> precheck failed for N of M <unit>: <label>: CODE message; ... | ..." for the invalid prechecks;
    ``label(precheck)`` names one ("tenant 2000025 (ohayo_2)")."""
    invalid = [precheck for precheck in prechecks if not precheck["valid"]]
    reasons = ["%s: %s" % (label(precheck), "; ".join("%s %s" % (error["error_code"], error["error_message"])
                                                      for error in precheck["errors"])
                           or "OCP reported it invalid without an error code") for precheck in invalid]
    return "%s precheck failed for %d of %d %s: %s" % (operation, len(invalid), len(prechecks), unit,
                                                       " | ".join(reasons))
