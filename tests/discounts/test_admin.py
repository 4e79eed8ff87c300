"""Staff side: discounts and customer discounts in admin, revoking through the service."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from django.utils import timezone

from discounts.models import CustomerDiscount, Discount, DiscountStatus
from discounts.services import create_customer_discount

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:discounts_discount_changelist"
CD_CHANGELIST = "admin:discounts_customerdiscount_changelist"


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def customer_discount(discount, customer, alice, vserver):
    return create_customer_discount(
        discount,
        by=alice,
        customer=customer,
        rates={vserver: Decimal("5")},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )


def revoke_post(discount_pks, **extra):
    return {
        "action": "revoke_selected",
        helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in discount_pks],
        **extra,
    }


def test_discount_admin_lists_with_filters(staff_client, discount, beta_discount):
    response = staff_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == {discount, beta_discount}
    filter_titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert filter_titles == ["status", "partner", "customer", "valid until", "sandbox"]


def test_discount_admin_filters_by_partner(staff_client, discount, beta_discount):
    response = staff_client.get(reverse(CHANGELIST), {"partner__id__exact": discount.partner_id})

    assert list(response.context["cl"].result_list) == [discount]


def test_discount_admin_filters_expired_by_date(staff_client, discount, beta_discount):
    today = timezone.localdate()
    Discount.objects.filter(pk=beta_discount.pk).update(
        valid_from=today - timedelta(days=90), valid_until=today - timedelta(days=1)
    )

    expired = staff_client.get(reverse(CHANGELIST), {"current_status": "expired"})
    active = staff_client.get(reverse(CHANGELIST), {"current_status": "active"})

    assert list(expired.context["cl"].result_list) == [beta_discount]
    assert list(active.context["cl"].result_list) == [discount]


def test_discount_admin_revoke_asks_for_a_reason_first(staff_client, discount, customer_discount):
    response = staff_client.post(reverse(CHANGELIST), revoke_post([discount.pk]))

    assert response.status_code == 200
    assert response.template_name == "admin/discounts/revoke_confirmation.html"
    assert (response.context["ending"], response.context["left"]) == ([discount], [])
    assert Discount.objects.get().status == DiscountStatus.ACTIVE


def test_discount_admin_revoke_without_reason_is_refused(staff_client, discount):
    response = staff_client.post(
        reverse(CHANGELIST), revoke_post([discount.pk], apply="1", reason=" ")
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["This field is required."]}
    assert Discount.objects.get().status == DiscountStatus.ACTIVE


def test_discount_admin_revoke_ends_customer_discounts(
    staff_client, staff, discount, beta_discount, customer_discount
):
    response = staff_client.post(
        reverse(CHANGELIST),
        revoke_post([discount.pk], apply="1", reason="Deal won by mistake"),
        follow=True,
    )

    assert response.redirect_chain == [(reverse(CHANGELIST), 302)]
    discount.refresh_from_db()
    customer_discount.refresh_from_db()
    assert (discount.status, discount.revoked_by, discount.revoke_reason) == (
        DiscountStatus.REVOKED,
        staff,
        "Deal won by mistake",
    )
    assert (customer_discount.status, customer_discount.revoked_by) == (
        DiscountStatus.REVOKED,
        staff,
    )
    assert Discount.objects.get(pk=beta_discount.pk).status == DiscountStatus.ACTIVE
    assert "1 discount(s) revoked" in response.content.decode()


def test_discount_admin_revoke_twice_warns(staff_client, discount):
    data = revoke_post([discount.pk], apply="1", reason="Once")
    staff_client.post(reverse(CHANGELIST), data)

    response = staff_client.post(reverse(CHANGELIST), {**data, "reason": "Twice"}, follow=True)

    assert "already revoked" in response.content.decode()
    assert Discount.objects.get().revoke_reason == "Once"


def test_discount_admin_change_page_is_read_only(staff_client, discount, customer_discount):
    url = reverse("admin:discounts_discount_change", args=[discount.pk])

    response = staff_client.get(url)

    assert response.status_code == 200
    assert staff_client.get(reverse("admin:discounts_discount_add")).status_code == 403


def test_customer_discount_admin_filters_by_partner_and_status(
    staff_client, customer_discount, beta_discount
):
    response = staff_client.get(
        reverse(CD_CHANGELIST),
        {"discount__partner__id__exact": customer_discount.discount.partner_id},
    )
    revoked = staff_client.get(reverse(CD_CHANGELIST), {"current_status": "revoked"})

    assert list(response.context["cl"].result_list) == [customer_discount]
    assert list(revoked.context["cl"].result_list) == []


def test_customer_discount_admin_revoke_asks_why_then_revokes(
    staff_client, staff, customer_discount
):
    from notifications.models import Activity

    ticked = {
        "action": "revoke_selected",
        helpers.ACTION_CHECKBOX_NAME: [str(customer_discount.pk)],
    }
    # One click revoked it at once, with no reason for the partner to read.
    asked = staff_client.post(reverse(CD_CHANGELIST), ticked)
    assert asked.status_code == 200 and asked.context["ending"] == [customer_discount]
    blank = staff_client.post(reverse(CD_CHANGELIST), {**ticked, "apply": "1", "reason": " "})
    assert blank.context["form"].errors == {"reason": ["This field is required."]}
    customer_discount.refresh_from_db()
    assert customer_discount.status == "active"

    staff_client.post(reverse(CD_CHANGELIST), {**ticked, "apply": "1", "reason": "Tax audit"})

    customer_discount.refresh_from_db()
    assert (customer_discount.status, customer_discount.revoked_by) == ("revoked", staff)
    assert CustomerDiscount.objects.count() == 1
    entry = Activity.objects.get(action="customer_discount.revoked")
    assert (entry.actor, entry.data["reason"]) == (staff, "Tax audit")


def test_the_revoke_page_sets_apart_what_is_already_revoked(staff_client, staff, customer_discount):
    from discounts.services import revoke_customer_discount

    revoke_customer_discount(customer_discount, by=staff, reason="Earlier")
    ticked = {
        "action": "revoke_selected",
        helpers.ACTION_CHECKBOX_NAME: [str(customer_discount.pk)],
    }

    response = staff_client.post(reverse(CD_CHANGELIST), ticked)

    assert (response.context["ending"], response.context["left"]) == ([], [customer_discount])
    assert 'name="reason"' not in response.content.decode()  # nothing left to revoke


def test_staff_revoke_a_customer_discount_only_with_a_reason(staff, customer_discount):
    from django.core.exceptions import ValidationError

    from discounts.services import revoke_customer_discount

    with pytest.raises(ValidationError):
        revoke_customer_discount(customer_discount, by=staff)
    customer_discount.refresh_from_db()
    assert customer_discount.status == "active"


def test_discount_admin_is_for_staff_only(client, alice, discount):
    client.force_login(alice)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 302
    assert Discount.objects.get().status == DiscountStatus.ACTIVE
