"""The soak (bench/soak.py) for half a minute: gunicorn, a Celery worker and beat on PostgreSQL
and Redis, 8 clients; then every book must balance. The 20-minute figures are in
bench/RESULTS.md; this keeps the script and its checks working.

Needs PostgreSQL (the soak makes a database of its own beside the test one) and redis-server.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
# With the other bench scripts on one xdist worker (tests/test_bench_scripts.py): they collect
# the static files into the same folder.
XDIST_GROUP = "bench-scripts"


@pytest.fixture
def database_url():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: the soak runs gunicorn and a worker on a database of its own"
        )
    if shutil.which("redis-server") is None:
        pytest.skip(
            "needs redis-server for the soak's cache and broker (apt-get install redis-server)"
        )
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"


def test_a_short_soak_balances_its_books(database_url, tmp_path):
    out = tmp_path / "soak.json"
    # Its own STATIC_ROOT: the project's staticfiles/ is read by the other workers' servers.
    env = {**os.environ, "DATABASE_URL": database_url, "STATIC_ROOT": str(tmp_path / "static")}
    run = subprocess.run(
        [sys.executable, "bench/soak.py", "--minutes", "0.5", "--clients", "8", "--json", out],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = json.loads(out.read_text())
    books = result["books"]

    assert result["requests"] > 100
    assert result["5xx"] == 0, result["kinds"]
    assert result["drained"] is True
    assert result["log errors"] == {"web": 0, "worker": 0, "beat": 0}
    assert books["events"] > 0 and books["events not fanned out"] == 0
    assert books["webhook deliveries"] == books["events"] - books["staff-only events"]
    assert books["webhook deliveries not delivered"] == 0
    assert books["webhook deliveries accepted other than once"] == 0
    assert books["webhook signatures wrong"] == 0
    # Only changes committed after a later one was sent may arrive out of order; an earlier
    # event that was there to see when the later one was claimed never is.
    assert books["of them, the earlier event fanned out before the claim (an ordering fault)"] == 0
    assert books["e-mail deliveries"] > 0 and books["e-mail deliveries not sent"] == 0
    assert books["addresses whose e-mails differ from their deliveries"] == 0
    assert books["won deals"] == books["wins (clients saw)"] > 0
    assert books["won deals without exactly one discount"] == 0
    assert books["discounts of deals not won"] == 0
    assert books["attachments"] > 0
    assert books["orphaned files"] == books["attachments without their file"] == 0
    assert books["pending deletions left"] == 0
