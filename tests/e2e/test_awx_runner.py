"""The playbook through ansible-runner, the engine AWX / Automation Controller runs jobs with.

Like an AWX job: a project folder with a playbook, the OCP credential type's injected environment variables,
survey answers as extra vars (the tenants as JSON text, booleans as strings), a normal run and a "Check" run.
Afterwards nothing secret may be found in the job's artifacts (stdout and job events, which AWX stores), and the
role's summary is there for the next node of an AWX workflow (set_stats: the stats event's artifact_data).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml
from harness import ADMIN_PASSWORD, ADMIN_USER, ACCESS_KEY_ID, ACCESS_KEY_SECRET
from test_role import SUBMIT, STANDBY_CLUSTER, STANDBYS, failover_posts, precheck_posts, role_scenario, tenant_role

CREDENTIAL_TYPE = Path(__file__).resolve().parents[2] / "awx" / "credential_type.yml"


@pytest.fixture
def scenario():
    scenario = role_scenario(
        warnings={2000102: [{"errorCode": "OBE26007", "errorMessage": "Log stream synchronization is slow"}]})
    scenario["access_keys"] = [{"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET,
                                "username": ADMIN_USER}]
    return scenario


def credential_env(credential_inputs):
    """Render the credential type's injectors the way AWX does: every injector, empty string for unset inputs."""
    with open(CREDENTIAL_TYPE, encoding="utf-8") as stream:
        injectors = yaml.safe_load(stream)["injectors"]["env"]
    rendered = {}
    for name, template in injectors.items():
        field = template.strip("{} ")
        value = credential_inputs.get(field, "")
        rendered[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return rendered


def survey_extra_vars(by_name=False):
    """The survey's answers as AWX sends them: by ids, with the optional cluster name left blank (an empty text), or
    by names, with the optional cluster id left blank (an integer left blank is not sent)."""
    if by_name:
        cluster = {"tenant_failover_cluster_name": "ob_west"}
        tenants = [{"name": "app%d_standby" % index} for index in range(len(STANDBYS))]
    else:
        cluster = {"tenant_failover_cluster_id": STANDBY_CLUSTER, "tenant_failover_cluster_name": ""}
        tenants = [{"tenant_id": t} for t in STANDBYS]
    return {
        **cluster,
        "tenant_failover_tenants_json": json.dumps(tenants),
        "tenant_failover_allow_warnings": "true",
        "tenant_failover_max_sync_lag_seconds": 300.0,  # the standbys lag a few seconds
        "tenant_failover_retry_failed_tasks": "false",
        "tenant_failover_wait_timeout": 120,
    }


def run_job(tmp_path, collections_path, credential_inputs, check=False, by_name=False):
    private_data_dir = tmp_path / "job"
    project = private_data_dir / "project"
    project.mkdir(parents=True)
    (project / "failover.yml").write_text(
        "---\n- name: Run the collection's playbook\n  ansible.builtin.import_playbook: "
        "oceanbase.ocp.precheck_then_failover\n", encoding="utf-8")
    env = credential_env(credential_inputs)
    env.update({"ANSIBLE_COLLECTIONS_PATH": collections_path, "ANSIBLE_LOCALHOST_WARNING": "0",
                "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_NOCOLOR": "1",
                "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")})
    runner = ansible_runner.run(private_data_dir=str(private_data_dir), playbook="failover.yml",
                                extravars=survey_extra_vars(by_name), envvars=env, quiet=True,
                                cmdline="--check --diff" if check else "--diff", timeout=600)
    return runner, private_data_dir


def task_result(runner, task_name):
    for event in reversed(list(runner.events)):
        data = event.get("event_data", {})
        if event.get("event") in ("runner_on_ok", "runner_on_failed") and data.get("task") == task_name:
            return data["res"]
    raise KeyError(task_name)


def published_stats(private_data_dir):
    """What the job published with set_stats, read from its artifacts as AWX reads them: the stats event's
    artifact_data (AWX hands it to the next node of a workflow as extra vars)."""
    found = []
    for path in sorted((private_data_dir / "artifacts").rglob("job_events/*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        if event.get("event") == "playbook_on_stats":
            found.append(event["event_data"].get("artifact_data") or {})
    assert len(found) == 1, found
    return found[0]


def secrets_in_artifacts(private_data_dir, secrets):
    """Secrets found in what the job produced: stdout, job events, status. Not in `command`, which is ansible-runner's
    record of its own input (the injected environment, like env/envvars), not something the collection wrote."""
    found = []
    for path in (private_data_dir / "artifacts").rglob("*"):
        if path.is_file() and path.name != "command":
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [(str(path), s) for s in secrets if s in text]
    return found


@pytest.mark.parametrize("credential_inputs", [
    {"api_url": None, "username": ADMIN_USER, "password": ADMIN_PASSWORD},
    {"api_url": None, "access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET},
], ids=["basic", "aksk"])
def test_job_through_ansible_runner(simulator, collections_path, tmp_path, credential_inputs):
    credential_inputs = dict(credential_inputs, api_url=simulator.url, validate_certs=True)

    check_runner, check_dir = run_job(tmp_path / "check", collections_path, credential_inputs, check=True)

    assert check_runner.status == "successful", check_runner.stdout.read()
    assert {r["path"].split("/")[-2] for r in precheck_posts(simulator)} == {str(t) for t in STANDBYS}
    assert failover_posts(simulator) == []
    assert {t["action"] for t in task_result(check_runner, SUBMIT)["tenants"]} == {"would_fail_over"}
    check_summary = published_stats(check_dir)["tenant_failover_summary"]
    assert check_summary["check_mode"] is True
    assert {row["action"] for row in check_summary["tenants"]} == {"would_fail_over"}

    runner, job_dir = run_job(tmp_path / "real", collections_path, credential_inputs)

    assert runner.status == "successful", runner.stdout.read()
    assert runner.rc == 0
    assert len(failover_posts(simulator)) == 1
    assert [tenant_role(simulator, t) for t in STANDBYS] == ["PRIMARY"] * 3
    stdout = runner.stdout.read()
    assert "Traceback" not in stdout
    stats = published_stats(job_dir)
    summary = stats["tenant_failover_summary"]
    assert (summary["cluster"], summary["cluster_name"], summary["check_mode"]) == (STANDBY_CLUSTER, "ob_west", False)
    tasks = {task["tenantId"]: task["id"] for task in simulator.state.dump()["tasks"]}
    assert [(row["tenant_id"], row["action"], row["task_id"], row["task_status"], row["role_after"])
            for row in summary["tenants"]] == [(t, "failed_over", tasks[t], "SUCCESSFUL", "PRIMARY") for t in STANDBYS]
    assert all(row["duration"] > 0 for row in summary["tenants"])
    assert stats["tenant_failover_summaries"] == {str(STANDBY_CLUSTER): summary}
    secrets = [ADMIN_PASSWORD, ACCESS_KEY_SECRET]
    assert secrets_in_artifacts(check_dir, secrets) == []
    assert secrets_in_artifacts(job_dir, secrets) == []


def test_job_with_survey_answers_by_name(simulator, collections_path, tmp_path):
    credential_inputs = {"api_url": simulator.url, "username": ADMIN_USER, "password": ADMIN_PASSWORD}

    runner, job_dir = run_job(tmp_path / "real", collections_path, credential_inputs, by_name=True)

    assert runner.status == "successful", runner.stdout.read()
    [post] = failover_posts(simulator)
    assert post["path"].endswith("/clusters/%d/tenants/failover" % STANDBY_CLUSTER)
    assert [item["tenantId"] for item in post["body"]["failoverTenantItemList"]] == STANDBYS
    summary = published_stats(job_dir)["tenant_failover_summary"]
    assert (summary["cluster"], summary["cluster_name"]) == (STANDBY_CLUSTER, "ob_west")
    assert [(row["tenant_id"], row["role_after"]) for row in summary["tenants"]] == [(t, "PRIMARY") for t in STANDBYS]


def test_every_survey_question_sets_a_variable_of_the_role():
    root = Path(__file__).resolve().parents[2]
    with open(root / "awx" / "survey.yml", encoding="utf-8") as stream:
        questions = yaml.safe_load(stream)["spec"]
    with open(root / "roles" / "tenant_failover" / "meta" / "argument_specs.yml", encoding="utf-8") as stream:
        options = yaml.safe_load(stream)["argument_specs"]["main"]["options"]
    # tenant_failover_tenants_json is the playbook's: it parses the JSON text into tenant_failover_tenants.
    unknown = [q["variable"] for q in questions if q["variable"] not in options and q["variable"] != "tenant_failover_tenants_json"]
    assert unknown == []
