"""Races through the API on real PostgreSQL, each thread with its own connection."""

import threading

from django.db import connection
from django.test import Client

from api.models import IdempotencyKey
from deals.models import Deal, Note
from discounts.models import Discount
from partners.models import CustomerOwnership
from tests.api.conftest import ApiClient, make_token
from tests.factories import DealFactory
from tests.postgres import THREADS, needs_postgres

pytestmark = needs_postgres(THREADS)


def together(*calls):
    """Run the calls in threads released at one barrier; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=10)
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_duplicate_posts_write_once_and_answer_alike(alpha, alice):
    _token, secret = make_token(alpha, alice)
    for round_ in range(5):
        deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
        path = f"/api/v1/deals/{deal.pk}/notes/"
        key = {"Idempotency-Key": f"race-{round_}"}

        def post(path=path, key=key):
            return ApiClient(secret).post(path, {"text": "once"}, headers=key)

        responses = together(*[post] * 6)

        assert [r.status_code for r in responses] == [201] * 6
        assert len({r.json()["id"] for r in responses}) == 1
        assert Note.objects.filter(deal=deal).count() == 1
        assert IdempotencyKey.objects.filter(key=key["Idempotency-Key"]).count() == 1


def test_won_through_the_api_raced_against_the_portal_issues_one_discount(alpha, alice):
    _token, secret = make_token(alpha, alice)
    for _round in range(10):
        deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")

        def api_win(deal=deal):
            return ApiClient(secret).post(f"/api/v1/deals/{deal.pk}/stage/", {"stage": "won"})

        def portal_win(deal=deal):
            browser = Client()
            browser.force_login(alice)
            return browser.post(f"/deals/{deal.pk}/stage/", {"stage": "won", "confirm_close": "on"})

        api, portal = together(api_win, portal_win)

        deal.refresh_from_db()
        assert deal.stage == Deal.Stage.WON
        assert Discount.objects.filter(deal=deal).count() == 1
        assert CustomerOwnership.objects.filter(customer=deal.customer, ended_at=None).count() == 1
        # One of the two won; the other was told the deal is already closed.
        api_won = api.status_code == 200
        portal_won = portal.status_code == 302
        assert api_won != portal_won, (api.status_code, portal.status_code)
        if not api_won:
            assert (api.status_code, api.json()["code"]) == (409, "closed")
            assert api.json()["detail"].startswith("This deal is already closed")
