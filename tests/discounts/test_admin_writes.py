"""Contracts and customer ownership in admin: every save is the service's.

A refusal leaves the database as it was and shows the reason on the form with the input
kept; an allowed save has the service's effects (activity entries, customer discounts
ended)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from discounts import contracts, services
from discounts.models import DiscountStatus
from notifications.models import Activity
from partners.models import Contract, CustomerOwnership
from tests.admin_forms import form_data, form_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def contract_url(contract):
    return reverse("admin:partners_contract_change", args=[contract.pk])


def new_contract(staff_client, partner, **terms):
    today = timezone.localdate()
    values = {
        "partner": str(partner.pk),
        "number": "HD-NEW",
        "start_date": (today + timedelta(days=400)).isoformat(),
        "end_date": (today + timedelta(days=700)).isoformat(),
        "max_discount_rate": "15",
        "discount_validity_days": "365",
        **terms,
    }
    return form_data(staff_client, reverse("admin:partners_contract_add"), **values)


@pytest.mark.parametrize(
    ("terms", "message"),
    [
        ({"start_date": "2030-01-01"}, "contracts may not overlap"),
        ({"end_date": "2020-01-01"}, "The end date must be on or after the start date."),
        ({"max_discount_rate": "12.345"}, "Use at most 2 decimals."),
        # "1.000" is a thousand to a Vietnamese reader, and was saved as a limit of 1%.
        ({"max_discount_rate": "1.000"}, "could be read as 1 or as 1000"),
        ({"max_discount_rate": "1,000"}, "could be read as 1 or as 1000"),
    ],
)
def test_a_refused_new_contract_keeps_the_input(staff_client, alpha, terms, message):
    if "start_date" in terms:  # overlapping the contract in force, ending in 365 days
        terms = {"start_date": (timezone.localdate() + timedelta(days=10)).isoformat()}
    data = new_contract(staff_client, alpha, **terms)

    response = staff_client.post(reverse("admin:partners_contract_add"), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    if "start_date" in terms:  # the other contract's dates as the portal writes them
        in_force = alpha.contracts.get()
        assert in_force.end_date.strftime("%m/%d/%Y") in html
        assert in_force.end_date.isoformat() not in html
    kept = form_values(html)
    for name in ("number", "start_date", "end_date", "max_discount_rate"):
        assert kept[name] == data[name]
    assert not Contract.objects.filter(number="HD-NEW").exists()
    assert (Activity.objects.count(), LogEntry.objects.count()) == (0, 0)


def test_a_new_contract_in_admin_is_the_service(staff_client, staff, alpha):
    data = new_contract(staff_client, alpha)

    response = staff_client.post(reverse("admin:partners_contract_add"), data)

    assert response.status_code == 302
    contract = Contract.objects.get(number="HD-NEW")
    assert (contract.partner, contract.max_discount_rate) == (alpha, Decimal("15"))
    entry = Activity.objects.get()
    assert (entry.action, entry.actor, entry.partner, entry.via) == (
        "contract.created",
        staff,
        alpha,
        "admin",
    )
    assert entry.data["max_discount_rate"] == "15"
    assert LogEntry.objects.get().object_id == str(contract.pk)


def test_a_contract_change_is_logged_with_before_and_after(staff_client, staff, alpha_deal):
    contract = alpha_deal.partner.contracts.get()
    rule = alpha_deal.discount_rules.get()
    url = contract_url(contract)

    response = staff_client.post(url, form_data(staff_client, url, max_discount_rate="8"))

    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.max_discount_rate == Decimal("8")
    entry = Activity.objects.get()
    assert (entry.action, entry.changes) == (
        "contract.changed",
        {"max_discount_rate": ["20", "8"]},
    )
    # A deal already registered keeps its rate (10 %, now above the limit).
    rule.refresh_from_db()
    assert rule.rate == Decimal("10")


def test_a_refused_contract_change_keeps_the_input_and_the_contract(staff_client, alpha):
    contract = alpha.contracts.get()
    before = Contract.objects.filter(pk=contract.pk).values().get()
    url = contract_url(contract)
    data = form_data(staff_client, url, max_discount_rate="0", number="HD-TYPED")

    response = staff_client.post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The rate must be above 0%." in html
    kept = form_values(html)
    assert (kept["max_discount_rate"], kept["number"]) == ("0", "HD-TYPED")
    assert Contract.objects.filter(pk=contract.pk).values().get() == before
    assert Activity.objects.count() == 0


def test_contract_service_refuses_overlap_and_non_staff(alpha, alice, staff):
    today = timezone.localdate()
    terms = {
        "number": "HD-X",
        "start_date": today,
        "end_date": today + timedelta(days=10),
        "max_discount_rate": Decimal("10"),
        "discount_validity_days": 30,
    }

    with pytest.raises(PermissionDenied):
        contracts.create_contract(partner=alpha, by=alice, **terms)
    with pytest.raises(ValidationError) as refused:
        contracts.create_contract(partner=alpha, by=staff, **terms)

    assert "may not overlap" in refused.value.message_dict["__all__"][0]
    assert alpha.contracts.count() == 1
    assert Activity.objects.count() == 0


def test_contracts_are_never_deleted_in_admin(staff_client, alpha):
    contract = alpha.contracts.get()
    url = reverse("admin:partners_contract_delete", args=[contract.pk])

    assert staff_client.post(url, {"post": "yes"}).status_code == 403
    assert Contract.objects.filter(pk=contract.pk).exists()


# Moving a customer to another partner


def transfer(staff_client, customer, partner, reason="The partners merged"):
    url = reverse("admin:partners_customerownership_add")
    data = form_data(
        staff_client, url, customer=str(customer.pk), partner=str(partner.pk), reason=reason
    )
    return staff_client.post(url, data)


def test_moving_a_customer_to_its_owner_is_refused_with_the_input_kept(
    staff_client, customer, alpha
):
    links = list(CustomerOwnership.objects.values())

    response = transfer(staff_client, customer, alpha, reason="Typed reason")

    assert response.status_code == 200
    html = response.content.decode()
    assert "already owns this customer" in html
    kept = form_values(html)
    assert (kept["customer"], kept["partner"], kept["reason"]) == (
        str(customer.pk),
        str(alpha.pk),
        "Typed reason",
    )
    assert list(CustomerOwnership.objects.values()) == links
    assert Activity.objects.filter(action__startswith="customer.").count() == 0


def test_moving_a_customer_in_admin_is_the_service(
    staff_client, staff, discount, customer, alpha, alice, beta
):
    given = services.create_customer_discount(
        discount,
        by=alice,
        customer=customer,
        rates={line.product: line.rate for line in discount.lines.all()},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )
    Activity.objects.all().delete()

    response = transfer(staff_client, customer, beta)

    assert response.status_code == 302
    active = CustomerOwnership.objects.get(customer=customer, ended_at__isnull=True)
    assert (active.partner, active.deal, active.reason) == (beta, None, "The partners merged")
    # The link's own page says why it was made (it was only in the log).
    url = reverse("admin:partners_customerownership_change", args=[active.pk])
    assert "The partners merged" in staff_client.get(url).content.decode()
    assert CustomerOwnership.objects.filter(customer=customer).count() == 2
    customer.refresh_from_db()
    assert customer.owner == beta
    given.refresh_from_db()
    # Ended by the staff member's move, and the log says who (a win names nobody).
    assert (given.status, given.revoked_by) == (DiscountStatus.REVOKED, staff)
    logged = list(Activity.objects.order_by("pk").values_list("action", "partner", "actor", "data"))
    assert logged == [
        ("customer_discount.ended", alpha.pk, staff.pk, {"customer": customer.name}),
        ("customer.transferred", beta.pk, staff.pk, {"reason": "The partners merged"}),
        (
            "customer.transferred_away",
            alpha.pk,
            staff.pk,
            {"reason": "The partners merged", "customer_discounts_ended": 1},
        ),
    ]
    # Neither partner's entry names the other.
    for entry in Activity.objects.filter(partner=alpha):
        assert beta.name not in str(entry.data) + str(entry.changes)


def test_ownership_links_cannot_be_edited_in_admin(staff_client, customer):
    link = CustomerOwnership.objects.get(customer=customer)
    url = reverse("admin:partners_customerownership_change", args=[link.pk])

    html = staff_client.get(url).content.decode()

    assert 'name="partner"' not in html and 'name="reason"' not in html
    # The link's own fields, read only; a win's link has no reason (not "None").
    assert "field-started_at" in html and "None" not in html


def test_a_customers_correction_in_admin_is_logged_and_keeps_the_owner(
    client, staff, alpha, alice, vserver
):
    """Name, tax code and address through discounts.services.correct_customer: only what
    changed, with its old and new values in the owner's log; the owner a win set is kept."""
    from deals.services import change_stage
    from notifications.models import Activity
    from partners.models import Customer
    from tests.factories import DealFactory

    deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    change_stage(deal, "won", by=alice)
    customer = Customer.objects.get(pk=deal.customer_id)
    client.force_login(staff)
    url = f"/admin/partners/customer/{customer.pk}/change/"

    page = client.get(url)
    response = client.post(
        url, form_data(client, url, name="Công ty Sao Mai (mới)", address="Hà Nội")
    )

    assert page.status_code == 200 and 'name="created_at' not in page.content.decode()
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.address, customer.owner_id) == (
        "Công ty Sao Mai (mới)",
        "Hà Nội",
        alpha.pk,
    )
    entry = Activity.objects.get(action="customer.corrected")
    assert (entry.actor, entry.partner) == (staff, alpha)
    assert set(entry.changes) == {"name", "address"}


def test_a_partners_name_and_tax_code_correction_is_logged_and_its_sandbox_follows(
    client, staff, alpha, alice
):
    from deals.services.sandbox import ensure_sandbox
    from notifications.models import Activity
    from partners.models import Partner

    sandbox = ensure_sandbox(alpha, by=alice)
    client.force_login(staff)
    url = f"/admin/partners/partner/{alpha.pk}/change/"

    response = client.post(
        url, form_data(client, url, name="Alpha Cloud JSC", tax_code="0109876543")
    )

    assert response.status_code == 302
    sandbox.refresh_from_db()
    assert (sandbox.name, sandbox.tax_code) == ("Alpha Cloud JSC [sandbox]", "0109876543")
    assert Partner.objects.get(pk=alpha.pk).name == "Alpha Cloud JSC"
    entry = Activity.objects.get(action="partner.corrected")
    assert (entry.actor, entry.partner_id, set(entry.changes)) == (
        staff,
        alpha.pk,
        {"name", "tax_code"},
    )
    # The sandbox follows its partner: corrected on its own, it is refused on the form.
    sandbox_url = f"/admin/partners/partner/{sandbox.pk}/change/"
    refused = client.post(sandbox_url, form_data(client, sandbox_url, name="Drifted"))
    assert refused.status_code == 200
    assert "follow its partner" in refused.content.decode().replace("&#x27;", "'")
    assert Partner.objects.get(pk=sandbox.pk).name == "Alpha Cloud JSC [sandbox]"


def test_a_tax_code_taken_meanwhile_is_a_refusal_not_a_500(staff, alpha, beta):
    """The form checks the tax code before the service locks the row: one taken in between
    is refused on the field by the service, nothing changed."""
    from django.core.exceptions import ValidationError

    from accounts.services import correct_partner
    from discounts.services import correct_customer
    from partners.models import Customer, Partner
    from tests.factories import CustomerFactory

    first, second = CustomerFactory(), CustomerFactory()

    with pytest.raises(ValidationError) as customer_refused:
        correct_customer(customer=second, by=staff, changes={"tax_code": first.tax_code})
    with pytest.raises(ValidationError) as partner_refused:
        correct_partner(partner=beta, by=staff, changes={"tax_code": alpha.tax_code})

    assert customer_refused.value.error_dict["tax_code"][0].code == "unique"
    assert partner_refused.value.error_dict["tax_code"][0].code == "unique"
    assert Customer.objects.get(pk=second.pk).tax_code == second.tax_code
    assert Partner.objects.get(pk=beta.pk).tax_code == beta.tax_code
