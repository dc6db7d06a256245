# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How far a standby tenant lags behind its primary, from a precheck answer: the one computation every precheck
module shares (failover and switchover prechecks both carry the standby's ``syncScn``).

docs/ocp-api.md, "Synchronization position and lag": ``syncScn`` [confirmed field] is, in OceanBase 4.x, a point in
time in nanoseconds since the epoch [assumed meaning: the point the standby has synchronized up to]. The lag is the
server time of the answer (the envelope's ``timestamp``: OCP's clock, so the controller's skew plays no part; see
client.server_time) minus ``syncScn`` / 1e9. A missing or implausible ``syncScn`` gives None: unknown, never zero.
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import as_int

SCN_UNITS_PER_SECOND = 10 ** 9
# A plausible SCN falls between 2000-01-01 and an hour after the server time (OceanBase's and OCP's clocks may
# disagree a little). Anything else (0, OceanBase's SCN_MAX, a latency in other units) is not a position in time.
EARLIEST_PLAUSIBLE_SCN_SECONDS = 946684800  # 2000-01-01T00:00:00Z
MAX_SCN_AHEAD_SECONDS = 3600


def scn_value(raw):
    """OCP's syncScn as an int (a JSON number, or a string of digits as some builds send Java longs), else None."""
    return as_int(raw)


def sync_lag_seconds(sync_scn, answered_at):
    """Seconds the standby lags behind (rounded to ms, at least 0): ``answered_at`` (the answer's server time, epoch
    seconds) minus syncScn / 1e9; None when either is missing or the SCN is not plausible."""
    scn = scn_value(sync_scn)
    if scn is None or answered_at is None:
        return None
    # Integer arithmetic first: a float holds an SCN (~1.7e18) only to about 256 ns.
    whole, rest = divmod(scn, SCN_UNITS_PER_SECOND)
    if whole < EARLIEST_PLAUSIBLE_SCN_SECONDS or whole > answered_at + MAX_SCN_AHEAD_SECONDS:
        return None
    lag = (answered_at - whole) - float(rest) / SCN_UNITS_PER_SECOND
    return round(max(lag, 0.0), 3)
