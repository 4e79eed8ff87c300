"""Soak: the whole portal under a steady mixed load for a long time, then the books checked.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/soak.py --minutes 20

Starts, all on 127.0.0.1 and all its own: a throwaway PostgreSQL database (created on the
server of DATABASE_URL, dropped at the end), a redis-server (cache and broker), gunicorn with 2
workers (DEBUG off), a Celery worker and beat, a webhook receiver (which refuses a few
deliveries with 503, so retries happen) and an SMTP sink. Seeds 4 partners of 4 people each
(an admin and 3 members), a pool of approved deals per person, an API token and a webhook
endpoint per partner. Then `--clients` people (16) each, with a pause of 0 to 2 x `--think`
seconds between actions, for `--minutes` minutes: list, search, dashboard and deal pages; a
note or a file (open the dialog, then send it); stage changes and wins; API reads and API
notes. Traffic goes only to 127.0.0.1.

Prints: requests, p50/p95/p99 and statuses per kind, 5xx (target 0), the RSS of the web and
the worker processes after the warm-up and at the end (growth target under 10 %), and after
the load stops and the outbox drains: every event fanned out, every e-mail received exactly
once per delivery, every webhook delivery accepted exactly once (signature checked) and in
event order per endpoint, every won deal with exactly one discount, zero orphaned files.
`--json PATH` also writes the figures as JSON (tests/test_soak.py runs a short one).
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
STAFF_ADDRESS = "sales-ops@soak.test"
PARTNERS, PEOPLE = 4, 4  # people per partner: an admin and 3 members
WEIGHTS = {
    "list": 18,
    "search": 12,
    "detail": 18,
    "dashboard": 5,
    "note": 9,
    "file": 5,
    "stage": 7,
    "win": 3,
    "api read": 15,
    "api write": 8,
}
OPEN_STAGES = ("prospect", "qualified", "proposal", "negotiation")
WORDS = ("Công ty", "Sông Hồng", "Cloud", "vServer", "Hà Nội", "0310")


# --- processes ---------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    """The resident memory of `pid` and all its descendants, from /proc."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(child) for child in children)
        except (OSError, AttributeError):
            continue
    return total


class Processes:
    """The servers this run started, each stopped by its own process id at the end."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict):
        log = (self.logs / f"{name}.log").open("w")
        self.started[name] = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def pid(self, name: str) -> int:
        return self.started[name].pid

    def stop(self, name: str):
        proc = self.started.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()  # gunicorn and celery stop their own workers on SIGTERM
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop_all(self):
        for name in list(self.started)[::-1]:
            self.stop(name)

    def log_problems(self, name: str) -> int:
        text = (self.logs / f"{name}.log").read_text(errors="replace")
        return len(re.findall(r"^.*(?:Traceback|\bERROR\b|CRITICAL).*$", text, re.MULTILINE))


def wait_for_port(port: int, seconds: float = 60):
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# --- the webhook receiver and the SMTP sink (a process of their own) ---------------------------


def run_sinks(conn, failure_rate: float):
    """A webhook receiver (503 for `failure_rate` of the requests) and an SMTP sink; sends
    their ports, then on "dump" everything they received."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.servers import SMTPController

    lock, hooks, mails = threading.Lock(), [], []
    chance = random.Random(23)

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                code = 503 if chance.random() < failure_rate else 204
                hooks.append(
                    {
                        "path": self.path,
                        "delivery": self.headers.get("X-Portal-Delivery"),
                        "signature": self.headers.get("X-Portal-Signature", ""),
                        "body": body.decode(),
                        "code": code,
                    }
                )
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    class Mail:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                mails.extend(envelope.rcpt_tos)
            return "250 OK"

    web = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    web.daemon_threads = True
    threading.Thread(target=web.serve_forever, daemon=True).start()
    smtp = SMTPController(Mail())
    smtp.start()
    conn.send({"webhook_port": web.server_address[1], "smtp_port": smtp.port})
    while (message := conn.recv()) != "stop":
        if message == "dump":
            with lock:
                conn.send({"hooks": list(hooks), "mails": list(mails)})
    web.shutdown()
    smtp.stop()


# --- data --------------------------------------------------------------------------------------


def seed(deals_per_person: int, webhook_url: str) -> list[dict]:
    """4 partners, each with 4 people, deals, an API token and a webhook endpoint; returns one
    dict per person (the client's identity and its own deals)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from api.services import create_api_token
    from notifications.webhooks.events import EVENT_TYPES
    from notifications.webhooks.services import create_webhook_endpoint
    from tests.factories import (
        ContractFactory,
        DealFactory,
        MembershipFactory,
        PartnerFactory,
        ProductFactory,
    )

    product = ProductFactory(code="vserver", name="vServer")
    people = []
    for p in range(PARTNERS):
        partner = PartnerFactory(name=f"Soak Partner {p + 1}")
        ContractFactory(partner=partner)
        members = [
            MembershipFactory(
                partner=partner,
                user__email=f"person{n}@partner{p + 1}.soak",
                role="admin" if n == 0 else "member",
            ).user
            for n in range(PEOPLE)
        ]
        token = create_api_token(partner=partner, by=members[0], name="soak", access="read_write")
        create_webhook_endpoint(
            partner=partner,
            by=members[0],
            url=f"{webhook_url}/partner{p + 1}",  # a path per endpoint: its order is checked
            event_types=list(EVENT_TYPES),
        )
        for user in members:
            deals = {
                DealFactory(
                    partner=partner,
                    created_by=user,
                    approved=True,
                    stage=OPEN_STAGES[i % len(OPEN_STAGES)],
                    rates={product: 10},
                ).pk: OPEN_STAGES[i % len(OPEN_STAGES)]
                for i in range(deals_per_person)
            }
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "accounts.backends.PortalAuthenticationBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session["django_language"] = "vi"
            session.create()
            people.append(
                {
                    "email": user.email,
                    "session": session.session_key,
                    "token": token[1],
                    "deals": deals,
                }  # fmt: skip
            )
    return people


# --- the clients -------------------------------------------------------------------------------


class Forms(HTMLParser):
    """The POST forms of a page: action and hidden inputs (the CSRF token, and any one-time
    key the form carries)."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._current = {"action": attrs.get("action") or "", "hidden": {}}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and attrs.get("type") == "hidden":
            if attrs.get("name"):
                self._current["hidden"][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def hidden_fields(html: str, path: str) -> dict:
    parser = Forms()
    parser.feed(html)
    for form in parser.forms:
        if form["action"] in ("", path):
            return form["hidden"]
    return {}


class Client(threading.Thread):
    def __init__(self, number, person, base, until, think, record):
        super().__init__(daemon=True)
        import requests

        self.rng = random.Random(number)
        self.person, self.base, self.until, self.think, self.record = (
            person, base, until, think, record,
        )  # fmt: skip
        self.open = dict(person["deals"])  # deal id -> stage, while open
        self.all_deals = list(person["deals"])
        self.http = requests.Session()
        self.http.cookies.set("sessionid", person["session"])
        self.api = {"Authorization": f"Bearer {person['token']}"}
        self.wins = 0

    def run(self):
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < self.until:
            kind = self.rng.choices(kinds, weights)[0]
            getattr(self, "do_" + kind.replace(" ", "_"))(kind)
            time.sleep(self.rng.uniform(0, 2 * self.think))

    def call(self, kind, method, path, **kwargs):
        start = time.perf_counter()
        try:
            response = self.http.request(
                method, self.base + path, allow_redirects=False, timeout=120, **kwargs
            )
            status = response.status_code
        except Exception:  # noqa: BLE001 - a refused connection counts as an error
            response, status = None, 0
        self.record(kind, status, (time.perf_counter() - start) * 1000)
        return response

    def form_post(self, kind, path, data, files=None):
        """Open the dialog (GET), then send it with its hidden fields; True when accepted."""
        page = self.call("form", "GET", path)
        if page is None or page.status_code != 200:
            return False
        fields = {**hidden_fields(page.text, path), **data}
        headers = {"X-CSRFToken": fields.get("csrfmiddlewaretoken", ""), "Referer": self.base}
        response = self.call(kind, "POST", path, data=fields, files=files, headers=headers)
        return response is not None and response.status_code == 302

    def some_deal(self):
        return self.rng.choice(self.all_deals)

    def some_open_deal(self):
        return self.rng.choice(list(self.open)) if self.open else None

    def do_list(self, kind):
        params = self.rng.choice(
            [{}, {"sort": "-value"}, {"stage": self.rng.choice(OPEN_STAGES)}, {"sort": "close"}]
        )
        self.call(kind, "GET", "/deals/", params=params)

    def do_search(self, kind):
        path = self.rng.choice(["/deals/", "/customers/"])
        self.call(kind, "GET", path, params={"q": self.rng.choice(WORDS)})

    def do_detail(self, kind):
        self.call(kind, "GET", f"/deals/{self.some_deal()}/")

    def do_dashboard(self, kind):
        self.call(kind, "GET", "/")

    def do_note(self, kind):
        deal = self.some_open_deal() or self.some_deal()
        self.form_post(kind, f"/deals/{deal}/notes/", {"text": f"Soak note {uuid.uuid4()}"})

    def do_file(self, kind):
        from tests.factories import PDF

        deal = self.some_open_deal()
        if deal is None:
            return self.do_detail("detail")
        files = {"files": (f"bom-{self.rng.randrange(10**6)}.pdf", PDF, "application/pdf")}
        self.form_post(kind, f"/deals/{deal}/attachments/", {"kind": "bom"}, files=files)

    def do_stage(self, kind):
        deal = self.some_open_deal()
        if deal is None:
            return self.do_detail("detail")
        stage = self.rng.choice([s for s in OPEN_STAGES if s != self.open[deal]])
        if self.form_post(kind, f"/deals/{deal}/stage/", {"stage": stage, "kind": "other"}):
            self.open[deal] = stage

    def do_win(self, kind):
        deal = self.some_open_deal()
        if deal is None:
            return self.do_detail("detail")
        data = {"stage": "won", "confirm_close": "on", "kind": "other", "note": "Soak win"}
        if self.form_post(kind, f"/deals/{deal}/stage/", data):
            del self.open[deal]
            self.wins += 1

    def do_api_read(self, kind):
        if self.rng.random() < 0.5:
            self.call(kind, "GET", "/api/v1/deals/", params={"limit": 20}, headers=self.api)
        else:
            self.call(kind, "GET", f"/api/v1/deals/{self.some_deal()}/", headers=self.api)

    def do_api_write(self, kind):
        deal = self.some_open_deal()
        if deal is None:
            return self.do_api_read("api read")
        headers = {**self.api, "Idempotency-Key": str(uuid.uuid4())}
        self.call(
            kind, "POST", f"/api/v1/deals/{deal}/notes/", json={"text": "Soak API note"},
            headers=headers,
        )  # fmt: skip


# --- after the load: the books -----------------------------------------------------------------


def drained() -> bool:
    from notifications.models import Delivery, Event
    from notifications.webhooks.models import WebhookDelivery

    return not (
        Event.objects.filter(fanned_out_at__isnull=True).exists()
        or Delivery.objects.filter(status__in=("pending", "sending")).exists()
        or WebhookDelivery.objects.filter(status__in=("pending", "sending")).exists()
    )


def books(sink: dict, media: Path, client_wins: int) -> dict:
    """Every delivery made exactly once, every win with one discount, no orphaned file."""
    from django.db.models import Count

    from deals.models import Attachment, Deal, PendingDeletion
    from discounts.models import Discount
    from notifications.models import Delivery, Event
    from notifications.webhooks.models import WebhookDelivery
    from notifications.webhooks.transport import verify_signature

    accepted = [hook for hook in sink["hooks"] if hook["code"] == 204]
    per_delivery = Counter(hook["delivery"] for hook in accepted)
    webhooks = WebhookDelivery.objects.select_related("endpoint")
    secrets = {str(d.pk): d.endpoint.secret for d in webhooks}
    # An endpoint's events arrive in id order, except where a change committed after a later
    # one was already sent (ids are taken at INSERT, rows seen at COMMIT). For each delivery
    # that overtook an earlier event: was that event committed and fanned out when the later
    # one was claimed (then the claim's order check failed), or not yet?
    events = {
        pk: (created, fanned)
        for pk, created, fanned in Event.objects.values_list("pk", "created_at", "fanned_out_at")
    }
    claimed = dict(
        WebhookDelivery.objects.values_list("event_id", "claimed_at").order_by("event_id")
    )
    overtook, overtook_visible, lead_ms = 0, 0, []
    by_path = defaultdict(list)
    for hook in accepted:
        by_path[hook["path"]].append(json.loads(hook["body"])["id"])
    for ids in by_path.values():
        for position, event in enumerate(ids):
            later_smaller = [e for e in ids[position + 1 :] if e < event]
            if not later_smaller:
                continue
            overtook += 1
            first = min(later_smaller)
            lead_ms.append((events[event][0] - events[first][0]).total_seconds() * 1000)
            if events[first][1] and events[first][1] <= claimed[event]:
                overtook_visible += 1
    partner_events = Event.objects.filter(partner__isnull=False).exclude(
        kind__in=("possible_conflict",)
    )
    mails_sent = Counter(
        Delivery.objects.filter(channel="email", status="sent").values_list("email", flat=True)
    )
    stored = (
        {str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()}
        if media.exists()
        else set()
    )
    referenced = set(Attachment.objects.values_list("file", flat=True)) | set(
        Attachment.objects.exclude(thumbnail="").values_list("thumbnail", flat=True)
    )
    won = Deal.objects.filter(stage="won")
    return {
        "events": Event.objects.count(),
        "events not fanned out": Event.objects.filter(fanned_out_at__isnull=True).count(),
        "staff-only events": Event.objects.exclude(kind__in=_webhook_kinds()).count(),
        "webhook deliveries": webhooks.count(),
        "webhook deliveries not delivered": webhooks.exclude(status="delivered").count(),
        "webhook deliveries accepted other than once": sum(
            1 for d in webhooks if per_delivery[str(d.pk)] != 1
        ),
        "webhook requests refused by the receiver (retried)": len(sink["hooks"]) - len(accepted),
        "webhook signatures wrong": sum(
            1
            for hook in accepted
            if not verify_signature(
                secrets.get(hook["delivery"], ""),
                hook["signature"],
                hook["body"].encode(),
                tolerance=10**9,
            )
        ),  # fmt: skip
        "webhooks sent before an earlier event's": overtook,
        "of them, the earlier event fanned out before the claim (an ordering fault)": (
            overtook_visible
        ),
        "largest lead over the overtaken event's creation, ms": round(max(lead_ms, default=0), 1),
        "deliveries recorded before an earlier event's (database)": _recorded_out_of_order(),
        "partner events without their webhook delivery": partner_events.annotate(
            n=Count("webhook_deliveries")
        )
        .exclude(n=1)
        .filter(kind__in=_webhook_kinds())
        .count(),
        "e-mail deliveries": sum(mails_sent.values()),
        "e-mail deliveries not sent": Delivery.objects.filter(channel="email")
        .exclude(status="sent")
        .count(),
        "e-mails received": len(sink["mails"]),
        "addresses whose e-mails differ from their deliveries": sum(
            1
            for address in set(mails_sent) | set(sink["mails"])
            if Counter(sink["mails"])[address] != mails_sent[address]
        ),
        "wins (clients saw)": client_wins,
        "won deals": won.count(),
        "won deals without exactly one discount": won.annotate(n=Count("discount"))
        .exclude(n=1)
        .count(),
        "discounts of deals not won": Discount.objects.exclude(deal__stage="won").count(),
        "attachments": Attachment.objects.count(),
        "orphaned files": len(stored - referenced),
        "attachments without their file": len(referenced - stored),
        "pending deletions left": PendingDeletion.objects.count(),
    }


def _recorded_out_of_order() -> int:
    """Per endpoint, deliveries whose delivered_at precedes an earlier event's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT event_id, max(event_id) OVER (PARTITION BY endpoint_id"
            " ORDER BY delivered_at, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS top"
            " FROM api_webhookdelivery WHERE delivered_at IS NOT NULL) AS d WHERE event_id < top"
        )
        return cursor.fetchone()[0]


def _webhook_kinds():
    from notifications.webhooks.events import PARTNER_KINDS

    return PARTNER_KINDS


# --- the run -----------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(base: str, sql: str):
    import psycopg

    with psycopg.connect(database_url(base, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--think", type=float, default=0.25, help="mean pause, seconds")
    parser.add_argument("--webhook-failures", type=float, default=0.02)
    parser.add_argument("--drain-minutes", type=float, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith("postgres"):
        sys.exit("the soak needs PostgreSQL: set DATABASE_URL=postgres://...")

    import multiprocessing

    from tests.servers import RedisServer, free_port

    work = Path(tempfile.mkdtemp(prefix="soak-"))
    media = work / "media"
    name = f"portal_soak_{os.getpid()}"
    admin_sql(base, f"CREATE DATABASE {name}")
    redis = RedisServer(work).start()
    pipe, child_end = multiprocessing.get_context("spawn").Pipe()
    sinks = multiprocessing.get_context("spawn").Process(
        target=run_sinks, args=(child_end, args.webhook_failures), daemon=True
    )
    sinks.start()
    ports = pipe.recv()
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL",)},
        "DJANGO_SETTINGS_MODULE": "partner_portal.settings",
        "DATABASE_URL": database_url(base, name),
        "REDIS_URL": redis.url,
        "CELERY_BROKER_URL": redis.url.rsplit("/", 1)[0] + "/1",
        "DEBUG": "false",
        "SECRET_KEY": "soak-only-secret-not-for-production-" + "x" * 20,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOCAL_HTTP": "true",  # plain HTTP on 127.0.0.1, otherwise production
        "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(ports["smtp_port"]),
        "STAFF_NOTIFICATION_EMAILS": STAFF_ADDRESS,
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_RETRY_SECONDS": "5",  # a refused webhook is retried after 5, 10, 20 s
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    processes = Processes(work)
    stats: dict[str, list] = defaultdict(list)
    lock = threading.Lock()

    def record(kind, status, ms):
        with lock:
            stats[kind].append((status, ms))

    try:
        # From the suite's migrated template database when there is one (tests/migrated.py):
        # `migrate` then finds nothing to apply.
        from tests import migrated

        migrated.clone_into(connection)
        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        deals_per_person = max(10, int(6 * args.minutes))
        people = seed(deals_per_person, f"http://127.0.0.1:{ports['webhook_port']}/hooks/soak")
        connection.close()
        processes.start(
            "web",
            [str(BIN / "gunicorn"), "partner_portal.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "2", "--timeout", "120", "--log-level",
             "warning"],
            env,
        )  # fmt: skip
        processes.start(
            "worker",
            [str(BIN / "celery"), "-A", "partner_portal", "worker", "-Q", "celery,webhooks", "--concurrency", "2",
             "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
            env,
        )  # fmt: skip
        processes.start(
            "beat",
            [str(BIN / "celery"), "-A", "partner_portal", "beat", "--loglevel", "WARNING",
             f"--schedule={work / 'beat-schedule'}"],
            env,
        )  # fmt: skip
        wait_for_port(port)
        time.sleep(3)  # the worker connects to the broker
        load_start = os.getloadavg()
        started = time.monotonic()
        until = started + args.minutes * 60
        warm_up = min(60.0, args.minutes * 6)  # 10 % of the run, at most a minute
        clients = [
            Client(n, people[n % len(people)], f"http://127.0.0.1:{port}", until, args.think,
                   record)
            for n in range(args.clients)
        ]  # fmt: skip
        for client in clients:
            client.start()
        rss = {"web": [], "worker": []}
        while time.monotonic() < until:
            time.sleep(min(5.0, max(0.0, until - time.monotonic())))
            if time.monotonic() - started >= warm_up:
                for which in rss:
                    rss[which].append(rss_kb(processes.pid(which)))
        for client in clients:
            client.join(timeout=180)
        elapsed = time.monotonic() - started
        load_end = os.getloadavg()
        deadline = time.monotonic() + args.drain_minutes * 60
        while not drained() and time.monotonic() < deadline:
            time.sleep(2)
        drain_seconds = round(time.monotonic() - (started + elapsed), 1)
        pipe.send("dump")
        sink = pipe.recv()
        result = {
            "minutes": args.minutes,
            "clients": args.clients,
            "think seconds": args.think,
            "load average at start, at end (1, 5, 15 min)": [load_start, load_end],
            "requests": sum(len(v) for v in stats.values()),
            "requests per second": round(sum(len(v) for v in stats.values()) / elapsed, 1),
            "kinds": {
                kind: {
                    "requests": len(rows),
                    "p50 ms": round(percentile([ms for _s, ms in rows], 0.50), 1),
                    "p95 ms": round(percentile([ms for _s, ms in rows], 0.95), 1),
                    "p99 ms": round(percentile([ms for _s, ms in rows], 0.99), 1),
                    "statuses": dict(sorted(Counter(s for s, _ms in rows).items())),
                }
                for kind, rows in sorted(stats.items())
            },
            "5xx": sum(1 for rows in stats.values() for s, _ms in rows if s >= 500 or s == 0),
            "rss kB after warm-up, at end": {k: [v[0], v[-1]] if v else [] for k, v in rss.items()},
            "rss growth %": {
                k: round(100 * (v[-1] - v[0]) / v[0], 1) if v else None for k, v in rss.items()
            },
            "drain seconds": drain_seconds,
            "drained": drained(),
            "books": books(sink, media, sum(c.wins for c in clients)),
            "log errors": {which: processes.log_problems(which) for which in processes.started},
        }
        connection.close()
    finally:
        processes.stop_all()
        try:
            pipe.send("stop")
        except OSError:
            pass
        sinks.join(timeout=10)
        redis.stop()
        connection.close()
        if not args.keep_db:
            admin_sql(base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False))


def report(result: dict):
    print(f"## Soak: {result['minutes']} minutes, {result['clients']} clients")
    print(f"load average at start / end: {result['load average at start, at end (1, 5, 15 min)']}")
    print(f"{result['requests']} requests, {result['requests per second']} per second, "
          f"5xx: {result['5xx']}")  # fmt: skip
    print("\n| kind | requests | p50 ms | p95 ms | p99 ms | statuses |")
    print("|---|---:|---:|---:|---:|---|")
    for kind, row in result["kinds"].items():
        statuses = ", ".join(f"{s}: {n}" for s, n in row["statuses"].items())
        print(f"| {kind} | {row['requests']} | {row['p50 ms']} | {row['p95 ms']} | "
              f"{row['p99 ms']} | {statuses} |")  # fmt: skip
    print(f"\nRSS kB after warm-up, at end: {result['rss kB after warm-up, at end']}; "
          f"growth %: {result['rss growth %']}")  # fmt: skip
    print(f"drained in {result['drain seconds']} s: {result['drained']}")
    print("\n| after the load | |\n|---|---:|")
    for what, value in result["books"].items():
        print(f"| {what} | {value} |")
    print(f"\nerrors in the logs: {result['log errors']}")


if __name__ == "__main__":
    main()
