"""The webhook services' locks, on real PostgreSQL: checking one endpoint per URL holds the
partner's row, and a change to another endpoint, which writes rows pointing at the partner
(an activity entry, an event), does not wait for it (found by a review: with a plain
FOR UPDATE on the partner the two orders deadlocked)."""

import threading

from django.db import connection, transaction

from notifications.models import Activity
from notifications.webhooks.services import (
    _one_per_url,
    create_webhook_endpoint,
    rotate_webhook_secret,
)
from tests.postgres import needs_postgres

pytestmark = needs_postgres(
    "SQLite's in-memory test database is not shared between threads, and it has no row locks"
)

PUBLIC = "https://93.184.216.34/hooks"


def test_the_url_check_holds_the_partner_without_stopping_another_endpoints_change(alpha, alice):
    other = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC + "/other", event_types=["deal.won"]
    )
    holding, release, rotated = threading.Event(), threading.Event(), []

    def check_and_hold():
        try:
            with transaction.atomic():
                _one_per_url(alpha.pk, PUBLIC)  # the partner's row locked
                holding.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    def rotate():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # a wait would fail, not hang the suite
                    cursor.execute("SET LOCAL lock_timeout = '3s'")
                rotated.append(rotate_webhook_secret(other, by=alice))
        finally:
            connection.close()

    holder = threading.Thread(target=check_and_hold)
    holder.start()
    assert holding.wait(timeout=20)
    rotating = threading.Thread(target=rotate)
    rotating.start()
    rotating.join(timeout=20)
    release.set()
    holder.join(timeout=20)

    assert len(rotated) == 1, "the rotation waited for the partner's lock"
    assert Activity.objects.filter(action="webhook.secret_rotated").count() == 1


def test_two_changes_from_one_read_version_one_applies_the_other_is_stale(alpha, alice):
    """Two admins' tools read the endpoint, then each sends its change with that version at
    once: the version is compared on the locked row, so exactly one change is made."""
    from django.core.exceptions import ValidationError

    from notifications.webhooks.services import update_webhook_endpoint

    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"]
    )
    read = endpoint.version
    start = threading.Barrier(2)
    outcomes = []

    def change(events):
        try:
            start.wait(timeout=20)
            update_webhook_endpoint(endpoint, by=alice, event_types=events, expected_version=read)
            outcomes.append("applied")
        except ValidationError as refusal:
            outcomes.append(refusal.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=change, args=(events,))
        for events in (["deal.lost"], ["discount.issued"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["applied", "stale"]
    endpoint.refresh_from_db()
    assert endpoint.event_types in (["deal.lost"], ["discount.issued"])
    assert Activity.objects.filter(action="webhook.endpoint_updated").count() == 1
