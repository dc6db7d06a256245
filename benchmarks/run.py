#!/usr/bin/env python
"""Performance figures of oceanbase.ocp against the OCP simulator (`make benchmark`).

Prints one table, side by side (benchmarks/README.md explains every figure):
  1. precheck of N tenants, each taking PRECHECK_SECONDS on the server: one module call vs a naive `loop:` over
     the tenants vs the limit (a precheck task for one tenant). Target: one call <= 1.3x the limit.
  2. failover of N tenants whose tasks take TASK_SECONDS: task wall time minus the server's task time (target
     <= 1 s), failover POSTs (target 1), polls, and where the time goes.
  3. module start-up: a precheck task vs a no-op module task (ansible.builtin.ping); target <= 1.2x. A no-op module
     that only imports requests shows the floor of any requests-based module.
  4. the whole role (playbook oceanbase.ocp.precheck_then_failover) for 10 tenants, check mode and real.
Times are task wall times measured by the task_timer callback, from the task's start to its result, so they
include Ansible's module transfer and start-up. The noisy figures are run several times; the median is shown.
Nothing here asserts: these are figures for benchmarks/README.md, not tests.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(ROOT / "tests"))
from ocp_simulator import Simulator  # noqa: E402  # pylint: disable=wrong-import-position

# The simulator's account for these runs: a throwaway password for a server on loopback; never printed.
USER, PASSWORD = "bench", "Bench-Secret-1"
PRIMARY_CLUSTER, STANDBY_CLUSTER = 3000010, 3000020
FIRST_PRIMARY_ID, FIRST_STANDBY_ID = 1000001, 2000001
# The simulator's "Failover tenant" task runs five subtasks one after another.
SUBTASKS_PER_TASK = 5
PRECHECK = "oceanbase.ocp.ocp_failover_precheck"
FAILOVER = "oceanbase.ocp.ocp_tenant_failover"
ROLE_PLAYBOOK = "oceanbase.ocp.precheck_then_failover"
BIN = Path(sys.executable).parent

PRECHECK_TARGET = 1.3
FAILOVER_OVERHEAD_TARGET = 1.0
STARTUP_TARGET = 1.2


def scenario(standby_count, precheck_seconds=0.0, subtask_seconds=0.1, latency=0.0):
    """A simulator scenario: standby_count standby tenants, each with an unreachable primary (prechecks pass).

    ``latency`` delays every API request by that many seconds, as the round trip to a distant OCP would.
    """
    tenants = []
    for index in range(standby_count):
        primary_id, standby_id = FIRST_PRIMARY_ID + index, FIRST_STANDBY_ID + index
        tenants.append({"id": primary_id, "name": f"p{index}", "clusterId": PRIMARY_CLUSTER,
                        "tenantRole": "PRIMARY", "reachable": False, "mode": "MYSQL", "status": "NORMAL"})
        tenants.append({"id": standby_id, "name": f"s{index}", "clusterId": STANDBY_CLUSTER,
                        "tenantRole": "STANDBY", "primaryTenantId": primary_id,
                        "primaryClusterId": PRIMARY_CLUSTER, "syncScn": 0, "mode": "MYSQL", "status": "NORMAL"})
    return {"users": [{"username": USER, "password": PASSWORD, "permissions": ["read", "write"]}],
            "access_keys": [],
            "timing": {"precheck_seconds": precheck_seconds, "subtask_seconds": subtask_seconds},
            "clusters": [{"id": PRIMARY_CLUSTER, "name": "east", "status": "RUNNING"},
                         {"id": STANDBY_CLUSTER, "name": "west", "status": "RUNNING"}],
            "tenants": tenants,
            "faults": [{"method": "*", "path": "/api/*", "action": "latency", "seconds": latency}] if latency else []}


def standby_ids(count, first=0):
    return [FIRST_STANDBY_ID + index for index in range(first, first + count)]


@dataclass
class TaskTime:
    """One task result as the task_timer callback saw it: seconds from task start to result, and epoch times."""

    seconds: float
    started: float
    ended: float
    status: str


@dataclass
class PlaybookRun:
    times: dict  # task name -> TaskTime
    wall: float  # seconds of the whole ansible-playbook command


class Bench:
    """Runs ansible-playbook against a simulator with the task_timer callback; one directory per run."""

    def __init__(self, collections_path, workdir, latency=0.0):
        self.collections_path = collections_path
        self.workdir = Path(workdir)
        self.latency = latency
        self.runs = 0

    def simulator(self, standby_count, **timing):
        """A simulator (to use in a with statement) for the scenario() of standby_count tenants."""
        return Simulator(scenario=scenario(standby_count, latency=self.latency, **timing), port=0)

    def playbook(self, sim, tasks=None, playbook=None, extra_vars=None, check=False):
        self.runs += 1
        run_dir = self.workdir / f"run{self.runs}"
        run_dir.mkdir()
        times_file = run_dir / "times.jsonl"
        if playbook is None:
            play = {"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": tasks,
                    "module_defaults": {"group/oceanbase.ocp.ocp": {
                        "api_url": sim.url, "username": USER, "password": PASSWORD}}}
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
        return PlaybookRun(times, wall)


def median(values):
    return statistics.median(values)


def spread(values, unit=" s", digits=2):
    """'median (min-max, n runs)' of a list of measurements."""
    values = sorted(values)
    text = f"{median(values):.{digits}f}{unit}"
    if len(values) > 1:
        text += f" ({values[0]:.{digits}f}-{values[-1]:.{digits}f}, {len(values)} runs)"
    return text


def counts(values):
    """Distinct counts seen across runs, e.g. '5' or '5-6'."""
    return "-".join(str(value) for value in sorted({min(values), max(values)}))


def verdict(value, target):
    return "met" if value <= target else "MISSED"


@dataclass
class Row:
    case: str
    figure: str
    detail: str = ""
    target: str = "-"
    result: str = "-"


def precheck_task(name, **tenants):
    return {"name": name, PRECHECK: {"cluster_id": STANDBY_CLUSTER, **tenants}}


def failover_task(name, tenant_ids):
    return {"name": name, FAILOVER: {"cluster_id": STANDBY_CLUSTER, "tenants": [{"tenant_id": t} for t in tenant_ids]}}


# 1. Precheck ------------------------------------------------------------------------------------------------------

def bench_precheck(bench, tenants, precheck_seconds, repeat):
    ids = standby_ids(tenants)
    with bench.simulator(tenants, precheck_seconds=precheck_seconds) as sim:
        # The first use of a module in a playbook also builds its payload: a warm-up task takes that cost, so the
        # one-tenant and all-tenant tasks compare like with like.
        tasks = [precheck_task("warm-up", tenant_id=ids[0])]
        for index in range(repeat):
            tasks.append(precheck_task(f"one tenant {index}", tenant_id=ids[0]))
            tasks.append(precheck_task(f"all tenants {index}", tenant_ids=ids))
        times = bench.playbook(sim, tasks=tasks).times
        loop_task = dict(precheck_task("naive loop", tenant_id="{{ item }}"), loop=ids)
        loop = bench.playbook(sim, tasks=[loop_task]).times["naive loop"].seconds
    one_tenant = [times[f"one tenant {index}"].seconds for index in range(repeat)]
    one_call = [times[f"all tenants {index}"].seconds for index in range(repeat)]
    limit = median(one_tenant)
    ratio = median(one_call) / limit
    label = f"precheck, {tenants} tenants x {precheck_seconds:g} s on the server"
    return [
        Row(f"{label}: one module call", spread(one_call),
            f"{ratio:.2f}x limit, {median(one_call) / precheck_seconds:.2f}x server time",
            f"<= {PRECHECK_TARGET}x limit", verdict(ratio, PRECHECK_TARGET)),
        Row(f"{label}: naive loop: over the tenants", f"{loop:.2f} s",
            f"{loop / limit:.2f}x limit (1 run)"),
        Row("precheck limit: a precheck task for one tenant", spread(one_tenant),
            f"{limit / precheck_seconds:.2f}x server time ({precheck_seconds:g} s)"),
    ]


# 2. Failover ------------------------------------------------------------------------------------------------------

def ocp_epoch(text):
    return datetime.datetime.fromisoformat(text).timestamp()


def is_poll(request):
    return (request["method"] == "GET" and request["path"] == "/api/v2/tasks/instances"
            and request["query"].get("status") == ["RUNNING"])


def failover_figures(task, requests, server_tasks):
    """What one ocp_tenant_failover task did and where its time went.

    The task's epoch start/end (callback) and the simulator's request log share the machine's clock: task start
    -> first request -> tasks created by the failover POST (OCP's startTime) -> last task finished (finishTime)
    -> first poll after that -> last request -> task result. The phases other than the server's task time add
    up to the overhead (wall - task time).
    """
    mine = [r for r in requests if task.started <= r["time"] <= task.ended]
    posts = [r for r in mine if r["method"] == "POST" and r["path"].endswith("/tenants/failover")]
    polls = [r for r in mine if is_poll(r)]
    task_started = min(ocp_epoch(t["startTime"]) for t in server_tasks)
    task_finished = max(ocp_epoch(t["finishTime"]) for t in server_tasks)
    noticed = min(r["time"] for r in polls if r["time"] >= task_finished)
    first, last = mine[0]["time"], mine[-1]["time"]
    server_seconds = task_finished - task_started
    return {
        "wall": task.seconds,
        "server": server_seconds,
        "overhead": task.seconds - server_seconds,
        "posts": len(posts),
        "polls": len(polls),
        "requests": len(mine),
        "phases": {
            "Ansible task and module start-up, to the first request": first - task.started,
            "reads before the POST (tenants, task list), and the POST": task_started - first,
            "poll lag: last task finished -> first poll after it": noticed - task_finished,
            "reads after (task details, tenant roles)": last - noticed,
            "last request -> task result (result building, Ansible)": task.ended - last,
        },
    }


FIRST_IN_PLAYBOOK = "first failover task of the playbook"
SECOND_IN_PLAYBOOK = "second failover task"


def bench_failover(bench, tenants, task_seconds, repeat):
    runs = {FIRST_IN_PLAYBOOK: [], SECOND_IN_PLAYBOOK: []}
    for dummy in range(repeat):
        # Two batches on one simulator, one task each: the first task of the playbook that uses the module pays
        # for building its payload (Ansible caches it for the rest of the run), the second does not.
        batches = {FIRST_IN_PLAYBOOK: standby_ids(tenants), SECOND_IN_PLAYBOOK: standby_ids(tenants, first=tenants)}
        subtask_seconds = task_seconds / SUBTASKS_PER_TASK
        with bench.simulator(2 * tenants, subtask_seconds=subtask_seconds) as sim:
            times = bench.playbook(sim, tasks=[failover_task(name, ids) for name, ids in batches.items()]).times
            requests = sim.request_log()
            tasks = list(sim.state.tasks.values())
        for name, ids in batches.items():
            server_tasks = [task for task in tasks if task["tenantId"] in ids]
            runs[name].append(failover_figures(times[name], requests, server_tasks))
    rows = []
    for name, figures in runs.items():
        overhead = [f["overhead"] for f in figures]
        rows.append(Row(
            f"failover, {tenants} tenants, {task_seconds:g} s tasks, {name}: wall - task time",
            spread(overhead), f"wall {spread([f['wall'] for f in figures])}",
            f"<= {FAILOVER_OVERHEAD_TARGET:g} s", verdict(median(overhead), FAILOVER_OVERHEAD_TARGET)))
    every = runs[FIRST_IN_PLAYBOOK] + runs[SECOND_IN_PLAYBOOK]
    rows.append(Row("failover: failover POSTs per module call", counts([f["posts"] for f in every]),
                    f"{len(every)} module calls", "1", "met" if all(f["posts"] == 1 for f in every) else "MISSED"))
    rows.append(Row("failover: polls (task list reads) per module call", counts([f["polls"] for f in every]),
                    f"requests per module call: {counts([f['requests'] for f in every])}"))
    for phase in every[0]["phases"]:
        rows.append(Row(f"  {SECOND_IN_PLAYBOOK}: {phase}",
                        f"{median([f['phases'][phase] for f in runs[SECOND_IN_PLAYBOOK]]):.3f} s",
                        f"first task: {median([f['phases'][phase] for f in runs[FIRST_IN_PLAYBOOK]]):.3f} s"))
    return rows


# 3. Module start-up -----------------------------------------------------------------------------------------------

def bench_startup(bench, repeat, playbooks):
    kinds = {
        "ping": {"ansible.builtin.ping": {}},
        "requests no-op": {"requests_noop": {}},
        "precheck": {PRECHECK: {"cluster_id": STANDBY_CLUSTER, "tenant_id": FIRST_STANDBY_ID}},
    }
    samples = {kind: [] for kind in kinds}
    first_use = {kind: [] for kind in kinds}
    with bench.simulator(1) as sim:
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
            f"{precheck / ping:.2f}x no-op, median of {count}", f"<= {STARTUP_TARGET}x",
            verdict(precheck / ping, STARTUP_TARGET)),
        Row("module start-up: no-op module that only imports requests (floor)", f"{floor:.3f} s",
            f"{floor / ping:.2f}x no-op, median of {count}"),
        Row("module start-up: ansible.builtin.ping task (no-op)", f"{ping:.3f} s", f"1.00x, median of {count}"),
        Row("module start-up: first precheck task of a playbook (builds the payload)",
            f"{median(first_use['precheck']):.3f} s", f"+{median(first_use['precheck']) - precheck:.3f} s"),
    ]


# 4. The role ------------------------------------------------------------------------------------------------------

def short_task_name(name, width=70):
    name = name.split(" : ", 1)[-1]  # without the role's prefix
    return name if len(name) <= width else name[:width - 3] + "..."


def bench_role(bench, tenants, precheck_seconds, task_seconds, repeat):
    extra_vars = {"tenant_failover_cluster_id": STANDBY_CLUSTER,
                  "tenant_failover_tenants": [{"tenant_id": tenant_id} for tenant_id in standby_ids(tenants)]}
    rows = []
    for check in (True, False):
        walls, per_task, posts = [], {}, []
        for dummy in range(repeat):
            with bench.simulator(tenants, precheck_seconds=precheck_seconds,
                                 subtask_seconds=task_seconds / SUBTASKS_PER_TASK) as sim:
                run = bench.playbook(sim, playbook=ROLE_PLAYBOOK, extra_vars=extra_vars, check=check)
                requests = sim.request_log()
            walls.append(run.wall)
            for name, task in run.times.items():
                per_task.setdefault(name, []).append(task.seconds)
            posts.append(sum(1 for r in requests if r["method"] == "POST" and r["path"].endswith("/tenants/failover")))
        task_medians = dict((name, median(seconds)) for name, seconds in per_task.items())
        tasks_total = sum(task_medians.values())
        server = precheck_seconds + (0 if check else task_seconds)
        mode = "check mode" if check else "real"
        rows.append(Row(f"role, {tenants} tenants, {mode}: whole ansible-playbook", spread(walls),
                        f"failover POSTs: {counts(posts)}"))
        rows.append(Row(f"role, {tenants} tenants, {mode}: its {len(task_medians)} tasks - server time",
                        f"{tasks_total - server:.2f} s", f"tasks {tasks_total:.2f} s, server {server:g} s"))
        if not check:
            rows += [Row(f"  real role task: {short_task_name(name)}", f"{seconds:.3f} s")
                     for name, seconds in task_medians.items()]
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


def render(rows, markdown):
    header = Row("case", "figure", "detail", "target", "result")
    table = [[row.case, row.figure, row.detail, row.target, row.result] for row in [header] + rows]
    if markdown:
        lines = ["| " + " | ".join(table[0]) + " |", "|" + "---|" * len(table[0])]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |" for cells in table[1:]]
        return "\n".join(lines)
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    lines = []
    for cells in [table[0], ["-" * width for width in widths]] + table[1:]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip())
    return "\n".join(lines)


SECTIONS = ("precheck", "failover", "startup", "role")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=50, help="tenants of the precheck and failover figures")
    parser.add_argument("--precheck-seconds", type=float, default=2.0, help="how long one precheck takes on the server")
    parser.add_argument("--task-seconds", type=float, default=4.0, help="how long a failover task takes on the server")
    parser.add_argument("--role-tenants", type=int, default=10, help="tenants of the role figures")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each precheck, failover and role figure")
    parser.add_argument("--startup-repeat", type=int, default=10, help="tasks of each kind per start-up playbook")
    parser.add_argument("--startup-playbooks", type=int, default=3, help="start-up playbooks to run")
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds the simulator waits before answering each API request (a distant OCP)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=list(SECTIONS), help="run these figures only")
    parser.add_argument("--collections-path",
                        help="where ansible-playbook finds oceanbase.ocp (default: this checkout, whatever"
                             " ANSIBLE_COLLECTIONS_PATH says)")
    parser.add_argument("--results-dir", default=str(BENCHMARKS / "results"),
                        help="where to save the machine and the table, as markdown and JSON; '' to save nothing")
    args = parser.parse_args()

    about = machine()
    about["options"] = " ".join(f"--{name.replace('_', '-')} {value}" for name, value in vars(args).items()
                                if name in ("tenants", "precheck_seconds", "task_seconds", "role_tenants", "repeat",
                                            "startup_repeat", "startup_playbooks", "latency"))
    load_before = load_average()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ocp-bench-") as workdir:
        collections_path = args.collections_path
        if not collections_path:
            collections_path = os.path.join(workdir, "collections")
            namespace = Path(collections_path, "ansible_collections", "oceanbase")
            namespace.mkdir(parents=True)
            (namespace / "ocp").symlink_to(ROOT, target_is_directory=True)
        bench = Bench(collections_path, workdir, latency=args.latency)
        if "precheck" in args.only:
            rows += bench_precheck(bench, args.tenants, args.precheck_seconds, args.repeat)
        if "failover" in args.only:
            rows += bench_failover(bench, args.tenants, args.task_seconds, args.repeat)
        if "startup" in args.only:
            rows += bench_startup(bench, args.startup_repeat, args.startup_playbooks)
        if "role" in args.only:
            rows += bench_role(bench, args.role_tenants, args.precheck_seconds, args.task_seconds, args.repeat)
    about["load average (1, 5, 15 min) before / after"] = f"{load_before} / {load_average()}"

    for key, value in about.items():
        print(f"{key}: {value}")
    print()
    print(render(rows, markdown=False))
    if args.results_dir:
        results = Path(args.results_dir)
        results.mkdir(parents=True, exist_ok=True)
        stem = results / datetime.datetime.now().strftime("benchmark-%Y%m%d-%H%M%S")
        stem.with_suffix(".md").write_text(
            "".join(f"- {key}: {value}\n" for key, value in about.items()) + "\n" + render(rows, markdown=True) + "\n",
            encoding="utf-8")
        stem.with_suffix(".json").write_text(json.dumps({"machine": about, "rows": [row.__dict__ for row in rows]},
                                                        indent=2) + "\n", encoding="utf-8")
        print(f"\nsaved {stem}.md and {stem}.json")


if __name__ == "__main__":
    main()
