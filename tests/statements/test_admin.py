"""Staff in admin: CSV import with a per-row report, send and paid actions, the thread,
e-invoices recorded and searched by number."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from statements.models import Consumption, EInvoice, Statement
from statements.services.drafting import draft_statements
from statements.services.workflow import confirm_statement
from tests.factories import pdf_file
from tests.statements.conftest import OCTOBER, month_of, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_csv_import_reports_rows(staff_client, account, vserver):
    csv = b"account_id,day,product,amount\nacc-0001,2026-10-01,vserver,1000\nacc-0001,2026-10-02,nope,5\n"
    response = staff_client.post(
        "/admin/statements/consumption/add/", {"file": SimpleUploadedFile("c.csv", csv)}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-row="2"' in page and "Unknown product code" in page
    assert Consumption.objects.count() == 1
    assert staff_client.get("/admin/statements/consumption/").status_code == 200


def test_staff_send_reply_and_mark_paid(staff_client, alpha, alice, account, vserver):
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    changelist = "/admin/statements/statement/"
    staff_client.post(changelist, {"action": "send_selected", "_selected_action": [statement.pk]})
    statement.refresh_from_db()
    assert statement.status == Statement.Status.SENT
    assert staff_client.get(f"{changelist}{statement.pk}/change/").status_code == 200
    staff_client.post(f"{changelist}{statement.pk}/reply/", {"text": "Chúng tôi đã kiểm tra."})
    assert statement.messages.get().from_staff
    confirm_statement(statement, by=alice)
    staff_client.post(
        changelist,
        {
            "action": "mark_paid_selected",
            "_selected_action": [statement.pk],
            "apply": "1",
            "reference": "UNC-9",
        },
    )
    statement.refresh_from_db()
    assert (statement.status, statement.payment_reference) == (Statement.Status.PAID, "UNC-9")


def test_record_and_search_an_einvoice(staff_client, alpha, account, vserver):
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    fields = {
        "statement": statement.pk,
        "form": "1",
        "series": "C26TAA",
        "number": "00000042",
        "buyer_tax_code": alpha.tax_code,
        "issued_on": "2026-11-05",
    }
    bad = staff_client.post(
        "/admin/statements/einvoice/add/", {**fields, "buyer_tax_code": f"{alpha.tax_code}-1"}
    )
    assert bad.status_code == 200 and not EInvoice.objects.exists()
    staff_client.post(
        "/admin/statements/einvoice/add/",
        {**fields, "pdf": SimpleUploadedFile("hd.pdf", pdf_file(), "application/pdf")},
    )
    invoice = EInvoice.objects.get()
    assert invoice.pdf.name.startswith(f"einvoices/{alpha.pk}/")
    found = staff_client.get("/admin/statements/einvoice/", {"q": "42"}).content.decode()
    assert f"/admin/statements/einvoice/{invoice.pk}/change/" in found
    missing = staff_client.get("/admin/statements/einvoice/", {"q": "43"}).content.decode()
    assert f"/admin/statements/einvoice/{invoice.pk}/change/" not in missing


def test_an_einvoice_xml_in_an_unknown_encoding_is_a_field_error(
    staff_client, alpha, account, vserver
):
    # The XML declaration names an encoding Python does not know: was a 500.
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    xml = SimpleUploadedFile("hd.xml", b"<?xml version='1.0' encoding='nonsense'?><x/>")

    response = staff_client.post(
        "/admin/statements/einvoice/add/",
        {"statement": statement.pk, "form": "1", "series": "C26TAA", "number": "00000042",
         "buyer_tax_code": alpha.tax_code, "issued_on": "2026-11-05", "xml": xml},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors["xml"]
    assert not EInvoice.objects.exists()


@pytest.mark.parametrize(
    "field, typed", [("number", "١٢٣"), ("buyer_tax_code", "٠٣٠١٢٣٤٥٦٧"), ("series", "C٢٦TAA")]
)
def test_an_einvoice_takes_ascii_digits_only(staff_client, alpha, account, vserver, field, typed):
    # `\d` took other scripts' digits: "١٢٣" was saved beside "123", past the unique number.
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    fields = {"statement": statement.pk, "form": "1", "series": "C26TAA", "number": "00000042",
              "buyer_tax_code": alpha.tax_code, "issued_on": "2026-11-05"}  # fmt: skip

    response = staff_client.post("/admin/statements/einvoice/add/", {**fields, field: typed})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not EInvoice.objects.exists()


def test_staff_who_may_only_look_change_no_statement(client, alpha, account, vserver):
    """Sending, replying, adjusting and importing need Django's permissions for the model, as
    every other admin write: a staff member with "view" only is refused, nothing changes."""
    from django.contrib.auth.models import Permission

    from statements.models import Adjustment, StatementMessage
    from tests.factories import UserFactory

    looker = UserFactory(email="looker@vngcloud.test", is_staff=True)
    looker.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    client.force_login(looker)
    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    changelist = "/admin/statements/statement/"
    csv = b"account_id,day,product,amount\nacc-0001,2026-10-03,vserver,1000\n"
    consumed = Consumption.objects.count()

    listed = client.get(changelist)
    client.post(changelist, {"action": "send_selected", "_selected_action": [statement.pk]})
    reply = client.post(f"{changelist}{statement.pk}/reply/", {"text": "Không được phép"})
    adjust = client.post(
        "/admin/statements/adjustment/add/",
        {"partner": alpha.pk, "month": "2026-10-01", "amount": "-5000", "reason": "x"},
    )
    imported = client.post(
        "/admin/statements/consumption/add/", {"file": SimpleUploadedFile("c.csv", csv)}
    )

    assert listed.status_code == 200  # looking is allowed
    page = client.get(f"{changelist}{statement.pk}/change/").content.decode()
    assert "/reply/" not in page and "einvoice/add" not in page  # no button it cannot use
    assert (reply.status_code, adjust.status_code, imported.status_code) == (403, 403, 403)
    statement.refresh_from_db()
    assert statement.status == Statement.Status.DRAFT
    assert not StatementMessage.objects.exists() and not Adjustment.objects.exists()
    assert Consumption.objects.count() == consumed


@pytest.mark.parametrize("typed", ["-٥٠٠٠", "1_000", "1e5"])
def test_an_adjustment_typed_in_other_digits_is_refused_with_the_input_kept(
    staff_client, alpha, typed
):
    """Django's number fields read other scripts' digits, "1_000" and "1e5"; no page here does."""
    from django.utils import timezone

    from statements.models import Adjustment

    response = staff_client.post(
        "/admin/statements/adjustment/add/",
        {"partner": alpha.pk, "month": timezone.localdate().isoformat(), "amount": typed,
         "reason": "x"},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert f'value="{typed}"' in response.content.decode()
    assert not Adjustment.objects.exists()


def test_an_adjustment_sent_twice_is_added_once(staff_client, alpha):
    """A double click or a resend after a timeout: the form's one-time key answers the second
    with the first one's page and adds nothing (an adjustment has nothing unique of its own)."""
    import re

    from django.utils import timezone

    from statements.models import Adjustment

    page = staff_client.get("/admin/statements/adjustment/add/").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    typed = {
        "partner": alpha.pk,
        "month": timezone.localdate().isoformat(),
        "amount": "-5000",
        "reason": "Hoàn phí tháng trước",
        "submission_key": key,
    }

    first = staff_client.post("/admin/statements/adjustment/add/", typed)
    second = staff_client.post("/admin/statements/adjustment/add/", typed)
    other = staff_client.post("/admin/statements/adjustment/add/", {**typed, "amount": "-7000"})

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == "/admin/statements/adjustment/"
    assert other.status_code == 200 and "already sent and saved" in other.content.decode()
    assert 'value="-7000"' in other.content.decode()  # the input kept
    assert list(Adjustment.objects.values_list("amount", flat=True)) == [-5000]


def test_a_long_statement_shows_its_first_lines_and_newest_messages_with_links_to_all(
    staff_client, alpha, alice, account, vserver
):
    """A busy partner's month has thousands of lines: the statement's page shows the first
    20 (and the 20 newest messages), each table with a link to the list of all of them; a
    line more costs no query (each line read its statement and partner again: 2 minutes and
    38 MB for 14,579 lines at programme scale)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from statements.models import StatementLine, StatementMessage

    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    url = f"/admin/statements/statement/{statement.pk}/change/"
    staff_client.get(url)
    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    StatementLine.objects.bulk_create(
        StatementLine(statement=statement, kind="consumption", consumption=i, amount=i)
        for i in range(1, 31)
    )
    StatementMessage.objects.bulk_create(
        StatementMessage(statement=statement, author=alice, text=f"Câu hỏi {i}") for i in range(22)
    )
    with CaptureQueriesContext(connection) as many:
        page = staff_client.get(url).content.decode()

    lines = StatementLine.objects.filter(statement=statement).count()
    assert page.count('<tr class="form-row has_original">') == 20 + 20
    assert "The first 20 are shown." in page and "The newest 20 are shown." in page
    assert len(many) == len(few)
    every_line = f"/admin/statements/statementline/?statement__id__exact={statement.pk}"
    every_message = f"/admin/statements/statementmessage/?statement__id__exact={statement.pk}"
    assert f'href="{every_line}"' in page and f'href="{every_message}"' in page
    listed = staff_client.get(every_line)
    assert listed.status_code == 200 and listed.context["cl"].paginator.count == lines
    messages = staff_client.get(every_message)
    assert [m.text for m in messages.context["cl"].result_list][:2] == ["Câu hỏi 21", "Câu hỏi 20"]


def test_a_double_clicked_answer_is_posted_once_in_the_partners_thread(
    staff_client, staff, alpha, account, vserver
):
    import re

    from statements.services.workflow import send_statement

    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = send_statement(Statement.objects.get(partner=alpha), by=staff)
    reply = f"/admin/statements/statement/{statement.pk}/reply/"
    key = re.search(
        r'name="submission_key" value="([^"]+)"', staff_client.get(reply).content.decode()
    ).group(1)
    typed = {"text": "Chúng tôi đã kiểm tra.", "submission_key": key}

    first = staff_client.post(reply, typed)
    second = staff_client.post(reply, typed)  # the second click of a double click

    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert [m.text for m in statement.messages.all()] == ["Chúng tôi đã kiểm tra."]


def test_whoever_may_view_a_statement_may_list_all_its_lines(client, alpha, account, vserver):
    """The page shows 20 lines and links to all of them: a staff member allowed to view
    statements (and nothing about lines) reads them all there; one who may not, cannot."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = Statement.objects.get(partner=alpha)
    every_line = f"/admin/statements/statementline/?statement__id__exact={statement.pk}"
    reader = UserFactory(email="reader@vngcloud.test", is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(codename="view_statement"))
    other = UserFactory(email="other@vngcloud.test", is_staff=True)
    other.user_permissions.set(Permission.objects.filter(codename="view_deal"))

    client.force_login(reader)
    listed = client.get(every_line)
    client.force_login(other)
    refused = client.get(every_line)

    assert listed.status_code == 200
    assert listed.context["cl"].paginator.count == statement.lines.count() > 0
    assert refused.status_code == 403


def test_marking_paid_without_the_transfers_reference_is_an_error_and_changes_nothing(
    staff_client, staff, alpha, alice, account, vserver
):
    """A paid statement cannot be corrected later: it names the transfer that paid it."""
    from statements.services.workflow import send_statement

    send(month_of("acc-0001", "vserver", 1000))
    draft_statements(OCTOBER)
    statement = send_statement(Statement.objects.get(partner=alpha), by=staff)
    confirm_statement(statement, by=alice)

    page = staff_client.post(
        "/admin/statements/statement/",
        {
            "action": "mark_paid_selected",
            "_selected_action": [statement.pk],
            "apply": "1",
            "reference": " ",
        },
    )

    assert page.status_code == 200 and "This field is required." in page.content.decode()
    statement.refresh_from_db()
    assert (statement.status, statement.payment_reference) == (Statement.Status.CONFIRMED, "")
