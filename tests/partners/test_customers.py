"""The Customers menu: the partner's customers from ownership links, search, CSV, detail."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal
from deals.services import change_stage
from discounts.models import CustomerDiscount
from discounts.services import create_customer_discount, revoke_customer_discount
from partners.models import Customer, CustomerOwnership
from partners.services import sync_customer_owners, transfer_ownership
from tests.factories import CustomerFactory, DealFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_after_requests(settings):
    # Lazy texts read after a request (the middleware deactivates the language) stay English.
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def vserver(db):
    return ProductFactory(code="vserver", name="vServer")


def win(partner, by, **customer):
    deal = DealFactory(
        partner=partner,
        created_by=by,
        approved=True,
        stage=Deal.Stage.PROPOSAL,
        customer=CustomerFactory(**customer),
    )
    change_stage(deal, Deal.Stage.WON, by=by)
    return deal


@pytest.fixture
def won(alpha, alice, vserver):
    return win(alpha, alice, name="Công ty TNHH Hoa Sen", tax_code="0309998887")


@pytest.fixture
def customer_discount(won, alice, vserver):
    discount = won.discount
    return create_customer_discount(
        discount,
        by=alice,
        customer=won.customer,
        rates={vserver: Decimal("6")},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )


def csv_rows(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


# --- list -------------------------------------------------------------------------------------


def test_customer_list_shows_owned_customers_with_their_deal(alice_client, won, customer_discount):
    response = alice_client.get(reverse("customer_list"))

    assert response.status_code == 200
    customers = list(response.context["page"].object_list)
    assert customers == [won.customer]
    assert customers[0].active_ownerships[0].deal == won
    assert customers[0].active_customer_discounts == [customer_discount]
    body = response.content.decode()
    assert "0309998887" in body
    assert won.get_absolute_url() in body
    assert "vServer 6.00%" in body


def test_customer_list_leaves_out_revoked_and_expired_customer_discounts(
    alice_client, won, customer_discount, alice
):
    revoke_customer_discount(customer_discount, by=alice)

    response = alice_client.get(reverse("customer_list"))

    assert response.context["page"].object_list[0].active_customer_discounts == []
    assert CustomerDiscount.objects.count() == 1


def test_customer_list_never_shows_another_partners_customers(
    alice_client, won, beta, bob, beta_deal
):
    change_stage(beta_deal, Deal.Stage.WON, by=bob)
    assert CustomerOwnership.objects.filter(partner=beta).count() == 1

    response = alice_client.get(reverse("customer_list"))

    assert list(response.context["page"].object_list) == [won.customer]
    assert beta_deal.customer.name not in response.content.decode()


def test_customer_list_drops_a_customer_taken_by_another_partner(alice_client, won, beta):
    transfer_ownership(customer=won.customer, partner=beta)

    response = alice_client.get(reverse("customer_list"))

    assert list(response.context["page"].object_list) == []
    assert CustomerOwnership.objects.filter(customer=won.customer).count() == 2
    won.customer.refresh_from_db()
    assert won.customer.owner == beta


@pytest.mark.parametrize(
    ("q", "found"), [("hoa sen", True), ("0309998", True), ("99988", False), ("nothing", False)]
)
def test_customer_list_searches_name_and_tax_code(alice_client, won, alpha, alice, q, found):
    win(alpha, alice, name="Công ty Khác")

    response = alice_client.get(reverse("customer_list"), {"q": q})

    assert list(response.context["page"].object_list) == ([won.customer] if found else [])
    assert response.context["q"] == q


def test_customer_list_links_the_export_with_the_search(alice_client, won):
    response = alice_client.get(reverse("customer_list"), {"q": "hoa"})

    assert f"{reverse('customer_export')}?q=hoa" in response.content.decode()


# --- CSV --------------------------------------------------------------------------------------


def test_customer_export_content(alice_client, won, customer_discount):
    response = alice_client.get(reverse("customer_export"))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    rows = csv_rows(response)
    since = timezone.localtime(won.customer.ownerships.get().started_at).date().isoformat()
    discount = won.discount
    assert rows == [
        ["Name", "Tax code", "Customer since", "From deal", "Active customer discounts"],
        [
            "Công ty TNHH Hoa Sen",
            "0309998887",
            since,
            won.title,
            f"{won.title}: vServer 6.00% "
            f"({discount.valid_from.isoformat()} – {discount.valid_until.isoformat()})",
        ],
    ]


def test_customer_export_applies_the_search(alice_client, won, alpha, alice):
    other = win(alpha, alice, name="Công ty Khác")

    response = alice_client.get(reverse("customer_export"), {"q": "khác"})

    assert [row[0] for row in csv_rows(response)[1:]] == [other.customer.name]


def test_customer_export_escapes_formulas(alice_client, alpha, alice):
    win(alpha, alice, name="-2+3 Công ty")

    rows = csv_rows(alice_client.get(reverse("customer_export")))

    assert rows[1][0] == "'-2+3 Công ty"


def test_customer_export_never_contains_another_partners_customers(
    alice_client, won, bob, beta_deal
):
    change_stage(beta_deal, Deal.Stage.WON, by=bob)

    rows = csv_rows(alice_client.get(reverse("customer_export")))

    assert [row[0] for row in rows[1:]] == [won.customer.name]


# --- detail -----------------------------------------------------------------------------------


def test_customer_detail_shows_deals_with_this_partner_and_discounts(
    alice_client, won, alpha, alice, bob, beta, customer_discount
):
    later = DealFactory(partner=alpha, created_by=alice, customer=won.customer)
    DealFactory(partner=beta, created_by=bob, customer=won.customer, title="Beta's own deal")

    response = alice_client.get(won.customer.get_absolute_url())

    assert response.status_code == 200
    assert set(response.context["deals"]) == {won, later}
    assert list(response.context["customer_discounts"]) == [customer_discount]
    body = response.content.decode()
    assert "Beta&#x27;s own deal" not in body and "Beta's own deal" not in body
    assert "vServer: 6.00%" in body


def test_customer_detail_of_another_partners_customer_is_404(bob_client_for, won):
    response = bob_client_for.get(won.customer.get_absolute_url())

    assert response.status_code == 404


def test_customer_detail_of_a_former_customer_is_404(alice_client, won, beta):
    transfer_ownership(customer=won.customer, partner=beta)

    assert alice_client.get(won.customer.get_absolute_url()).status_code == 404


def test_customer_detail_of_a_customer_owned_by_nobody_is_404(alice_client, won):
    stranger = CustomerFactory()

    assert alice_client.get(stranger.get_absolute_url()).status_code == 404


def test_customer_pages_need_a_partner(client, nobody, won):
    client.force_login(nobody)

    for url in (reverse("customer_list"), reverse("customer_export")):
        assert client.get(url).status_code == 403


def test_customer_detail_shows_expired_customer_discount_as_expired(
    alice_client, won, customer_discount
):
    today = timezone.localdate()
    CustomerDiscount.objects.filter(pk=customer_discount.pk).update(
        valid_until=today - timedelta(days=1), valid_from=today - timedelta(days=10)
    )

    response = alice_client.get(won.customer.get_absolute_url())

    assert 'text-bg-secondary">Expired' in response.content.decode()


@pytest.fixture
def bob_client_for(client, bob):
    client.force_login(bob)
    return client


@pytest.mark.parametrize("path", ["/customers/", "/customers/export.csv"])
def test_customer_search_with_a_nul_character_is_harmless(alice_client, path):
    response = alice_client.get(path, {"q": "ab\x00c"})
    # Refused up front as a bad request (partner_portal.middleware.RefuseNulMiddleware).
    assert response.status_code == 400


def test_sync_customer_owners_repairs_owners_that_drifted(alpha, alice, beta, vserver):
    unset = win(alpha, alice, name="Chưa có chủ", tax_code="0300000001").customer
    wrong = win(alpha, alice, name="Sai chủ", tax_code="0300000002").customer
    stray = CustomerFactory(name="Không ai sở hữu", tax_code="0300000003")
    right = win(alpha, alice, name="Đúng chủ", tax_code="0300000004").customer
    # As after a bulk load, or a win handled by a process still on the old code.
    Customer.objects.filter(pk=unset.pk).update(owner=None)
    Customer.objects.filter(pk__in=[wrong.pk, stray.pk]).update(owner=beta)
    out = io.StringIO()

    call_command("sync_customer_owners", stdout=out)

    owners = dict(Customer.objects.values_list("pk", "owner"))
    assert owners == {unset.pk: alpha.pk, wrong.pk: alpha.pk, stray.pk: None, right.pk: alpha.pk}
    assert "corrected: 3." in out.getvalue()
    assert sync_customer_owners() == 0


def test_transfer_to_the_owning_partner_repairs_a_drifted_owner(alpha, alice, won):
    Customer.objects.filter(pk=won.customer_id).update(owner=None)

    transfer_ownership(customer=won.customer, partner=alpha)

    won.customer.refresh_from_db()
    assert won.customer.owner == alpha


def test_a_drifted_owner_shows_no_customer_page_and_no_error(alice_client, won, alpha, beta):
    # Alpha owns the customer by its ownership, but the copy on the row says beta (drift):
    # beta sees no page of it, and alpha's lists, which read the copy, do not fail.
    Customer.objects.filter(pk=won.customer_id).update(owner=beta)
    alpha.memberships.update(partner=beta)  # alice now works for beta

    detail = alice_client.get(reverse("customer_detail", args=[won.customer_id]))
    export = alice_client.get(reverse("customer_export"))
    page = alice_client.get(reverse("customer_list"))

    assert detail.status_code == 404
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [row[:4] for row in rows[1:]] == [[won.customer.name, won.customer.tax_code, "", ""]]
    assert page.status_code == 200
