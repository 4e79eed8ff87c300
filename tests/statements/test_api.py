"""/api/v1/statements/ for partners; billing's consumption/ and e-invoices/ internal API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from billing.services.tokens import create_service_token
from statements.models import Consumption, EInvoice, Statement
from statements.services.drafting import draft_statements
from statements.services.workflow import send_statement
from tests.api.conftest import ApiClient, make_token
from tests.factories import pdf_file
from tests.statements.conftest import OCTOBER, month_of

pytestmark = pytest.mark.django_db
XML = b'<?xml version="1.0" encoding="UTF-8"?><HDon><DLHDon><TTChung><SHDon>123</SHDon></TTChung></DLHDon></HDon>'


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.API_RATE_LIMIT = "10000/minute"


@pytest.fixture
def billing_api(staff):
    return ApiClient(create_service_token(by=staff, name="Billing")[1])


@pytest.fixture
def alpha_api(alpha, alice):
    return ApiClient(make_token(alpha, alice)[1])


def _rows(rows):
    return {
        "rows": [
            {"account_id": a, "day": d.isoformat(), "product": p, "amount": str(m)}
            for a, d, p, m in rows
        ]
    }


def test_billing_sends_consumption_idempotently(billing_api, account, vserver):
    body = _rows(
        month_of("acc-0001", "vserver", 1000, days=3) + [("zzz-999", OCTOBER, "vserver", 5)]
    )
    first = billing_api.post("/api/internal/v1/consumption/", body)
    assert first.status_code == 200, first.content
    assert first.json()["created"] == 3
    assert first.json()["errors"] == [{"row": 4, "error": "Unknown cloud account “zzz-999”."}]
    again = billing_api.post("/api/internal/v1/consumption/", body).json()
    assert (again["created"], again["unchanged"]) == (0, 3)
    corrected = billing_api.post(
        "/api/internal/v1/consumption/", _rows([("acc-0001", OCTOBER, "vserver", 1500)])
    ).json()
    assert corrected["corrected"] == 1
    assert Consumption.objects.get(day=OCTOBER).amount == 1500


def test_a_partner_token_cannot_send_consumption(alpha_api, account, vserver):
    response = alpha_api.post(
        "/api/internal/v1/consumption/", _rows([("acc-0001", OCTOBER, "vserver", 1)])
    )
    assert response.status_code == 401
    assert not Consumption.objects.exists()


@pytest.fixture
def sent(alpha, staff, billing_api, account, october_discounts, vserver):
    billing_api.post(
        "/api/internal/v1/consumption/", _rows(month_of("acc-0001", "vserver", 100_000))
    )
    draft_statements(OCTOBER)
    return send_statement(Statement.objects.get(partner=alpha, month=OCTOBER), by=staff)


def test_partner_reads_its_statements_and_pdf(alpha_api, sent, account):
    listing = alpha_api.get("/api/v1/statements/").json()["results"]
    assert [(row["id"], row["total"]) for row in listing] == [(sent.pk, "262000")]
    detail = alpha_api.get(f"/api/v1/statements/{sent.pk}/").json()
    assert detail["lines"].endswith(f"/api/v1/statements/{sent.pk}/lines/")
    lines = alpha_api.get(f"/api/v1/statements/{sent.pk}/lines/").json()
    assert [line["amount"] for line in lines["results"]] == ["150000", "112000"]
    # Each line names its customer and product (read after the page is cut).
    assert {(line["customer_name"], line["product"]) for line in lines["results"]} == {
        (account.customer.name, "vserver")
    }
    first = alpha_api.get(f"/api/v1/statements/{sent.pk}/lines/", {"limit": 1}).json()
    rest = alpha_api.get(first["next"]).json()
    assert [line["amount"] for line in first["results"] + rest["results"]] == ["150000", "112000"]
    assert rest["next"] is None
    assert detail["pdf_url"].endswith(f"/api/v1/statements/{sent.pk}/pdf/")
    pdf = alpha_api.get(f"/api/v1/statements/{sent.pk}/pdf/", {"lang": "vi"})
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Bảng kê" in text or "Khách hàng" in text


def test_another_partner_gets_404_from_the_api(beta, bob, sent):
    beta_api = ApiClient(make_token(beta, bob)[1])
    assert beta_api.get(f"/api/v1/statements/{sent.pk}/").status_code == 404
    assert beta_api.get(f"/api/v1/statements/{sent.pk}/pdf/").status_code == 404
    assert beta_api.get(f"/api/v1/statements/{sent.pk}/lines/").status_code == 404
    assert beta_api.get("/api/v1/statements/").json()["results"] == []


def test_billing_records_an_einvoice_and_the_partner_downloads_it(
    billing_api, alpha_api, alice_client, bob, client, sent
):
    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/",
        {
            "statement": sent.pk,
            "form": "1",
            "series": "C26TAA",
            "number": "123",
            "authority_code": "M1-26-ABCDE-00000000123",
            "buyer_tax_code": f"{sent.partner.tax_code}-001",
            "issued_on": "2026-11-05",
            "pdf": SimpleUploadedFile("hd.pdf", pdf_file(), "application/pdf"),
            "xml": SimpleUploadedFile("hd.xml", XML, "text/xml"),
        },
        HTTP_AUTHORIZATION=f"Bearer {billing_api.token}",
    )
    assert response.status_code == 201, response.content
    invoice = EInvoice.objects.get()
    assert invoice.partner_id == sent.partner_id
    detail = alpha_api.get(f"/api/v1/statements/{sent.pk}/").json()
    assert detail["einvoices"][0]["number"] == "00000123"  # kept as printed, with its zeros
    page = alice_client.get(f"/statements/{sent.pk}/").content.decode()
    assert f"/statements/e-invoices/{invoice.pk}/pdf/" in page
    download = alice_client.get(f"/statements/e-invoices/{invoice.pk}/xml/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == XML
    client.force_login(bob)
    assert client.get(f"/statements/e-invoices/{invoice.pk}/pdf/").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("buyer_tax_code", "12345"), ("series", "X"), ("form", "9"), ("number", "abc")],
)
def test_einvoice_fields_are_checked(billing_api, sent, field, value):
    data = {
        "statement": sent.pk,
        "form": "1",
        "series": "C26TAA",
        "number": "124",
        "buyer_tax_code": sent.partner.tax_code,
        "issued_on": "2026-11-05",
        field: value,
    }
    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/", data, HTTP_AUTHORIZATION=f"Bearer {billing_api.token}"
    )
    assert response.status_code == 400, response.content
    assert {error["field"] for error in response.json()["errors"]} == {field}
    assert not EInvoice.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"issued_on": "0001-01-01"}, "issued_on", "too_early"),  # before the statement's month
        ({"issued_on": "2999-01-01"}, "issued_on", "future"),
        ({"buyer_tax_code": "0312345678"}, "buyer_tax_code", "not_the_partner"),
        ({"foo": "bar"}, "foo", "unknown_field"),
    ],
)
def test_an_einvoice_of_another_time_or_buyer_or_with_unknown_fields_is_refused(
    billing_api, sent, change, field, code
):
    # Found by a hostile walk: each was recorded (201).
    data = {"statement": sent.pk, "form": "1", "series": "C26TAA", "number": "126",
            "buyer_tax_code": sent.partner.tax_code, "issued_on": "2026-11-05", **change}  # fmt: skip

    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/", data, HTTP_AUTHORIZATION=f"Bearer {billing_api.token}"
    )

    assert response.status_code == 400, response.content
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)]
    assert not EInvoice.objects.exists()


def test_an_einvoice_of_statement_0_is_not_found(billing_api, sent):
    data = {"statement": 0, "form": "1", "series": "C26TAA", "number": "127",
            "buyer_tax_code": sent.partner.tax_code, "issued_on": "2026-11-05"}  # fmt: skip

    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/", data, HTTP_AUTHORIZATION=f"Bearer {billing_api.token}"
    )

    assert response.status_code == 404
    assert not EInvoice.objects.exists()


@pytest.mark.parametrize(
    "pdf", [b"not a pdf at all", b"PK\x03\x04 a zip, say", b""], ids=["text", "zip", "empty"]
)
def test_a_pdf_that_is_not_a_pdf_is_refused(billing_api, sent, pdf):
    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/",
        {"statement": sent.pk, "form": "1", "series": "C26TAA", "number": "128",
         "buyer_tax_code": sent.partner.tax_code, "issued_on": "2026-11-05",
         "pdf": SimpleUploadedFile("hd.pdf", pdf, "application/pdf")},
        HTTP_AUTHORIZATION=f"Bearer {billing_api.token}",
    )  # fmt: skip

    assert response.status_code == 400, response.content
    assert {error["field"] for error in response.json()["errors"]} == {"pdf"}
    assert not EInvoice.objects.exists()


def test_a_file_of_another_type_is_refused_as_not_a_pdf(billing_api, sent):
    """Not the list of a deal attachment's types (Word, Excel, images...): only a PDF."""
    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/",
        {"statement": sent.pk, "form": "1", "series": "C26TAA", "number": "128",
         "buyer_tax_code": sent.partner.tax_code, "issued_on": "2026-11-05",
         "pdf": SimpleUploadedFile("hd.exe", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")},
        HTTP_AUTHORIZATION=f"Bearer {billing_api.token}",
    )  # fmt: skip

    assert response.status_code == 400, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "pdf" and error["code"] == "bad_type"
    assert error["detail"] == "Tệp PDF của hóa đơn phải là tệp PDF."  # Vietnamese by default
    assert not EInvoice.objects.exists()


def test_an_xml_that_is_not_xml_is_refused(billing_api, sent):
    response = billing_api.client.post(
        "/api/internal/v1/e-invoices/",
        {
            "statement": sent.pk,
            "form": "1",
            "series": "C26TAA",
            "number": "125",
            "buyer_tax_code": sent.partner.tax_code,
            "issued_on": "2026-11-05",
            "xml": SimpleUploadedFile("hd.xml", b"<a><b></a>", "text/xml"),
            "pdf": SimpleUploadedFile("hd.pdf", pdf_file(), "application/pdf"),
        },
        HTTP_AUTHORIZATION=f"Bearer {billing_api.token}",
    )
    assert response.status_code == 400
    assert {error["field"] for error in response.json()["errors"]} == {"xml"}
    assert not EInvoice.objects.exists()


@pytest.mark.parametrize(
    ("partner", "buyer", "is_the_buyer"),
    [
        ("0101234567", "0101234567", True),
        ("0101234567", "0101234567-002", True),  # a head office's branch
        ("0101234567", "0109999999", False),
        ("0101234567-001", "0101234567-001", True),
        ("0101234567-001", "0101234567-002", False),  # a branch's sibling is another buyer
        ("0101234567-001", "0101234567", False),
    ],
)
def test_the_buyer_is_the_partner_or_a_head_offices_branch(partner, buyer, is_the_buyer):
    from statements.services.einvoices import _is_the_buyer

    assert _is_the_buyer(partner, buyer) is is_the_buyer
