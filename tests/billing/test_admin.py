"""Staff's billing pages in admin: each write goes through its service."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from billing.models import CloudAccount, CreditEntry, PartnerCredit, ServiceToken, TopUp
from billing.services.accounts import confirm_cloud_account
from billing.services.credit import top_up
from tests.billing.conftest import request_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_record_a_payment_in_admin(staff_client, alpha, staff):
    url = reverse("admin:billing_creditentry_add")
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(
        url,
        {"partner": alpha.pk, "amount": "7000000", "reference": "UNC-55", "reason": "Invoice 12"},
    )
    assert response.status_code == 302
    entry = CreditEntry.objects.get()
    assert (entry.kind, entry.amount, entry.reference, entry.created_by) == (
        "payment",
        Decimal(7_000_000),
        "UNC-55",
        staff,
    )
    again = staff_client.post(
        url, {"partner": alpha.pk, "amount": "7000000", "reference": "UNC-55"}
    )
    assert again.status_code == 200
    assert b"already recorded" in again.content and b'value="7000000"' in again.content
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(7_000_000)


def test_staff_approve_a_confirmed_request(
    staff_client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    confirm_cloud_account(token=token)
    url = reverse("admin:billing_cloudaccount_decide", args=[account.pk])
    assert staff_client.get(url).status_code == 200
    response = staff_client.post(url, {"decision": "approve", "account_id": "acc-0001"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == CloudAccount.Status.ACTIVE


def test_staff_reject_needs_a_reason(
    staff_client, alpha, alice, alpha_customer, django_capture_on_commit_callbacks
):
    account, _token = request_account(
        alpha, alpha_customer, alice, django_capture_on_commit_callbacks
    )
    url = reverse("admin:billing_cloudaccount_decide", args=[account.pk])
    refused = staff_client.post(url, {"decision": "reject", "reason": ""})
    assert refused.status_code == 200 and b"Say why" in refused.content
    staff_client.post(url, {"decision": "reject", "reason": "Wrong account"})
    account.refresh_from_db()
    assert (account.status, account.decision_note) == ("rejected", "Wrong account")


def test_staff_fail_a_top_up_with_a_reason(staff_client, alpha, alice, alpha_account, alpha_credit):
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)
    url = reverse("admin:billing_topup_changelist")
    ask = staff_client.post(url, {"action": "fail_selected", ACTION_CHECKBOX_NAME: [made.pk]})
    assert ask.status_code == 200 and b"Reason" in ask.content
    staff_client.post(
        url,
        {
            "action": "fail_selected",
            ACTION_CHECKBOX_NAME: [made.pk],
            "apply": "1",
            "reason": "Closed",
        },
    )
    made.refresh_from_db()
    assert (made.status, made.failure_reason) == ("failed", "Closed")
    assert PartnerCredit.objects.get(partner=alpha).balance == Decimal(10_000_000)


def test_staff_apply_top_ups(staff_client, alpha, alice, alpha_account, alpha_credit):
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)
    staff_client.post(
        reverse("admin:billing_topup_changelist"),
        {"action": "apply_selected", ACTION_CHECKBOX_NAME: [made.pk]},
    )
    assert TopUp.objects.get().status == "applied"


def test_staff_make_a_service_token_and_see_its_secret_once(staff_client):
    response = staff_client.post(
        reverse("admin:billing_servicetoken_add"), {"name": "Billing prod"}
    )
    assert response.status_code == 200
    token = ServiceToken.objects.get()
    assert b"vbill_" in response.content and "no-store" in response["Cache-Control"]
    assert token.key_hash not in response.content.decode()


def test_billing_change_lists_open(staff_client, alpha_account, alpha_credit):
    for name in ("cloudaccount", "topup", "creditentry", "partnercredit", "servicetoken"):
        assert staff_client.get(reverse(f"admin:billing_{name}_changelist")).status_code == 200
    assert (
        staff_client.get(
            reverse("admin:billing_cloudaccount_change", args=[alpha_account.pk])
        ).status_code
        == 200
    )


def staff_with(*codenames):
    """A staff member (not a superuser) with only these Django permissions."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(email=f"staff-{len(codenames)}@vngcloud.test", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.mark.parametrize(
    "perms", [(), ("view_topup", "view_cloudaccount", "view_creditentry")], ids=["none", "view"]
)
def test_staff_without_the_permission_move_no_money(
    client, alpha, alice, alpha_account, alpha_credit, perms, django_capture_on_commit_callbacks
):
    """Recording a payment needs "add", applying or failing a top-up and deciding a cloud
    account "change" on its model, as every other admin write: a staff member who may only
    look (or nothing at all) is refused and nothing moves."""
    client.force_login(staff_with(*perms))
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)
    balance = PartnerCredit.objects.get(partner=alpha).balance

    payment = client.post(
        reverse("admin:billing_creditentry_add"),
        {"partner": alpha.pk, "amount": "888000", "reference": "NOPERM"},
    )
    actions = [
        client.post(
            reverse("admin:billing_topup_changelist"),
            {"action": action, ACTION_CHECKBOX_NAME: [made.pk], "reason": "x"},
        )
        for action in ("apply_selected", "fail_selected")
    ]
    decide = client.post(
        reverse("admin:billing_cloudaccount_decide", args=[alpha_account.pk]),
        {"decision": "reject", "reason": "no"},
    )

    assert payment.status_code == 403
    assert decide.status_code == 403
    # The actions are not offered: Django answers the list again (or 403 with no "view").
    assert [r.status_code for r in actions] == ([200, 200] if perms else [403, 403])
    assert TopUp.objects.get(pk=made.pk).status == "pending"
    assert PartnerCredit.objects.get(partner=alpha).balance == balance
    assert not CreditEntry.objects.filter(reference="NOPERM").exists()
    assert CloudAccount.objects.get(pk=alpha_account.pk).status == alpha_account.status
    if perms:
        page = client.get(
            reverse("admin:billing_cloudaccount_change", args=[alpha_account.pk])
        ).content.decode()
        assert "/decide/" not in page  # no button it cannot use


def test_staff_with_the_permissions_move_money(client, alpha, alice, alpha_account, alpha_credit):
    client.force_login(staff_with("add_creditentry", "change_topup", "view_topup"))
    made = top_up(alpha_account, partner=alpha, amount="1000000", by=alice)

    payment = client.post(
        reverse("admin:billing_creditentry_add"),
        {"partner": alpha.pk, "amount": "888000", "reference": "PERM"},
    )
    client.post(
        reverse("admin:billing_topup_changelist"),
        {"action": "apply_selected", ACTION_CHECKBOX_NAME: [made.pk]},
    )

    assert payment.status_code == 302
    assert CreditEntry.objects.filter(reference="PERM", kind="payment").exists()
    assert TopUp.objects.get(pk=made.pk).status == "applied"


def test_read_only_amounts_are_grouped_and_never_offered_for_editing(
    staff_client, alpha, alpha_credit
):
    """An entry's page showed "Số tiền (VND): 20000000"; the list and the portal group it."""
    from tests.admin_forms import form_values

    entry = CreditEntry.objects.get(partner=alpha)
    url = reverse("admin:billing_creditentry_change", args=[entry.pk])

    for language, shown in (("vi", "10.000.000"), ("en", "10,000,000")):
        staff_client.cookies["django_language"] = language
        html = staff_client.get(url).content.decode()
        assert f'<div class="readonly">{shown}</div>' in html
        assert "10000000" not in html
    assert "amount" not in form_values(staff_client.get(url).content.decode())
    assert str(entry).endswith(" 10,000,000")  # its name in the activity log and lists


def test_a_closed_deals_value_is_grouped_on_its_page(staff_client, alpha_deal, alice):
    from deals.services import change_stage

    change_stage(alpha_deal, "won", by=alice)
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])

    staff_client.cookies["django_language"] = "vi"
    html = staff_client.get(url).content.decode()

    assert '<div class="readonly">100.000.000</div>' in html
    assert 'name="estimated_value"' not in html
