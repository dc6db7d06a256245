# -*- coding: utf-8 -*-
# Copyright: (c) 2026, oceanbase.ocp maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clusters and tenants by name: OCP's names resolved to OCP's ids, exactly, before anything is sent.

A DBA knows the tenant ``trade_dr`` of the cluster ``obcluster_dr``; OCP's API wants their ids. The ids come from
OCP's list endpoints (``GET /api/v2/ob/clusters`` and ``GET /api/v2/ob/clusters/{id}/tenants``, every page). Their
``name`` filters are keywords, matched fuzzily (docs/ocp-api.md, "Lists" and "Clusters"): ``t1`` also finds
``t10``. So names are compared exactly, client-side, on the list entries; what the fuzzy filter found for a name
that matches nothing exactly is shown as near matches, as a hint for a typo.

Every problem with the input (an item with both ``tenant_id`` and ``name``, or neither; an unknown name; a name
two tenants share; a tenant listed twice) is collected and reported in one :class:`NameResolutionError`, a
RunFailure, so run_module fails the module with it (common.py: the one error policy).

Tasks by name too: :func:`tasks_named` reads the task list once per exact task name (its ``name`` filter is fuzzy
as well).
"""

from __future__ import absolute_import, division, print_function

from ansible_collections.oceanbase.ocp.plugins.module_utils.concurrency import run_concurrently
from ansible_collections.oceanbase.ocp.plugins.module_utils.errors import RunFailure
from ansible_collections.oceanbase.ocp.plugins.module_utils.ocp_task import normalize_tasks
from ansible_collections.oceanbase.ocp.plugins.module_utils.validation import duplicate_problems, id_problems

# Lookups of the near matches of unknown names run in parallel, but not so wide that a long list floods OCP.
MAX_PARALLEL_LOOKUPS = 16
# How many near matches a message names before it says "and N more".
MAX_NEAR_MATCHES = 10


class NameResolutionError(RunFailure):
    """Names that do not resolve to exactly one OCP id, or items that name a tenant wrongly; ``problems`` lists
    each one (a sentence each). Nothing has been sent to OCP but list requests."""

    def __init__(self, problems):
        self.problems = list(problems)
        super(NameResolutionError, self).__init__(
            "Cannot tell which cluster or tenants are meant, nothing was sent to OCP: %s." % "; ".join(self.problems))


def entry_id(entry):
    """The OCP id of a cluster or tenant list entry (an int), or None."""
    value = (entry or {}).get("id")
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def entry_name(entry):
    name = (entry or {}).get("name")
    return name if isinstance(name, str) else None


def _near(entries, name):
    """The names (not the exact one) OCP's fuzzy filter returned for ``name``, for a message."""
    names = sorted(set(entry_name(entry) for entry in entries if entry_name(entry) not in (None, name)))
    if not names:
        return "OCP's name filter found no similar name"
    shown = ", ".join(repr(found) for found in names[:MAX_NEAR_MATCHES])
    if len(names) > MAX_NEAR_MATCHES:
        shown += " and %d more" % (len(names) - MAX_NEAR_MATCHES)
    return "similar names: %s" % shown


def _ids(entries):
    return ", ".join(str(entry_id(entry)) for entry in sorted(entries, key=lambda entry: entry_id(entry) or 0))


def resolve_cluster(client, cluster_id=None, cluster_name=None):
    """(cluster_id, cluster_name) of the cluster the caller means, by id or by name (exactly one of them).

    By id, nothing is read and the name is None (the tenant entries the caller reads carry it). By name, the
    cluster list is read with OCP's (fuzzy) name filter and the entry whose name is exactly ``cluster_name`` wins;
    none or several such entries raise NameResolutionError.
    """
    if cluster_id is not None and cluster_name is not None:
        raise NameResolutionError(["set cluster_id or cluster_name, not both"])
    if cluster_id is not None:
        problems = id_problems("cluster_id", [cluster_id])
        if problems:
            raise NameResolutionError(problems)
        return cluster_id, None
    if not cluster_name:
        raise NameResolutionError(["set cluster_id or cluster_name (a non-empty name)"])
    listed = client.list_clusters(name=cluster_name)
    exact = [entry for entry in listed if entry_name(entry) == cluster_name and entry_id(entry) is not None]
    exact = list(dict((entry_id(entry), entry) for entry in exact).values())  # a list read twice over a page edge
    if len(exact) == 1:
        return entry_id(exact[0]), cluster_name
    if not exact:
        raise NameResolutionError(["OCP has no cluster named %r (%s): check cluster_name, or give cluster_id"
                                   % (cluster_name, _near(listed, cluster_name))])
    raise NameResolutionError(["the cluster name %r is shared by %d clusters (ids %s): give cluster_id instead"
                               % (cluster_name, len(exact), _ids(exact))])


def _has(item, key):
    return item.get(key) is not None


def _way(item):
    """How an item names its tenant: "tenant_id", "name", or None (both or neither)."""
    if _has(item, "tenant_id") == _has(item, "name"):
        return None
    return "tenant_id" if _has(item, "tenant_id") else "name"


def tenant_item_problems(items, option="tenants"):
    """What is wrong with ``items`` before anything is read: each needs exactly one of ``tenant_id`` and ``name``,
    a positive id or a non-empty name, and no id or name may appear twice. A list of messages."""
    problems = []
    for index, item in enumerate(items or []):
        where = "%s[%d]" % (option, index)
        if _has(item, "tenant_id") and _has(item, "name"):
            problems.append("%s gives both tenant_id (%s) and name (%r): give exactly one"
                            % (where, item["tenant_id"], item["name"]))
        elif _has(item, "tenant_id"):
            problems += id_problems("%s.tenant_id" % where, [item["tenant_id"]])
        elif _has(item, "name"):
            if not str(item["name"]):
                problems.append("%s has an empty name" % where)
        else:
            problems.append("%s gives neither tenant_id nor name: give exactly one" % where)
    by_id = [item["tenant_id"] for item in items or [] if _way(item) == "tenant_id"]
    problems += duplicate_problems(option, "tenant_id", by_id)
    problems += duplicate_problems(option, "name", [item["name"] for item in items or [] if _way(item) == "name"])
    return problems


def resolve_tenants(client, cluster_id, items, option="tenants", tenants=None):
    """The items, each a new dict with both ``tenant_id`` and ``name`` set, in order.

    ``items`` are dicts with exactly one of ``tenant_id`` and ``name`` (other keys are kept). Names are resolved
    in the cluster's tenant list (every page; ``tenants``, the raw list, when the caller has read it already),
    compared exactly. Items by id keep their id and get the name the list shows (None when the list does not show
    the tenant: whoever reads the tenant next says whether it exists). Nothing is read when no item has a name and
    ``tenants`` is not given.

    Raises NameResolutionError listing every problem: the input's (tenant_item_problems), unknown names (with
    the near matches OCP's fuzzy filter returns for each), names shared by several tenants (with their ids), and a
    tenant given twice (once by id, once by name).
    """
    items = [dict(item) for item in items or []]
    problems = tenant_item_problems(items, option)
    ways = [_way(item) for item in items]
    named = [index for index, way in enumerate(ways) if way == "name" and str(items[index]["name"])]
    if tenants is None and named:
        tenants = client.list_tenants(cluster_id)
    by_name = {}
    by_id = {}
    for entry in tenants or []:
        tenant_id = entry_id(entry)
        if tenant_id is None or tenant_id in by_id:  # a list read over a page edge can repeat an entry
            continue
        by_id[tenant_id] = entry
        by_name.setdefault(entry_name(entry), []).append(entry)

    unknown = []
    for index in named:
        name = items[index]["name"]
        found = by_name.get(name, [])
        if len(found) == 1:
            items[index]["tenant_id"] = entry_id(found[0])
        elif not found:
            unknown.append(name)
        else:
            problems.append("the tenant name %r is shared by %d tenants of cluster %s (ids %s): give tenant_id instead"
                            % (name, len(found), cluster_id, _ids(found)))
    if unknown:
        near = run_concurrently(lambda name: client.list_tenants(cluster_id, name=name), unknown, MAX_PARALLEL_LOOKUPS)
        for name, listed in zip(unknown, near):
            problems.append("cluster %s has no tenant named %r (%s)" % (cluster_id, name, _near(listed, name)))
    for index, way in enumerate(ways):
        if way == "tenant_id":
            items[index]["name"] = entry_name(by_id.get(items[index]["tenant_id"]))

    # The same tenant by id and again by name (tenant_item_problems compared ids and names apart).
    given = {}
    for index, way in enumerate(ways):
        if way is not None and entry_id({"id": items[index].get("tenant_id")}) is not None:
            given.setdefault(items[index]["tenant_id"], []).append(index)
    for tenant_id, indexes in sorted(given.items()):
        if len(set(ways[index] for index in indexes)) > 1:
            places = ", ".join("%s[%d] by %s" % (option, index, ways[index]) for index in indexes)
            problems.append("%s lists tenant %s more than once (%s): list each once" % (option, tenant_id, places))
    if problems:
        raise NameResolutionError(problems)
    return items


def tasks_named(client, names, **filters):
    """OCP's tasks whose name is exactly one of ``names``, normalised (ocp_task.normalize_task), one list request
    (every page) per name; ``filters`` are the task list's other filters (clusterId, tenantId, status).

    The task list's ``name`` filter is a keyword too (docs/ocp-api.md, "Task list"), so each answer is compared
    exactly; a ``clusterId`` or ``tenantId`` filter is checked again on the normalised tasks, whichever shape OCP
    sent them in.
    """
    found = []
    for name in names:
        for task in normalize_tasks(client.list_tasks(name=name, **filters)):
            if task.get("name") != name:
                continue
            if filters.get("clusterId") is not None and task.get("cluster_id") not in (None, filters["clusterId"]):
                continue
            if filters.get("tenantId") is not None and task.get("tenant_id") not in (None, filters["tenantId"]):
                continue
            found.append(task)
    return found
