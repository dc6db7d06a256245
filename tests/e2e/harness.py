"""Helpers for the end-to-end tests (`from harness import ...`; conftest.py puts this folder on sys.path)."""

# Credentials of the default scenario. They double as canaries: tests assert they never show up in output.
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Adm1n-Secret!"
ACCESS_KEY_ID = "AKEXAMPLE0001"
ACCESS_KEY_SECRET = "SKexample-secret-0001"
SECRETS = (ADMIN_PASSWORD, ACCESS_KEY_SECRET)


def add_standby_batch(scenario, first_id, count, cluster_id=3000010, primary_id=1001, primary_cluster_id=3000001):
    """Add `count` standby tenants (ids from `first_id`, names batch_00...) of one unreachable primary of the
    default scenario to `scenario`, and return it."""
    for index in range(count):
        scenario["tenants"].append({
            "id": first_id + index, "name": "batch_%02d" % index, "clusterId": cluster_id,
            "tenantRole": "STANDBY", "primaryTenantId": primary_id, "primaryClusterId": primary_cluster_id,
            "status": "NORMAL",
        })
    return scenario


# How a module crash shows. ansible-core 2.19 hides the traceback by default and puts "Task failed: Module failed:
# <exception>" in the result msg (the [ERROR] line printed for an ordinary fail_json says "Module failed:" too, so
# only the result msg counts). Older versions print "MODULE FAILURE" and the traceback.
OUTPUT_CRASH_MARKERS = ("Traceback (most recent call last)", "MODULE FAILURE")
RESULT_CRASH_MARKERS = OUTPUT_CRASH_MARKERS + ("Module failed:",)


def crashed(run):
    """Whether a module crashed (an exception) rather than failing with a message of its own."""
    if any(marker in run.output for marker in OUTPUT_CRASH_MARKERS):
        return True
    texts = [str(entry["result"].get(key, "")) for entry in run.results for key in ("msg", "module_stderr")]
    return any(marker in text for text in texts for marker in RESULT_CRASH_MARKERS)


def assert_clean_output(run, secrets=SECRETS):
    """No module crash, and no secret anywhere in what ansible printed."""
    assert not crashed(run), run.output
    for secret in secrets:
        assert secret not in run.output, f"secret leaked in output:\n{run.output}"
