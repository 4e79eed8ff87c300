"""What the benchmarks share: a gunicorn server on 127.0.0.1 with DEBUG off against the
seeded database, a logged-in session of the busiest partner, and the URLs worth timing.

Used by bench/pages.py and bench/load.py; the database comes from DATABASE_URL and must have
been seeded by bench/seed_scale.py.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
SECRET = "bench-only-secret-not-for-production"


def server_env() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.bench_settings",
        DEBUG="false",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOCAL_HTTP="true",  # plain HTTP on 127.0.0.1, no TLS proxy in front
        LOG_LEVEL="ERROR",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )
    return env


def setup_django():
    os.environ.update(server_env())
    import django

    django.setup()


def collectstatic():
    """collectstatic into STATIC_ROOT, unless BENCH_STATIC_COLLECTED names that very folder
    (the test suite collects once and runs every script on the result)."""
    collected = os.environ.get("BENCH_STATIC_COLLECTED")
    if collected and collected == os.environ.get("STATIC_ROOT"):
        return
    subprocess.run(
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=server_env(),
        check=True,
    )


class Server:
    """gunicorn on 127.0.0.1:`port`, stopped on exit (and killed after `max_seconds`)."""

    def __init__(self, port: int, workers: int = 1, max_seconds: int = 1800):
        self.port, self.workers, self.max_seconds = port, workers, max_seconds

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                "timeout",
                str(self.max_seconds),
                str(BIN / "gunicorn"),
                "partner_portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
                # gunicorn.conf.py recycles workers after GUNICORN_MAX_REQUESTS: not mid-bench.
                "--max-requests",
                "0",
            ],
            cwd=ROOT,
            env=server_env(),
            start_new_session=True,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)


def session_cookie(email: str = "admin1@partner.bench") -> str:
    """A logged-in session for `email`, made directly in the database (no login round trip)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from partners.models import User

    user = User.objects.get(email=email)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    # The backend a real sign-in records (it loads the membership with the user).
    session[BACKEND_SESSION_KEY] = "accounts.backends.PortalAuthenticationBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session["django_language"] = "vi"
    session.create()
    return f"sessionid={session.session_key}"


def get(port: int, path: str, cookie: str, headers: dict | None = None):
    """(status, milliseconds, queries, body length) of one GET on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    headers = headers or {}
    # An API client (a CRM) sends its token and no session cookie.
    session = {} if "Authorization" in headers else {"Cookie": cookie}
    conn.request("GET", path, headers={**session, **headers})
    response = conn.getresponse()
    body = response.read()
    ms = (time.perf_counter() - start) * 1000
    conn.close()
    return response.status, ms, int(response.getheader("X-Queries") or -1), len(body)


def long_timeline_deal(partner, entries: int = 200):
    """An open deal of `partner` with `entries` timeline entries (added once, then reused)."""
    from datetime import timedelta

    from django.utils import timezone

    from deals.models import Deal, Note, StageChange

    deal = Deal.objects.filter(partner=partner, closed_at__isnull=True).order_by("pk").first()
    have = StageChange.objects.filter(deal=deal).count() + Note.objects.filter(deal=deal).count()
    now = timezone.now()
    if have < entries:
        half = (entries - have) // 2
        StageChange.objects.bulk_create(
            StageChange(
                deal=deal,
                partner=partner,
                from_stage="proposal",
                to_stage="negotiation",
                by_id=deal.created_by_id,
                at=now - timedelta(minutes=i),
                note="Bench entry",
            )
            for i in range(half)
        )
        Note.objects.bulk_create(
            Note(deal=deal, author_id=deal.created_by_id, text=f"Bench note {i}",
                 created_at=now - timedelta(minutes=i, seconds=30))
            for i in range(entries - have - half)
        )  # fmt: skip
    return deal


def pages(partner) -> list[tuple[str, str, dict]]:
    """(name, path, headers) of every partner page the issue names, plus the floor."""
    from urllib.parse import urlencode

    from deals import selectors as deal_selectors
    from discounts.models import Discount
    from partners.models import CustomerOwnership
    from web.paging import cursor_after

    deals = deal_selectors.deals_for_partner(partner)
    deep_row = deals.order_by("-updated_at", "-pk")[deals.count() // 2]
    scope = deal_selectors.deal_list_scope(partner, q="", stage="", sort="-updated")
    deep = cursor_after(deep_row, ordering=deal_selectors.DEAL_SORTS["-updated"], scope=scope)
    ownership = CustomerOwnership.objects.filter(partner=partner).select_related("customer")
    customer = ownership.order_by("pk")[ownership.count() // 2].customer
    discount = Discount.objects.filter(partner=partner).order_by("pk").first()
    deal = long_timeline_deal(partner)
    tax_prefix = customer.tax_code[:8]
    api = {"Authorization": f"Bearer {api_token(partner)}"}
    # A CRM's sync: what changed since the middle of the history, and a lookup by its own id.
    since = deep_row.updated_at.isoformat()
    deals.filter(pk=deal.pk).update(external_id="BENCH-CRM-1")
    return [
        ("floor", "/bench/floor/", {}),
        ("dashboard", "/", {}),
        ("deal list, page 1", "/deals/", {}),
        ("deal list, search by tax code", "/deals/?" + urlencode({"q": tax_prefix}), {}),
        ("deal list, search by a common word", "/deals/?" + urlencode({"q": "Sông Hồng"}), {}),
        ("deal list, sort by value", "/deals/?sort=-value", {}),
        ("deal list, deep page", "/deals/?" + urlencode({"cursor": deep}), {}),
        ("deal list, htmx partial", "/deals/?sort=close&stage=proposal", {"HX-Request": "true"}),
        ("deal detail, 200-entry timeline", f"/deals/{deal.pk}/", {}),
        ("discount list", "/discounts/", {}),
        ("discount detail", f"/discounts/{discount.pk}/", {}),
        ("customers list", "/customers/", {}),
        (
            "customers search, tax code",
            "/customers/?" + urlencode({"q": customer.tax_code[:7]}),
            {},
        ),
        ("customers search, common word", "/customers/?" + urlencode({"q": "Sao Mai"}), {}),
        ("customers search, word in every name", "/customers/?" + urlencode({"q": "Công ty"}), {}),
        ("reports (12 months)", "/reports/", {}),
        ("API: GET /api/v1/deals/", "/api/v1/deals/", api),
        ("API: deals, sort by value", "/api/v1/deals/?sort=-value", api),
        ("API: deals, search by tax code", "/api/v1/deals/?" + urlencode({"q": tax_prefix}), api),
        ("API: deals, updated_since", "/api/v1/deals/?" + urlencode({"updated_since": since}), api),
        ("API: deals, external_id", "/api/v1/deals/?external_id=BENCH-CRM-1", api),
        (
            "API: discounts, updated_since",
            "/api/v1/discounts/?" + urlencode({"updated_since": since}),
            api,
        ),
        (
            "API: customers, updated_since",
            "/api/v1/customers/?" + urlencode({"updated_since": since}),
            api,
        ),
        *money_pages(partner, api),
    ]


def money_pages(partner, api: dict) -> list[tuple[str, str, dict]]:
    """The partner's money pages (issue 25), when the seed's money step ran: the busiest
    partner's cloud accounts, ledger, top-ups and last month's statement (the largest)."""
    from billing.models import CloudAccount, TopUp
    from statements.models import Statement

    account = CloudAccount.objects.filter(partner=partner, status="active").order_by("pk").first()
    statement = Statement.objects.filter(partner=partner).exclude(status="draft").first()
    if account is None or statement is None:
        return []
    top_up = TopUp.objects.filter(partner=partner).order_by("pk").first()
    return [
        ("money: cloud accounts", "/cloud-accounts/", {}),
        ("money: cloud account (3 top-ups)", f"/cloud-accounts/{account.pk}/", {}),
        ("money: credit ledger", "/cloud-accounts/credit/", {}),
        ("money: top-ups", "/cloud-accounts/top-ups/", {}),
        ("money: top-up", f"/cloud-accounts/top-ups/{top_up.pk}/", {}),
        ("money: customer with an account", f"/customers/{account.customer_id}/", {}),
        ("money: statements", "/statements/", {}),
        ("money: statement (last month)", f"/statements/{statement.pk}/", {}),
        ("money: API cloud-accounts", "/api/v1/cloud-accounts/", api),
        ("money: API statements", "/api/v1/statements/", api),
        ("money: API statement", f"/api/v1/statements/{statement.pk}/", api),
        ("money: API statement lines", f"/api/v1/statements/{statement.pk}/lines/", api),
    ]


STAFF_EMAIL = "staff@vng.bench"


def staff_pages(partner) -> list[tuple[str, str, dict]]:
    """(name, path, headers) of the staff change lists and the deal change page (issue 22),
    requested with a session of VNG staff (seeded with an authenticator: admin asks for
    two-factor sign-in)."""
    from urllib.parse import urlencode

    from deals.models import Deal
    from partners.models import Partner

    staff = {"Cookie": session_cookie(STAFF_EMAIL)}
    deal = long_timeline_deal(partner)
    small = Partner.objects.exclude(pk=partner.pk).order_by("pk").first()
    rare = Deal.objects.order_by("pk").values_list("title", flat=True)[Deal.objects.count() // 3]
    tax = deal.customer.tax_code[:8]
    # Page 20 at scale; the last page when a small database (the suite's run) has fewer.
    page = max(1, min(20, Deal.objects.count() // 100))
    admin = "/admin"
    pages = [
        ("deals", "/deals/deal/"),
        ("deals, search by tax code", "/deals/deal/?" + urlencode({"q": tax})),
        ("deals, search a common word", "/deals/deal/?" + urlencode({"q": "Sông Hồng"})),
        ("deals, search a title", "/deals/deal/?" + urlencode({"q": rare})),
        ("deals, pending", "/deals/deal/?status__exact=pending"),
        ("deals, stage proposal", "/deals/deal/?stage__exact=proposal"),
        ("deals, busiest partner", f"/deals/deal/?partner__id__exact={partner.pk}"),
        ("deals, a small partner", f"/deals/deal/?partner__id__exact={small.pk}"),
        ("deals, open", "/deals/deal/?closed_at__isempty=1"),
        ("deals, sort by value", "/deals/deal/?o=-7"),
        ("deals, sort by title", "/deals/deal/?o=1"),
        (f"deals, page {page}", f"/deals/deal/?p={page}"),
        ("deal change page (200 entries)", f"/deals/deal/{deal.pk}/change/"),
        ("discounts", "/discounts/discount/"),
        ("discounts, expired", "/discounts/discount/?current_status=expired"),
        ("discounts, search a common word", "/discounts/discount/?" + urlencode({"q": "Sao Mai"})),
        ("discounts, busiest partner", f"/discounts/discount/?partner__id__exact={partner.pk}"),
        ("customer discounts", "/discounts/customerdiscount/"),
        ("customers", "/partners/customer/"),
        ("customers, search a common word", "/partners/customer/?" + urlencode({"q": "Sao Mai"})),
        ("customers, search by tax code", "/partners/customer/?" + urlencode({"q": tax})),
        ("ownerships", "/partners/customerownership/"),
        (
            "ownerships, busiest partner",
            f"/partners/customerownership/?partner__id__exact={partner.pk}",
        ),
        ("events", "/notifications/event/"),
        ("events, kind won", "/notifications/event/?kind__exact=deal_won"),
        ("events, busiest partner", f"/notifications/event/?partner__id__exact={partner.pk}"),
        ("deliveries", "/notifications/delivery/"),
        ("deliveries, failed", "/notifications/delivery/?status__exact=failed"),
        ("deliveries, e-mail", "/notifications/delivery/?channel__exact=email"),
        ("webhook deliveries", "/notifications/webhookdelivery/"),
        ("webhook deliveries, failed", "/notifications/webhookdelivery/?status__exact=failed"),
        ("activity log", "/notifications/activity/"),
        (
            "activity log, busiest partner",
            f"/notifications/activity/?partner__id__exact={partner.pk}",
        ),
        ("activity log, via admin", "/notifications/activity/?via=admin"),
        ("consumption, imported", "/statements/consumption/?source__exact=import"),
        ("possible duplicates", "/deals/deal/duplicates/"),
    ]
    return [(f"staff: {name}", admin + path, staff) for name, path in pages]


def api_token(partner) -> str:
    """A new read-only API token of the busiest partner's admin (its secret)."""
    from api.services import create_api_token
    from partners.models import User

    admin = User.objects.get(email="admin1@partner.bench")
    return create_api_token(partner=partner, by=admin, name="bench", access="read")[1]


# --- Staff pages: the review queue, the admin index, the programme view (issue 22) ----------
# The deal, discount and other change lists are timed in their own block (the staff
# change lists); these are the staff's own pages.


def staff_cookie() -> str:
    """A signed-in session of the seed's staff member (bench/seed_scale.py)."""
    return session_cookie(STAFF_EMAIL)


def review_pages(partner) -> list[tuple[str, str, dict]]:
    """(name, path, headers) of the review queue with each filter, a deep page of it, the
    admin index and the programme view; `headers` carry the staff session."""
    from urllib.parse import urlencode

    from deals import review_queue
    from deals.models import DiscountRule, Product
    from partners.models import User
    from web.paging import cursor_after

    staff = User.objects.get(email=STAFF_EMAIL)
    waiting = review_queue.waiting().order_by(*review_queue.ORDERING)
    deep_row = waiting[min(waiting.count() // 2, 5000)]
    scope = review_queue.QueueFilters().scope(staff)
    deep = cursor_after(deep_row, ordering=review_queue.ORDERING, scope=scope)
    product = Product.objects.get(
        pk=DiscountRule.objects.filter(deal=deep_row).values("product")[:1]
    )
    headers = {"Cookie": staff_cookie()}
    queue = "/admin/review/?"
    return [
        ("admin index (queue counts)", "/admin/", headers),
        ("review queue", "/admin/review/", headers),
        ("review queue, overdue", queue + urlencode({"overdue": 1}), headers),
        ("review queue, one partner", queue + urlencode({"partner": partner.pk}), headers),
        ("review queue, one product", queue + urlencode({"product": product.pk}), headers),
        ("review queue, conflicts", queue + urlencode({"conflict": 1}), headers),
        ("review queue, possible duplicates", queue + urlencode({"duplicate": 1}), headers),
        ("review queue, taken by me", queue + urlencode({"mine": 1}), headers),
        ("review queue, deep page", queue + urlencode({"cursor": deep}), headers),
        ("programme view", "/admin/programme/", headers),
        ("programme CSV, partner results", "/admin/programme/partner-results.csv", headers),
    ]
