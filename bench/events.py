"""The event backbone under load: outbox cost per change, delivery rate, the won storm.

Needs PostgreSQL (DATABASE_URL) and redis-server: the broker is a redis-server of the run's
own on a free port (or BENCH_BROKER_URL, an existing Redis database, flushed first). Creates
its own throwaway database, starts real Celery workers as subprocesses and a local SMTP sink
(aiosmtpd, on a port the kernel picks), and prints:

1. SQL queries of each service call, and how many of them are the outbox (event INSERTs);
2. events delivered per second (fan-out + one SMTP e-mail + one in-app row each) with 1 and
   with 2 workers;
3. the won storm: 200 approved deals (or STORM_DEALS), two processes pressing *won* on every one
   of them at once, two workers delivering: the counts of "won" events and e-mails per
   recipient.

    DATABASE_URL=postgres://... .venv/bin/python bench/events.py [N_EVENTS] [STORM_DEALS]
"""

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")
STAFF_ADDRESS = "sales-ops@bench.test"

if "--storm-child" not in sys.argv:
    import atexit

    from tests.servers import RedisServer

    BROKER = os.environ.get("BENCH_BROKER_URL", "")
    if not BROKER:
        _redis = RedisServer().start()
        atexit.register(_redis.stop)
        BROKER = _redis.url
    os.environ["CELERY_BROKER_URL"] = BROKER
os.environ["STAFF_NOTIFICATION_EMAILS"] = STAFF_ADDRESS

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

N_EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 300
STORM = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 200


# --- data -------------------------------------------------------------------------------------------


def partner_with_admins(name: str, tax_code: str, admins: int = 2):
    from partners.models import Contract, Membership, Partner, User

    today = timezone.localdate()
    partner = Partner.objects.create(name=name, tax_code=tax_code)
    Contract.objects.create(
        partner=partner,
        number=f"HD-{tax_code}",
        start_date=today - timedelta(days=10),
        end_date=today + timedelta(days=400),
        max_discount_rate=20,
    )
    users = []
    for i in range(admins):
        user = User.objects.create_user(f"admin{i}@{name.lower()}.bench", "x")
        Membership.objects.create(user=user, partner=partner, role="admin")
        users.append(user)
    return partner, users


def approved_deals(partner, user, n: int, prefix: str):
    from deals.models import Deal, DiscountRule, Product
    from partners.models import Customer

    today = timezone.localdate()
    product, _created = Product.objects.get_or_create(code="vserver", defaults={"name": "vServer"})
    customers = Customer.objects.bulk_create(
        Customer(name=f"{prefix} customer {i}", tax_code=f"{prefix}{i:08d}") for i in range(n)
    )
    deals = Deal.objects.bulk_create(
        Deal(
            partner=partner,
            customer=customer,
            title=f"{prefix} deal {i}",
            estimated_value=Decimal(1000),
            expected_close_date=today + timedelta(days=30),
            status="approved",
            protected_until=today + timedelta(days=90),
            stage="negotiation",
            probability=75,
            created_by=user,
        )
        for i, customer in enumerate(customers)
    )
    DiscountRule.objects.bulk_create(DiscountRule(deal=d, product=product, rate=10) for d in deals)
    return deals


# --- SMTP sink and workers ---------------------------------------------------------------------------


class Sink:
    def __init__(self):
        self.to = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.to.update(envelope.rcpt_tos)
        return "250 OK"

    def total(self):
        with self.lock:
            return sum(self.to.values())


def db_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


SMTP_PORT = 0  # the sink's, once it listens


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=db_url(),
        # As in production: Django's connection pool in each worker process.
        DATABASE_POOL="true",
        CELERY_BROKER_URL=BROKER,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(SMTP_PORT),
        LOG_LEVEL="WARNING",
        **extra,
    )
    return env


def start_workers(n: int, tmp: Path) -> list:
    procs = []
    for i in range(n):
        log = tmp / f"bench-worker-{i}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "partner_portal", "worker", "-Q", "celery,webhooks", "--pool=solo",
             "--loglevel=INFO", f"--hostname=bench{i}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=BASE, env=child_env(), stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        procs.append((proc, log))
    for _proc, log in procs:
        wait(lambda log=log: "ready." in log.read_text(), 60)
    return [proc for proc, _log in procs]


def stop(procs):
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)


def wait(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise SystemExit("timed out")


def flush_broker():
    import redis

    redis.Redis.from_url(BROKER).flushdb()


# --- 1. queries per change ---------------------------------------------------------------------------


def count_queries(action):
    with CaptureQueriesContext(connection) as ctx:
        action()
    outbox = sum(1 for q in ctx.captured_queries if 'INSERT INTO "notifications_event"' in q["sql"])
    return len(ctx.captured_queries), outbox


def queries_per_change():
    from deals.services import approve_deal, change_stage, register_deal
    from partners.models import User

    partner, (admin, _second) = partner_with_admins("Query", "0900000001")
    staff = User.objects.create_user("staff@bench.test", "x", is_staff=True)
    product_rates = {}
    from deals.models import Product

    product_rates[
        Product.objects.get_or_create(code="vserver", defaults={"name": "vServer"})[0]
    ] = Decimal(10)
    print("1. SQL queries per service call (outbox = INSERTs into notifications_event)")
    holder = {}

    def register():
        holder["deal"] = register_deal(
            partner=partner, by=admin, customer_tax_code="0911111111", customer_name="Q",
            title="Query deal", estimated_value=Decimal(1), rates=product_rates,
            expected_close_date=timezone.localdate() + timedelta(days=5),
        )  # fmt: skip

    rows = [("register", register)]
    rows.append(("approve", lambda: approve_deal(holder["deal"], by=staff)))
    rows.append(("open stage move", lambda: change_stage(holder["deal"], "qualified", by=admin)))
    rows.append(("won", lambda: change_stage(holder["deal"], "won", by=admin)))
    for label, action in rows:
        total, outbox = count_queries(action)
        print(f"   {label:<18} {total:3d} queries, of which outbox {outbox}")
    other = approved_deals(partner, admin, 1, "08")[0]
    total, outbox = count_queries(
        lambda: change_stage(other, "lost", by=admin, lost_reason="bench")
    )
    print(f"   {'lost':<18} {total:3d} queries, of which outbox {outbox}")


# --- 2. delivery rate ---------------------------------------------------------------------------------


def delivery_rate(sink, tmp, workers: int, n: int, prefix: str):
    from celery import current_app

    from notifications.models import Delivery, Event, Kind
    from notifications.services import FAN_OUT_TASK

    partner, (admin,) = partner_with_admins(f"Rate{workers}", f"09{prefix}000000", admins=1)
    deals = approved_deals(partner, admin, n, prefix)
    events = Event.objects.bulk_create(
        Event(kind=Kind.DEAL_APPROVED, deal=d, partner=partner, params={"date": "2030-01-01"})
        for d in deals
    )
    flush_broker()
    procs = start_workers(workers, tmp)
    try:
        before = sink.total()
        start = time.perf_counter()
        for event in events:
            current_app.send_task(FAN_OUT_TASK, [event.pk])
        wait(lambda: sink.total() - before >= n, 600)
        wait(lambda: not Delivery.objects.filter(event__in=events, status="pending").exists(), 60)
        took = time.perf_counter() - start
    finally:
        stop(procs)
    print(
        f"   {workers} worker(s): {n} events (each 1 e-mail + 1 in-app) in {took:.1f} s = "
        f"{n / took:.1f} events/s"
    )


# --- 3. the won storm ---------------------------------------------------------------------------------


def storm_child(ids: list[int], user_id: int):
    """Run in a separate process: press won on every deal, in this process's order."""
    from django.core.exceptions import ValidationError

    from deals.models import Deal
    from deals.services import change_stage
    from partners.models import User

    user = User.objects.get(pk=user_id)
    outcome = Counter()
    for pk in ids:
        try:
            change_stage(Deal.objects.get(pk=pk), "won", by=user)
            outcome["won"] += 1
        except ValidationError as exc:
            outcome[exc.error_list[0].code] += 1
    print(dict(outcome))


def won_storm(sink, tmp):
    from notifications.models import Delivery, Event, Kind

    partner, admins = partner_with_admins("Storm", "0988888888", admins=2)
    deals = approved_deals(partner, admins[0], STORM, "07")
    ids = [d.pk for d in deals]
    flush_broker()
    procs = start_workers(2, tmp)
    before = Counter(sink.to)
    try:
        start = time.perf_counter()
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--storm-child",
                    str(admins[0].pk),
                    ",".join(map(str, order)),
                ],
                cwd=BASE,
                env=child_env(),
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for order in (ids, list(reversed(ids)))
        ]
        outputs = [child.communicate(timeout=900)[0].strip() for child in children]
        recipients = [a.email for a in admins] + [STAFF_ADDRESS]
        wait(lambda: all(sink.to[r] - before[r] >= STORM for r in recipients), 600)
        took = time.perf_counter() - start
        time.sleep(3)  # let any duplicate show up before counting
    finally:
        stop(procs)
    won = Event.objects.filter(kind=Kind.DEAL_WON, deal__partner=partner).count()
    print(f"3. won storm: {STORM} deals, 2 processes pressing won on each, 2 workers")
    print(f"   processes: {outputs}")
    print(f'   "won" events: {won}; discounts issued events: '
          f"{Event.objects.filter(kind=Kind.DISCOUNT_ISSUED, deal__partner=partner).count()}")  # fmt: skip
    for r in recipients:
        print(f"   e-mails to {r}: {sink.to[r] - before[r]}")
    sent = Delivery.objects.filter(event__deal__partner=partner, channel="email", status="sent")
    print(f"   e-mail deliveries sent: {sent.count()}; all delivered in {took:.1f} s")


def main():
    global SMTP_PORT
    from tests.servers import SMTPController

    if connection.vendor != "postgresql":
        raise SystemExit("needs PostgreSQL: set DATABASE_URL")
    setup_test_environment()
    from tests import migrated

    name = f"bench_{connection.settings_dict['NAME']}"
    connection.settings_dict["TEST"]["NAME"] = name
    # Made from the suite's migrated template database when there is one (tests/migrated.py):
    # then Django keeps it and `migrate` finds nothing to apply (about 20 s less).
    cloned = migrated.new_database_from_template(connection, name)
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=cloned)
    sink = Sink()
    controller = SMTPController(sink)
    controller.start()
    SMTP_PORT = controller.port
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    try:
        print(f"database: {connection.vendor}; broker: {BROKER}")
        queries_per_change()
        print(f"2. delivery rate, {N_EVENTS} events")
        delivery_rate(sink, tmp, 1, N_EVENTS, "51")
        delivery_rate(sink, tmp, 2, N_EVENTS, "52")
        won_storm(sink, tmp)
    finally:
        controller.stop()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    if "--storm-child" in sys.argv:
        i = sys.argv.index("--storm-child")
        storm_child([int(x) for x in sys.argv[i + 2].split(",")], int(sys.argv[i + 1]))
    else:
        main()
