"""Downloading the busiest partner's statement (its PDF in both languages and its CSV), as its
partner does, before and after the documents are kept in storage (issue 25).

With the documents kept (statements/documents.py), it times: the worker's job after sending
(`store_documents`: both PDFs and both CSVs), then each download ROUNDS times (served from
storage), then a download that finds its file missing (drawn and stored on the spot). On a
checkout before that, every download draws.

Times the partner's download URLs in this process through Django's test client (the view's
work, no network), on the database of DATABASE_URL, which must hold sent statements (e.g.
`bench/seed_scale.py --money-only`). Stored files go to a throwaway MEDIA_ROOT; nothing in
the database changes but one session row, removed at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_scale_1m \\
        .venv/bin/python bench/statement_documents.py [--rounds 3]
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")
MEDIA = tempfile.mkdtemp(prefix="bench-statement-documents-")
os.environ["MEDIA_ROOT"] = MEDIA

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("fontTools").setLevel(logging.WARNING)

from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from partners.models import Membership  # noqa: E402
from statements.models import Statement  # noqa: E402

try:
    from statements import documents  # noqa: E402
except ImportError:  # a checkout before the documents were kept: every download draws
    documents = None


def busiest() -> Statement:
    return (
        Statement.objects.filter(status__in=Statement.VISIBLE)
        .annotate(n=Count("lines"))
        .order_by("-n")
        .first()
    )


def timed(client: Client, url: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return time.perf_counter() - start, response.status_code, len(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.MEDIA_ROOT = MEDIA
    statement = busiest()
    lines = statement.lines.count()
    member = Membership.objects.filter(partner=statement.partner).select_related("user").first()
    client = Client()
    client.force_login(member.user)
    print(f"statement {statement.pk} ({statement.status}), {lines} lines; media {MEDIA}")
    urls = {
        "PDF vi": reverse("statement_pdf", args=[statement.pk]) + "?lang=vi",
        "PDF en": reverse("statement_pdf", args=[statement.pk]) + "?lang=en",
        "CSV": reverse("statement_csv", args=[statement.pk]),
    }
    try:
        kept = _kept(statement)
        for label, url in urls.items():
            for i in range(args.rounds):
                seconds, status, size = timed(client, url)
                print(f"{label:7} round {i + 1}: {seconds:7.3f} s  HTTP {status}  {size:,} bytes")
        if kept:
            name = documents.stored_name(statement, "vi")
            default_storage.delete(name)
            seconds, status, size = timed(client, urls["PDF vi"])
            print(f"PDF vi, its file missing: {seconds:7.3f} s  HTTP {status}  {size:,} bytes")
    finally:
        client.logout()


def _kept(statement) -> bool:
    if documents is None:
        return False
    start = time.perf_counter()
    names = documents.store_documents(statement_id=statement.pk)
    seconds = time.perf_counter() - start
    sizes = ", ".join(f"{Path(n).name} {default_storage.size(n):,} bytes" for n in names)
    print(f"the worker's job after sending: {seconds:7.3f} s ({sizes})")
    return True


if __name__ == "__main__":
    main()
