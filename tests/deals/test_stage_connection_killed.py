"""The database connection dies in the middle of a stage change (PostgreSQL): everything
stays as before and the user gets the portal's friendly error page, not a bare 500."""

import threading
import time

import psycopg
from django.conf import settings
from django.db import connection
from django.test import Client

from deals.models import Attachment, Note, StageChange
from discounts.models import Discount
from partners.models import CustomerOwnership
from tests.postgres import needs_postgres

pytestmark = needs_postgres("pg_terminate_backend from a second connection")


def connect():
    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"],
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    )


def snapshot(deal):
    deal.refresh_from_db()
    return (
        deal.stage,
        deal.closed_at,
        Discount.objects.count(),
        CustomerOwnership.objects.count(),
        Note.objects.count(),
        Attachment.objects.count(),
        StageChange.objects.count(),
    )


def kill_the_waiting_backend(killed: list, timeout: float = 20):
    """Wait for a backend of this database to wait on a lock, then terminate it."""
    with connect() as killer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = killer.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).fetchone()
            if row:
                killer.execute("SELECT pg_terminate_backend(%s)", row)
                killed.append(row[0])
                return
            time.sleep(0.05)


def test_connection_killed_mid_won_leaves_everything_unchanged(alpha_deal, alice):
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(alice)
    before = snapshot(alpha_deal)
    killed = []
    with connect() as blocker:
        # Hold the customer row: the win has written the deal, its history and the discount
        # when it reaches the ownership transfer and waits here; then its connection dies.
        blocker.execute("BEGIN")
        blocker.execute(
            "SELECT 1 FROM partners_customer WHERE id = %s FOR UPDATE", [alpha_deal.customer_id]
        )
        killer = threading.Thread(target=kill_the_waiting_backend, args=(killed,))
        killer.start()
        response = client.post(
            f"/deals/{alpha_deal.pk}/stage/",
            {"stage": "won", "confirm_close": "on", "note": "should vanish"},
        )
        killer.join(timeout=30)
        blocker.execute("ROLLBACK")

    connection.close()  # the request's connection was the one terminated
    html = response.content.decode()
    assert len(killed) == 1
    assert response.status_code == 500
    assert "Something went wrong" in html and "data-error-reference" in html
    assert "Traceback" not in html and "terminat" not in html
    assert snapshot(alpha_deal) == before
