"""Every script the README and docs/ cite, run the way their readers run them but small: a few
dozen deals, one request a page, a second of load, a few megabytes. The figures come from the
full runs (bench/RESULTS.md); these keep the scripts working, so a doc never points at one that
fails. scripts/webhook_receiver.py and bench/soak.py have their own tests
(tests/api/test_receiver_script.py, tests/test_soak.py).

Each script runs in its own process on a database of its own (a SQLite file here; bench/events.py
and bench/webhooks.py need PostgreSQL and run in the PostgreSQL pass of CI).
"""

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import django
import pytest
from django.db import connection

from tests import migrated
from tests import seeded as seeded_demo
from tests.servers import free_port
from web.digests import sha256_hex

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.slow
# One xdist worker runs them all (tests/conftest.py).
XDIST_GROUP = "bench-scripts"


@pytest.fixture(scope="module")
def fast_folder(tmp_path_factory):
    """A folder for the scripts' SQLite files: in memory (/dev/shm) where there is one with
    room (a container's may hold only 64 MB), so the hundreds of small commits of a seed wait
    for no disk; else a temporary one."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 512 * 2**20:
        folder = Path(tempfile.mkdtemp(prefix="portal-bench-", dir=shm))
        yield folder
        shutil.rmtree(folder, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("bench")


@pytest.fixture(autouse=True, scope="module")
def _own_static_root(tmp_path_factory):
    """The scripts collect the static files into a folder of their own (STATIC_ROOT): the
    project's staticfiles/, which the other workers' servers read, is never rewritten under
    them (a half-written one failed an admin page in another worker)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("STATIC_ROOT", str(tmp_path_factory.mktemp("static")))
        yield


def server_module():
    spec = importlib.util.spec_from_file_location("bench_server", ROOT / "bench" / "server.py")
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    return server


@pytest.fixture(scope="module")
def static_collected(_own_static_root):
    """collectstatic once for the module (bench/server.py's, about 4 s of CPU), then every
    script finds STATIC_ROOT collected (BENCH_STATIC_COLLECTED) instead of collecting again.
    The collected folder is kept across runs, named by a digest of every file collected and
    of what collects them (_kept_static); a run copies it (a tenth of a second)."""
    root, kept = Path(os.environ["STATIC_ROOT"]), _kept_static()
    if kept.is_dir():
        shutil.copytree(kept, root, dirs_exist_ok=True)
    else:
        server_module().collectstatic()
        aside = Path(tempfile.mkdtemp(dir=kept.parent, prefix="portal-bench-static-aside-"))
        shutil.copytree(root, aside, dirs_exist_ok=True)
        try:
            os.rename(aside, kept)  # whole, or not there (another process's rename first)
        except OSError:
            shutil.rmtree(aside, ignore_errors=True)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BENCH_STATIC_COLLECTED", os.environ["STATIC_ROOT"])
        yield


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
def migrated_sqlite(django_db_setup, django_db_blocker, fast_folder):
    """A new migrated SQLite file for a script: a copy of the suite's migrated template
    (tests/migrated.py), or an empty file the script migrates itself when there is none."""
    if connection.vendor == "postgresql":
        pytest.skip("runs on a SQLite file of its own: ran once in the SQLite pass")
    folder = fast_folder

    def new(name: str) -> str:
        file = folder / f"{name}.sqlite3"
        with django_db_blocker.unblock():
            migrated.copy_to(file)
        return f"sqlite:///{file}"

    return new


@pytest.fixture(scope="module")
def seeded(migrated_sqlite, fast_folder) -> str:
    """A SQLite file seeded by bench/seed_scale.py (60 deals), plus the demo logins.

    Seeding takes two scripts, about 11 s idle and 25 s under load; the seeded file is kept
    across runs (as tests/seeded.py keeps the demo data), named by a digest of all it comes
    from: tests/seeded.py's (the migrations, our apps' code, the test settings, the secret
    key, today) and bench/'s scripts. A run copies it; a change to any of them seeds afresh.
    test_seed_scale_money_only_adds_the_money_loop_once runs bench/seed_scale.py every time."""
    file, kept = fast_folder / "seeded.sqlite3", _kept_seed()
    url = f"sqlite:///{file}"
    if kept.exists():
        migrated.copy_file(kept, file)
        return url
    migrated_sqlite("seeded")
    out = run("bench/seed_scale.py", "--deals", "60", DATABASE_URL=url)
    assert "deals" in out
    run("manage.py", "seed_demo", DATABASE_URL=url)
    migrated.keep_file(file, kept)
    return url


def _kept_static() -> Path:
    """The folder collectstatic's output is kept in, named by a digest of every file the
    static finders find (its name and bytes), the settings and storage code that collect
    them, and Django's and whitenoise's versions."""
    from django.contrib.staticfiles.finders import get_finders

    parts = [django.get_version(), importlib.metadata.version("whitenoise")]
    for source in ("partner_portal/settings.py", "bench/bench_settings.py", "web/staticfiles.py"):
        parts.append(f"{source}:{sha256_hex((ROOT / source).read_text())}")
    for finder in get_finders():
        for path, storage in finder.list([]):
            with storage.open(path) as file:
                parts.append(f"{path}:{hashlib.sha256(file.read()).hexdigest()}")
    name = f"portal-bench-static-{sha256_hex('|'.join(sorted(parts)))[:16]}"
    return Path(tempfile.gettempdir()) / name


def _kept_seed() -> Path:
    files = sorted((ROOT / "bench").glob("*.py"))
    parts = [seeded_demo.digest(), *(f"{f.name}:{sha256_hex(f.read_text())}" for f in files)]
    name = f"portal-bench-seeded-{sha256_hex('|'.join(parts))[:16]}.sqlite3"
    return Path(tempfile.gettempdir()) / name


@pytest.fixture(scope="module")
def bench_server(seeded, static_collected):
    """bench/server.py's gunicorn (DEBUG off, LOCAL_HTTP) on the seeded database; one for
    the module (the pages the scripts visit change nothing the next script reads)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", seeded)
        env.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
        server = server_module()
        port = free_port()
        with server.Server(port, max_seconds=600):
            yield f"http://127.0.0.1:{port}"


def needs_chromium():
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (apt-get install chromium)")


def test_seed_scale_then_pages_answer_every_page(seeded, static_collected):
    out = run("bench/pages.py", "--port", str(free_port()), "--requests", "1", "--warmup", "0",
              DATABASE_URL=seeded)  # fmt: skip

    assert "| floor |" in out
    assert "| deal list" in out or "| deals" in out
    # The seed's money step: the partner's money pages are listed and answer.
    assert "| money: statement (last month) |" in out
    assert "| money: API statement lines |" in out


def test_seed_scale_money_only_adds_the_money_loop_once(migrated_sqlite):
    url = migrated_sqlite("money")
    run("bench/seed_scale.py", "--deals", "60", "--no-money", DATABASE_URL=url)

    out = run("bench/seed_scale.py", "--money-only", "--months", "2", DATABASE_URL=url)

    assert "cloud accounts" in out and "statements drafted" in out
    again = subprocess.run(
        [sys.executable, "bench/seed_scale.py", "--money-only"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    assert again.returncode != 0
    assert "already holds cloud accounts" in again.stderr


def test_cpu_times_every_staff_page_in_process(seeded, static_collected):
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


def test_load_runs_wrk_and_the_storm(seeded, static_collected):
    if not shutil.which("wrk"):
        pytest.skip("needs wrk (apt-get install wrk)")

    # A short run of each part: the races themselves are tested in the suite (tests/deals/).
    out = run("bench/load.py", "--port", str(free_port()), "--seconds", "1", "--storm", "12",
              DATABASE_URL=seeded)  # fmt: skip

    assert "| floor |" in out and "| deal list |" in out
    assert "storm: 24 posts from 2 processes, 12 discounts, 12 active ownerships" in out
    assert "0 server errors" in out


def test_deal_csv_memory(migrated_sqlite):
    out = run("bench/deal_csv_memory.py", "--database-url", migrated_sqlite("csv"), "200")

    assert "200 deals:" in out and "peak Python memory" in out


def test_upload_memory(migrated_sqlite):
    out = run("bench/upload_memory.py", "--mb", "4", "--database-url", migrated_sqlite("upload"))

    assert "peak growth:" in out and out.strip().endswith("OK")


def test_stage_files_lock(migrated_sqlite):
    out = run("bench/stage_files_lock.py", "0.2", DATABASE_URL=migrated_sqlite("stage-files"))

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

    # 20 events (bench/events.py: and a storm of 20 deals, not 200: the races themselves are
    # tested in tests/deals/test_stage_concurrency.py).
    out = run(script, "20", "20", DATABASE_URL=f"postgres://{auth}@{host}/{settings['NAME']}")

    if script == "bench/events.py":
        assert "events/s" in out
        # The storm: each deal won once, one e-mail per deal to each recipient, no duplicate.
        assert '"won" events: 20;' in out
        assert "e-mail deliveries sent: 60;" in out
    else:
        assert "20 webhook deliveries" in out and "deliveries/s" in out
