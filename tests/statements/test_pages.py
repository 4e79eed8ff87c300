"""The partner's pages: list, detail, answer, thread, CSV and the PDF in both languages."""

import io

import pytest
from pypdf import PdfReader

from statements.models import Statement
from statements.services.drafting import draft_statements
from statements.services.workflow import send_statement
from tests.statements.conftest import OCTOBER, month_of, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(alpha, staff, account, october_discounts, vserver):
    send(month_of("acc-0001", "vserver", 100_000))
    draft_statements(OCTOBER)
    return send_statement(Statement.objects.get(partner=alpha, month=OCTOBER), by=staff)


def test_a_draft_is_not_shown_and_a_sent_one_is(alpha, alice_client, account, vserver, staff):
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    draft = Statement.objects.get(partner=alpha)
    assert alice_client.get(f"/statements/{draft.pk}/").status_code == 404
    assert f'data-statement="{draft.pk}"' not in alice_client.get("/statements/").content.decode()
    send_statement(draft, by=staff)
    page = alice_client.get("/statements/").content.decode()
    assert f'data-statement="{draft.pk}"' in page


def test_detail_shows_lines_and_totals(alice_client, sent):
    page = alice_client.get(f"/statements/{sent.pk}/").content.decode()
    assert 'data-total="total">262,000<' in page
    assert page.count('data-line="consumption"') == 2
    assert "Công ty Mặt Trời" in page


def test_another_partner_gets_404(client, bob, sent):
    client.force_login(bob)
    for path in ("", "csv/", "pdf/"):
        assert client.get(f"/statements/{sent.pk}/{path}").status_code == 404
    assert client.post(f"/statements/{sent.pk}/confirm/").status_code == 404
    assert Statement.objects.get(pk=sent.pk).status == Statement.Status.SENT


def test_dispute_then_confirm_from_the_page(alice_client, sent):
    response = alice_client.post(f"/statements/{sent.pk}/dispute/", {"reason": ""})
    assert response.status_code == 400
    response = alice_client.post(f"/statements/{sent.pk}/dispute/", {"reason": "Ngày 20 sai"})
    assert response.status_code == 302
    page = alice_client.get(f"/statements/{sent.pk}/").content.decode()
    assert "Ngày 20 sai" in page and 'data-statement-status="disputed"' in page
    alice_client.post(f"/statements/{sent.pk}/messages/", {"text": "Xin kiểm tra giúp"})
    alice_client.post(f"/statements/{sent.pk}/confirm/")
    sent.refresh_from_db()
    assert sent.status == Statement.Status.CONFIRMED
    assert sent.messages.count() == 2


def test_a_member_cannot_answer(client, sam, sent):
    client.force_login(sam)
    client.post(f"/statements/{sent.pk}/confirm/")
    assert Statement.objects.get(pk=sent.pk).status == Statement.Status.SENT


def test_csv(alice_client, sent):
    response = alice_client.get(f"/statements/{sent.pk}/csv/")
    text = response.content.decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert "Công ty Mặt Trời" in text and "262000" in text


def test_csv_writes_a_negative_amount_as_a_number_and_escapes_text_like_a_formula(
    alice_client, sent
):
    """An adjustment's -50000 is a number a spreadsheet adds up (an apostrophe before it made
    the commission column's SUM wrong), while a description starting with "-" or "=" is
    still made plain text."""
    import csv as csv_module

    from statements.models import StatementLine

    StatementLine.objects.create(
        statement=sent, kind="adjustment", amount=-50000, description="=HYPERLINK(1)"
    )
    text = alice_client.get(f"/statements/{sent.pk}/csv/").content.decode("utf-8-sig")

    rows = list(csv_module.reader(io.StringIO(text)))
    adjustment = next(row for row in rows if row[-1].endswith("HYPERLINK(1)"))
    assert adjustment[-2] == "-50000"
    assert adjustment[-1] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(("lang", "word"), [("vi", "Khách hàng"), ("en", "Customer")])
def test_pdf_in_both_languages(alice_client, sent, lang, word, settings):
    response = alice_client.get(f"/statements/{sent.pk}/pdf/?lang={lang}")
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert word in text
    assert "Công ty Mặt Trời" in text
    assert "262" in text


def test_sending_mails_the_partner_a_link_to_the_statement(
    alpha, alice, staff, account, vserver, django_capture_on_commit_callbacks, mailoutbox
):
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    with django_capture_on_commit_callbacks(execute=True):
        send_statement(statement, by=staff)
    mails = [m for m in mailoutbox if alice.email in m.to]
    assert mails, [m.to for m in mailoutbox]
    assert f"/statements/{statement.pk}/" in mails[-1].body


def test_pages_stay_within_the_query_budget(alice_client, sent, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert alice_client.get("/statements/").status_code == 200
    # The lines' customers and products come in two queries of their own, after the page of
    # lines is cut (statements.selectors.paged_lines).
    with django_assert_max_num_queries(10):
        assert alice_client.get(f"/statements/{sent.pk}/").status_code == 200


def test_detail_pages_many_lines_fifty_at_a_time_in_reading_order(alice_client, sent):
    from statements.models import StatementLine

    StatementLine.objects.bulk_create(
        StatementLine(statement=sent, kind="consumption", consumption=i, amount=i)
        for i in range(1, 61)
    )
    page = alice_client.get(f"/statements/{sent.pk}/")
    first = page.content.decode()
    assert first.count("data-line=") == 50
    cursor = page.context["page"].next_cursor
    assert cursor
    rest = alice_client.get(f"/statements/{sent.pk}/", {"cursor": cursor})
    assert rest.content.decode().count("data-line=") == 62 - 50
    assert rest.context["page"].next_cursor == ""
    shown = [line.pk for line in page.context["page"].object_list + rest.context["page"].rows]
    assert shown == sorted(
        StatementLine.objects.filter(statement=sent).values_list("pk", flat=True)
    )


def test_drafting_creates_lines_in_reading_order(
    alpha, alice, staff, account, vserver, django_capture_on_commit_callbacks
):
    """The page reads lines by id: drafting must create them as `lines_of` orders them."""
    from partners.services import transfer_ownership
    from statements.selectors import lines_of
    from tests.billing.conftest import link_account
    from tests.factories import CustomerFactory
    from tests.statements.conftest import backdate_links

    # A second customer whose name sorts before the first one's ("Công ty Mặt Trời").
    early = CustomerFactory(name="An Phát")
    transfer_ownership(customer=early, partner=alpha)
    second = link_account(
        alpha,
        early,
        alice,
        staff,
        django_capture_on_commit_callbacks,
        account_id="acc-0002",
        email="it@anphat.test",
    )
    backdate_links(second)
    send(month_of("acc-0001", "vserver", 1000) + month_of("acc-0002", "vserver", 2000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha, month=OCTOBER)
    by_id = list(statement.lines.order_by("pk").values_list("customer__name", flat=True))
    assert by_id == [line.customer.name for line in lines_of(statement)]
    assert by_id[0] == "An Phát"
