"""The rules of discounts.services, each rule and each bad input of issue 5."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from discounts.models import (
    CustomerDiscount,
    CustomerDiscountLine,
    Discount,
    DiscountStatus,
    EffectiveStatus,
)
from discounts.services import (
    create_customer_discount,
    revoke_customer_discount,
    revoke_discount,
)
from partners.services import transfer_ownership
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def create(discount, *, by, customer, rates, valid_from=None, valid_until=None, note=""):
    return create_customer_discount(
        discount,
        by=by,
        customer=customer,
        rates=rates,
        valid_from=valid_from or discount.valid_from,
        valid_until=valid_until or discount.valid_until,
        note=note,
    )


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- the won deal issues the partner discount this issue builds on ---------------------------


def test_won_deal_issues_discount_with_the_deal_rates(discount, won_deal, vserver, vstorage):
    assert Discount.objects.count() == 1
    assert discount.deal == won_deal
    assert discount.customer == won_deal.customer
    assert {line.product: line.rate for line in discount.lines.all()} == {
        vserver: Decimal("10.00"),
        vstorage: Decimal("15.00"),
    }
    assert (discount.valid_from, discount.valid_until) == (today(), today() + timedelta(179))
    assert discount.effective_status == EffectiveStatus.ACTIVE


# --- create_customer_discount: the good path --------------------------------------------------


def test_create_customer_discount_saves_discount_and_lines(
    discount, customer, alice, vserver, vstorage
):
    created = create(
        discount,
        by=alice,
        customer=customer,
        rates={vserver: Decimal("8"), vstorage.pk: "12.50"},
        valid_until=today() + timedelta(days=30),
        note="  Ưu đãi năm đầu  ",
    )

    created.refresh_from_db()
    assert CustomerDiscount.objects.count() == 1
    assert (created.discount, created.customer, created.created_by) == (discount, customer, alice)
    assert created.status == DiscountStatus.ACTIVE
    assert (created.valid_from, created.valid_until) == (today(), today() + timedelta(days=30))
    assert created.note == "Ưu đãi năm đầu"
    assert {line.product: line.rate for line in created.lines.all()} == {
        vserver: Decimal("8.00"),
        vstorage: Decimal("12.50"),
    }


def test_create_customer_discount_accepts_the_parents_rate_and_window(
    discount, customer, alice, vserver
):
    create(discount, by=alice, customer=customer, rates={vserver: Decimal("10.00")})

    line = CustomerDiscountLine.objects.get()
    assert line.rate == Decimal("10.00")
    assert line.customer_discount.valid_until == discount.valid_until


def test_create_customer_discount_may_leave_products_out(discount, customer, alice, vserver):
    create(discount, by=alice, customer=customer, rates={vserver: "5"})

    assert list(CustomerDiscountLine.objects.values_list("product", flat=True)) == [vserver.pk]


def test_create_customer_discount_for_another_owned_customer(
    discount, second_customer, alice, vserver
):
    create(discount, by=alice, customer=second_customer, rates={vserver: "3"})

    assert CustomerDiscount.objects.get().customer == second_customer


# --- rates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "message"),
    [
        ("-1", "The rate must be above 0%."),
        ("0", "The rate must be above 0%."),
        (Decimal("0.00"), "The rate must be above 0%."),
        ("101", "At most 10.00%, the rate of your own discount for this product."),
        ("10.01", "At most 10.00%, the rate of your own discount for this product."),
        ("12.345", "Use at most 2 decimals."),
        ("9.999", "Use at most 2 decimals."),
        ("abc", "Enter the rate as a number, for example 8 or 7.5."),
        ("", "Enter the rate as a number, for example 8 or 7.5."),
        (None, "Enter the rate as a number, for example 8 or 7.5."),
        ("NaN", "Enter the rate as a number, for example 8 or 7.5."),
        ("Infinity", "Enter the rate as a number, for example 8 or 7.5."),
        ("1e1000000", "Enter the rate as a number, for example 8 or 7.5."),
        ("1e-1000000", "Enter the rate as a number, for example 8 or 7.5."),
    ],
)
def test_create_customer_discount_rejects_bad_rate(
    discount, customer, alice, vserver, rate, message
):
    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: rate})

    assert errors_of(excinfo) == {f"rate_{vserver.pk}": [message]}
    assert CustomerDiscount.objects.count() == 0
    assert CustomerDiscountLine.objects.count() == 0


def test_create_customer_discount_checks_each_products_own_rate(
    discount, customer, alice, vserver, vstorage
):
    # 12 is fine for vStorage (15 %) but above vServer's 10 %.
    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: "12", vstorage: "12"})

    assert list(errors_of(excinfo)) == [f"rate_{vserver.pk}"]
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_product_not_in_the_partner_discount(
    discount, customer, alice, vserver, vdb
):
    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: "5", vdb: "5"})

    assert errors_of(excinfo) == {
        f"rate_{vdb.pk}": ["This product is not part of the partner discount."]
    }
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_needs_at_least_one_rate(discount, customer, alice):
    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={})

    assert errors_of(excinfo) == {"rates": ["Give a rate for at least one product."]}
    assert CustomerDiscount.objects.count() == 0


# --- validity ---------------------------------------------------------------------------------


def test_create_customer_discount_rejects_reversed_dates(discount, customer, alice, vserver):
    with pytest.raises(ValidationError) as excinfo:
        create(
            discount,
            by=alice,
            customer=customer,
            rates={vserver: "5"},
            valid_from=today() + timedelta(days=10),
            valid_until=today() + timedelta(days=9),
        )

    assert errors_of(excinfo) == {
        "valid_until": ["The end date must be on or after the start date."]
    }
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_start_before_the_parent(
    discount, customer, alice, vserver
):
    with pytest.raises(ValidationError) as excinfo:
        create(
            discount,
            by=alice,
            customer=customer,
            rates={vserver: "5"},
            valid_from=discount.valid_from - timedelta(days=1),
        )

    assert list(errors_of(excinfo)) == ["valid_from"]
    assert discount.valid_from.isoformat() in errors_of(excinfo)["valid_from"][0]
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_end_after_the_parent(discount, customer, alice, vserver):
    with pytest.raises(ValidationError) as excinfo:
        create(
            discount,
            by=alice,
            customer=customer,
            rates={vserver: "5"},
            valid_until=discount.valid_until + timedelta(days=1),
        )

    assert errors_of(excinfo) == {
        "valid_until": [
            f"The partner discount is valid until {discount.valid_until.isoformat()}; "
            "end on or before that day."
        ]
    }
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_a_window_in_the_past(discount, customer, alice, vserver):
    Discount.objects.filter(pk=discount.pk).update(valid_from=today() - timedelta(days=30))
    discount.refresh_from_db()

    with pytest.raises(ValidationError) as excinfo:
        create(
            discount,
            by=alice,
            customer=customer,
            rates={vserver: "5"},
            valid_from=today() - timedelta(days=20),
            valid_until=today() - timedelta(days=1),
        )

    assert errors_of(excinfo) == {"valid_until": ["The end date is in the past."]}
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_missing_dates(discount, customer, alice, vserver):
    with pytest.raises(ValidationError) as excinfo:
        create_customer_discount(
            discount,
            by=alice,
            customer=customer,
            rates={vserver: "5"},
            valid_from=None,
            valid_until="2030-01-01",
        )

    assert errors_of(excinfo) == {"valid_from": ["Enter a date."], "valid_until": ["Enter a date."]}


# --- customer ---------------------------------------------------------------------------------


def test_create_customer_discount_rejects_customer_owned_by_nobody(discount, alice, vserver):
    stranger = CustomerFactory()

    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=stranger, rates={vserver: "5"})

    assert errors_of(excinfo) == {"customer": ["This company is not one of your customers now."]}
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_customer_of_another_partner(
    discount, beta_discount, alice, vserver
):
    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=beta_discount.customer, rates={vserver: "5"})

    assert errors_of(excinfo) == {"customer": ["This company is not one of your customers now."]}
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_customer_lost_to_another_partner(
    discount, customer, alice, beta, vserver
):
    transfer_ownership(customer=customer, partner=beta)

    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: "5"})

    assert list(errors_of(excinfo)) == ["customer"]
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_reports_every_field_at_once(discount, alice, vserver, vdb):
    with pytest.raises(ValidationError) as excinfo:
        create(
            discount,
            by=alice,
            customer=CustomerFactory(),
            rates={vserver: "11", vdb: "1"},
            valid_until=discount.valid_until + timedelta(days=5),
        )

    assert sorted(errors_of(excinfo)) == sorted(
        ["customer", f"rate_{vserver.pk}", f"rate_{vdb.pk}", "valid_until"]
    )


# --- the partner discount must be active ------------------------------------------------------


def test_create_customer_discount_rejects_revoked_parent(discount, customer, alice, staff, vserver):
    revoke_discount(discount, by=staff, reason="Deal registered by mistake")

    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: "5"})

    assert excinfo.value.messages == [
        "This partner discount is revoked; it cannot be passed on any more."
    ]
    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_rejects_expired_parent(discount, customer, alice, vserver):
    Discount.objects.filter(pk=discount.pk).update(
        valid_from=today() - timedelta(days=60), valid_until=today() - timedelta(days=1)
    )
    discount.refresh_from_db()

    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: "5"})

    assert excinfo.value.code == "inactive"
    assert CustomerDiscount.objects.count() == 0


# --- one active customer discount per (partner discount, customer) ----------------------------


def test_create_customer_discount_twice_gives_one_row_and_a_message(
    discount, customer, alice, vserver
):
    create(discount, by=alice, customer=customer, rates={vserver: "5"})

    with pytest.raises(ValidationError) as excinfo:
        create(discount, by=alice, customer=customer, rates={vserver: "6"})

    assert list(errors_of(excinfo)) == ["customer"]
    assert "already has a customer discount" in errors_of(excinfo)["customer"][0]
    assert CustomerDiscount.objects.count() == 1
    assert CustomerDiscountLine.objects.get().rate == Decimal("5.00")


def test_create_customer_discount_again_after_revoking(discount, customer, alice, vserver):
    first = create(discount, by=alice, customer=customer, rates={vserver: "5"})
    revoke_customer_discount(first, by=alice)

    second = create(discount, by=alice, customer=customer, rates={vserver: "6"})

    assert CustomerDiscount.objects.count() == 2
    assert list(CustomerDiscount.objects.filter(status=DiscountStatus.ACTIVE)) == [second]


def test_database_allows_one_active_customer_discount_per_pair(discount, customer, alice, vserver):
    # The last guard behind the row lock: even code that skips the service cannot add a second.
    first = create(discount, by=alice, customer=customer, rates={vserver: "5"})

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerDiscount.objects.create(
            discount=discount,
            customer=customer,
            valid_from=first.valid_from,
            valid_until=first.valid_until,
            created_by=alice,
        )

    assert CustomerDiscount.objects.count() == 1


# --- who may act ------------------------------------------------------------------------------


def test_create_customer_discount_refuses_a_member(discount, customer, sam, vserver):
    with pytest.raises(PermissionDenied):
        create(discount, by=sam, customer=customer, rates={vserver: "5"})

    assert CustomerDiscount.objects.count() == 0


def test_create_customer_discount_refuses_another_partners_admin(discount, customer, bob, vserver):
    with pytest.raises(PermissionDenied):
        create(discount, by=bob, customer=customer, rates={vserver: "5"})

    assert CustomerDiscount.objects.count() == 0


# --- revoke_customer_discount -----------------------------------------------------------------


def test_revoke_customer_discount_keeps_it_as_history(discount, customer, alice, vserver):
    created = create(discount, by=alice, customer=customer, rates={vserver: "5"})

    revoke_customer_discount(created, by=alice)

    created.refresh_from_db()
    assert CustomerDiscount.objects.count() == 1
    assert created.status == DiscountStatus.REVOKED
    assert created.revoked_by == alice
    assert created.revoked_at is not None
    assert created.lines.count() == 1


def test_revoke_customer_discount_twice_is_refused(discount, customer, alice, vserver):
    created = create(discount, by=alice, customer=customer, rates={vserver: "5"})
    revoke_customer_discount(created, by=alice)
    revoked_at = CustomerDiscount.objects.get().revoked_at

    with pytest.raises(ValidationError) as excinfo:
        revoke_customer_discount(created, by=alice)

    assert excinfo.value.messages == ["This customer discount was already revoked."]
    assert CustomerDiscount.objects.get().revoked_at == revoked_at


def test_revoke_customer_discount_refuses_a_member(discount, customer, alice, sam, vserver):
    created = create(discount, by=alice, customer=customer, rates={vserver: "5"})

    with pytest.raises(PermissionDenied):
        revoke_customer_discount(created, by=sam)

    assert CustomerDiscount.objects.get().status == DiscountStatus.ACTIVE


# --- revoke_discount (staff) ------------------------------------------------------------------


def test_revoke_discount_ends_its_customer_discounts(
    discount, customer, second_customer, alice, staff, vserver
):
    first = create(discount, by=alice, customer=customer, rates={vserver: "5"})
    already = create(discount, by=alice, customer=second_customer, rates={vserver: "4"})
    revoke_customer_discount(already, by=alice)

    revoke_discount(discount, by=staff, reason="  Deal registered by mistake ")

    discount.refresh_from_db()
    first.refresh_from_db()
    already.refresh_from_db()
    assert discount.status == DiscountStatus.REVOKED
    assert (discount.revoked_by, discount.revoke_reason) == (staff, "Deal registered by mistake")
    assert (first.status, first.revoked_by, first.revoked_at) == (
        DiscountStatus.REVOKED,
        staff,
        discount.revoked_at,
    )
    # The one the partner had revoked before keeps its own history.
    assert already.revoked_by == alice
    assert CustomerDiscount.objects.filter(status=DiscountStatus.ACTIVE).count() == 0
    assert CustomerDiscount.objects.count() == 2


def test_revoke_discount_needs_a_reason(discount, staff):
    with pytest.raises(ValidationError) as excinfo:
        revoke_discount(discount, by=staff, reason="   ")

    assert errors_of(excinfo) == {"reason": ["Say why the discount is revoked."]}
    assert Discount.objects.get().status == DiscountStatus.ACTIVE


def test_revoke_discount_is_for_staff_only(discount, alice):
    with pytest.raises(PermissionDenied):
        revoke_discount(discount, by=alice, reason="Mine")

    assert Discount.objects.get().status == DiscountStatus.ACTIVE


def test_revoke_discount_twice_is_refused(discount, staff):
    revoke_discount(discount, by=staff, reason="First")

    with pytest.raises(ValidationError) as excinfo:
        revoke_discount(discount, by=staff, reason="Second")

    assert excinfo.value.code == "already_revoked"
    assert Discount.objects.get().revoke_reason == "First"


# --- concurrency (PostgreSQL: real row locks, two connections) --------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_create_customer_discount_double_submit_at_once_gives_one_row(
    discount, customer, alice, vserver
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, there is no race to test")
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(rate):
        try:
            barrier.wait()
            create(discount, by=alice, customer=customer, rates={vserver: rate})
            outcomes.append("created")
        except ValidationError as exc:
            outcomes.append(list(exc.message_dict))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(r,)) for r in ("5", "6")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=str) == sorted(["created", ["customer"]], key=str)
    assert CustomerDiscount.objects.count() == 1
    assert CustomerDiscountLine.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_revoke_discount_and_create_at_once_leave_no_active_child(
    discount, customer, alice, staff, vserver
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, there is no race to test")
    barrier = threading.Barrier(2)

    def run(action):
        try:
            barrier.wait()
            action()
        except ValidationError:
            pass
        finally:
            connections.close_all()

    actions = [
        lambda: create(discount, by=alice, customer=customer, rates={vserver: "5"}),
        lambda: revoke_discount(discount, by=staff, reason="Stop"),
    ]
    threads = [threading.Thread(target=run, args=(a,)) for a in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Discount.objects.get().status == DiscountStatus.REVOKED
    assert CustomerDiscount.objects.filter(status=DiscountStatus.ACTIVE).count() == 0


def test_a_revocation_reason_over_1000_characters_is_refused(discount, staff):
    from discounts.services import revoke_discount

    with pytest.raises(ValidationError) as refused:
        revoke_discount(discount, by=staff, reason="x" * 1001)

    assert set(refused.value.error_dict) == {"reason"}
    discount.refresh_from_db()
    assert discount.revoked_at is None
