"""Cloud accounts: request, the customer's confirmation page, approval, ownership moves."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from billing.models import AccountConfirmation, CloudAccount, CloudAccountLink
from billing.services.accounts import approve_cloud_account, confirm_cloud_account
from deals.services import change_stage, void_win
from notifications.models import Activity
from partners.services import transfer_ownership
from tests.billing.conftest import confirmation_token, link_account, request_account
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db

S = CloudAccount.Status


def test_request_page_links_an_existing_account_and_mails_the_customer_both_languages(
    alice_client, alpha_customer
):
    url = reverse("cloud_account_request", args=[alpha_customer.pk])
    assert alice_client.get(url).status_code == 200
    response = alice_client.post(
        url,
        {
            "kind": "existing",
            "account_id": "acc-42",
            "email": "IT@Customer.test",
            "submission_key": "k" * 20,
        },
    )
    account = CloudAccount.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cloud_account_detail", args=[account.pk])
    assert (account.account_id, account.email, account.status) == (
        "acc-42",
        "it@customer.test",
        S.AWAITING_CUSTOMER,
    )
    assert account.partner.name == "Alpha Cloud Solutions"


def test_a_new_accounts_name_over_200_characters_is_an_error_with_it_kept(
    alice_client, alpha_customer
):
    """It was cut at 200 without a word; now the form says so, keeps it whole, asks nothing."""
    name = "Hệ thống bán hàng " * 12  # 216 characters
    response = alice_client.post(
        reverse("cloud_account_request", args=[alpha_customer.pk]),
        {"kind": "new", "name": name, "email": "it@customer.test", "submission_key": "k" * 20},
    )
    html = response.content.decode()
    assert "at most 200 characters" in html and name.strip() in html
    assert not CloudAccount.objects.exists()


def test_request_sends_a_bilingual_single_link(
    alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    request_account(alpha, alpha_customer, alice, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert "Alpha Cloud Solutions" in body
    assert "asks to link the VNG Cloud account acc-0001" in body  # English
    assert "đề nghị liên kết tài khoản VNG Cloud acc-0001" in body  # Vietnamese too
    assert mail.outbox[0].to == ["it@customer.test"]


def test_request_refuses_a_customer_the_partner_does_not_own(
    beta, bob, alpha_customer, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError) as refused:
        request_account(beta, alpha_customer, bob, django_capture_on_commit_callbacks)
    assert refused.value.code == "not_owner"
    assert CloudAccount.objects.count() == 0


def test_an_account_id_is_linked_to_one_partner_at_a_time(
    alpha, alice, beta, bob, alpha_customer, django_capture_on_commit_callbacks
):
    from tests.factories import CustomerFactory

    beta_customer = CustomerFactory()
    transfer_ownership(customer=beta_customer, partner=beta)
    request_account(alpha, alpha_customer, alice, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as refused:
        request_account(beta, beta_customer, bob, django_capture_on_commit_callbacks)
    assert refused.value.message_dict == {
        "account_id": ["This account is already linked, or being linked, to a partner."]
    }
    assert CloudAccount.objects.count() == 1


def test_confirmation_page_shows_then_confirms_once_and_refuses_reuse(
    client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    url = reverse("cloud_account_confirm", args=[token])
    page = client.get(url + "?lang=en")
    assert page.status_code == 200
    assert b"Alpha Cloud Solutions" in page.content and b"acc-0001" in page.content
    account.refresh_from_db()
    assert account.status == S.AWAITING_CUSTOMER  # a GET (a mail scanner) confirms nothing

    done = client.post(url + "?lang=en")
    assert done.status_code == 200
    assert b"Your confirmation is recorded" in done.content
    account.refresh_from_db()
    assert account.status == S.AWAITING_APPROVAL
    assert account.confirmed_at is not None

    again = client.post(url + "?lang=en")
    assert again.status_code == 410
    assert b"This link has already been used." in again.content
    assert AccountConfirmation.objects.get().used_at is not None
    assert Activity.objects.filter(action="cloud_account.confirmed").count() == 1


def test_confirmation_page_speaks_vietnamese(
    client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    _account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    page = client.get(reverse("cloud_account_confirm", args=[token]) + "?lang=vi")
    assert page.status_code == 200
    assert page["Content-Language"] == "vi"
    assert page.content.decode().count("Xác nhận") >= 1


def test_confirmation_page_refuses_an_expired_link(
    client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    AccountConfirmation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("cloud_account_confirm", args=[token]) + "?lang=en")
    assert response.status_code == 410
    assert b"This link has expired" in response.content
    account.refresh_from_db()
    assert account.status == S.AWAITING_CUSTOMER


def test_confirmation_page_refuses_an_unknown_token(client):
    response = client.post(reverse("cloud_account_confirm", args=["x" * 43]) + "?lang=en")
    assert response.status_code == 404
    assert b"This link is not valid." in response.content


def test_resending_makes_the_old_link_stop(
    alice_client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, old = request_account(alpha, alpha_customer, alice, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("cloud_account_resend", args=[account.pk]))
    new = confirmation_token()
    assert new != old
    with pytest.raises(ValidationError):
        confirm_cloud_account(token=old)
    assert confirm_cloud_account(token=new).status == S.AWAITING_APPROVAL


def test_staff_approve_a_new_account_with_its_id(
    alpha, alice, staff, alpha_customer, django_capture_on_commit_callbacks
):
    account, token = request_account(
        alpha,
        alpha_customer,
        alice,
        django_capture_on_commit_callbacks,
        kind="new",
        account_id="",
        name="Mat Troi Prod",
    )
    confirm_cloud_account(token=token)
    with pytest.raises(ValidationError):
        approve_cloud_account(account, by=staff)  # a new account needs the id VNG Cloud gave it
    approve_cloud_account(account, by=staff, account_id="vng-777")
    account.refresh_from_db()
    assert (account.status, account.account_id) == (S.ACTIVE, "vng-777")
    assert list(CloudAccountLink.objects.values_list("partner__name", "ended_at")) == [
        ("Alpha Cloud Solutions", None)
    ]


def test_a_partner_cannot_approve(alpha, alice, alpha_customer, django_capture_on_commit_callbacks):
    account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    confirm_cloud_account(token=token)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        approve_cloud_account(account, by=alice)


def _won_by(partner, user, customer, vserver):
    deal = DealFactory(
        partner=partner,
        created_by=user,
        customer=customer,
        approved=True,
        stage="negotiation",
        rates={vserver: "5"},
    )
    change_stage(deal, "won", by=user)
    return deal


def test_a_win_by_another_partner_moves_the_link_with_history(
    alpha_account, beta, bob, staff, vserver
):
    deal = _won_by(beta, bob, alpha_account.customer, vserver)
    alpha_account.refresh_from_db()
    assert alpha_account.partner == beta
    links = list(
        CloudAccountLink.objects.order_by("started_at", "pk").values_list(
            "partner__name", "start_reason", "end_reason", "ended_at"
        )
    )
    assert [row[:3] for row in links] == [
        ("Alpha Cloud Solutions", "approved", "ownership_moved"),
        ("Beta Integration JSC", "ownership_moved", ""),
    ]
    assert links[0][3] is not None and links[1][3] is None

    # The win voided: the customer and the account go back to Alpha.
    void_win(deal, by=staff, reason="Registered by mistake")
    alpha_account.refresh_from_db()
    assert alpha_account.partner.name == "Alpha Cloud Solutions"
    assert CloudAccountLink.objects.count() == 3
    assert (
        CloudAccountLink.objects.filter(ended_at__isnull=True).get().partner.name
        == "Alpha Cloud Solutions"
    )


def test_a_move_cancels_the_old_owners_requests_in_progress(
    alpha, alice, alpha_customer, beta, bob, vserver, django_capture_on_commit_callbacks
):
    account, _token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    _won_by(beta, bob, alpha_customer, vserver)
    account.refresh_from_db()
    assert (account.status, account.partner.name) == (S.CANCELLED, "Alpha Cloud Solutions")


def test_pages_of_another_partners_account_answer_404(client, bob, alpha_account):
    client.force_login(bob)
    for name in ("cloud_account_detail", "cloud_account_top_up", "cloud_account_resend"):
        method = client.get if name == "cloud_account_detail" else client.post
        assert method(reverse(name, args=[alpha_account.pk])).status_code == 404
    assert (
        client.get(reverse("cloud_account_request", args=[alpha_account.customer_id])).status_code
        == 404
    )
    listing = client.get(reverse("cloud_account_list"))
    assert listing.status_code == 200 and b"acc-0001" not in listing.content


def test_list_and_customer_page_show_status_and_credit(alice_client, alpha_account):
    listing = alice_client.get(reverse("cloud_account_list"))
    assert b"acc-0001" in listing.content and b'data-account-status="active"' in listing.content
    customer = alice_client.get(reverse("customer_detail", args=[alpha_account.customer_id]))
    assert f'data-cloud-account="{alpha_account.pk}"'.encode() in customer.content


def test_top_up_and_resend_are_post_only(alice_client, alpha_account):
    assert (
        alice_client.get(reverse("cloud_account_top_up", args=[alpha_account.pk])).status_code
        == 405
    )
    assert (
        alice_client.get(reverse("cloud_account_resend", args=[alpha_account.pk])).status_code
        == 405
    )


def test_a_second_partner_links_the_account_after_the_first_was_rejected(
    alpha, alice, staff, alpha_customer, beta, bob, django_capture_on_commit_callbacks
):
    from billing.services.accounts import reject_cloud_account
    from tests.factories import CustomerFactory

    account, _token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    reject_cloud_account(account, by=staff, reason="Not the customer's account")
    other = CustomerFactory()
    transfer_ownership(customer=other, partner=beta)
    link_account(beta, other, bob, staff, django_capture_on_commit_callbacks)
    assert CloudAccount.objects.filter(account_id="acc-0001", status=S.ACTIVE).get().partner == beta


def test_seed_demo_adds_the_money_loop_once():
    from django.core.management import call_command

    from billing.models import CreditEntry, TopUp

    call_command("seed_demo")
    first = (CloudAccount.objects.count(), TopUp.objects.count(), CreditEntry.objects.count())
    call_command("seed_demo")
    assert (
        CloudAccount.objects.count(),
        TopUp.objects.count(),
        CreditEntry.objects.count(),
    ) == first
    assert first == (4, 5, 8)
    assert set(CloudAccount.objects.values_list("status", flat=True)) == {
        "active",
        "awaiting_approval",
        "awaiting_customer",
    }
    assert set(TopUp.objects.values_list("status", flat=True)) == {"applied", "pending", "failed"}
