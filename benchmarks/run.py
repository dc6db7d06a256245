#!/usr/bin/env python3
"""Performance figures of oceanbase.ocp against the OCP simulator (`make benchmark`).

Prints one table, side by side:
  1. precheck of N tenants, each taking PRECHECK_SECONDS on the server: one module call vs a naive `loop:` over
     the tenants vs the limit (one precheck). Target: module <= 1.3x the limit.
  2. failover of N tenants whose tasks take TASK_SECONDS: module wall time minus the server's task time
     (target <= 1 s), number of failover POSTs (target 1), number of polls.
  3. module start-up: a precheck task vs a no-op module task (ansible.builtin.ping); target <= 1.2x.
  4. the whole role for 10 tenants, check mode and real.
Wall times are those of the task, measured by a callback from task start to result. Nothing here asserts:
these are figures for benchmarks/README.md, not tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from ocp_simulator import Simulator  # noqa: E402

USER, PASSWORD = "bench", "Bench-Secret-1"
PRIMARY_CLUSTER, STANDBY_CLUSTER = 3000010, 3000020
BIN = Path(sys.executable).parent


def scenario(tenant_count, precheck_seconds=0.0, subtask_seconds=0.1):
    tenants = []
    for index in range(tenant_count):
        tenants.append({"id": 1000001 + index, "name": f"p{index}", "clusterId": PRIMARY_CLUSTER,
                        "tenantRole": "PRIMARY", "reachable": False, "mode": "MYSQL", "status": "NORMAL"})
        tenants.append({"id": 2000001 + index, "name": f"s{index}", "clusterId": STANDBY_CLUSTER,
                        "tenantRole": "STANDBY", "primaryTenantId": 1000001 + index,
                        "primaryClusterId": PRIMARY_CLUSTER, "syncScn": 0, "mode": "MYSQL", "status": "NORMAL"})
    return {"users": [{"username": USER, "password": PASSWORD, "permissions": ["read", "write"]}],
            "access_keys": [],
            "timing": {"precheck_seconds": precheck_seconds, "subtask_seconds": subtask_seconds},
            "clusters": [{"id": PRIMARY_CLUSTER, "name": "east", "status": "RUNNING"},
                         {"id": STANDBY_CLUSTER, "name": "west", "status": "RUNNING"}],
            "tenants": tenants, "faults": []}


class Bench:
    def __init__(self, collections_path, workdir):
        self.collections_path = collections_path
        self.workdir = Path(workdir)
        self.runs = 0

    def playbook(self, sim, tasks=None, playbook=None, extra_vars=None, check=False):
        """Run ansible-playbook; return ({task name: seconds}, wall seconds of the whole command)."""
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
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OCP_", "ANSIBLE_"))}
        env.update({"ANSIBLE_COLLECTIONS_PATH": self.collections_path,
                    "ANSIBLE_CALLBACK_PLUGINS": str(ROOT / "benchmarks" / "callback_plugins"),
                    "ANSIBLE_CALLBACKS_ENABLED": "task_timer", "OCP_BENCH_TIMES_FILE": str(times_file),
                    "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
                    "OCP_API_URL": sim.url, "OCP_USERNAME": USER, "OCP_PASSWORD": PASSWORD})
        started = time.monotonic()
        proc = subprocess.run(command, cwd=run_dir, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        if proc.returncode != 0:
            raise RuntimeError(f"{command} failed:\n{proc.stdout}\n{proc.stderr}")
        times = {}
        for line in times_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            times[entry["task"]] = entry["seconds"]
        return times, wall


def count(log, method, suffix):
    return sum(1 for r in log if r["method"] == method and r["path"].endswith(suffix))


def bench_precheck(bench, tenants, precheck_seconds):
    ids = [2000001 + i for i in range(tenants)]
    with Simulator(scenario=scenario(tenants, precheck_seconds=precheck_seconds), port=0) as sim:
        times, _ = bench.playbook(sim, tasks=[{"name": "one call", "oceanbase.ocp.ocp_failover_precheck": {
            "cluster_id": STANDBY_CLUSTER, "tenant_ids": ids}}])
        module = times["one call"]
        times, _ = bench.playbook(sim, tasks=[{"name": "naive loop", "loop": ids,
                                               "oceanbase.ocp.ocp_failover_precheck": {
                                                   "cluster_id": STANDBY_CLUSTER, "tenant_id": "{{ item }}"}}])
        loop = times["naive loop"]
    return [
        (f"precheck {tenants} tenants x {precheck_seconds:g} s: one module call", f"{module:.2f} s",
         f"{module / precheck_seconds:.2f}x limit", "<= 1.3x"),
        (f"precheck {tenants} tenants: naive loop: over tenants", f"{loop:.2f} s",
         f"{loop / precheck_seconds:.2f}x limit", "-"),
        ("precheck limit (one precheck on the server)", f"{precheck_seconds:.2f} s", "1.00x", "-"),
    ]


def bench_failover(bench, tenants, task_seconds):
    subtask_seconds = task_seconds / 5  # five subtasks run one after another
    ids = [2000001 + i for i in range(tenants)]
    with Simulator(scenario=scenario(tenants, subtask_seconds=subtask_seconds), port=0) as sim:
        times, _ = bench.playbook(sim, tasks=[{"name": "failover", "oceanbase.ocp.ocp_tenant_failover": {
            "cluster_id": STANDBY_CLUSTER, "tenants": [{"tenant_id": t} for t in ids]}}])
        log = sim.request_log()
    wall = times["failover"]
    posts = count(log, "POST", "/tenants/failover")
    polls = sum(1 for r in log if r["method"] == "GET" and r["path"].startswith("/api/v2/tasks/instances"))
    return [
        (f"failover {tenants} tenants, {task_seconds:g} s tasks: wall - task time", f"{wall - task_seconds:.2f} s",
         f"wall {wall:.2f} s", "<= 1 s"),
        ("failover: failover POSTs", str(posts), "", "1"),
        ("failover: task GETs (polls + details)", str(polls), "", "-"),
    ]


def bench_startup(bench, repeat):
    with Simulator(scenario=scenario(1), port=0) as sim:
        tasks = []
        for index in range(repeat):
            tasks.append({"name": f"ping {index}", "ansible.builtin.ping": {}})
            tasks.append({"name": f"precheck {index}", "oceanbase.ocp.ocp_failover_precheck": {
                "cluster_id": STANDBY_CLUSTER, "tenant_id": 2000001}})
        times, _ = bench.playbook(sim, tasks=tasks)
    # Skip the first pair: it warms caches (module payload builds, imports).
    ping = sorted(times[f"ping {i}"] for i in range(1, repeat))
    precheck = sorted(times[f"precheck {i}"] for i in range(1, repeat))
    ping_median, precheck_median = ping[len(ping) // 2], precheck[len(precheck) // 2]
    return [
        ("module start-up: precheck task (median)", f"{precheck_median:.3f} s",
         f"{precheck_median / ping_median:.2f}x no-op", "<= 1.2x"),
        ("module start-up: ansible.builtin.ping task (median)", f"{ping_median:.3f} s", "1.00x", "-"),
    ]


def bench_role(bench, tenants, task_seconds):
    extra_vars = {"tenant_failover_cluster_id": STANDBY_CLUSTER,
                  "tenant_failover_tenants": [{"tenant_id": 2000001 + i} for i in range(tenants)]}
    rows = []
    for check in (True, False):
        with Simulator(scenario=scenario(tenants, precheck_seconds=0.0, subtask_seconds=task_seconds / 5),
                       port=0) as sim:
            _, wall = bench.playbook(sim, playbook="oceanbase.ocp.precheck_then_failover", extra_vars=extra_vars,
                                     check=check)
        mode = "check mode" if check else f"real, {task_seconds:g} s tasks"
        rows.append((f"role, {tenants} tenants, {mode}: whole ansible-playbook", f"{wall:.2f} s", "", "-"))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--precheck-seconds", type=float, default=2.0)
    parser.add_argument("--task-seconds", type=float, default=4.0)
    parser.add_argument("--startup-repeat", type=int, default=15)
    parser.add_argument("--collections-path", default=os.environ.get("ANSIBLE_COLLECTIONS_PATH"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ocp-bench-") as workdir:
        collections_path = args.collections_path
        if not collections_path:
            collections_path = os.path.join(workdir, "collections")
            namespace = Path(collections_path, "ansible_collections", "oceanbase")
            namespace.mkdir(parents=True)
            (namespace / "ocp").symlink_to(ROOT, target_is_directory=True)
        bench = Bench(collections_path, workdir)
        rows = []
        rows += bench_precheck(bench, args.tenants, args.precheck_seconds)
        rows += bench_failover(bench, args.tenants, args.task_seconds)
        rows += bench_startup(bench, args.startup_repeat)
        rows += bench_role(bench, 10, args.task_seconds)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{platform.platform()}")
    widths = [max(len(row[i]) for row in rows + [("case", "figure", "ratio", "target")]) for i in range(4)]
    header = ("case", "figure", "ratio", "target")
    for row in [header, tuple("-" * w for w in widths)] + rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
