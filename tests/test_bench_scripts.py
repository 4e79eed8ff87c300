"""Every script the README and docs/ cite, run the way their readers run them but small: a few
dozen deals, one request a page, a second of load, a few megabytes. The figures come from the
full runs (bench/RESULTS.md); these keep the scripts working, so a doc never points at one that
fails. scripts/webhook_receiver.py and bench/soak.py have their own tests
(tests/api/test_receiver_script.py, tests/test_soak.py).

Each script runs in its own process on a database of its own (a SQLite file here; bench/events.py
and bench/webhooks.py need PostgreSQL and run in the PostgreSQL pass of CI).
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.slow
# One xdist worker runs them all (tests/conftest.py).
XDIST_GROUP = "bench-scripts"


@pytest.fixture(autouse=True, scope="module")
def _own_static_root(tmp_path_factory):
    """The scripts collect the static files into a folder of their own (STATIC_ROOT): the
    project's staticfiles/, which the other workers' servers read, is never rewritten under
    them (a half-written one failed an admin page in another worker)."""
    before = os.environ.get("STATIC_ROOT")
    os.environ["STATIC_ROOT"] = str(tmp_path_factory.mktemp("static"))
    yield
    if before is None:
        os.environ.pop("STATIC_ROOT", None)
    else:
        os.environ["STATIC_ROOT"] = before


@pytest.fixture(autouse=True)
def _once_per_ci_run(request):
    """The scripts that make their own SQLite file run in CI's SQLite pass only: in the
    PostgreSQL pass they would measure nothing new."""
    if connection.vendor == "postgresql" and "postgres" not in request.keywords:
        pytest.skip("runs on a SQLite file of its own: ran once in the SQLite pass")


def run(*args: str, timeout: int = 600, **env: str) -> str:
    """Run a script with the project's Python from the project folder; its output."""
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # Set for the browser tests' live server; never part of a script's environment.
    environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> str:
    """A SQLite file seeded by bench/seed_scale.py (60 deals), plus the demo logins."""
    url = f"sqlite:///{tmp_path_factory.mktemp('bench') / 'bench.sqlite3'}"
    out = run("bench/seed_scale.py", "--deals", "60", DATABASE_URL=url)
    assert "deals" in out
    run("manage.py", "seed_demo", DATABASE_URL=url)
    return url


@pytest.fixture
def bench_server(seeded, monkeypatch):
    """bench/server.py's gunicorn (DEBUG off, LOCAL_HTTP) on the seeded database."""
    monkeypatch.setenv("DATABASE_URL", seeded)
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    spec = importlib.util.spec_from_file_location("bench_server", ROOT / "bench" / "server.py")
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    server.collectstatic()
    port = free_port()
    with server.Server(port, max_seconds=600):
        yield f"http://127.0.0.1:{port}"


def needs_chromium():
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (apt-get install chromium)")


def test_seed_scale_then_pages_answer_every_page(seeded):
    out = run("bench/pages.py", "--port", str(free_port()), "--requests", "1", "--warmup", "0",
              DATABASE_URL=seeded)  # fmt: skip

    assert "| floor |" in out
    assert "| deal list" in out or "| deals" in out


def test_cpu_times_every_staff_page_in_process(seeded):
    out = run("bench/cpu.py", "--staff", "--requests", "1", "--warmup", "0", DATABASE_URL=seeded)

    assert "| floor |" in out
    assert "| staff: deals |" in out and "| review queue |" in out


def test_first_visit_signs_in_and_stays_within_its_budget(bench_server):
    needs_chromium()

    out = run("bench/first_visit.py", bench_server)

    assert "within the 150 KB budget" in out


def test_readme_screenshots_are_taken(bench_server, tmp_path):
    needs_chromium()

    run("scripts/readme_screenshots.py", bench_server, str(tmp_path))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["dashboard.png", "deal.png"]


def test_load_runs_wrk_and_the_storm(seeded):
    if not shutil.which("wrk"):
        pytest.skip("needs wrk (apt-get install wrk)")

    out = run("bench/load.py", "--port", str(free_port()), "--seconds", "1", DATABASE_URL=seeded)

    assert "| floor |" in out and "| deal list |" in out
    assert "storm: 400 posts from 2 processes, 200 discounts" in out
    assert "0 server errors" in out


def test_deal_csv_memory():
    out = run("bench/deal_csv_memory.py", "200")

    assert "200 deals:" in out and "peak Python memory" in out


def test_upload_memory():
    out = run("bench/upload_memory.py", "--mb", "4")

    assert "peak growth:" in out and out.strip().endswith("OK")


def test_stage_files_lock():
    out = run("bench/stage_files_lock.py", "0.2")

    assert "waited" in out


@pytest.mark.postgres
@pytest.mark.parametrize("script", ["bench/events.py", "bench/webhooks.py"])
def test_events_and_webhooks_on_postgresql(script, db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the script runs workers on a database of its own")
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (apt-get install redis-server)")
    settings = connection.settings_dict
    auth = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    host = f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"

    out = run(script, "20", DATABASE_URL=f"postgres://{auth}@{host}/{settings['NAME']}")

    assert "events/s" in out or "deliveries/s" in out
