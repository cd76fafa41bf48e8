"""The short version of bench/load.py: concurrent clients on gunicorn and PostgreSQL, a worker
killed with SIGKILL, the app's idle database connections terminated and PostgreSQL restarted
(a cluster of the benchmark's own), and not one error."""

import json
import subprocess
import sys

import pytest
from django.db import connection

from tests.helpers import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the load test runs the production setup: PostgreSQL",
    ),
]


def test_short_load_with_faults_has_no_errors():
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--clients", "4", "--seconds", "8"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads(result.stdout[result.stdout.index("{") :])
    # What went wrong, whole: pytest would shorten the report to its first keys.
    summary = json.dumps({k: report.get(k) for k in ("errors", "error_samples", "faults")})
    assert result.returncode == 0, summary
    assert report["errors"] == 0 and report["requests"] > 20
    assert [fault.split()[0] for fault in report["faults"]] == ["killed", "terminated", "restarted"]
