"""Helpers for the end-to-end tests (`from harness import ...`; conftest.py puts this folder on sys.path)."""

# Credentials of the default scenario. They double as canaries: tests assert they never show up in output.
ADMIN_USER = "admin"
ADMIN_PASSWORD = "Adm1n-Secret!"
ACCESS_KEY_ID = "AKEXAMPLE0001"
ACCESS_KEY_SECRET = "SKexample-secret-0001"
SECRETS = (ADMIN_PASSWORD, ACCESS_KEY_SECRET)


def assert_clean_output(run, secrets=SECRETS):
    """No Python traceback or module crash, and no secret anywhere in what ansible printed.

    ansible-core 2.19 hides a module's traceback by default: a crash shows as "Module failed: ..." instead.
    """
    assert "Traceback (most recent call last)" not in run.output, run.output
    assert "Module failed:" not in run.output, run.output
    for secret in secrets:
        assert secret not in run.output, f"secret leaked in output:\n{run.output}"
