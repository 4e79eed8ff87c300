"""Top-up pages with their e-invoices, cloud account events through the outbox (the customer's
e-mail a delivery like any other), a partner cancelling its own request, and the API asking
for a link."""

from datetime import date

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse

from billing.models import AccountConfirmation, CloudAccount
from billing.services.accounts import cancel_cloud_account, reject_cloud_account
from billing.services.credit import top_up
from notifications.models import Activity, Delivery, Event
from notifications.webhooks.events import payload
from notifications.webhooks.models import WebhookDelivery, WebhookEndpoint
from partners.services import transfer_ownership
from statements.models import EInvoice
from tests.api.conftest import ApiClient, make_token
from tests.billing.conftest import link_account, request_account
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
S = CloudAccount.Status


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.API_RATE_LIMIT = "10000/minute"


@pytest.fixture
def alpha_top_up(alpha, alice, alpha_account, alpha_credit):
    return top_up(alpha_account, partner=alpha, amount=2_000_000, by=alice, note="May")


@pytest.fixture
def top_up_invoice(alpha, alpha_top_up, staff):
    invoice = EInvoice(
        top_up=alpha_top_up,
        partner=alpha,
        form="1",
        series="C26TAA",
        number="123",
        buyer_tax_code="0312345678",
        issued_on=date(2026, 11, 30),
        recorded_by=staff,
    )
    invoice.pdf.save("inv.pdf", ContentFile(b"%PDF-1.4 top-up invoice"), save=False)
    invoice.xml.save("inv.xml", ContentFile(b"<HDon>top-up</HDon>"), save=False)
    invoice.save()
    return invoice


def _bob_client(client, bob):
    client.force_login(bob)
    return client


# --- top-up pages ---------------------------------------------------------------------------


def test_top_up_list_and_page_show_the_top_up_and_download_its_einvoice(
    alice_client, alpha_top_up, top_up_invoice
):
    listing = alice_client.get(reverse("top_up_list"))
    assert listing.status_code == 200
    assert f'data-top-up="{alpha_top_up.pk}"' in listing.content.decode()
    page = alice_client.get(reverse("top_up_detail", args=[alpha_top_up.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-amount="2000000"' in html
    assert "E-invoice 1C26TAA no. 123" in html
    pdf_url = reverse("statement_einvoice", args=[top_up_invoice.pk, "pdf"])
    xml_url = reverse("statement_einvoice", args=[top_up_invoice.pk, "xml"])
    assert pdf_url in html and xml_url in html
    pdf = alice_client.get(pdf_url)
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content) == b"%PDF-1.4 top-up invoice"
    assert "attachment" in pdf["Content-Disposition"]


def test_top_up_page_without_einvoice_says_so(alice_client, alpha_top_up):
    page = alice_client.get(reverse("top_up_detail", args=[alpha_top_up.pk]))
    assert "No e-invoice recorded yet." in page.content.decode()


def test_another_partners_top_up_and_its_einvoice_answer_404(
    client, bob, alpha_top_up, top_up_invoice
):
    beta_client = _bob_client(client, bob)
    assert beta_client.get(reverse("top_up_detail", args=[alpha_top_up.pk])).status_code == 404
    url = reverse("statement_einvoice", args=[top_up_invoice.pk, "pdf"])
    assert beta_client.get(url).status_code == 404
    listing = beta_client.get(reverse("top_up_list")).content.decode()
    assert f'data-top-up="{alpha_top_up.pk}"' not in listing


def test_admin_top_up_page_shows_and_downloads_its_einvoice(
    client, staff, alpha_top_up, top_up_invoice
):
    client.force_login(staff)
    page = client.get(reverse("admin:billing_topup_change", args=[alpha_top_up.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    file_url = reverse("admin:statements_einvoice_file", args=[top_up_invoice.pk, "xml"])
    assert file_url in html
    assert f"{reverse('admin:statements_einvoice_add')}?top_up={alpha_top_up.pk}" in html
    xml = client.get(file_url)
    assert b"".join(xml.streaming_content) == b"<HDon>top-up</HDon>"


def test_admin_einvoice_file_is_for_staff_only(alice_client, top_up_invoice):
    url = reverse("admin:statements_einvoice_file", args=[top_up_invoice.pk, "pdf"])
    assert alice_client.get(url).status_code == 302  # to the admin's login


# --- events through the outbox --------------------------------------------------------------


def test_request_writes_events_and_the_customers_mail_is_an_outbox_delivery(
    alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    assert list(Event.objects.order_by("pk").values_list("kind", "partner_id")) == [
        ("cloud_account_requested", alpha.pk),
        ("cloud_account_confirmation", None),
    ]
    delivery = Delivery.objects.get(event__kind="cloud_account_confirmation")
    assert (delivery.channel, delivery.email, delivery.user, delivery.status) == (
        "email",
        "it@customer.test",
        None,
        "sent",
    )
    assert [m.to for m in mail.outbox] == [["it@customer.test"]]
    # Only the hash is stored; the e-mailed token opens the request.
    confirmation = AccountConfirmation.objects.get()
    assert token not in confirmation.token_hash
    assert confirmation.cloud_account == account


def test_confirm_approve_reject_cancel_each_write_their_event(
    alpha, alice, staff, alpha_customer, django_capture_on_commit_callbacks
):
    link_account(alpha, alpha_customer, alice, staff, django_capture_on_commit_callbacks)
    other = CustomerFactory()
    transfer_ownership(customer=other, partner=alpha)
    rejected, _t = request_account(
        alpha, other, alice, django_capture_on_commit_callbacks, account_id="acc-0002"
    )
    reject_cloud_account(rejected, by=staff, reason="Not the customer's account")
    third = CustomerFactory()
    transfer_ownership(customer=third, partner=alpha)
    cancelled, _t = request_account(
        alpha, third, alice, django_capture_on_commit_callbacks, account_id="acc-0003"
    )
    cancel_cloud_account(cancelled, by=alice)
    kinds = list(
        Event.objects.exclude(kind="cloud_account_confirmation")
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        "cloud_account_requested",
        "cloud_account_confirmed",
        "cloud_account_approved",
        "cloud_account_requested",
        "cloud_account_rejected",
        "cloud_account_requested",
        "cloud_account_cancelled",
    ]
    rejected_event = Event.objects.get(kind="cloud_account_rejected")
    assert payload(rejected_event)["type"] == "cloud_account.rejected"
    assert rejected_event.params["reason"] == "Not the customer's account"
    assert Event.objects.get(kind="cloud_account_cancelled").params["by"] == "partner"


def test_a_confirmed_request_reaches_staff_and_the_partner_by_email(
    alpha, alice, staff, alpha_customer, django_capture_on_commit_callbacks, settings
):
    settings.STAFF_NOTIFICATION_EMAILS = ["review@vng.test"]
    _account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    mail.outbox.clear()
    from billing.services.accounts import confirm_cloud_account

    with django_capture_on_commit_callbacks(execute=True):
        confirm_cloud_account(token=token)
    assert sorted(address for m in mail.outbox for address in m.to) == sorted(
        [alice.email, "review@vng.test"]
    )


def test_a_subscribed_endpoint_gets_the_cloud_account_webhooks(
    alpha, alice, staff, alpha_customer, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(
        partner=alpha,
        url="https://crm.example/hooks",
        secret="s",
        event_types=["cloud_account.approved"],
        created_by=alice,
    )
    account = link_account(alpha, alpha_customer, alice, staff, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event.kind == "cloud_account_approved"
    assert payload(delivery.event)["data"] == {
        "cloud_account": account.pk,
        "account": "acc-0001",
        "name": "",
        "customer": "Công ty Mặt Trời",
        "status": "active",
    }


def test_ownership_moving_writes_moved_for_both_and_cancels_pending_requests(
    alpha, alice, beta, staff, alpha_customer, django_capture_on_commit_callbacks
):
    linked = link_account(alpha, alpha_customer, alice, staff, django_capture_on_commit_callbacks)
    pending, _t = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks, account_id="acc-0009"
    )
    transfer_ownership(customer=alpha_customer, partner=beta)
    moved = Event.objects.filter(kind="cloud_account_moved").order_by("partner_id")
    assert [(e.partner_id, e.params["to_you"], e.params["cloud_account"]) for e in moved] == [
        (alpha.pk, False, linked.pk),
        (beta.pk, True, linked.pk),
    ]
    cancelled = Event.objects.get(kind="cloud_account_cancelled")
    assert (cancelled.partner_id, cancelled.params["by"]) == (alpha.pk, "ownership")
    pending.refresh_from_db()
    assert pending.status == S.CANCELLED
    # A win's move names nobody in the log (the winner's person is another partner's).
    logged = Activity.objects.filter(action__in=MOVES)
    assert set(logged.values_list("actor", flat=True)) == {None}


MOVES = ("cloud_account.moved", "cloud_account.cancelled")


def test_a_staff_transfer_names_the_staff_member_in_what_follows(
    alpha, alice, beta, staff, alpha_customer, django_capture_on_commit_callbacks
):
    from discounts.services import transfer_customer

    link_account(alpha, alpha_customer, alice, staff, django_capture_on_commit_callbacks)
    request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks, account_id="acc-0009"
    )

    transfer_customer(customer=alpha_customer, partner=beta, by=staff, reason="Merger")

    logged = Activity.objects.filter(action__in=MOVES).values_list("action", "partner", "actor")
    assert sorted(logged) == sorted(
        [
            ("cloud_account.moved", alpha.pk, staff.pk),
            ("cloud_account.moved", beta.pk, staff.pk),
            ("cloud_account.cancelled", alpha.pk, staff.pk),
        ]
    )


# --- the partner cancels its own request ----------------------------------------------------


def test_partner_cancels_its_pending_request_and_the_link_stops_working(
    alice_client, client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    detail = alice_client.get(reverse("cloud_account_detail", args=[account.pk]))
    assert 'data-form="cancel-request"' in detail.content.decode()
    response = alice_client.post(reverse("cloud_account_cancel", args=[account.pk]))
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.status, account.decided_at is not None) == (S.CANCELLED, True)
    assert AccountConfirmation.objects.get().expires_at <= account.decided_at
    page = client.post(reverse("cloud_account_confirm", args=[token]) + "?lang=en")
    assert page.status_code == 410
    account.refresh_from_db()
    assert account.status == S.CANCELLED
    # The account id is free again: the same account can be asked for anew.
    again, _t = request_account(alpha, alpha_customer, alice, django_capture_on_commit_callbacks)
    assert again.status == S.AWAITING_CUSTOMER


def test_cancel_refuses_a_linked_account(alice_client, alpha_account):
    response = alice_client.post(reverse("cloud_account_cancel", args=[alpha_account.pk]))
    assert response.status_code == 302
    alpha_account.refresh_from_db()
    assert alpha_account.status == S.ACTIVE
    assert not Event.objects.filter(kind="cloud_account_cancelled").exists()


def test_cancel_is_post_only_and_another_partner_gets_404(
    alice_client, client, bob, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, _t = request_account(alpha, alpha_customer, alice, django_capture_on_commit_callbacks)
    url = reverse("cloud_account_cancel", args=[account.pk])
    assert alice_client.get(url).status_code == 405
    assert _bob_client(client, bob).post(url).status_code == 404
    account.refresh_from_db()
    assert account.status == S.AWAITING_CUSTOMER


# --- the API asks for a link ----------------------------------------------------------------


def test_api_requests_a_link_once_per_idempotency_key(alpha, alice, alpha_customer):
    api = ApiClient(make_token(alpha, alice)[1])
    body = {
        "customer": alpha_customer.pk,
        "kind": "existing",
        "account_id": "acc-7777",
        "email": "IT@Customer.test",
        "language": "en",
    }
    headers = {"Idempotency-Key": "link-7777"}
    first = api.post("/api/v1/cloud-accounts/", body, headers=headers)
    second = api.post("/api/v1/cloud-accounts/", body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    account = CloudAccount.objects.get()
    assert first["Location"].endswith(f"/api/v1/cloud-accounts/{account.pk}/")
    assert (account.account_id, account.email, account.status, account.requested_by) == (
        "acc-7777",
        "it@customer.test",
        S.AWAITING_CUSTOMER,
        alice,
    )
    assert AccountConfirmation.objects.get().language == "en"
    assert Event.objects.filter(kind="cloud_account_requested").count() == 1


def test_api_answers_404_for_another_partners_customer(beta, bob, alpha_customer):
    api = ApiClient(make_token(beta, bob)[1])
    response = api.post(
        "/api/v1/cloud-accounts/",
        {"customer": alpha_customer.pk, "kind": "new", "name": "X", "email": "a@b.test"},
    )
    assert response.status_code == 404
    assert "Alpha" not in response.content.decode()
    assert CloudAccount.objects.count() == 0


def test_api_read_only_token_cannot_request(alpha, alice, alpha_customer):
    api = ApiClient(make_token(alpha, alice, access="read")[1])
    response = api.post(
        "/api/v1/cloud-accounts/",
        {"customer": alpha_customer.pk, "kind": "new", "name": "X", "email": "a@b.test"},
    )
    assert response.status_code == 403
    assert CloudAccount.objects.count() == 0


# --- e-invoices of top-ups ------------------------------------------------------------------


def test_an_einvoice_is_recorded_only_for_an_applied_top_up_on_a_day_that_has_come(
    alpha, alpha_top_up, staff
):
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from billing.services.credit import apply_top_up
    from statements.services.einvoices import record_einvoice

    fields = {"form": "1", "series": "C26TAA", "number": "124", "buyer_tax_code": alpha.tax_code}
    today = timezone.localdate()

    with pytest.raises(ValidationError) as waiting:  # still waiting for billing
        record_einvoice(top_up=alpha_top_up, by=staff, issued_on=today, **fields)
    apply_top_up(alpha_top_up, by=staff)
    alpha_top_up.refresh_from_db()
    with pytest.raises(ValidationError) as future:
        record_einvoice(
            top_up=alpha_top_up, by=staff, issued_on=today + timedelta(days=1), **fields
        )
    recorded = record_einvoice(top_up=alpha_top_up, by=staff, issued_on=today, **fields)

    assert "top_up" in waiting.value.message_dict
    assert "issued_on" in future.value.message_dict
    assert list(EInvoice.objects.values_list("pk", flat=True)) == [recorded.pk]
    assert recorded.number == "00000124"  # as printed on the invoice, with its zeros


@pytest.mark.parametrize("stored", ["124", "00000124"])  # before the zeros were kept; now
@pytest.mark.parametrize("typed", ["124", "0000124", "00000124"])
def test_an_einvoice_number_is_one_invoice_with_or_without_its_leading_zeros(
    alpha, alpha_top_up, staff, typed, stored
):
    """The same form, series and number typed with other leading zeros is the invoice
    already recorded: refused on the number, nothing saved (a walk recorded 123 and
    00000123 as two invoices)."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from billing.services.credit import apply_top_up
    from statements.services.einvoices import record_einvoice

    apply_top_up(alpha_top_up, by=staff)
    alpha_top_up.refresh_from_db()
    today = timezone.localdate()
    fields = {"form": "1", "series": "C26TAA", "buyer_tax_code": alpha.tax_code}
    first = record_einvoice(top_up=alpha_top_up, by=staff, issued_on=today, number="124", **fields)
    EInvoice.objects.filter(pk=first.pk).update(number=stored)

    with pytest.raises(ValidationError) as again:
        record_einvoice(top_up=alpha_top_up, by=staff, issued_on=today, number=typed, **fields)

    assert again.value.message_dict["number"] == [
        "This form, series and number is already recorded."
    ]
    assert again.value.error_dict["number"][0].code == "duplicate"
    assert list(EInvoice.objects.values_list("number", flat=True)) == [stored]
