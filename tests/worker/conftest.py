"""A real Celery worker (and beat) in subprocesses, a real Redis broker and a real SMTP server.

Nothing here runs in eager mode: the test process publishes to Redis, the workers consume from
it and read the committed rows of the PostgreSQL test database, and e-mails travel over SMTP
to an aiosmtpd server in this process. The tests are transactional so the workers see the rows.

Every server is the run's own (tests/servers.py): the SMTP server on a port the kernel picks,
the broker a redis-server started for this run (per pytest-xdist worker) on a free port, and
the broker-outage test's Redis another one it stops and restarts. Two runs on one machine
never share a port or a queue. TEST_CELERY_BROKER_URL names an existing Redis database to use
instead; it is flushed.
"""

import email
import email.header
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import current_app
from django.db import connection
from kombu import pools

from tests.servers import RedisServer, SMTPController

BASE_DIR = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    """Poll until `predicate()` is truthy; a bounded wait, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker processes must share the test database")


def _redis_server(tmp_path_factory, name: str) -> RedisServer:
    if not RedisServer.available():
        pytest.skip("needs redis-server to run a broker of its own (apt-get install redis-server)")
    return RedisServer(tmp_path_factory.mktemp(name)).start()


@pytest.fixture(scope="session")
def broker_url(needs_postgres, tmp_path_factory):
    """The run's broker: a redis-server of its own, or TEST_CELERY_BROKER_URL."""
    if url := os.environ.get("TEST_CELERY_BROKER_URL"):
        yield url
        return
    server = _redis_server(tmp_path_factory, "broker")
    yield server.url
    server.stop()


# --- SMTP ------------------------------------------------------------------------------------------


class Inbox:
    """What the SMTP server received; `fail` makes it answer 451 (try again later), and so does
    a positive `refuse_next`, counting down. `refused_at` keeps the monotonic time of each
    refusal."""

    def __init__(self):
        self.messages: list[dict] = []
        self.port = 0
        self.fail = False
        self.refuse_next = 0
        self.refused = 0
        self.refused_at: list[float] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.fail or self.refuse_next > 0:
            self.refuse_next = max(0, self.refuse_next - 1)
            self.refused += 1
            self.refused_at.append(time.monotonic())
            return "451 4.3.0 Mail server busy, try again later"
        parsed = email.message_from_bytes(envelope.content)
        subject = str(email.header.make_header(email.header.decode_header(parsed["Subject"])))
        with self.lock:
            self.messages.extend({"to": rcpt, "subject": subject} for rcpt in envelope.rcpt_tos)
        return "250 OK"

    def to(self, address: str) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if m["to"] == address]

    def clear(self):
        with self.lock:
            self.messages.clear()
        self.fail = False
        self.refuse_next = 0
        self.refused = 0
        self.refused_at = []


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    controller = SMTPController(inbox)
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


# --- workers -----------------------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(broker_url: str, smtp_port: int = 0, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="partner_portal.settings",
        DEBUG="true",
        SECRET_KEY="worker-tests",
        DATABASE_URL=_database_url(),
        DATABASE_POOL="false",
        CELERY_BROKER_URL=broker_url,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        STAFF_NOTIFICATION_EMAILS="sales-ops@vngcloud.test",
        NOTIFICATION_RETRY_SECONDS="1",
        NOTIFICATION_MAX_ATTEMPTS="8",
        LOG_LEVEL="WARNING",
    )
    if smtp_port:  # beat sends no e-mail
        env["EMAIL_PORT"] = str(smtp_port)
    env.update(extra)
    return env


class Process:
    """A `celery -A partner_portal ...` subprocess with its log in a file."""

    def __init__(self, args: list[str], env: dict, log: Path, ready: str):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "partner_portal", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: ready in log.read_text() or self.proc.poll() is not None, 60, ready)
        if self.proc.poll() is not None:
            raise RuntimeError(f"celery exited: {log.read_text()[-3000:]}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_worker(
    name: str,
    broker_url: str,
    tmp: Path,
    smtp_port: int = 0,
    queues: str = "celery,webhooks",
    **env,
) -> Process:
    """A worker on the default queue and, unless told otherwise, the webhooks' one."""
    return Process(
        [
            "worker",
            f"--queues={queues}",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        worker_env(broker_url, smtp_port, **env),
        tmp / f"{name}.log",
        "ready.",
    )


def start_beat(broker_url: str, tmp: Path, **env) -> Process:
    return Process(
        ["beat", "--loglevel=INFO", f"--schedule={tmp / 'beat-schedule'}"],
        worker_env(broker_url, **env),
        tmp / "beat.log",
        "beat: Starting",
    )


def use_broker(url: str) -> None:
    """Point this (the web) process at `url`, dropping connections to the previous broker."""
    from django.conf import settings

    settings.CELERY_BROKER_URL = url
    app = current_app._get_current_object()
    app.conf.broker_url = url
    # kombu keeps connection and producer pools in global registries keyed by the broker:
    # empty them, so no closed pool is handed out again.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


def flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="module")
def two_workers(broker_url, smtp_server, tmp_path_factory, django_db_blocker):
    """Two worker processes (one task at a time each) on the run's broker."""
    tmp = tmp_path_factory.mktemp("workers")
    flush(broker_url)
    workers = [start_worker(f"w{i}", broker_url, tmp, smtp_server.port) for i in (1, 2)]
    yield workers
    for worker in workers:
        worker.stop()
    flush(broker_url)


@pytest.fixture
def broker(two_workers, broker_url, settings):
    use_broker(broker_url)
    yield broker_url
    use_broker("")


@pytest.fixture
def private_redis(needs_postgres, tmp_path_factory):
    """A redis-server the test may stop and restart (on the same port)."""
    server = _redis_server(tmp_path_factory, "private-redis")
    yield server
    server.stop()
