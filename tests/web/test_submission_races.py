"""A second tab racing the first with one submission key, on real PostgreSQL."""

import threading
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deals.models import Attachment, Deal, Note
from tests.postgres import THREADS, needs_postgres
from web.models import SubmissionKey

pytestmark = needs_postgres(THREADS)


def together(calls):
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


def tabs(user, n):
    """n browser tabs of one signed-in person (each its own session, as two devices)."""
    clients = []
    for _ in range(n):
        client = Client(headers={"HX-Request": "true"})
        client.force_login(user)
        clients.append(client)
    return clients


def test_racing_tabs_with_one_key_add_one_note(alice, alpha):
    from tests.factories import DealFactory

    for round_ in range(5):
        deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
        url = reverse("deal_note_add", args=[deal.pk])
        data = {"text": "Một lần thôi", "submission_key": f"race-note-{round_:04d}-abcdef"}
        answers = together([lambda c=c, u=url, d=data: c.post(u, d) for c in tabs(alice, 6)])

        assert Note.objects.filter(deal=deal).count() == 1, f"round {round_}"
        assert [a.status_code for a in answers] == [200] * 6
        assert {a["HX-Redirect"] for a in answers} == {deal.get_absolute_url()}
    assert SubmissionKey.objects.count() == 5


def test_racing_tabs_with_one_key_store_the_file_once(alice, alpha):
    from tests.factories import DealFactory

    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    url = reverse("deal_attachment_add", args=[deal.pk])

    def upload(client):
        data = {"kind": "bom", "submission_key": "race-attachment-abcdef"}
        data["files"] = SimpleUploadedFile("BOM.csv", b"product,qty\nvServer,10\n")
        return client.post(url, data)

    answers = together([lambda c=c: upload(c) for c in tabs(alice, 4)])

    assert Attachment.objects.filter(deal=deal).count() == 1
    assert {a["HX-Redirect"] for a in answers} == {deal.get_absolute_url()}


def test_racing_tabs_with_one_key_register_one_deal(alice, alpha, vserver):
    data = {
        "customer_tax_code": "0319876543",
        "customer_name": "Công ty TNHH Minh Phát",
        "title": "ERP on vServer",
        "estimated_value": "150000000",
        "expected_close_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        f"rate_{vserver.pk}": "12.5",
        "submission_key": "race-register-abcdef",
    }
    clients = []
    for _ in range(4):
        client = Client()
        client.force_login(alice)
        clients.append(client)

    answers = together([lambda c=c: c.post(reverse("deal_register"), data) for c in clients])

    deal = Deal.objects.get()
    assert [a.status_code for a in answers] == [302] * 4
    assert {a["Location"] for a in answers} == {deal.get_absolute_url()}
