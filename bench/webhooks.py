"""Webhook deliveries per second with one Celery worker.

Needs PostgreSQL (DATABASE_URL) and redis-server: the broker is a redis-server of the run's
own on a free port (or BENCH_BROKER_URL, an existing Redis database, flushed first). Creates
its own throwaway database, N events of one partner, one delivery row per event for one
endpoint (a receiver in this process on 127.0.0.1, on a port the kernel picks, answering
204), starts one real worker (`--pool=solo`) and hands it every
delivery as the fan-out would (`send_webhook_delivery`). Each delivery is: claim the row,
vet the URL, sign the body, POST it, record the answer. Prints deliveries per second and
checks every POST's signature.

    DATABASE_URL=postgres://... .venv/bin/python bench/webhooks.py [N]
"""

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")
BROKER = os.environ.get("BENCH_BROKER_URL", "")
if not BROKER:
    import atexit

    from tests.servers import RedisServer

    _redis = RedisServer().start()
    atexit.register(_redis.stop)
    BROKER = _redis.url
os.environ["CELERY_BROKER_URL"] = BROKER
SECRET = "whsec_bench"
os.environ["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 1000


class Receiver:
    def __init__(self, secret: str):
        from notifications.webhooks.transport import SIGNATURE_HEADER, verify_signature

        self.count = self.bad = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ok = verify_signature(secret, self.headers[SIGNATURE_HEADER], body)
                with outer.lock:
                    outer.count += 1
                    outer.bad += not ok
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def db_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise SystemExit("timed out")


def data(port: int):
    from notifications.models import Event, Kind
    from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
    from partners.models import Membership, Partner, User

    partner = Partner.objects.create(name="Hooks", tax_code="0977777777")
    admin = User.objects.create_user("admin@hooks.bench", "x")
    Membership.objects.create(user=admin, partner=partner, role="admin")
    endpoint = WebhookEndpoint.objects.create(
        partner=partner,
        url=f"http://127.0.0.1:{port}/hooks",
        secret=SECRET,
        event_types=["deal.approved"],
        created_by=admin,
    )
    now = timezone.now()
    events = Event.objects.bulk_create(
        Event(kind=Kind.DEAL_APPROVED, partner=partner, params={"date": "2030-01-01"}, fanned_out_at=now)
        for _i in range(N)
    )  # fmt: skip
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(event=e, endpoint=endpoint, give_up_at=now + timedelta(hours=24))
        for e in events
    )
    return endpoint, [d.pk for d in deliveries]


def main():
    import redis
    from celery import current_app

    from notifications.services import WEBHOOK_TASK
    from notifications.webhooks.models import WebhookDelivery

    if connection.vendor != "postgresql":
        raise SystemExit("needs PostgreSQL: set DATABASE_URL")
    setup_test_environment()
    from tests import migrated

    name = f"bench_{connection.settings_dict['NAME']}"
    connection.settings_dict["TEST"]["NAME"] = name
    # Made from the suite's migrated template database when there is one (tests/migrated.py),
    # as bench/events.py does: `migrate` then finds nothing to apply.
    cloned = migrated.new_database_from_template(connection, name)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=cloned)
    redis.Redis.from_url(BROKER).flushdb()
    receiver = Receiver(SECRET)
    _endpoint, ids = data(receiver.port)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=db_url(), DATABASE_POOL="true", LOG_LEVEL="WARNING")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-webhook-worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "partner_portal", "worker", "-Q", "celery,webhooks", "--pool=solo",
         "--loglevel=INFO", "--hostname=hooksbench@%h", "--without-gossip",
         "--without-mingle", "--without-heartbeat"],
        cwd=BASE, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait(lambda: "ready." in log.read_text() or worker.poll() is not None, 60)
        time.sleep(1)
        start = time.perf_counter()
        for pk in ids:
            current_app.send_task(WEBHOOK_TASK, [pk])
        wait(lambda: receiver.count >= N, 900)
        wait(lambda: WebhookDelivery.objects.filter(status="delivered").count() == N, 120)
        took = time.perf_counter() - start
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        receiver.stop()
        redis.Redis.from_url(BROKER).flushdb()
    print(f"database: {connection.vendor}; broker: {BROKER}")
    print(
        f"1 worker: {N} webhook deliveries in {took:.1f} s = {N / took:.1f} deliveries/s; "
        f"POSTs received {receiver.count}, bad signatures {receiver.bad}, "
        f"delivered rows {WebhookDelivery.objects.filter(status='delivered').count()}"
    )
    connection.close()
    connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
