#!/usr/bin/env python
"""Performance figures of oceanbase.ocp against the OCP simulator (`make benchmark`).

Prints the machine and three tables (benchmarks/README.md explains every figure):
  1. the scale curve, N = 1, 10, 100, 1000 tenants in one cluster: a precheck of N tenants, and failovers of N
     tenants with role evidence (the tenantRole field, or a task history) or without (fresh standbys of OCP's
     documented shape: one precheck each as evidence of last resort, unless the results of ocp_failover_precheck
     are passed in `prechecks`, as the role does), with return_subtasks false and true. For
     each: wall time, overhead (wall minus the server's own time), requests by kind, the module process's CPU
     time and peak memory, and the size of the result;
  2. where a failover's overhead goes (phases from the recorded requests, OCP's task times, the module's exit);
  3. the targets: requests and POSTs at N = 1000, overhead at 1000 vs 10, the poll schedule (and a case of slow
     polls on a fixed schedule, where drift would show), the role end to end
     (10 tenants) against the modules' own time, the role against the same job written with ansible.builtin.uri
     tasks (N = 10 and 50), result sizes, and module start-up against a no-op module.
Times are task wall times measured by the task_timer callback (task start to result), module process figures
come from benchmarks/site/sitecustomize.py, requests from a recorder in front of the simulator's WSGI app.
Nothing here asserts: these are figures for benchmarks/README.md, not tests.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import itertools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT / "tests"))
from ocp_simulator import Simulator  # noqa: E402  # pylint: disable=wrong-import-position

# The simulator's account for these runs: a throwaway password for a server on loopback; never printed.
USER, PASSWORD = "bench", "Bench-Secret-1"
PRIMARY_CLUSTER, FIRST_STANDBY_CLUSTER = 3000010, 3000020
FIRST_PRIMARY_ID, FIRST_STANDBY_ID, IDS_PER_CLUSTER = 1000001, 2000001, 100000
# The simulator's "Failover tenant" task runs five subtasks one after another.
SUBTASKS_PER_TASK = 5
# ocp_failover_precheck's default max_concurrency, and the engine's MAX_PARALLEL_PRECHECKS (role_change.py).
PRECHECK_CONCURRENCY = 50
PRECHECK = "oceanbase.ocp.ocp_failover_precheck"
FAILOVER = "oceanbase.ocp.ocp_tenant_failover"
ROLE_PLAYBOOK = "oceanbase.ocp.precheck_then_failover"
FAILOVER_TASK_NAME = "Failover tenant"
SWITCHOVER_TASK_NAME = "Switchover ob tenant for network mode"
BIN = Path(sys.executable).parent

# The targets.
MAX_REQUESTS_AT_SCALE = 60
# Sleeping on a loaded machine overshoots by a few milliseconds: allowed when checking "noticed within one interval".
NOTICE_TOLERANCE = 0.05
OVERHEAD_RATIO_TARGET = 3.0          # overhead at the largest N over the overhead at N = 10
ROLE_OVER_MODULES_TARGET = 1.5       # the role end to end over the modules' own time, 10 tenants
STARTUP_TARGET = 1.2                 # last turn's: a precheck task over a no-op module task

# Role evidence of a scenario's standbys (see scenario()).
EVIDENCE_TENANT_ROLE = "tenantRole field"
EVIDENCE_HISTORY = "task history"
EVIDENCE_NONE = "none (fresh standbys)"
# Fresh standbys too, with the results of ocp_failover_precheck passed in the failover module's `prechecks` option,
# as the role does after its own precheck.
EVIDENCE_GIVEN = "prechecks given (fresh standbys)"


def standby_id(cluster_index, index):
    return FIRST_STANDBY_ID + cluster_index * IDS_PER_CLUSTER + index


def standby_cluster(cluster_index):
    return FIRST_STANDBY_CLUSTER + cluster_index


def standby_ids(cluster_index, count):
    return [standby_id(cluster_index, index) for index in range(count)]


def scenario(sizes, precheck_seconds=0.0, subtask_seconds=0.1, latency=0.0, evidence=EVIDENCE_NONE):
    """A simulator scenario: standby cluster k holds sizes[k] standby tenants, each with an unreachable primary in
    one primary cluster (so every precheck passes).

    ``evidence`` says what tells the engine that the standbys are standbys without a precheck: OCP's documented
    shape gives nothing (EVIDENCE_NONE); EVIDENCE_TENANT_ROLE exposes the assumed tenantRole field;
    EVIDENCE_HISTORY seeds, for every standby, a SUCCESSFUL switchover of a day ago that made it the standby (as
    after a switchback). ``latency`` delays every API request, as the round trip to a distant OCP would.
    """
    clusters = [{"id": PRIMARY_CLUSTER, "name": "east", "status": "RUNNING"}]
    tenants, history = [], []
    for cluster_index, size in enumerate(sizes):
        cluster_id = standby_cluster(cluster_index)
        clusters.append({"id": cluster_id, "name": f"west{cluster_index}", "status": "RUNNING"})
        for index in range(size):
            tenant_id = standby_id(cluster_index, index)
            primary_id = FIRST_PRIMARY_ID + cluster_index * IDS_PER_CLUSTER + index
            tenants.append({"id": primary_id, "name": f"p{cluster_index}_{index}", "clusterId": PRIMARY_CLUSTER,
                            "tenantRole": "PRIMARY", "reachable": False, "mode": "MYSQL", "status": "NORMAL"})
            tenants.append({"id": tenant_id, "name": f"s{cluster_index}_{index}", "clusterId": cluster_id,
                            "tenantRole": "STANDBY", "primaryTenantId": primary_id,
                            "primaryClusterId": PRIMARY_CLUSTER, "syncScn": 0, "mode": "MYSQL", "status": "NORMAL"})
            if evidence == EVIDENCE_HISTORY:
                history.append({"name": SWITCHOVER_TASK_NAME, "clusterId": cluster_id, "tenantId": tenant_id,
                                "standbyTenantId": primary_id, "status": "SUCCESSFUL", "ageSeconds": 86400})
    result = {"users": [{"username": USER, "password": PASSWORD, "permissions": ["read", "write"]}],
              "access_keys": [],
              "timing": {"precheck_seconds": precheck_seconds, "subtask_seconds": subtask_seconds},
              "options": {"expose_tenant_role": evidence == EVIDENCE_TENANT_ROLE},
              "clusters": clusters,
              "tenants": tenants,
              "faults": [{"method": "*", "path": "/api/*", "action": "latency", "seconds": latency}] if latency else []}
    if history:
        result["tasks"] = history
    return result


# The simulator, with a recorder in front -----------------------------------------------------------------------

class _RecordedBody:
    """A WSGI answer that counts its bytes and notes when the server has written the last one (close())."""

    def __init__(self, body, entry):
        self._body = body
        self._entry = entry

    def __iter__(self):
        for chunk in self._body:
            self._entry["bytes"] += len(chunk)
            yield chunk

    def close(self):
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._entry["ended"] = time.time()


class Recorder:
    """WSGI middleware in front of the simulator's app: each request's method, path, query, arrival and end time
    (epoch, the clock the task_timer callback also writes), status and answer size. The simulator's own request
    log has no end times or sizes; this measures the server side of every request."""

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()
        self._entries = []

    def __call__(self, environ, start_response):
        entry = {"method": environ["REQUEST_METHOD"], "path": environ.get("PATH_INFO", ""),
                 "query": parse_qs(environ.get("QUERY_STRING", "")), "started": time.time(), "ended": None,
                 "status": None, "bytes": 0}
        with self._lock:
            self._entries.append(entry)

        def recording_start_response(status, headers, exc_info=None):
            entry["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        return _RecordedBody(self._app(environ, recording_start_response), entry)

    def requests(self, started=None, ended=None):
        """The API requests that arrived within [started, ended] (epoch), oldest first."""
        with self._lock:
            entries = [dict(entry) for entry in self._entries if entry["path"].startswith("/api/")]
        return [entry for entry in entries
                if (started is None or entry["started"] >= started) and (ended is None or entry["started"] <= ended)]


@contextmanager
def served(scenario_dict):
    """A running simulator for the scenario, and the Recorder of its requests."""
    sim = Simulator(scenario=scenario_dict, port=0)
    recorder = Recorder(sim._app)  # pylint: disable=protected-access  # the WSGI app, before the server starts
    sim._app = recorder  # pylint: disable=protected-access
    with sim:
        yield sim, recorder


TASKS_PATH = "/api/v2/tasks/instances"
_TASK_DETAIL = re.compile(r"^/api/v2/tasks/instances/\d+$")
_TENANT_LIST = re.compile(r"^/api/v2/ob/(clusters/\d+/)?tenants$")
_TENANT_DETAIL = re.compile(r"^/api/v2/ob/clusters/\d+/tenants/\d+$")
# The kinds of request, in the order a failover sends them.
KINDS = ("tenant list", "tenant detail", "task list", "precheck", "POST", "poll", "task detail")


def request_kind(request):
    method, path = request["method"], request["path"]
    if method == "POST" and path.endswith("/tenants/failover"):
        return "POST"
    if method == "POST" and path.endswith("/failoverPreCheck"):
        return "precheck"
    if method == "GET" and path == TASKS_PATH:
        return "poll" if request["query"].get("status") == ["RUNNING"] else "task list"
    if method == "GET" and _TASK_DETAIL.match(path):
        return "task detail"
    if method == "GET" and _TENANT_LIST.match(path):
        return "tenant list"
    if method == "GET" and _TENANT_DETAIL.match(path):
        return "tenant detail"
    return f"{method} {path}"


def kind_counts(requests):
    return Counter(request_kind(request) for request in requests)


def kinds_text(counts):
    """'tenant list 1, task list 3, POST 1, poll 2' (kinds in KINDS order, then any other)."""
    order = list(KINDS) + sorted(kind for kind in counts if kind not in KINDS)
    return ", ".join(f"{kind} {counts[kind]}" for kind in order if counts.get(kind))


# Running playbooks -----------------------------------------------------------------------------------------------

@dataclass
class TaskTime:
    """One task result as the task_timer callback saw it: seconds from task start to result, epoch times, and the
    size of the result as JSON."""

    seconds: float
    started: float
    ended: float
    status: str
    result_bytes: int = 0


@dataclass
class ModuleRun:
    """One module process as benchmarks/site/sitecustomize.py saw it."""

    module: str
    started: float
    seconds: float
    cpu_seconds: float
    max_rss_kb: int


@dataclass
class PlaybookRun:
    times: dict  # task name -> TaskTime
    wall: float  # seconds of the whole ansible-playbook command
    modules: list = field(default_factory=list)  # ModuleRun, in start order

    def module_of(self, task):
        """The module process that ran during a task (the first, for a task that ran one)."""
        for run in self.modules:
            if task.started <= run.started <= task.ended:
                return run
        return None


class Bench:
    """Runs ansible-playbook against a simulator with the task_timer callback; one directory per run."""

    def __init__(self, collections_path, workdir, latency=0.0, profile_dir=None):
        self.collections_path = collections_path
        self.workdir = Path(workdir)
        self.latency = latency
        self.profile_dir = profile_dir
        self.runs = 0

    def playbook(self, sim, tasks=None, playbook=None, extra_vars=None, play_vars=None, check=False):
        self.runs += 1
        run_dir = self.workdir / f"run{self.runs}"
        run_dir.mkdir()
        times_file, modules_file = run_dir / "times.jsonl", run_dir / "modules.jsonl"
        if playbook is None:
            play = {"name": "bench", "hosts": "localhost", "gather_facts": False, "vars": play_vars or {},
                    "module_defaults": {"group/oceanbase.ocp.ocp": {
                        "api_url": sim.url, "username": USER, "password": PASSWORD}},
                    "tasks": tasks}
            playbook = run_dir / "playbook.yml"
            playbook.write_text(yaml.safe_dump([play], sort_keys=False), encoding="utf-8")
        command = [str(BIN / "ansible-playbook"), str(playbook)]
        if extra_vars:
            vars_file = run_dir / "vars.yml"
            vars_file.write_text(yaml.safe_dump(extra_vars), encoding="utf-8")
            command += ["-e", f"@{vars_file}"]
        if check:
            command.append("--check")
        # Only this run's settings: nothing from the caller's ANSIBLE_* or OCP_* environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OCP_", "ANSIBLE_"))}
        env.update({"ANSIBLE_COLLECTIONS_PATH": self.collections_path,
                    "ANSIBLE_LIBRARY": str(BENCHMARKS / "library"),
                    "ANSIBLE_CALLBACK_PLUGINS": str(BENCHMARKS / "callback_plugins"),
                    "ANSIBLE_CALLBACKS_ENABLED": "task_timer", "OCP_BENCH_TIMES_FILE": str(times_file),
                    "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
                    # Every module process records its wall time, CPU time and peak memory (sitecustomize.py).
                    "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHMARKS / "site"), env.get("PYTHONPATH")])),
                    "OCP_BENCH_MODULE_FILE": str(modules_file),
                    "OCP_BENCH_PROFILE_DIR": self.profile_dir or "",
                    "OCP_API_URL": sim.url, "OCP_USERNAME": USER, "OCP_PASSWORD": PASSWORD})
        started = time.monotonic()
        proc = subprocess.run(command, cwd=run_dir, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        times = {}
        for line in times_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            name = entry.pop("task")
            times[name] = TaskTime(**entry)
        modules = []
        if modules_file.exists():
            modules = [ModuleRun(**json.loads(line)) for line in modules_file.read_text(encoding="utf-8").splitlines()]
        return PlaybookRun(times, wall, sorted(modules, key=lambda run: run.started))


# Figures ----------------------------------------------------------------------------------------------------------

def median(values):
    return statistics.median(values)


def spread(values, unit=" s", digits=2):
    """'median (min-max)' of a list of measurements."""
    values = sorted(values)
    text = f"{median(values):.{digits}f}{unit}"
    if len(values) > 1:
        text += f" ({values[0]:.{digits}f}-{values[-1]:.{digits}f})"
    return text


def counts(values):
    """Distinct counts seen across runs, e.g. '5' or '5-6'."""
    return "-".join(str(value) for value in sorted({min(values), max(values)}))


def size_text(size):
    if size >= 1e6:
        return f"{size / 1e6:.2f} MB"
    if size >= 1e3:
        return f"{size / 1e3:.1f} kB"
    return f"{size} B"


def verdict(ok):
    return "met" if ok else "MISSED"


@dataclass
class Row:
    case: str
    figure: str
    detail: str = ""
    target: str = "-"
    result: str = "-"


def ocp_epoch(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def poll_schedule(wait_sleep):
    """The poll intervals the module's PollSchedule follows (task_waiter.poll_intervals, the one place for them)."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.oceanbase.ocp.plugins.module_utils.task_waiter import poll_intervals
    return poll_intervals(wait_sleep)


@dataclass
class Case:
    """One curve case: an operation on N tenants with a given role evidence and options."""

    operation: str        # "precheck" or "failover"
    tenants: int
    evidence: str = EVIDENCE_NONE
    return_subtasks: bool = True
    wait_sleep: float = None
    poll_latency: float = 0.0  # seconds added to every task list answer (a fault rule), to show the schedule
    figures: list = field(default_factory=list)  # one dict per measured run

    @property
    def label(self):
        if self.operation == "precheck":
            return "precheck (ocp_failover_precheck)"
        label = f"failover, evidence: {self.evidence}, return_subtasks {str(self.return_subtasks).lower()}"
        if self.wait_sleep is not None:
            label += f", wait_sleep {self.wait_sleep:g}"
        if self.poll_latency:
            label += f", task lists +{self.poll_latency:g} s"
        return label

    def median(self, key):
        return median([figures[key] for figures in self.figures])


def module_figures(task, module, requests):
    return {"wall": task.seconds, "requests": len(requests), "kinds": kind_counts(requests),
            "cpu": module.cpu_seconds if module else float("nan"),
            "rss_mb": module.max_rss_kb / 1024 if module else float("nan"),
            "module_seconds": module.seconds if module else float("nan"),
            "result_bytes": task.result_bytes}


def precheck_figures(task, module, requests, tenants, precheck_seconds):
    """A precheck of N tenants: its bound is ceil(N / max_concurrency) rounds of the server's precheck time."""
    figures = module_figures(task, module, requests)
    rounds = math.ceil(tenants / PRECHECK_CONCURRENCY)
    figures.update(server=rounds * precheck_seconds, rounds=rounds, overhead=task.seconds - rounds * precheck_seconds)
    return figures


def failover_figures(task, module, requests, server_tasks, wait_sleep):
    """What one ocp_tenant_failover task did and where its time went.

    The task's epoch start/end (callback), the recorder's requests, OCP's task times and the module process's
    start and exit share the machine's clock: task start -> first request -> POST (OCP creates the tasks: their
    startTime) -> the last task finishes (finishTime) -> the first poll after that -> the last request ends ->
    the module process exits -> task result. The phases outside the server's task time add up to the overhead
    (wall - task time).
    """
    figures = module_figures(task, module, requests)
    posts = [r for r in requests if request_kind(r) == "POST"]
    polls = [r for r in requests if request_kind(r) == "poll"]
    task_started = min(ocp_epoch(t["startTime"]) for t in server_tasks)
    task_finished = max(ocp_epoch(t["finishTime"]) for t in server_tasks)
    first, last, post = requests[0], requests[-1], posts[0]
    # The schedule starts when the wait does, right after the POST's answer: the first interval is measured from
    # the POST's end (it includes reading the answer), the next ones from the start of the previous poll.
    starts = [post["ended"]] + [poll["started"] for poll in polls]
    intervals = [b - a for a, b in zip(starts, starts[1:])]
    expected = list(itertools.islice(poll_schedule(wait_sleep), len(intervals)))
    noticed = next((index for index, poll in enumerate(polls) if poll["started"] >= task_finished), None)
    noticed_at = polls[noticed]["started"] if noticed is not None else last["started"]
    module_exit = module.started + module.seconds if module else task.ended
    server_seconds = task_finished - task_started
    figures.update(
        server=server_seconds, overhead=task.seconds - server_seconds, posts=len(posts), polls=len(polls),
        answer_bytes=sum(r["bytes"] for r in requests),
        # How far each poll after the first started from its due time, and how long the poll before it took:
        # drift would add the previous poll's duration to each interval.
        deviations=[obs - exp for obs, exp in zip(intervals[1:], expected[1:])],
        previous_poll_seconds=[poll["ended"] - poll["started"] for poll in polls[:-1]][:max(len(intervals) - 1, 0)],
        poll_seconds=[poll["ended"] - poll["started"] for poll in polls],
        # A finished task is noticed by the first poll after max(its finish, the previous poll's start).
        notice_delay=None if noticed is None else noticed_at - max(task_finished, starts[noticed]),
        notice_interval=None if noticed is None else expected[noticed],
        post_answer=post["ended"] - task_started,
        phases={
            "start-up, to the first request": first["started"] - task.started,
            "reads before the POST (and fallback prechecks)": post["started"] - first["started"],
            "POST until OCP created the tasks": task_started - post["started"],
            "poll lag: last task finished -> next poll": noticed_at - task_finished,
            "reads after the tasks finished": last["ended"] - noticed_at,
            "module: last answer -> exit (result building)": module_exit - last["ended"],
            "Ansible: module exit -> task result": task.ended - module_exit,
        })
    return figures


# 1. The scale curve -----------------------------------------------------------------------------------------------

def bench_precheck_curve(bench, sizes, repeat, precheck_seconds):
    cases = []
    for tenants in sizes:
        case = Case("precheck", tenants)
        ids = standby_ids(0, tenants)
        with served(scenario([tenants], precheck_seconds=precheck_seconds, latency=bench.latency)) as (sim, recorder):
            # The first use of a module in a playbook also builds its payload: a warm-up task takes that cost.
            tasks = [{"name": "warm-up", PRECHECK: {"cluster_id": standby_cluster(0), "tenant_id": ids[0]}}]
            tasks += [{"name": f"run {index}", PRECHECK: {"cluster_id": standby_cluster(0), "tenant_ids": ids}}
                      for index in range(repeat)]
            run = bench.playbook(sim, tasks=tasks)
            for index in range(repeat):
                task = run.times[f"run {index}"]
                requests = recorder.requests(task.started, task.ended)
                case.figures.append(precheck_figures(task, run.module_of(task), requests, tenants, precheck_seconds))
        cases.append(case)
    return cases


def failover_task(name, cluster_index, tenants, return_subtasks, wait_sleep=None, check=False, prechecks=False):
    options = {"cluster_id": standby_cluster(cluster_index),
               "tenants": [{"tenant_id": tenant_id} for tenant_id in standby_ids(cluster_index, tenants)],
               "return_subtasks": return_subtasks}
    if prechecks:  # what ocp_failover_precheck returns for them (the keys the module reads)
        options["prechecks"] = [{"tenant_id": tenant_id, "cluster_id": standby_cluster(cluster_index),
                                 "role": "STANDBY", "valid": True}
                                for tenant_id in standby_ids(cluster_index, tenants)]
    if wait_sleep is not None:
        options["wait_sleep"] = wait_sleep
    task = {"name": name, FAILOVER: options}
    if check:
        task["check_mode"] = True
    return task


def bench_failover_case(bench, case, repeat, task_seconds, precheck_seconds):
    """`repeat` failovers of case.tenants tenants in one playbook, each of its own cluster (clusters 1..repeat),
    after a warm-up (check mode, one tenant of cluster 0) that builds the module's payload."""
    sizes = [1] + [case.tenants] * repeat
    setting = scenario(sizes, precheck_seconds=precheck_seconds, subtask_seconds=task_seconds / SUBTASKS_PER_TASK,
                       latency=bench.latency, evidence=case.evidence)
    if case.poll_latency:
        setting["faults"].append({"method": "GET", "path": TASKS_PATH, "action": "latency",
                                  "seconds": case.poll_latency})
    with served(setting) as (sim, recorder):
        given = case.evidence == EVIDENCE_GIVEN
        tasks = [failover_task("warm-up", 0, 1, case.return_subtasks, check=True, prechecks=given)]
        tasks += [failover_task(f"run {index}", index, case.tenants, case.return_subtasks, case.wait_sleep,
                                prechecks=given)
                  for index in range(1, repeat + 1)]
        run = bench.playbook(sim, tasks=tasks)
        server_tasks = [task for task in sim.state.tasks.values() if task["name"] == FAILOVER_TASK_NAME]
        for index in range(1, repeat + 1):
            task = run.times[f"run {index}"]
            mine = [t for t in server_tasks if t["clusterId"] == standby_cluster(index)]
            case.figures.append(failover_figures(task, run.module_of(task), recorder.requests(task.started, task.ended),
                                                 mine, case.wait_sleep))
    return case


FAILOVER_VARIANTS = (
    # (role evidence, return_subtasks)
    (EVIDENCE_TENANT_ROLE, False),
    (EVIDENCE_HISTORY, False),
    (EVIDENCE_HISTORY, True),
    (EVIDENCE_NONE, False),
    (EVIDENCE_GIVEN, False),
)


def bench_failover_curve(bench, sizes, repeat, task_seconds, precheck_seconds):
    return [bench_failover_case(bench, Case("failover", tenants, evidence, return_subtasks), repeat, task_seconds,
                                precheck_seconds)
            for evidence, return_subtasks in FAILOVER_VARIANTS for tenants in sizes]


def curve_table(cases):
    header = ("case", "N", "wall", "overhead", "requests", "requests by kind", "module CPU", "peak RSS", "result")
    rows = []
    for case in cases:
        every = case.figures
        kinds = Counter()
        for figures in every:
            kinds |= figures["kinds"]  # the most of each kind seen in a run
        rows.append((case.label, str(case.tenants), spread([f["wall"] for f in every]),
                     spread([f["overhead"] for f in every]), counts([f["requests"] for f in every]), kinds_text(kinds),
                     f"{case.median('cpu'):.2f} s", f"{case.median('rss_mb'):.0f} MB",
                     size_text(case.median("result_bytes"))))
    return header, rows


def phases_table(cases):
    phases = list(cases[0].figures[0]["phases"])
    header = ("failover case", "N", "overhead") + tuple(phases) + ("POST answer (in task time)", "answers read")
    rows = []
    for case in cases:
        rows.append((case.label, str(case.tenants), f"{case.median('overhead'):.2f} s")
                    + tuple(f"{median([f['phases'][phase] for f in case.figures]):.3f} s" for phase in phases)
                    + (f"{case.median('post_answer'):.3f} s", size_text(case.median("answer_bytes"))))
    return header, rows


# 2. The role, and the same job with ansible.builtin.uri -------------------------------------------------------------

def short_task_name(name, width=70):
    name = name.split(" : ", 1)[-1]  # without the role's prefix
    return name if len(name) <= width else name[:width - 3] + "..."


@dataclass
class JobRuns:
    """Runs of one whole job (the role, or the uri playbook) for N tenants."""

    tenants: int
    walls: list = field(default_factory=list)
    module_seconds: list = field(default_factory=list)  # the sum of the module processes' own time, per run
    module_runs: Counter = field(default_factory=Counter)  # module name -> processes per run (last run)
    deciding_runs: int = 0  # failover module runs before the first precheck: only deciding what to precheck
    requests: list = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    per_task: dict = field(default_factory=dict)


def role_vars(tenants):
    return {"tenant_failover_cluster_id": standby_cluster(0),
            "tenant_failover_tenants": [{"tenant_id": tenant_id} for tenant_id in standby_ids(0, tenants)]}


def bench_role(bench, tenants, precheck_seconds, task_seconds, repeat):
    runs = JobRuns(tenants)
    for dummy in range(repeat):
        with served(scenario([tenants], precheck_seconds=precheck_seconds, latency=bench.latency,
                             subtask_seconds=task_seconds / SUBTASKS_PER_TASK)) as (sim, recorder):
            run = bench.playbook(sim, playbook=ROLE_PLAYBOOK, extra_vars=role_vars(tenants))
            requests = recorder.requests()
        record_job_run(runs, run, requests)
    return runs


def record_job_run(runs, run, requests):
    runs.walls.append(run.wall)
    runs.module_seconds.append(sum(module.seconds for module in run.modules))
    runs.module_runs = Counter(module.module for module in run.modules)
    # Last turn's role ran ocp_tenant_failover in check mode first, only to learn which tenants to precheck.
    prechecks = [module.started for module in run.modules if module.module == "ocp_failover_precheck"]
    runs.deciding_runs = sum(1 for module in run.modules if module.module == "ocp_tenant_failover"
                             and prechecks and module.started < prechecks[0])
    runs.requests.append(len(requests))
    runs.kinds = kind_counts(requests)
    for name, task in run.times.items():
        runs.per_task.setdefault(name, []).append(task.seconds)


def uri_tasks():
    """The job as users write it without the collection: a precheck loop, one POST, an `until:` loop per task."""
    connection = {"url_username": "{{ ocp_username }}", "url_password": "{{ ocp_password }}",
                  "force_basic_auth": True, "validate_certs": False}
    cluster = "{{ ocp_url }}/api/v2/ob/clusters/{{ cluster_id }}"
    return [
        {"name": "Precheck each standby tenant",
         "ansible.builtin.uri": dict(connection, url=cluster + "/tenants/{{ item }}/failoverPreCheck", method="POST"),
         "loop": "{{ tenant_ids }}", "register": "prechecks"},
        {"name": "Stop unless every precheck passed",
         "ansible.builtin.assert": {"that": ["prechecks.results | map(attribute='json.data.valid') | reject | list"
                                             " | length == 0"]}},
        {"name": "Fail the tenants over in one batch",
         "ansible.builtin.uri": dict(connection, url=cluster + "/tenants/failover", method="POST", body_format="json",
                                     body='{"failoverTenantItemList": [{% for id in tenant_ids %}{"tenantId": {{ id }}}'
                                          '{{ "," if not loop.last else "" }}{% endfor %}]}'),
         "register": "failover"},
        {"name": "Wait for each OCP task",
         "ansible.builtin.uri": dict(connection, url="{{ ocp_url }}/api/v2/tasks/instances/{{ item.id }}"),
         "loop": "{{ failover.json.data.contents }}", "register": "waited",
         "until": "waited.json.data.status in ['SUCCESSFUL', 'FAILED']", "retries": 1800, "delay": 1},
        {"name": "Check that every task succeeded",
         "ansible.builtin.assert": {"that": ["waited.results | map(attribute='json.data.status')"
                                             " | reject('equalto', 'SUCCESSFUL') | list | length == 0"]}},
    ]


def bench_uri(bench, tenants, precheck_seconds, task_seconds):
    runs = JobRuns(tenants)
    with served(scenario([tenants], precheck_seconds=precheck_seconds, latency=bench.latency,
                         subtask_seconds=task_seconds / SUBTASKS_PER_TASK)) as (sim, recorder):
        tasks = uri_tasks()
        play_vars = {"ocp_url": sim.url, "ocp_username": USER, "ocp_password": PASSWORD,
                     "cluster_id": standby_cluster(0), "tenant_ids": standby_ids(0, tenants)}
        run = bench.playbook(sim, tasks=tasks, play_vars=play_vars)
        record_job_run(runs, run, recorder.requests())
    return runs


# 3. Module start-up -----------------------------------------------------------------------------------------------

def bench_startup(bench, repeat, playbooks):
    kinds = {
        "ping": {"ansible.builtin.ping": {}},
        "requests no-op": {"requests_noop": {}},
        "precheck": {PRECHECK: {"cluster_id": standby_cluster(0), "tenant_id": standby_id(0, 0)}},
    }
    samples = {kind: [] for kind in kinds}
    first_use = {kind: [] for kind in kinds}
    with served(scenario([1], latency=bench.latency)) as (sim, dummy):
        for dummy in range(playbooks):
            # Interleaved, so that whatever else the machine does hits every kind alike. The first task of each
            # kind builds its module's payload and is reported apart.
            tasks = [{"name": f"{kind} first", **module} for kind, module in kinds.items()]
            for index in range(repeat):
                tasks += [{"name": f"{kind} {index}", **module} for kind, module in kinds.items()]
            times = bench.playbook(sim, tasks=tasks).times
            for kind in kinds:
                samples[kind] += [times[f"{kind} {index}"].seconds for index in range(repeat)]
                first_use[kind].append(times[f"{kind} first"].seconds)
    ping, floor, precheck = (median(samples[kind]) for kind in kinds)
    count = len(samples["ping"])
    return [
        Row("module start-up: precheck task for one tenant (server answers at once)", f"{precheck:.3f} s",
            f"{precheck / ping:.2f}x no-op, median of {count}", f"<= {STARTUP_TARGET}x (last turn)",
            "met" if precheck / ping <= STARTUP_TARGET else "missed (structural, README)"),
        Row("module start-up: no-op module that only imports requests (floor)", f"{floor:.3f} s",
            f"{floor / ping:.2f}x no-op, median of {count}"),
        Row("module start-up: ansible.builtin.ping task (no-op)", f"{ping:.3f} s", f"1.00x, median of {count}"),
        Row("module start-up: first precheck task of a playbook (builds the payload)",
            f"{median(first_use['precheck']):.3f} s", f"+{median(first_use['precheck']) - precheck:.3f} s"),
    ]


# Targets ----------------------------------------------------------------------------------------------------------

def find(cases, operation, tenants, evidence=None, return_subtasks=None, wait_sleep=None):
    for case in cases:
        if (case.operation == operation and case.tenants == tenants and case.wait_sleep == wait_sleep
                and (evidence is None or case.evidence == evidence)
                and (return_subtasks is None or case.return_subtasks == return_subtasks)):
            return case
    return None


def failover_targets(cases, sizes):
    rows = []
    largest = max(sizes)
    at_scale = [case for case in cases if case.operation == "failover" and case.tenants == largest
                and case.wait_sleep is None and not case.poll_latency]
    posts = [f["posts"] for case in at_scale for f in case.figures]
    if posts:
        rows.append(Row(f"failover of {largest} tenants: failover POSTs per module run", counts(posts),
                        f"{len(posts)} runs, every case", "1", verdict(set(posts) == {1})))
    for case in at_scale:
        requests = [f["requests"] for f in case.figures]
        if case.evidence == EVIDENCE_NONE:
            target, result = "- (fallback)", f"{case.figures[0]['kinds']['precheck']} prechecks as evidence"
        elif case.return_subtasks:
            target, result = "- (by design)", f"{case.figures[0]['kinds']['task detail']} task details for subtasks"
        else:
            target, result = f"<= {MAX_REQUESTS_AT_SCALE}", verdict(max(requests) <= MAX_REQUESTS_AT_SCALE)
        rows.append(Row(f"failover of {largest}, {case.label}: HTTP requests", counts(requests),
                        kinds_text(case.figures[0]["kinds"]), target, result))
    if 10 in sizes and largest > 10:
        for evidence, return_subtasks in FAILOVER_VARIANTS:
            small, big = (find(cases, "failover", n, evidence, return_subtasks) for n in (10, largest))
            if small and big:
                ratio = big.median("overhead") / small.median("overhead")
                rows.append(Row(f"failover overhead, N={largest} / N=10, {big.label}", f"{ratio:.2f}x",
                                f"{big.median('overhead'):.2f} s / {small.median('overhead'):.2f} s",
                                f"<= {OVERHEAD_RATIO_TARGET:g}x",
                                verdict(ratio <= OVERHEAD_RATIO_TARGET) if evidence != EVIDENCE_NONE
                                else f"{verdict(ratio <= OVERHEAD_RATIO_TARGET)} (includes the fallback prechecks)"))
    small, big = (find(cases, "failover", largest, EVIDENCE_HISTORY, flag) for flag in (False, True))
    if small and big:
        rows.append(Row(f"failover of {largest}: result size, return_subtasks false / true",
                        f"{size_text(small.median('result_bytes'))} / {size_text(big.median('result_bytes'))}",
                        f"task details {small.figures[0]['kinds']['task detail']} / "
                        f"{big.figures[0]['kinds']['task detail']}; peak RSS {small.median('rss_mb'):.0f} /"
                        f" {big.median('rss_mb'):.0f} MB"))
    return rows


def schedule_targets(cases):
    """No drift (each interval from the start of the previous poll) and a finished task noticed within one poll."""
    rows = []
    failovers = [case for case in cases if case.operation == "failover"]
    slow = [case for case in failovers if case.poll_latency]
    adaptive = [f for case in failovers if case.wait_sleep is None and not case.poll_latency for f in case.figures]
    deviations = [d for f in adaptive for d in f["deviations"]]
    if deviations:
        slowest = max(seconds for f in adaptive for seconds in f["poll_seconds"])
        rows.append(Row("polls, adaptive schedule (no wait_sleep), every curve run: start - due time",
                        f"median {median(deviations) * 1000:+.1f} ms", f"worst {max(deviations, key=abs) * 1000:+.0f} ms"
                        f" of {len(deviations)} intervals; slowest poll {slowest * 1000:.0f} ms (machine load makes"
                        " the worst)"))
    for case in slow:
        deviations = [d for f in case.figures for d in f["deviations"]]
        if not deviations:
            continue
        worst = max(deviations, key=abs)
        previous = [p for f in case.figures for p in f["previous_poll_seconds"]]
        rows.append(Row(f"polls, wait_sleep {case.wait_sleep:g} s, {case.tenants} tenants, every poll slowed by"
                        f" {case.poll_latency:g} s: start - due time", f"{worst * 1000:+.0f} ms at worst",
                        f"{len(deviations)} intervals, median {median(deviations) * 1000:+.1f} ms; the poll before took"
                        f" {min(previous):.2f}-{max(previous):.2f} s (drift would add that)", "no drift",
                        verdict(abs(worst) < case.poll_latency / 2)))
    figures = [f for case in failovers for f in case.figures if f["notice_delay"] is not None]
    if figures:
        worst = max(figures, key=lambda f: f["notice_delay"] / f["notice_interval"])
        late = [f for f in figures if f["notice_delay"] > f["notice_interval"] + NOTICE_TOLERANCE]
        rows.append(Row("polls: last task finished -> the poll that notices it", f"{worst['notice_delay']:.2f} s at"
                        f" worst", f"interval then {worst['notice_interval']:.2f} s; {len(figures)} runs, median"
                        f" {median([f['notice_delay'] for f in figures]):.2f} s, later than one interval +"
                        f" {NOTICE_TOLERANCE * 1000:.0f} ms: {len(late)}", "<= 1 interval", verdict(not late)))
    return rows


def precheck_targets(cases, sizes):
    case = find(cases, "precheck", max(sizes))
    if case is None:
        return []
    figures = case.figures[0]
    return [Row(f"precheck of {case.tenants} tenants, max_concurrency {PRECHECK_CONCURRENCY}",
                spread([f["wall"] for f in case.figures]),
                f"bound: {figures['rounds']} rounds x {figures['server'] / figures['rounds']:g} s ="
                f" {figures['server']:g} s; overhead {spread([f['overhead'] for f in case.figures])}")]


def role_rows(role_runs, uri_runs, precheck_seconds, task_seconds):
    rows = []
    for tenants, runs in sorted(role_runs.items()):
        own = median(runs.module_seconds)
        wall = median(runs.walls)
        modules = ", ".join(f"{name} x{count}" for name, count in sorted(runs.module_runs.items()))
        deciding = runs.deciding_runs
        rows.append(Row(f"role, {tenants} tenants ({precheck_seconds:g} s prechecks, {task_seconds:g} s tasks):"
                        " whole ansible-playbook", spread(runs.walls) + ("" if len(runs.walls) > 1 else " (1 run)"),
                        f"requests {counts(runs.requests)}: "
                        f"{kinds_text(runs.kinds)}"))
        rows.append(Row(f"role, {tenants} tenants: module runs", modules,
                        (f"{deciding} ocp_tenant_failover run(s) only to decide what to precheck" if deciding > 0
                         else "no module run only to decide what to precheck")
                        + f"; {runs.kinds['precheck'] / tenants:g} prechecks per tenant",
                        "no deciding run", verdict(deciding <= 0)))
        rows.append(Row(f"role, {tenants} tenants: end to end / the modules' own time", f"{wall / own:.2f}x",
                        f"{wall:.2f} s / {own:.2f} s (sum of the module processes)",
                        f"<= {ROLE_OVER_MODULES_TARGET:g}x" if tenants == 10 else "-",
                        verdict(wall / own <= ROLE_OVER_MODULES_TARGET) if tenants == 10 else "-"))
        if tenants == min(role_runs):
            rows += [Row(f"  role task: {short_task_name(name)}", f"{median(seconds):.3f} s")
                     for name, seconds in runs.per_task.items() if median(seconds) >= 0.1]
    for tenants, runs in sorted(uri_runs.items()):
        wall = median(runs.walls)
        detail = f"requests {counts(runs.requests)}: {kinds_text(runs.kinds)}"
        if tenants in role_runs:
            ratio = wall / median(role_runs[tenants].walls)
            rows.append(Row(f"same job with ansible.builtin.uri tasks, {tenants} tenants", f"{wall:.2f} s (1 run)",
                            detail + f"; the role is {ratio:.1f}x faster"))
        else:
            rows.append(Row(f"same job with ansible.builtin.uri tasks, {tenants} tenants", f"{wall:.2f} s", detail))
    return rows


# Report -----------------------------------------------------------------------------------------------------------

def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine():
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "cpu": f"{os.cpu_count()} cores, {cpu_model()}",
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": ", ".join(f"{name} {importlib.metadata.version(name)}"
                              for name in ("ansible-core", "requests", "urllib3")),
    }


def load_average():
    try:
        return " ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "n/a"


def render(header, rows, markdown):
    table = [list(header)] + [list(row) for row in rows]
    if markdown:
        lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |" for cells in table[1:]]
        return "\n".join(lines)
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    lines = []
    for cells in [table[0], ["-" * width for width in widths]] + table[1:]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
    return "\n".join(lines)


SECTIONS = ("scale", "schedule", "role", "uri", "startup")
TARGET_HEADER = ("case", "figure", "detail", "target", "result")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100, 1000],
                        help="tenant counts of the scale curve")
    parser.add_argument("--scale-repeat", type=int, default=3, help="runs of each point of the scale curve")
    parser.add_argument("--scale-task-seconds", type=float, default=2.0,
                        help="how long a failover task takes on the server, scale curve")
    parser.add_argument("--scale-precheck-seconds", type=float, default=0.25,
                        help="how long one precheck takes on the server, scale curve")
    parser.add_argument("--schedule-tenants", type=int, default=100, help="tenants of the poll schedule case")
    parser.add_argument("--schedule-wait-sleep", type=float, default=1.0, help="its fixed wait_sleep")
    parser.add_argument("--schedule-poll-latency", type=float, default=0.5,
                        help="seconds added to every task list answer in that case (slow polls)")
    parser.add_argument("--schedule-task-seconds", type=float, default=5.0, help="its failover task time")
    parser.add_argument("--role-tenants", type=int, nargs="+", default=[10, 50],
                        help="tenant counts of the role and of the ansible.builtin.uri job")
    parser.add_argument("--precheck-seconds", type=float, default=2.0,
                        help="how long one precheck takes on the server, role and uri job")
    parser.add_argument("--task-seconds", type=float, default=4.0,
                        help="how long a failover task takes on the server, role and uri job")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the role for the first --role-tenants count")
    parser.add_argument("--startup-repeat", type=int, default=10, help="tasks of each kind per start-up playbook")
    parser.add_argument("--startup-playbooks", type=int, default=2, help="start-up playbooks to run")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the simulator waits before answering each API request (a distant OCP)")
    parser.add_argument("--profile", metavar="DIR",
                        help="write a cProfile of every module process to DIR (slows the modules: figures only"
                             " for finding where the time goes)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="run these figures only")
    parser.add_argument("--collections-path",
                        help="where ansible-playbook finds oceanbase.ocp (default: this checkout, whatever"
                             " ANSIBLE_COLLECTIONS_PATH says)")
    parser.add_argument("--results-dir", default=str(BENCHMARKS / "results"),
                        help="where to save the machine and the tables, as markdown and JSON; '' to save nothing")
    args = parser.parse_args()

    about = machine()
    about["options"] = " ".join(
        f"--{name.replace('_', '-')} {' '.join(map(str, value)) if isinstance(value, list) else value}"
        for name, value in vars(args).items() if name not in ("only", "collections_path", "results_dir", "profile"))
    load_before = load_average()
    started = time.monotonic()
    cases, targets, other = [], [], []
    role_runs, uri_runs = {}, {}
    with tempfile.TemporaryDirectory(prefix="ocp-bench-") as workdir:
        collections_path = args.collections_path
        if not collections_path:
            collections_path = os.path.join(workdir, "collections")
            namespace = Path(collections_path, "ansible_collections", "oceanbase")
            namespace.mkdir(parents=True)
            (namespace / "ocp").symlink_to(ROOT, target_is_directory=True)
        sys.path.insert(0, collections_path)  # poll_schedule() reads the module's own schedule
        if args.profile:
            os.makedirs(args.profile, exist_ok=True)
        bench = Bench(collections_path, workdir, latency=args.latency,
                      profile_dir=os.path.abspath(args.profile) if args.profile else None)
        if "scale" in args.only:
            cases += bench_precheck_curve(bench, args.sizes, args.scale_repeat, args.scale_precheck_seconds)
            cases += bench_failover_curve(bench, args.sizes, args.scale_repeat, args.scale_task_seconds,
                                          args.scale_precheck_seconds)
        if "schedule" in args.only:
            # Slow polls on a fixed schedule: drift would show as intervals of wait_sleep + the poll's own time.
            cases.append(bench_failover_case(
                bench, Case("failover", args.schedule_tenants, EVIDENCE_TENANT_ROLE, False,
                            wait_sleep=args.schedule_wait_sleep, poll_latency=args.schedule_poll_latency),
                1, args.schedule_task_seconds, args.scale_precheck_seconds))
        if "role" in args.only:
            for tenants in args.role_tenants:
                # Repeated for the first tenant count (the role's own target); the others only anchor the uri job.
                role_runs[tenants] = bench_role(bench, tenants, args.precheck_seconds, args.task_seconds,
                                                args.repeat if tenants == args.role_tenants[0] else 1)
        if "uri" in args.only:
            for tenants in args.role_tenants:
                uri_runs[tenants] = bench_uri(bench, tenants, args.precheck_seconds, args.task_seconds)
        if "startup" in args.only:
            other += bench_startup(bench, args.startup_repeat, args.startup_playbooks)
    targets += failover_targets(cases, args.sizes) + schedule_targets(cases) + precheck_targets(cases, args.sizes)
    targets += role_rows(role_runs, uri_runs, args.precheck_seconds, args.task_seconds) + other
    about["load average (1, 5, 15 min) before / after"] = f"{load_before} / {load_average()}"
    about["duration"] = f"{time.monotonic() - started:.0f} s"

    tables = []
    if cases:
        tables.append(("Scale curve (medians of the runs, (min-max); overhead = wall - the server's own time)",
                       curve_table(cases)))
        failovers = [case for case in cases if case.operation == "failover"]
        if failovers:
            tables.append(("Where a failover's overhead goes (medians)", phases_table(failovers)))
    if targets:
        tables.append(("Targets and other figures", (TARGET_HEADER, [
            (row.case, row.figure, row.detail, row.target, row.result) for row in targets])))

    for key, value in about.items():
        print(f"{key}: {value}")
    for title, (header, rows) in tables:
        print(f"\n{title}\n")
        print(render(header, rows, markdown=False))
    if args.results_dir:
        results = Path(args.results_dir)
        results.mkdir(parents=True, exist_ok=True)
        stem = results / datetime.datetime.now().strftime("benchmark-%Y%m%d-%H%M%S")
        stem.with_suffix(".md").write_text(
            "".join(f"- {key}: {value}\n" for key, value in about.items())
            + "".join(f"\n{title}\n\n{render(header, rows, markdown=True)}\n" for title, (header, rows) in tables),
            encoding="utf-8")
        stem.with_suffix(".json").write_text(json.dumps(
            {"machine": about, "tables": [{"title": title, "header": header, "rows": rows}
                                          for title, (header, rows) in tables],
             "runs": [{"case": case.label, "tenants": case.tenants, "figures": case.figures} for case in cases]},
            indent=2, default=lambda value: dict(value) if isinstance(value, Counter) else str(value)) + "\n",
            encoding="utf-8")
        print(f"\nsaved {stem}.md and {stem}.json")


if __name__ == "__main__":
    main()
