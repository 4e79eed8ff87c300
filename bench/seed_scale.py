"""Synthetic data at scale: N deals, the busiest partner holding half of them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_1m \\
        .venv/bin/python bench/seed_scale.py --deals 1000000
    DATABASE_URL=... .venv/bin/python bench/seed_scale.py --money-only   # an already seeded one

Creates the database if it does not exist, migrates it, and loads (into an empty database):
partners (one per 5,000 deals, at least 5) with an admin user each (password
`bench-password`) and a contract; 5 products; N/4 customers; N deals (about 20 % won, 10 %
lost, the rest open, most approved) with a discount rule, 3 stage changes, a note and an
attachment row each; a discount with a line and a customer ownership for each won deal (the
first win per customer); a customer discount on every 20th discount; for the staff pages a
staff user (`staff@vng.bench`, same password, with a TOTP authenticator), an event with an
in-app delivery per deal, a webhook endpoint per partner with a webhook delivery for every 5th
event, and an activity-log entry for every 2nd deal; then the dashboard counters; then the
money loop (`seed_money`: --accounts linked cloud accounts, --months of daily consumption,
top-ups and the ledger, last month's statements drafted and sent; `--money-only` adds it to a
database seeded without it, `--no-money` leaves it out). PostgreSQL is loaded with COPY (secondary indexes dropped during the load and
rebuilt after, foreign-key triggers off for the session); SQLite (small N only) with
executemany. Prints the time of each step.
"""

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret")
os.environ.setdefault("DATABASE_POOL", "false")

PASSWORD = "bench-password"
STAFF_EMAIL = "staff@vng.bench"
WORDS = (
    "Cloud migration|Kubernetes cluster|Object storage|Backup plan|CDN rollout|Data warehouse|"
    "Disaster recovery|GPU servers|Private network|Database upgrade|Web hosting|ERP hosting|"
    "Hệ thống kho|Máy chủ ảo|Lưu trữ dữ liệu|Chuyển đổi số|Sao lưu|Mạng riêng|Trung tâm dữ liệu"
).split("|")
COMPANY = "An Phát|Bình Minh|Sông Hồng|Hoa Sen|Sao Mai|Thành Công|Việt Tiến|Phú Thái|Hải Âu|Kim Long".split(
    "|"
)


def ensure_database(url: str):
    """Create the PostgreSQL database named in `url` if it is missing."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


class Loader:
    """Write rows (dicts by column) into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection

    def load(self, model, rows) -> int:
        table, cols = model._meta.db_table, columns(model)
        defaults = {
            f.column: f.get_default() for f in model._meta.concrete_fields if f.has_default()
        }
        # Text columns nobody sets are blank, as Django would save them.
        defaults.update(
            {
                f.column: ""
                for f in model._meta.concrete_fields
                if f.column not in defaults and not f.null and f.empty_strings_allowed
            }
        )
        # JSON defaults ({} or []) go in as JSON text.
        defaults = {
            c: json.dumps(v) if isinstance(v, dict | list) else v for c, v in defaults.items()
        }
        # Timestamps Django sets on save (auto_now: `updated_at`) take the row's creation
        # time when the row does not give them.
        stamped = {
            f.column
            for f in model._meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }

        def value(row, c):
            if c in row:
                return row[c]
            if c in stamped:
                return row.get("created_at") or datetime.now(UTC)
            return defaults.get(c)

        tuples = ([value(row, c) for c in cols] for row in rows)
        n = 0
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                names = ", ".join(f'"{c}"' for c in cols)
                with cursor.cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in tuples:
                        copy.write_row(row)
                        n += 1
            else:
                sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
                batch = []
                for row in tuples:
                    batch.append(row)
                    if len(batch) == 5000:
                        cursor.executemany(sql, batch)
                        n += len(batch)
                        batch = []
                cursor.executemany(sql, batch)
                n += len(batch)
        return n


def secondary_indexes(connection, tables) -> list[tuple[str, str]]:
    """(name, definition) of the indexes that back no constraint: dropped for the load."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
            AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [list(tables)],
        )
        return cursor.fetchall()


def staff_rows(loader, fates, partner_of, n_partners, now, done):
    """What the staff pages list besides deals: events, deliveries, webhooks, activity."""
    from notifications.models import Activity, Delivery, Event
    from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint

    kinds = ["deal_registered", "deal_approved", "stage_changed", "deal_won"]
    done(
        "events",
        loader.load(
            Event,
            (
                {
                    "id": i + 1,
                    "kind": kinds[i % 4],
                    "partner_id": partner_of(i),
                    "deal_id": i + 1,
                    "actor_id": partner_of(i),
                    "params": "{}",
                    "key": None,
                    "created_at": fate[2],
                    "fanned_out_at": fate[2],
                }
                for i, fate in enumerate(fates)
            ),
        ),
    )
    done(
        "deliveries",
        loader.load(
            Delivery,
            (
                {
                    "id": i + 1,
                    "event_id": i + 1,
                    "channel": "in_app",
                    "user_id": partner_of(i),
                    "email": "",
                    "language": "vi",
                    "status": "sent",
                    "sent_at": fate[2],
                    "created_at": fate[2],
                    "read_at": fate[2] if i % 3 else None,
                }
                for i, fate in enumerate(fates)
            ),
        ),
    )
    loader.load(
        WebhookEndpoint,
        (
            {
                "id": p,
                "partner_id": p,
                "url": f"https://hooks.partner{p}.example/portal",
                "secret": "bench",
                "event_types": "[]",
                "created_by_id": p,
                "created_at": now,
            }
            for p in range(1, n_partners + 1)
        ),
    )
    done(
        "webhook deliveries",
        loader.load(
            WebhookDelivery,
            (
                {
                    "id": i // 5 + 1,
                    "event_id": i + 1,
                    "endpoint_id": partner_of(i),
                    "status": "delivered" if i % 50 else "failed",
                    "attempts": 1,
                    "give_up_at": fate[2] + timedelta(hours=24),
                    "delivered_at": fate[2] if i % 50 else None,
                    "last_response_code": 204 if i % 50 else 500,
                    "created_at": fate[2],
                }
                for i, fate in enumerate(fates)
                if i % 5 == 0
            ),
        ),
    )
    actions = ["team.role_changed", "team.invited", "team.two_factor_rule"]
    done(
        "activity",
        loader.load(
            Activity,
            (
                {
                    "id": i // 2 + 1,
                    "created_at": fate[3],
                    "actor_id": partner_of(i),
                    "via": "portal",
                    "partner_id": partner_of(i),
                    "action": actions[i % 3],
                    "object_id": str(partner_of(i)),
                    "object_repr": f"admin{partner_of(i)}@partner.bench",
                    "changes": "{}",
                    "data": "{}",
                }
                for i, fate in enumerate(fates)
                if i % 2 == 0
            ),
        ),
    )


# --- The money loop (issue 25) -------------------------------------------------------------


def money_models():
    from billing.models import CloudAccount, CloudAccountLink, CreditEntry, PartnerCredit, TopUp
    from statements.models import Consumption, EInvoice

    return (
        CloudAccount,
        CloudAccountLink,
        PartnerCredit,
        TopUp,
        CreditEntry,
        Consumption,
        EInvoice,
    )


def seed_money(connection, *, accounts: int, months: int, rng, done) -> None:
    """Programme-scale money data on a database that holds the deals' data: about `accounts`
    linked cloud accounts (one per owned customer, spread as the ownerships are: the busiest
    partner holds about half), each linked since its customer's ownership started; `months`
    of daily consumption of one product (every other account two) from the day after the link
    started; three top-ups per account (each 10th account's last one pending, each 25th's
    failed and returned) on a ledger fed by the partner's payments; then last month's
    statements drafted by the real `draft_statements` (timed) and marked sent, each with an
    e-invoice reference. Pending requests (each 50th) give the lists something to wait for.
    """
    from billing.models import CloudAccount, CloudAccountLink, CreditEntry, PartnerCredit, TopUp
    from partners.models import CustomerOwnership, Partner, User
    from statements.models import Consumption, EInvoice, Statement, StatementLine
    from statements.services.drafting import draft_statements, previous_month

    if CloudAccount.objects.exists():
        sys.exit("The database already holds cloud accounts; the money step runs once.")
    loader = Loader(connection)
    pg = connection.vendor == "postgresql"
    models = money_models()
    now = datetime.now().astimezone()
    today = now.date()
    first_day = today - timedelta(days=round(months * 30.44))
    staff_id = User.objects.filter(is_staff=True).order_by("pk").values_list("pk", flat=True)[0]
    admin_of = dict(
        Partner.objects.filter(memberships__role="admin").values_list("pk", "memberships__user")
    )
    owned = list(
        CustomerOwnership.objects.filter(ended_at__isnull=True)
        .order_by("customer_id")
        .values_list("customer_id", "partner_id", "deal_id", "started_at")
    )
    stride = max(1, len(owned) // max(1, accounts))
    picked = owned[::stride][:accounts]
    # Requests still in progress: further owned customers, each 50th.
    linked = {o[0] for o in picked}
    pending = [o for o in owned if o[0] not in linked][::50]
    with connection.cursor() as cursor:
        dropped = []
        if pg:
            cursor.execute("SET session_replication_role = replica")
            dropped = secondary_indexes(connection, [m._meta.db_table for m in models])
            for name, _definition in dropped:
                cursor.execute(f'DROP INDEX "{name}"')

    def account_row(k, customer, partner, started, status):
        return {
            "id": k,
            "customer_id": customer,
            "partner_id": partner,
            "kind": "existing",
            "account_id": f"vng-{k:07d}",
            "name": f"Account {k}",
            "email": f"it{customer}@customer.bench",
            "status": status,
            "credit": Decimal(0),
            "requested_by_id": admin_of[partner],
            "created_at": started - timedelta(days=2),
            "confirmed_at": started - timedelta(days=1) if status != "awaiting_customer" else None,
            "decided_at": started if status == "active" else None,
            "decided_by_id": staff_id if status == "active" else None,
        }

    rows = [account_row(k, c, p, s, "active") for k, (c, p, _d, s) in enumerate(picked, start=1)]
    rows += [
        account_row(
            len(picked) + k,
            c,
            p,
            now - timedelta(days=k % 5),
            "awaiting_customer" if k % 2 else "awaiting_approval",
        )
        for k, (c, p, _d, _s) in enumerate(pending, start=1)
    ]
    # Top-ups: three per linked account, the ledger follows them in time order.
    top_ups, ledger = [], {}
    for k, (_c, p, _d, started) in enumerate(picked, start=1):
        span = max(1, int((now - max(started, now - timedelta(days=365))).total_seconds()))
        times = sorted(now - timedelta(seconds=rng.randrange(span)) for _ in range(3))
        for n_, at in enumerate(times):
            last = n_ == 2
            status = (
                "pending"
                if last and k % 10 == 0
                else "failed"
                if last and k % 25 == 0
                else "applied"
            )
            tid = len(top_ups) + 1
            amount = Decimal(rng.randrange(10, 200) * 100_000)
            decided = None if status == "pending" else at + timedelta(hours=1)
            top_ups.append(
                {
                    "id": tid,
                    "partner_id": p,
                    "cloud_account_id": k,
                    "amount": amount,
                    "status": status,
                    "requested_by_id": admin_of[p],
                    "created_at": at,
                    "decided_at": decided,
                    "decided_by_id": staff_id if decided else None,
                    "billing_reference": f"BILL-{tid}" if status == "applied" else "",
                    "failure_reason": "Account suspended" if status == "failed" else "",
                }
            )
            if status == "applied":
                rows[k - 1]["credit"] += amount
            ledger.setdefault(p, []).append((at, "top_up", -amount, tid))
            if status == "failed":
                ledger[p].append((decided, "top_up_returned", amount, tid))
    done("cloud accounts", loader.load(CloudAccount, rows))
    done(
        "cloud account links",
        loader.load(
            CloudAccountLink,
            (
                {
                    "id": k,
                    "cloud_account_id": k,
                    "partner_id": p,
                    "started_at": s,
                    "ended_at": None,
                    "start_reason": "approved",
                    "end_reason": "",
                }
                for k, (_c, p, _d, s) in enumerate(picked, start=1)
            ),
        ),
    )
    done("top-ups", loader.load(TopUp, top_ups))
    entries, credits = [], []
    for p, moves in sorted(ledger.items()):
        taken = -sum(amount for _at, kind, amount, _t in moves if kind == "top_up")
        opening = now - timedelta(days=400)
        moves.append((opening, "payment", taken + Decimal(50_000_000), None))
        moves += [
            (opening + timedelta(days=31 * m), "payment", Decimal(20_000_000), None)
            for m in range(1, 13)
        ]
        balance = Decimal(0)
        for at, kind, amount, tid in sorted(moves, key=lambda m: m[0]):
            balance += amount
            entries.append(
                {
                    "id": len(entries) + 1,
                    "partner_id": p,
                    "kind": kind,
                    "amount": amount,
                    "balance_after": balance,
                    "reason": "Payment received" if kind == "payment" else f"Top-up {tid}",
                    "reference": f"BANK-{p}-{len(entries) + 1}"
                    if kind == "payment"
                    else f"top-up {tid}",
                    "top_up_id": tid,
                    "created_by_id": staff_id if kind != "top_up" else admin_of[p],
                    "created_at": at,
                }
            )
        credits.append({"partner_id": p, "balance": balance, "updated_at": now})
    loader.load(PartnerCredit, credits)
    done("credit entries", loader.load(CreditEntry, entries))

    def consumption_rows():
        k_id = 0
        yesterday = today - timedelta(days=1)
        for k, (customer, partner, deal, started) in enumerate(picked, start=1):
            products = [1 + deal % 5] + ([1 + (deal + 1) % 5] if k % 2 == 0 else [])
            day = max(started.date() + timedelta(days=1), first_day)
            while day <= yesterday:
                for product in products:
                    k_id += 1
                    yield {
                        "id": k_id,
                        "cloud_account_id": k,
                        "day": day,
                        "product_id": product,
                        "amount": Decimal(20_000 + (k * 7919 + day.toordinal() * 31) % 480_000),
                        "partner_id": partner,
                        "customer_id": customer,
                        "source": "api",
                        "received_at": now,
                        "corrections": 0,
                    }
                day += timedelta(days=1)

    done("consumption", loader.load(Consumption, consumption_rows()))
    with connection.cursor() as cursor:
        for _name, definition in dropped:
            cursor.execute(definition)
        if pg:
            cursor.execute("SET session_replication_role = DEFAULT")
    done(f"rebuilt {len(dropped)} money indexes", len(dropped))
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        if pg:
            for model in models:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    done("sequences, analyze", 0)
    month = previous_month(today)
    began = time.perf_counter()
    made = draft_statements(month)
    print(
        f"draft_statements({month:%Y-%m}): {made} statements drafted in "
        f"{time.perf_counter() - began:.1f} s",
        flush=True,
    )
    sent = Statement.objects.filter(month=month, status="draft")
    sent.update(status="sent", sent_at=now, sent_by_id=staff_id)
    done(
        "statements sent, e-invoices",
        loader.load(
            EInvoice,
            (
                {
                    "id": k,
                    "statement_id": s.pk,
                    "top_up_id": None,
                    "partner_id": s.partner_id,
                    "form": "1",
                    "series": f"C{today:%y}TAA",
                    "number": f"{k}",
                    "authority_code": f"M1-{today:%y}-BENCH-{k:08d}",
                    "buyer_tax_code": s.partner.tax_code,
                    "issued_on": today,
                    "pdf": "",
                    "xml": "",
                    "recorded_by_id": staff_id,
                    "recorded_by_token_id": None,
                    "created_at": now,
                }
                for k, s in enumerate(
                    Statement.objects.filter(month=month).select_related("partner").order_by("pk"),
                    start=1,
                )
            ),
        ),
    )
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [EInvoice]):
            cursor.execute(sql)
        if pg:
            # The statements drafted above came after the analyze: without figures for their
            # lines PostgreSQL took a statement for 22 lines (it has 14,584 at 1M) and sorted
            # them all for a page of 25. Autovacuum would analyze them a minute later on a
            # server that runs it; this one may not (autovacuum = off).
            for model in (Statement, StatementLine, EInvoice):
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    done("statements analyzed", 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--accounts", type=int, default=20_000, help="linked cloud accounts (money step)"
    )
    parser.add_argument("--months", type=int, default=12, help="months of daily consumption")
    parser.add_argument(
        "--money-only",
        action="store_true",
        help="only the money step, on a database already seeded with deals",
    )
    parser.add_argument("--no-money", action="store_true", help="leave out the money step")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        ensure_database(url)

    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from deals import counters
    from deals.models import Attachment, Deal, DiscountRule, Note, Product, StageChange
    from discounts import counters as discount_counters
    from discounts.models import (
        CustomerDiscount,
        CustomerDiscountLine,
        Discount,
        DiscountLine,
    )
    from notifications.models import Activity, Delivery, Event
    from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
    from partners.models import Contract, Customer, CustomerOwnership, Membership, Partner, User
    from partners.services import sync_customer_owners

    rng = random.Random(args.seed)
    if args.money_only:
        if not Deal.objects.exists():
            sys.exit("--money-only needs a database seeded with deals (run without it first).")
        money_step(connection, args, rng)
        return
    if Deal.objects.exists():
        sys.exit("The database already holds deals; seed an empty one (drop it first).")
    n = args.deals
    started = time.perf_counter()
    loader = Loader(connection)
    pg = connection.vendor == "postgresql"
    models = (
        User,
        Partner,
        Membership,
        Contract,
        Product,
        Customer,
        Deal,
        DiscountRule,
        StageChange,
        Note,
        Attachment,
        Discount,
        DiscountLine,
        CustomerOwnership,
        CustomerDiscount,
        CustomerDiscountLine,
        Event,
        Delivery,
        WebhookEndpoint,
        WebhookDelivery,
        Activity,
    )
    now = datetime.now().astimezone()
    today = now.date()
    n_partners = max(5, n // 5000)
    password = make_password(PASSWORD)

    def partner_of(i):
        # Half of all deals belong to partner 1 (the busiest); the rest spread over the others.
        return 1 if i % 2 == 0 else 2 + (i // 2) % (n_partners - 1)

    with transaction.atomic():
        dropped = []
        if pg:
            connection.cursor().execute("SET session_replication_role = replica")
            dropped = secondary_indexes(connection, [m._meta.db_table for m in models])
            with connection.cursor() as cursor:
                for name, _definition in dropped:
                    cursor.execute(f'DROP INDEX "{name}"')
        step = time.perf_counter()

        def done(label, count):
            nonlocal step
            print(f"{label:<28} {count:>10,} rows  {time.perf_counter() - step:6.1f} s", flush=True)
            step = time.perf_counter()

        done(
            "users",
            loader.load(
                User,
                (
                    {
                        "id": p,
                        "email": f"admin{p}@partner.bench",
                        "password": password,
                        "first_name": "Bench",
                        "last_name": f"Partner {p}",
                        "is_active": True,
                        "is_staff": False,
                        "is_superuser": False,
                        "date_joined": now,
                    }
                    for p in range(1, n_partners + 2)
                ),
            ),
        )
        # The last user is VNG staff, for the admin pages (and it takes every 7th waiting
        # registration in the review queue).
        staff_id = n_partners + 1
        User.objects.filter(pk=staff_id).update(
            email=STAFF_EMAIL, first_name="VNG", last_name="Staff", is_staff=True, is_superuser=True
        )
        loader.load(
            Partner,
            (
                {
                    "id": p,
                    "name": f"Partner {p}",
                    "tax_code": f"9{p:09d}",
                    "status": "active",
                    "created_at": now,
                }
                for p in range(1, n_partners + 1)
            ),
        )
        loader.load(
            Membership,
            (
                {"id": p, "user_id": p, "partner_id": p, "role": "admin", "created_at": now}
                for p in range(1, n_partners + 1)
            ),
        )
        loader.load(
            Contract,
            (
                {
                    "id": p,
                    "partner_id": p,
                    "number": f"HD-BENCH-{p}",
                    "start_date": today - timedelta(days=800),
                    "end_date": today + timedelta(days=800),
                    "max_discount_rate": Decimal("30"),
                    "discount_validity_days": 365,
                }
                for p in range(1, n_partners + 1)
            ),
        )
        products = ["vserver", "vstorage", "vdb", "kubernetes", "cdn"]
        loader.load(
            Product,
            (
                {
                    "id": i + 1,
                    "code": code,
                    "name": code.title(),
                    "description": "",
                    "is_active": True,
                }
                for i, code in enumerate(products)
            ),
        )
        n_customers = max(10, n // 4)
        done(
            "customers",
            loader.load(
                Customer,
                (
                    {
                        "id": c,
                        "name": f"Công ty {rng.choice(COMPANY)} {c}",
                        "tax_code": f"{c:010d}",
                        "address": "",
                        "created_at": now,
                    }
                    for c in range(1, n_customers + 1)
                ),
            ),
        )

        # Each deal's fate, decided once so the other tables agree with it.
        open_stages = ["prospect", "qualified", "proposal", "negotiation"]
        fates = []
        for i in range(n):
            roll = rng.random()
            stage = "won" if roll < 0.2 else "lost" if roll < 0.3 else open_stages[i % 4]
            status = (
                "approved"
                if stage in ("won", "lost") or roll < 0.85
                else rng.choice(["pending", "action_required", "rejected"])
            )
            created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            updated = min(now, created + timedelta(minutes=rng.randrange(60 * 24 * 60)))
            fates.append((stage, status, created, updated, 1 + rng.randrange(n_customers)))

        def deal_rows():
            for i, (stage, status, created, updated, customer) in enumerate(fates):
                p = partner_of(i)
                closed = stage in ("won", "lost") or status == "rejected"
                yield {
                    "id": i + 1,
                    "partner_id": p,
                    "customer_id": customer,
                    "title": f"{rng.choice(WORDS)} {i + 1}",
                    "description": "",
                    "estimated_value": Decimal(rng.randrange(1, 5000) * 1_000_000),
                    "expected_close_date": (
                        created + timedelta(days=rng.randrange(30, 400))
                    ).date(),
                    "status": status,
                    "review_comment": "",
                    "stage": stage,
                    "probability": Deal.PROBABILITY[stage],
                    "protected_until": (created + timedelta(days=90)).date()
                    if status == "approved"
                    else None,
                    "closed_at": updated if closed else None,
                    "closed_by_id": p if closed else None,
                    "lost_reason_code": "price" if stage == "lost" else "",
                    "lost_reason": "",
                    "created_by_id": p,
                    "created_at": created,
                    "updated_at": updated,
                    "reviewed_at": created if status != "pending" else None,
                    "reviewed_by_id": None,
                    # The review queue (issue 22): every registration entered it when made;
                    # every 7th one waiting is taken by the bench's staff member.
                    "submitted_at": created,
                    "review_taken_by_id": staff_id if status == "pending" and i % 7 == 0 else None,
                    "review_taken_at": created if status == "pending" and i % 7 == 0 else None,
                }

        done("deals", loader.load(Deal, deal_rows()))
        done(
            "discount rules",
            loader.load(
                DiscountRule,
                (
                    {"id": i + 1, "deal_id": i + 1, "product_id": 1 + i % 5, "rate": Decimal("10")}
                    for i in range(n)
                ),
            ),
        )

        def change_rows():
            k = 0
            for i, (stage, status, created, updated, _c) in enumerate(fates):
                p = partner_of(i)
                entries = [("", "prospect", "", "pending", created, "Registered")]
                entries.append(
                    ("prospect", "prospect", "pending", status, created + timedelta(hours=1), "")
                )
                entries.append(("prospect", stage, "", "", updated, ""))
                for from_stage, to_stage, from_status, to_status, at, note in entries:
                    k += 1
                    yield {
                        "id": k,
                        "deal_id": i + 1,
                        "partner_id": p,
                        "from_stage": from_stage,
                        "to_stage": to_stage,
                        "from_status": from_status,
                        "to_status": to_status,
                        "by_id": p,
                        "at": min(at, now),
                        "note": note,
                    }

        done("stage changes", loader.load(StageChange, change_rows()))
        done(
            "notes",
            loader.load(
                Note,
                (
                    {
                        "id": i + 1,
                        "deal_id": i + 1,
                        "author_id": partner_of(i),
                        "text": "Khách hàng quan tâm.",
                        "created_at": fates[i][2] + timedelta(minutes=5),
                        "stage_change_id": None,
                    }
                    for i in range(n)
                ),
            ),
        )
        done(
            "attachments",
            loader.load(
                Attachment,
                (
                    {
                        "id": i + 1,
                        "deal_id": i + 1,
                        "kind": "bom",
                        "file": f"deals/{i + 1}/bench/bom.pdf",
                        "thumbnail": "",
                        "original_name": "bom.pdf",
                        "size": 1024,
                        "content_type": "application/pdf",
                        "sha256": "0" * 64,
                        "uploaded_by_id": partner_of(i),
                        "uploaded_at": fates[i][2] + timedelta(minutes=10),
                    }
                    for i in range(n)
                ),
            ),
        )

        won = [i for i, fate in enumerate(fates) if fate[0] == "won"]
        owned = set()
        discounts, ownerships = [], []
        for d, i in enumerate(won, start=1):
            stage, status, created, updated, customer = fates[i]
            discounts.append(
                {
                    "id": d,
                    "partner_id": partner_of(i),
                    "deal_id": i + 1,
                    "customer_id": customer,
                    "valid_from": updated.date(),
                    "valid_until": updated.date() + timedelta(days=365),
                    "status": "active",
                    "revoke_reason": "",
                    "created_at": updated,
                }
            )
            if customer not in owned:
                owned.add(customer)
                ownerships.append(
                    {
                        "id": len(ownerships) + 1,
                        "customer_id": customer,
                        "partner_id": partner_of(i),
                        "deal_id": i + 1,
                        "started_at": updated,
                        "ended_at": None,
                    }
                )
        done("discounts", loader.load(Discount, discounts))
        loader.load(
            DiscountLine,
            (
                {
                    "id": x["id"],
                    "discount_id": x["id"],
                    "product_id": 1 + x["deal_id"] % 5,
                    "rate": Decimal("10"),
                }
                for x in discounts
            ),
        )
        done("ownerships", loader.load(CustomerOwnership, ownerships))
        given = [x for x in discounts[::20]]
        loader.load(
            CustomerDiscount,
            (
                {
                    "id": k + 1,
                    "discount_id": x["id"],
                    "customer_id": x["customer_id"],
                    "valid_from": x["valid_from"],
                    "valid_until": x["valid_until"],
                    "status": "active",
                    "note": "",
                    "created_by_id": x["partner_id"],
                    "created_at": x["created_at"],
                }
                for k, x in enumerate(given)
            ),
        )
        done(
            "customer discounts",
            loader.load(
                CustomerDiscountLine,
                (
                    {
                        "id": k + 1,
                        "customer_discount_id": k + 1,
                        "product_id": 1 + x["deal_id"] % 5,
                        "rate": Decimal("5"),
                    }
                    for k, x in enumerate(given)
                ),
            ),
        )
        staff_rows(loader, fates, partner_of, n_partners, now, done)
        with connection.cursor() as cursor:
            for _name, definition in dropped:
                cursor.execute(definition)
            if pg:
                cursor.execute("SET session_replication_role = DEFAULT")
        done(f"rebuilt {len(dropped)} indexes", len(dropped))
        # Customer.owner: the partner of the active ownership, as transfer_ownership sets it
        # (after the indexes: each customer looks its ownership up).
        done("customer owners", sync_customer_owners())
        counters.rebuild()
        done("deal counters", 0)
        done("discount counters", discount_counters.rebuild())
        # Staff sign in with two-factor sign-in (STAFF_REQUIRE_2FA): an authenticator row
        # (its secret is never used by the benchmarks).
        from allauth.mfa.models import Authenticator

        Authenticator.objects.create(
            user_id=n_partners + 1, type=Authenticator.Type.TOTP, data={"secret": "bench"}
        )

    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        if pg:
            # Outside the load's transaction: VACUUM sets the visibility map, so index-only
            # scans need no heap fetches, as on a database that has lived a while.
            cursor.execute("VACUUM ANALYZE")
    done("sequences, vacuum analyze", 0)
    print(
        f"seeded {n:,} deals for {n_partners} partners in {time.perf_counter() - started:.1f} s; "
        f"busiest partner: admin1@partner.bench / {PASSWORD}"
    )
    if not args.no_money:
        money_step(connection, args, rng)


def money_step(connection, args, rng) -> None:
    """The money step, in one transaction, with its own timings."""
    from django.db import transaction

    started = step = time.perf_counter()

    def done(label, count):
        nonlocal step
        print(f"{label:<28} {count:>10,} rows  {time.perf_counter() - step:6.1f} s", flush=True)
        step = time.perf_counter()

    with transaction.atomic():
        seed_money(connection, accounts=args.accounts, months=args.months, rng=rng, done=done)
    print(f"seeded the money loop in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
