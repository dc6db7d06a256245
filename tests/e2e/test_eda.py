"""Event-driven failover end to end: the real ansible-rulebook runs the collection's rulebook against the simulator.

Alarm bodies are posted to the rulebook's webhook the way OCP's HTTP channel sends them (the README's template,
rendered as OCP would); what happened is read from the simulator's request log and ansible-rulebook's output.
The polling event source runs inside ansible-rulebook too, and directly (its asyncio entry point) against the
simulator's alarm list. Every wait is bounded; every ansible-rulebook process is stopped, with its children.

ansible-rulebook needs a Java 17 runtime: scripts/test.sh finds or installs one, or sets OCP_EDA_SKIP with the reason
(printed there once, loudly); without it these tests skip with that reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml
from harness import ACCESS_KEY_ID, ACCESS_KEY_SECRET, ADMIN_PASSWORD, ADMIN_USER, SECRETS
from test_role import STANDBY_CLUSTER, STANDBYS, failover_posts, precheck_posts, role_scenario, tenant_role

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
RULEBOOK = REPO_ROOT / "extensions" / "eda" / "rulebooks" / "ocp_alarm_failover.yml"
SOURCE = Path("ansible_collections", "oceanbase", "ocp", "extensions", "eda", "plugins", "event_source", "ocp_alarms.py")
START_TIMEOUT = 90  # the JVM and the Drools engine start in a few seconds; a loaded CI machine gets more
RUN_TIMEOUT = 120
FIRST, SECOND, THIRD = STANDBYS
# ansible-rulebook's log line with a failed run's output, from the play's start to its recap's host lines.
FAILED_RUN_ECHO = re.compile(r"( - ansible_rulebook\.action\.run_playbook - ERROR - )\n"
                             r"PLAY \[.*?\nPLAY RECAP \*+\n(?:[^\n]+\n)*", re.S)


def java_problem():
    """Why ansible-rulebook cannot run here, or None. scripts/test.sh decides (and says so) in CI."""
    if os.environ.get("OCP_EDA_SKIP"):
        return os.environ["OCP_EDA_SKIP"]
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        return "no Java runtime (JAVA_HOME unset and no java on PATH); ansible-rulebook needs Java 17"
    version = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False).stderr
    match = re.search(r'version "(\d+)', version)
    if not match or int(match.group(1)) < 17:
        return "ansible-rulebook needs Java 17 or later; %s says: %s" % (java, version.strip()[:200])
    return None


JAVA_PROBLEM = java_problem()
needs_java = pytest.mark.skipif(JAVA_PROBLEM is not None, reason="ansible-rulebook cannot run: %s" % JAVA_PROBLEM)


def readme_alarm(tenant_id, status="Active", alarm_name="ob_tenant_unavailable", cluster_id=STANDBY_CLUSTER, **extra):
    """The body OCP's HTTP channel posts with the README's JSON template, for a standby tenant of role_scenario()."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Event-driven failover"):]
    template = re.search(r"```json\n(.*?)\n```", section, re.S).group(1)
    index = STANDBYS.index(tenant_id) if tenant_id in STANDBYS else 0
    ocp_variables = {  # what OCP substitutes
        "alarm_name": alarm_name, "alarm_level": "1", "ob_cluster_name": "ob_west",
        "tenant_name": "app%d_standby" % index, "ob_tenant_id": str(1002 + 2 * index),
        "alarm_target": "ob_cluster=ob_west:tenant_name=app%d_standby:ob_tenant_id=%d" % (index, 1002 + 2 * index),
    }
    body = json.loads(re.sub(r"\$\{(\w+)\}", lambda m: ocp_variables[m.group(1)], template))
    body.update(cluster_id=cluster_id, tenant_id=tenant_id, status=status)  # the numbers the channel's owner writes
    body.update(extra)
    return body


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, what, process=None):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if process is not None and process.exited():
            raise AssertionError("ansible-rulebook exited (rc %s) while waiting for %s:\n%s"
                                 % (process.proc.returncode, what, process.output()))
        if time.monotonic() > deadline:
            output = process.output() if process is not None else ""
            raise AssertionError("timed out after %d s waiting for %s\n%s" % (timeout, what, output))
        time.sleep(0.1)


class Rulebook:
    """One ansible-rulebook process in its own session (so stop() ends ansible-runner's children too)."""

    def __init__(self, workdir, rulebook, variables, env, args=()):
        self.workdir = workdir
        self.port = variables.get("ocp_eda_port")
        inventory = workdir / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
            "ansible_connection": "local", "ansible_python_interpreter": str(BIN_DIR / "python")}}}}), encoding="utf-8")
        vars_file = workdir / "eda_vars.yml"
        vars_file.write_text(yaml.safe_dump(variables), encoding="utf-8")
        self.log = workdir / "ansible-rulebook.log"
        self.command = [str(BIN_DIR / "ansible-rulebook"), "-r", str(rulebook), "-i", str(inventory),
                        "--vars", str(vars_file)] + list(args)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(self.command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def exited(self):
        return self.proc.poll() is not None

    def output(self):
        """What ansible-rulebook printed, each playbook run once: when a run fails, ansible-rulebook logs its whole
        output again as an ERROR (run_playbook's _post_process), which would count it twice."""
        return FAILED_RUN_ECHO.sub(r"\1(the failed run's output again)\n",
                                   self.log.read_text(encoding="utf-8", errors="replace"))

    def wait_listening(self):
        def listening():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False

        wait_until(listening, START_TIMEOUT, "the webhook on port %s" % self.port, self)

    def post(self, body):
        # A loaded machine can leave a just-started webhook's first answer well beyond 10 s (seen in CI while other
        # JVMs started): wait as long as for the start. Never posted twice: a second post would be another alarm.
        response = requests.post("http://127.0.0.1:%d/endpoint" % self.port, json=body, timeout=(10, START_TIMEOUT))
        assert response.status_code == 200, response.text

    def runs(self):
        """Playbook runs ansible-rulebook has finished (each prints one recap)."""
        return self.output().count("PLAY RECAP")

    def wait_runs(self, count):
        wait_until(lambda: self.runs() >= count, RUN_TIMEOUT, "%d finished playbook run(s)" % count, self)
        time.sleep(0.5)  # a run dispatched for an earlier event would have printed its start by now
        return self.output()

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=20)
            except ProcessLookupError:
                pass
        # ansible-runner's ansible-playbook may outlive ansible-rulebook briefly: end the whole session.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture
def scenario():
    scenario = role_scenario(primary_reachable={THIRD})  # THIRD's primary can still be connected: OBE26107
    scenario["access_keys"] = [{"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET,
                                "username": ADMIN_USER}]
    return scenario


@pytest.fixture
def eda_env(simulator, ansible_env):
    """ansible-rulebook's environment: the collection, the venv's bin (ansible-galaxy, ansible-playbook), Java, and
    the OCP connection in OCP_* variables (AK/SK), which the playbook's modules inherit."""
    env = dict(ansible_env)
    env.update({"OCP_API_URL": simulator.url, "OCP_ACCESS_KEY_ID": ACCESS_KEY_ID,
                "OCP_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET})
    return env


@pytest.fixture
def start_rulebook(eda_env, tmp_path):
    started = []

    def start(variables=None, rulebook=RULEBOOK, wait=True, args=()):
        for attempt in range(3):  # a free port can be taken by another test between free_port() and the bind
            chosen = dict(variables or {})
            chosen.setdefault("ocp_eda_port", free_port())
            workdir = tmp_path / ("rulebook%d" % len(started))
            workdir.mkdir()
            process = Rulebook(workdir, rulebook, chosen, eda_env, args)
            started.append(process)
            if not wait:
                return process
            try:
                process.wait_listening()
                return process
            except AssertionError:
                if attempt == 2 or "address already in use" not in process.output().lower():
                    raise
        raise AssertionError("not reached")

    yield start
    for process in started:
        process.stop()


def assert_no_secret(text):
    for secret in SECRETS:
        assert secret not in text, "a secret leaked into the output"
    assert "Traceback (most recent call last)" not in text, text


def prechecks_of(simulator, tenant_id):
    return [r for r in precheck_posts(simulator) if r["path"].endswith("/%d/failoverPreCheck" % tenant_id)]


def runs_for(output, tenant_id):
    """Playbook runs for one tenant: each says which alarm triggered it, naming the tenant. (Counting prechecks
    does not count runs: the role prechecks every tenant, and the failover module may precheck again for role
    evidence.)"""
    return output.count("OCP cluster %d tenant %d;" % (STANDBY_CLUSTER, tenant_id))


# ----- the webhook rulebook


@needs_java
def test_active_alarm_in_execute_mode_fails_the_tenant_over_once(simulator, start_rulebook):
    # -E as users may pass it: the connection then is rulebook variables too, and must still never be printed.
    rulebook = start_rulebook({"ocp_eda_mode": "execute"},
                              args=("-E", "OCP_API_URL,OCP_ACCESS_KEY_ID,OCP_ACCESS_KEY_SECRET"))

    rulebook.post(readme_alarm(FIRST))
    output = rulebook.wait_runs(1)

    assert {r["auth"] for r in simulator.request_log()} == {"aksk"}  # the OCP_* environment reached the modules
    posts = failover_posts(simulator)
    assert [p["path"] for p in posts] == ["/api/v2/ob/clusters/%d/tenants/failover" % STANDBY_CLUSTER]
    assert posts[0]["body"] == {"failoverTenantItemList": [{"tenantId": FIRST}]}
    assert tenant_role(simulator, FIRST) == "PRIMARY"
    assert tenant_role(simulator, SECOND) == "STANDBY"
    # The run says which alarm triggered it, and in which mode.
    assert ("Triggered by OCP alarm ob_tenant_unavailable (level 1, status Active, target "
            "ob_cluster=ob_west:tenant_name=app0_standby:ob_tenant_id=1002)") in output
    assert "OCP cluster %d tenant %d" % (STANDBY_CLUSTER, FIRST) in output and "mode execute" in output
    assert re.search(r"%d\s+app0_standby\s+failed_over\s+\d+\s+SUCCESSFUL" % FIRST, output), output
    assert_no_secret(output)


@needs_java
def test_repeated_alarms_for_a_tenant_run_once_within_the_throttle(simulator, start_rulebook):
    rulebook = start_rulebook()  # check mode, 10 minutes

    for repeat in range(3):
        rulebook.post(readme_alarm(FIRST, summary="repeat %d" % repeat))
    rulebook.post(readme_alarm(SECOND))  # another tenant: a throttle of its own
    output = rulebook.wait_runs(2)

    assert runs_for(output, FIRST) == 1 and prechecks_of(simulator, FIRST)
    assert runs_for(output, SECOND) == 1 and prechecks_of(simulator, SECOND)
    assert output.count("Triggered by OCP alarm") == 2 and rulebook.runs() == 2
    assert failover_posts(simulator) == []


@needs_java
def test_cleared_notices_and_unselected_alarms_do_nothing(simulator, start_rulebook):
    rulebook = start_rulebook({"ocp_eda_mode": "execute", "ocp_eda_throttle": "1 minute",
                               "ocp_eda_alarm_names": ["ob_tenant_unavailable", "log.sync+broken (standby)"]})

    rulebook.post(readme_alarm(FIRST, status="Inactive"))  # a clearance notice
    rulebook.post(readme_alarm(FIRST, alarm_name="ob_host_cpu_high"))  # not in ocp_eda_alarm_names
    rulebook.post(readme_alarm(FIRST, alarm_name="logXsync+broken (standby)"))  # regex characters are literal
    rulebook.post({"alarm_name": "ob_tenant_unavailable", "status": "Active"})  # no OCP ids: reported only
    rulebook.post(readme_alarm(SECOND, alarm_name="log.sync+broken (standby)"))  # selected: runs
    output = rulebook.wait_runs(1)

    assert not [r for r in simulator.request_log() if "/%d" % FIRST in r["path"]]
    assert runs_for(output, SECOND) == 1 and prechecks_of(simulator, SECOND)
    assert [p["body"] for p in failover_posts(simulator)] == [{"failoverTenantItemList": [{"tenantId": SECOND}]}]
    assert output.count("Triggered by OCP alarm") == 1
    assert "carries no cluster_id and tenant_id" in output


@needs_java
def test_check_mode_prechecks_and_reports_but_submits_nothing(simulator, start_rulebook):
    rulebook = start_rulebook({"ocp_eda_mode": "check"})

    rulebook.post(readme_alarm(FIRST))
    output = rulebook.wait_runs(1)

    assert runs_for(output, FIRST) == 1 and prechecks_of(simulator, FIRST)
    assert failover_posts(simulator) == []
    # Nothing but prechecks changes hands (read-only): no failover, no retry.
    assert {r["path"] for r in simulator.request_log() if r["method"] != "GET"} == {
        "/api/v2/ob/clusters/%d/tenants/%d/failoverPreCheck" % (STANDBY_CLUSTER, FIRST)}
    assert tenant_role(simulator, FIRST) == "STANDBY"
    assert "mode check: precheck and report only, nothing is submitted" in output
    assert re.search(r"%d\s+app0_standby\s+STANDBY\s+[0-9.]+ s\s+ok\s+True" % FIRST, output), output
    assert re.search(r"%d\s+app0_standby\s+would_fail_over" % FIRST, output), output


@needs_java
def test_blocking_precheck_sends_no_failover(simulator, start_rulebook):
    rulebook = start_rulebook({"ocp_eda_mode": "execute"})

    rulebook.post(readme_alarm(THIRD))  # its primary tenant can still be connected
    output = rulebook.wait_runs(1)

    assert runs_for(output, THIRD) == 1 and prechecks_of(simulator, THIRD)
    assert failover_posts(simulator) == []
    assert tenant_role(simulator, THIRD) == "STANDBY"
    assert "OBE26107" in output and "Failover NOT started" in output
    assert_no_secret(output)


@needs_java
def test_unsupported_variables_run_nothing_and_say_why(simulator, start_rulebook):
    rulebook = start_rulebook({"ocp_eda_mode": "execute", "ocp_eda_throttle": "7 minutes"})

    rulebook.post(readme_alarm(FIRST))
    wait_until(lambda: "unsupported rulebook variables" in rulebook.output(), RUN_TIMEOUT, "the report", rulebook)

    assert "(got 7 minutes)" in rulebook.output()
    time.sleep(1)
    assert rulebook.runs() == 0 and simulator.request_log() == []


@needs_java
def test_the_installed_collection_rulebook_runs_by_name(simulator, start_rulebook):
    # -r oceanbase.ocp.ocp_alarm_failover: ansible-rulebook finds it through ansible-galaxy, as for users.
    rulebook = start_rulebook({"ocp_eda_throttle": "5 minutes"}, rulebook="oceanbase.ocp.ocp_alarm_failover")

    rulebook.post(readme_alarm(SECOND))
    rulebook.post(readme_alarm(SECOND))
    output = rulebook.wait_runs(1)

    assert runs_for(output, SECOND) == 1 and prechecks_of(simulator, SECOND)
    assert "at most once in 5 minutes" in rulebook.output()


# ----- the polling event source, inside ansible-rulebook


def polling_rulebook(path, **source_args):
    """The shipped rulebook with its webhook replaced by oceanbase.ocp.ocp_alarms, as its header explains."""
    rulesets = yaml.safe_load(RULEBOOK.read_text(encoding="utf-8"))
    rulesets[0]["sources"] = [{"name": "OCP alarm list", "oceanbase.ocp.ocp_alarms": source_args}]
    path.write_text(yaml.safe_dump(rulesets, sort_keys=False), encoding="utf-8")
    return path


def alarm_reads(simulator):
    return [r for r in simulator.request_log() if r["path"] == "/api/v2/alarm/alarms"]


@needs_java
def test_polled_alarm_fails_the_tenant_over_once(simulator, start_rulebook, tmp_path):
    simulator.raise_alarm(alarmType="ob_tenant_unavailable", tenantId=FIRST, level=1)
    rulebook_file = polling_rulebook(tmp_path / "polling.yml", interval=0.5)
    rulebook = start_rulebook({"ocp_eda_mode": "execute"}, rulebook=rulebook_file, wait=False)

    output = rulebook.wait_runs(1)
    reads = len(alarm_reads(simulator))
    wait_until(lambda: len(alarm_reads(simulator)) >= reads + 3, RUN_TIMEOUT, "three more polls", rulebook)

    assert [p["body"] for p in failover_posts(simulator)] == [{"failoverTenantItemList": [{"tenantId": FIRST}]}]
    assert tenant_role(simulator, FIRST) == "PRIMARY"
    assert rulebook.runs() == 1  # the alarm is still active, polled again and again: emitted once
    assert "Triggered by OCP alarm ob_tenant_unavailable (level 1, status Active" in output
    assert_no_secret(rulebook.output())


# ----- the polling event source, run directly (its asyncio entry point; no Java needed)


@pytest.fixture
def source(collections_path):
    """The installed event source's globals, loaded the way ansible-rulebook loads it (runpy)."""
    return runpy.run_path(str(Path(collections_path) / SOURCE))


@pytest.fixture
def source_main(source):
    return source["main"]


def connection(simulator, **overrides):
    args = {"api_url": simulator.url, "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET,
            "interval": 0.1}
    args.update(overrides)
    return {key: value for key, value in args.items() if value is not None}


def run_source(main, args, until, timeout=60):
    """Run the source until `until(events)` holds, then cancel it; return (events, error or None)."""

    async def scenario():
        queue = asyncio.Queue()
        events = []
        task = asyncio.create_task(main(queue, args))
        deadline = time.monotonic() + timeout
        try:
            while not until(events):
                if task.done():
                    return events, task.exception()
                if time.monotonic() > deadline:
                    raise AssertionError("timed out waiting; events so far: %s" % events)
                try:
                    events.append(await asyncio.wait_for(queue.get(), 0.05))
                except asyncio.TimeoutError:
                    pass
            return events, None
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    return asyncio.run(scenario())


def alarm_names(events):
    return [event["payload"]["alarm_name"] for event in events]


def test_source_emits_each_active_tenant_alarm_once_over_every_page(simulator, source_main):
    for number in range(203):  # two pages of 200
        simulator.raise_alarm(alarmType="a%03d" % number, target="ob_cluster=nowhere:tenant_name=t%03d" % number)
    simulator.raise_alarm(alarmType="cluster_down", scope="ObCluster", target="ob_cluster=ob_west")
    simulator.raise_alarm(alarmType="cleared", tenantId=FIRST, status="Inactive")

    events, error = run_source(source_main, connection(simulator),
                               lambda events: len(alarm_reads(simulator)) >= 8)  # four polls of two pages

    assert error is None
    assert sorted(alarm_names(events)) == ["a%03d" % n for n in range(203)]  # once each, over several polls
    reads = alarm_reads(simulator)
    assert {r["query"]["page"][0] for r in reads} == {"1", "2"}
    assert all(r["query"]["status"] == ["Active"] and r["query"]["scope"] == ["ObTenant"]
               and r["query"]["size"] == ["200"] for r in reads)
    unresolved = events[0]["payload"]
    assert "cluster_id" not in unresolved and "0 clusters named nowhere" in unresolved["unresolved"]


def test_source_emits_new_and_raised_again_alarms_and_resolves_ids(simulator, source_main):
    first = simulator.raise_alarm(alarmType="ob_tenant_unavailable", tenantId=FIRST, level=1)
    args = connection(simulator, standby_of=[
        {"ob_cluster_name": "ob_east", "tenant_name": "app1", "cluster_id": STANDBY_CLUSTER, "tenant_id": SECOND}])
    state = {"step": 0}

    def script(events):
        # 1: the first alarm; raise a second (about SECOND's primary, mapped by standby_of) and clear the first.
        if state["step"] == 0 and len(events) == 1:
            state["reads"] = len(alarm_reads(simulator))
            simulator.raise_alarm(alarmType="ob_tenant_unavailable", target="ob_cluster=ob_east:tenant_name=app1")
            simulator.clear_alarm(first["id"])
            state["step"] = 1
        # 2: the second; a few polls later, raise the first again (a new activeAt: a new alarm).
        elif state["step"] == 1 and len(events) == 2 and len(alarm_reads(simulator)) >= state["reads"] + 3:
            simulator.alarms.patch(first["id"], {"status": "Active"})
            state["step"] = 2
        return len(events) >= 3

    events, error = run_source(source_main, args, script)

    assert error is None
    payloads = [event["payload"] for event in events]
    assert [(p["cluster_id"], p["tenant_id"]) for p in payloads] == [
        (STANDBY_CLUSTER, FIRST), (STANDBY_CLUSTER, SECOND), (STANDBY_CLUSTER, FIRST)]
    assert payloads[0]["alarm_id"] == payloads[2]["alarm_id"] and payloads[0]["active_at"] != payloads[2]["active_at"]
    assert payloads[0] == dict(payloads[0], alarm_name="ob_tenant_unavailable", alarm_level=1, status="Active",
                               ob_cluster_name="ob_west", tenant_name="app0_standby", ob_tenant_id=1002,
                               alarm_target="ob_cluster=ob_west:tenant_name=app0_standby:ob_tenant_id=1002")
    # Ids by name: the exact tenant name, looked up in the one cluster of that name (`name` is a fuzzy filter).
    lookups = [r for r in simulator.request_log() if r["path"] == "/api/v2/ob/clusters/%d/tenants" % STANDBY_CLUSTER]
    assert lookups and lookups[0]["query"]["name"] == ["app0_standby"]


def test_source_logs_a_failed_poll_in_one_line_and_goes_on(simulator, source_main, caplog):
    simulator.raise_alarm(alarmType="ob_tenant_unavailable", tenantId=FIRST)
    simulator.add_fault(method="GET", path="/api/v2/alarm/alarms", action="status", status=403, count=1)
    simulator.add_fault(method="GET", path="/api/v2/alarm/alarms", action="malformed_json", count=1)

    with caplog.at_level(logging.WARNING, logger="oceanbase.ocp.ocp_alarms"):
        events, error = run_source(source_main, connection(simulator, interval=0.2), lambda events: len(events) >= 1)

    assert error is None
    assert alarm_names(events) == ["ob_tenant_unavailable"]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3, messages  # two failed polls, then "works again"
    assert "HTTP 403" in messages[0] and "lacks permission" in messages[0]
    assert "not valid JSON" in messages[1]
    assert all("\n" not in m and ACCESS_KEY_SECRET not in m for m in messages)


def test_source_with_wrong_credentials_keeps_the_secret_out_of_its_log(simulator, source_main, caplog):
    with caplog.at_level(logging.WARNING, logger="oceanbase.ocp.ocp_alarms"):
        events, error = run_source(source_main, connection(simulator, access_key_id=None, access_key_secret=None,
                                                           username=ADMIN_USER, password="wrong-" + ADMIN_PASSWORD),
                                   lambda events: len(caplog.records) >= 2)

    assert error is None and events == []
    assert "HTTP 401" in caplog.records[0].getMessage() and "OCP_USERNAME" in caplog.records[0].getMessage()
    assert all(ADMIN_PASSWORD not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("args, env, message", [
    ({}, {}, "api_url (or OCP_API_URL) is required"),
    ({"api_url": "URL"}, {"OCP_USERNAME": "admin"}, "set either username and password"),
    ({"api_url": "URL", "username": "admin", "password": ADMIN_PASSWORD}, {"OCP_ACCESS_KEY_ID": "AK"}, "not both"),
    ({"api_url": "URL"}, {"OCP_ACCESS_KEY_ID": "AK", "OCP_ACCESS_KEY_SECRET": ACCESS_KEY_SECRET,
                          "OCP_VALIDATE_CERTS": "maybe"}, "validate_certs must be true or false"),
    ({"api_url": "URL", "ca_path": "/nonexistent/ca.pem"}, {"OCP_USERNAME": "a", "OCP_PASSWORD": ADMIN_PASSWORD},
     "ca_path /nonexistent/ca.pem does not exist"),
    ({"api_url": "URL", "interval": 0}, {"OCP_USERNAME": "a", "OCP_PASSWORD": ADMIN_PASSWORD}, "interval must be"),
    ({"api_url": "URL", "standby_of": [{"tenant_name": "t"}]}, {"OCP_USERNAME": "a", "OCP_PASSWORD": ADMIN_PASSWORD},
     "standby_of[0] must have exactly"),
    ({"api_url": "ftp://ocp"}, {"OCP_USERNAME": "a", "OCP_PASSWORD": ADMIN_PASSWORD}, "must be OCP's base URL"),
    ({"api_url": "URL", "intervall": 5}, {"OCP_USERNAME": "a", "OCP_PASSWORD": ADMIN_PASSWORD},
     "unknown option(s) intervall"),
], ids=["no-url", "half-basic", "both-auths", "bad-validate-certs", "missing-ca", "zero-interval", "bad-standby-of",
        "bad-url", "unknown-option"])
def test_source_refuses_bad_options_before_sending_anything(simulator, source_main, monkeypatch, args, env, message):
    for name in [n for n in os.environ if n.startswith("OCP_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    args = dict(args)
    if args.get("api_url") == "URL":
        args["api_url"] = simulator.url

    events, error = run_source(source_main, args, lambda events: False)

    assert isinstance(error, ValueError) and message in str(error), error
    assert "nothing was sent to OCP" in str(error) and ADMIN_PASSWORD not in str(error)
    assert ACCESS_KEY_SECRET not in str(error)
    assert events == [] and simulator.request_log() == []


def test_source_verifies_tls_by_default_and_reads_the_environment(source):
    settings = source["settings"]
    environ = {"OCP_API_URL": "https://ocp.example.com", "OCP_ACCESS_KEY_ID": "AK", "OCP_ACCESS_KEY_SECRET": "SK",
               "OCP_USERNAME": ""}  # empty counts as unset, as AWX injects it

    assert settings({}, environ)["validate_certs"] is True
    assert settings({}, dict(environ, OCP_VALIDATE_CERTS="false"))["validate_certs"] is False
    assert settings({"validate_certs": True}, dict(environ, OCP_VALIDATE_CERTS="false"))["validate_certs"] is True
    assert settings({}, dict(environ, OCP_REQUEST_TIMEOUT="5"))["request_timeout"] == 5.0
