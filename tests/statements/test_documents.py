"""A sent statement's PDFs kept in storage: drawn once after sending (and again after a change
of what they print), served from storage by the page and the API, drawn and stored by the
download when missing; drafts never stored."""

import io
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from pypdf import PdfReader

from statements import documents, pdf
from statements.models import Statement
from statements.services.drafting import draft_statements
from statements.services.einvoices import record_einvoice
from statements.services.workflow import confirm_statement, send_statement
from statements.tasks import store_statement_documents
from tests.api.conftest import ApiClient, make_token
from tests.deals.conftest import moto_endpoint, s3, s3_client, s3_gateway  # noqa: F401 - fixtures
from tests.deals.test_s3 import fetch
from tests.statements.conftest import OCTOBER, month_of, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(alpha, account, october_discounts, vserver):
    send(month_of("acc-0001", "vserver", 100_000))
    draft_statements(OCTOBER)
    return Statement.objects.get(partner=alpha, month=OCTOBER)


@pytest.fixture
def sent(draft, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return send_statement(draft, by=staff)


@pytest.fixture
def no_drawing(monkeypatch):
    """Drawing a PDF fails: what answers comes from storage."""

    def refuse(*args, **kwargs):
        raise AssertionError("the PDF was drawn")

    monkeypatch.setattr(pdf, "render_statement_pdf", refuse)


def stored(statement) -> list[str]:
    try:
        return sorted(default_storage.listdir(f"statements/{statement.pk}/")[1])
    except FileNotFoundError:
        return []


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def text_of(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_sending_stores_both_pdfs_and_both_csvs(sent):
    mark = documents.fingerprint(sent)
    assert stored(sent) == [
        f"statement-{sent.pk}-en-{mark}.csv",
        f"statement-{sent.pk}-en-{mark}.pdf",
        f"statement-{sent.pk}-vi-{mark}.csv",
        f"statement-{sent.pk}-vi-{mark}.pdf",
    ]
    for language, word in (("vi", "Khách hàng"), ("en", "Customer")):
        with default_storage.open(documents.stored_name(sent, language)) as kept:
            text = text_of(kept.read())
        assert word in text and "Công ty Mặt Trời" in text and "262" in text
        with default_storage.open(documents.stored_name(sent, language, "csv")) as kept:
            text = kept.read().decode("utf-8-sig")
        assert text.startswith(word) or word in text.splitlines()[0]
        assert "Công ty Mặt Trời" in text and "262000" in text


def test_the_csv_download_serves_the_stored_file(alice_client, sent, monkeypatch):
    name = documents.stored_name(sent, "en", "csv")
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"the stored one"))
    monkeypatch.setattr(documents, "render_statement_csv", lambda *a, **k: pytest.fail("made"))
    response = alice_client.get(f"/statements/{sent.pk}/csv/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="statement-2026-10-en.csv"'
    assert body(response) == b"the stored one"


def test_a_download_serves_the_stored_file_without_drawing(alice_client, sent, no_drawing):
    name = documents.stored_name(sent, "vi")
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"%PDF-1.7 the stored one"))
    response = alice_client.get(f"/statements/{sent.pk}/pdf/?lang=vi")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="statement-2026-10-vi.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert body(response) == b"%PDF-1.7 the stored one"


def test_a_missing_file_is_drawn_and_stored_by_the_first_download(alice_client, draft, staff):
    sent = send_statement(draft, by=staff)  # the worker has not run (nor will: no commit)
    assert stored(sent) == []
    first = alice_client.get(f"/statements/{sent.pk}/pdf/?lang=en")
    assert first.status_code == 200 and "Customer" in text_of(body(first))
    assert stored(sent) == [f"statement-{sent.pk}-en-{documents.fingerprint(sent)}.pdf"]
    with default_storage.open(documents.stored_name(sent, "en")) as kept:
        assert kept.read() == body(first)
    again = alice_client.get(f"/statements/{sent.pk}/pdf/?lang=en")
    assert again.streaming and body(again) == body(first)


def test_a_draft_is_never_stored(draft):
    assert store_statement_documents(draft.pk) == []
    response = documents.download(draft, "vi")
    assert response.status_code == 200 and "Khách hàng" in text_of(body(response))
    assert stored(draft) == []
    assert Statement.objects.get(pk=draft.pk).status == Statement.Status.DRAFT


def test_a_change_of_what_the_pdf_prints_draws_it_again(
    alpha, alice, staff, alice_client, sent, django_capture_on_commit_callbacks
):
    before = stored(sent)
    with django_capture_on_commit_callbacks(execute=True):
        confirm_statement(sent, by=alice)
    sent.refresh_from_db()
    confirmed = stored(sent)
    assert len(confirmed) == 4 and set(confirmed).isdisjoint(before)
    assert "Confirmed" in text_of(body(alice_client.get(f"/statements/{sent.pk}/pdf/?lang=en")))
    with django_capture_on_commit_callbacks(execute=True):
        record_einvoice(
            statement=sent,
            by=staff,
            form="1",
            series="C26TAA",
            number="123",
            authority_code="",
            buyer_tax_code=sent.partner.tax_code,
            issued_on=date(2026, 11, 5),
        )
    invoiced = stored(sent)
    assert len(invoiced) == 4 and set(invoiced).isdisjoint(confirmed)
    text = text_of(body(alice_client.get(f"/statements/{sent.pk}/pdf/?lang=en")))
    assert "C26TAA no. 00000123" in text  # kept as printed, with its zeros


def test_the_task_draws_only_what_is_missing(sent, no_drawing):
    names = store_statement_documents(sent.pk)
    assert names == [
        documents.stored_name(sent, language, kind)
        for kind in ("pdf", "csv")
        for language in ("vi", "en")
    ]
    assert len(stored(sent)) == 4


def test_the_api_serves_the_stored_file(alpha, alice, sent, no_drawing):
    api = ApiClient(make_token(alpha, alice)[1])
    response = api.get(f"/api/v1/statements/{sent.pk}/pdf/", {"lang": "en"})
    assert response.status_code == 200
    with default_storage.open(documents.stored_name(sent, "en")) as kept:
        assert body(response) == kept.read()


def test_another_partner_gets_404_while_the_file_is_stored(client, bob, beta, sent):
    assert len(stored(sent)) == 4
    client.force_login(bob)
    assert client.get(f"/statements/{sent.pk}/pdf/?lang=vi").status_code == 404
    api = ApiClient(make_token(beta, bob)[1])
    assert api.get(f"/api/v1/statements/{sent.pk}/pdf/").status_code == 404


@pytest.mark.s3
def test_on_s3_sending_stores_both_and_the_download_redirects_to_the_object(
    s3,  # noqa: F811
    draft,
    staff,
    alice_client,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_statement(draft, by=staff)
    mark = documents.fingerprint(sent)
    assert s3.keys() == [
        f"statements/{sent.pk}/statement-{sent.pk}-{language}-{mark}.{kind}"
        for language in ("en", "vi")
        for kind in ("csv", "pdf")
    ]
    monkeypatch.setattr(pdf, "render_statement_pdf", lambda *a, **k: pytest.fail("drawn"))
    response = alice_client.get(f"/statements/{sent.pk}/pdf/?lang=vi")
    assert response.status_code == 302
    status, headers, content = fetch(response["Location"])
    assert status == 200 and "Khách hàng" in text_of(content)
    assert headers["Content-Disposition"] == 'attachment; filename="statement-2026-10-vi.pdf"'
