"""A real Celery worker (and beat) in subprocesses, a real Redis broker and a real SMTP server.

Nothing here runs in eager mode: the test process publishes to Redis, the workers consume from
it and read the committed rows of the PostgreSQL test database, and e-mails travel over SMTP
to an aiosmtpd server in this process. The tests are transactional so the workers see the rows.

Ports (the events engineer's range): SMTP 8525, a private Redis 8579 for the broker-outage test
(TEST_SMTP_PORT, TEST_PRIVATE_REDIS_PORT move them).
The shared Redis on 6379 is only used on db 5 (TEST_CELERY_BROKER_URL), and never stopped.
"""

import email
import email.header
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import current_app
from django.db import connection
from kombu import pools

BASE_DIR = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "redis://127.0.0.1:6379/5")
SMTP_PORT = int(os.environ.get("TEST_SMTP_PORT", "8525"))
PRIVATE_REDIS_PORT = int(os.environ.get("TEST_PRIVATE_REDIS_PORT", "8579"))


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for(predicate, timeout: float = 60, what: str = "condition"):
    """Poll until `predicate()` is truthy; a bounded wait, not a speed assertion."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _redis_port(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def needs_postgres_and_redis():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker processes must share the test database")
    if not port_open(_redis_port(BROKER_URL)):
        pytest.skip(f"needs Redis at {BROKER_URL} (.ci/run starts it)")


# --- SMTP ------------------------------------------------------------------------------------------


class Inbox:
    """What the SMTP server received; `fail` makes it answer 451 (try again later)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.fail = False
        self.refused = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.fail:
            self.refused += 1
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
        self.refused = 0


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
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


def worker_env(broker_url: str, **extra) -> dict:
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
        EMAIL_PORT=str(SMTP_PORT),
        STAFF_NOTIFICATION_EMAILS="sales-ops@vngcloud.test",
        NOTIFICATION_RETRY_SECONDS="1",
        NOTIFICATION_MAX_ATTEMPTS="8",
        LOG_LEVEL="WARNING",
    )
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


def start_worker(name: str, broker_url: str, tmp: Path, **env) -> Process:
    return Process(
        [
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        worker_env(broker_url, **env),
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
def two_workers(needs_postgres_and_redis, smtp_server, tmp_path_factory, django_db_blocker):
    """Two worker processes (one task at a time each) on the shared Redis, db 5."""
    tmp = tmp_path_factory.mktemp("workers")
    flush(BROKER_URL)
    workers = [start_worker(f"w{i}", BROKER_URL, tmp) for i in (1, 2)]
    yield workers
    for worker in workers:
        worker.stop()
    flush(BROKER_URL)


@pytest.fixture
def broker(two_workers, settings):
    use_broker(BROKER_URL)
    yield BROKER_URL
    use_broker("")


class PrivateRedis:
    """A redis-server of our own, so the test can stop and restart the broker."""

    def __init__(self, port: int, tmp: Path):
        self.port, self.tmp, self.proc = port, tmp, None
        self.url = f"redis://127.0.0.1:{port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: port_open(self.port), 20, "redis to start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        wait_for(lambda: not port_open(self.port), 20, "redis to stop")


@pytest.fixture
def private_redis(needs_postgres_and_redis, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server to stop and restart a broker of its own")
    if port_open(PRIVATE_REDIS_PORT):
        pytest.skip(f"port {PRIVATE_REDIS_PORT} is taken")
    server = PrivateRedis(PRIVATE_REDIS_PORT, tmp_path)
    server.start()
    yield server
    server.stop()
