"""The Discount menu pages: list, filter, CSV, detail, create and revoke customer discounts."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from deals.models import Deal, DiscountRule, Product
from deals.services import change_stage
from discounts.models import CustomerDiscount, CustomerDiscountLine, Discount, DiscountStatus
from discounts.services import create_customer_discount, revoke_discount
from partners.models import Partner, User
from tests.built_once import built_once
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    ProductFactory,
)

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def create_url(discount):
    return reverse("discount_customer_create", args=[discount.pk])


def form_data(discount, customer, **rates_and_fields):
    data = {
        "customer": customer.pk,
        "valid_from": discount.valid_from.isoformat(),
        "valid_until": discount.valid_until.isoformat(),
        "note": "",
    }
    data.update(rates_and_fields)
    return data


def csv_rows(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def revoke_url(customer_discount):
    return reverse(
        "discount_customer_revoke",
        args=[customer_discount.discount_id, customer_discount.pk],
    )


def make_expired(discount):
    Discount.objects.filter(pk=discount.pk).update(
        valid_from=today() - timedelta(days=200), valid_until=today() - timedelta(days=1)
    )


@pytest.fixture
def customer_discount(discount, customer, alice, vserver):
    return create_customer_discount(
        discount,
        by=alice,
        customer=customer,
        rates={vserver: Decimal("8")},
        valid_from=discount.valid_from,
        valid_until=discount.valid_until,
    )


# --- list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", ["open"]),
        ("expired", ["old"]),
        ("revoked", ["gone"]),
        ("", ["gone", "old", "open"]),
    ],
)
def test_discount_list_filters_by_status(alice_client, alice, alpha, staff, status, expected):
    by_title = {}
    for title in ("open", "old", "gone"):
        deal = DealFactory(
            partner=alpha, created_by=alice, approved=True, stage=Deal.Stage.PROPOSAL, title=title
        )
        change_stage(deal, Deal.Stage.WON, by=alice)
        by_title[title] = deal.discount
    make_expired(by_title["old"])
    revoke_discount(by_title["gone"], by=staff, reason="Mistake")

    response = alice_client.get(reverse("discount_list"), {"status": status})

    titles = sorted(d.deal.title for d in response.context["page"].object_list)
    assert titles == expected
    assert response.context["status"] == status


def test_discount_export_escapes_formulas_and_keeps_vietnamese(alice_client, alpha, alice):
    deal = DealFactory(
        partner=alpha,
        created_by=alice,
        approved=True,
        stage=Deal.Stage.PROPOSAL,
        title='=HYPERLINK("http://evil.test")',
        customer=CustomerFactory(name="@Công ty Điện toán Đám mây"),
    )
    change_stage(deal, Deal.Stage.WON, by=alice)

    row = csv_rows(alice_client.get(reverse("discount_export")))[1]

    assert row[0] == '\'=HYPERLINK("http://evil.test")'
    assert row[1] == "'@Công ty Điện toán Đám mây"


def test_discount_menu_flow_from_won_deal_to_customers(alice_client, alpha_deal, alice, vserver):
    change_stage(alpha_deal, Deal.Stage.WON, by=alice)
    discount = Discount.objects.get(deal=alpha_deal)
    customer = alpha_deal.customer

    listing = alice_client.get(reverse("discount_list"))
    assert discount.get_absolute_url() in listing.content.decode()

    too_high = form_data(discount, customer, **{f"rate_{vserver.pk}": "12"})
    refused = alice_client.post(create_url(discount), too_high)
    assert refused.context["form"].errors == {
        f"rate_{vserver.pk}": ["At most 10.00%, the rate of your own discount for this product."]
    }

    lower = form_data(discount, customer, **{f"rate_{vserver.pk}": "6"})
    assert alice_client.post(create_url(discount), lower).status_code == 302

    customers = alice_client.get(reverse("customer_list"))
    row = customers.context["page"].object_list[0]
    assert row == customer
    assert [cd.discount for cd in row.active_customer_discounts] == [discount]
    assert "vServer 6.00%" in customers.content.decode()


class TestWonDeal:
    """Alpha's deal won by alice (tests/discounts/conftest.py's `won_deal`: vServer 10 %,
    vStorage 15 %), built once for the class (tests/built_once.py); each test works on it in a
    savepoint of its own, so what one test writes the next never sees."""

    @pytest.fixture(scope="class")
    @classmethod
    def _won(cls, django_db_setup, django_db_blocker, tmp_path_factory):
        with built_once(django_db_blocker, tmp_path_factory):
            # tests/conftest.py's personas and products, as they are made per test there.
            alpha = PartnerFactory(name="Alpha Cloud Solutions")
            ContractFactory(partner=alpha)
            alice = MembershipFactory(
                partner=alpha, user__email="alice@alpha.test", role="admin"
            ).user
            vserver = ProductFactory(code="vserver", name="vServer")
            vstorage = ProductFactory(code="vstorage", name="vStorage")
            deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
            DiscountRule.objects.create(deal=deal, product=vstorage, rate=Decimal("15"))
            change_stage(deal, Deal.Stage.WON, by=alice)
            yield {
                "alpha": alpha.pk,
                "alice": alice.pk,
                "vserver": vserver.pk,
                "vstorage": vstorage.pk,
                "deal": deal.pk,
            }

    # The fixtures the tests ask for, fetched afresh per test.
    @pytest.fixture
    def alpha(self, db, _won):
        return Partner.objects.get(pk=_won["alpha"])

    @pytest.fixture
    def alice(self, db, _won):
        return User.objects.get(pk=_won["alice"])

    @pytest.fixture
    def vserver(self, db, _won):
        return Product.objects.get(pk=_won["vserver"])

    @pytest.fixture
    def vstorage(self, db, _won):
        return Product.objects.get(pk=_won["vstorage"])

    @pytest.fixture
    def won_deal(self, db, _won):
        return Deal.objects.get(pk=_won["deal"])

    @pytest.fixture
    def alpha_deal(self, won_deal):
        return won_deal

    def test_discount_list_shows_the_won_deals_discount(
        self, alice_client, discount, won_deal, customer_discount
    ):
        response = alice_client.get(reverse("discount_list"))

        assert response.status_code == 200
        assert list(response.context["page"].object_list) == [discount]
        row = response.context["page"].object_list[0]
        assert (row.current_status, row.passed_on) == ("active", 1)
        body = response.content.decode()
        assert won_deal.get_absolute_url() in body
        assert won_deal.customer.name in body
        assert "vServer: 10.00%" in body and "vStorage: 15.00%" in body

    def test_discount_list_never_shows_another_partners_discount(
        self, alice_client, discount, beta_discount
    ):
        response = alice_client.get(reverse("discount_list"))

        assert list(response.context["page"].object_list) == [discount]
        assert beta_discount.deal.title not in response.content.decode()

    def test_discount_list_shows_expired_by_date_without_any_job(self, alice_client, discount):
        make_expired(discount)

        response = alice_client.get(reverse("discount_list"))

        assert Discount.objects.get().status == DiscountStatus.ACTIVE  # nothing was stored
        assert response.context["page"].object_list[0].current_status == "expired"
        assert 'text-bg-secondary">Expired' in response.content.decode()

    def test_discount_list_ignores_unknown_status(self, alice_client, discount):
        response = alice_client.get(reverse("discount_list"), {"status": "bogus"})

        assert list(response.context["page"].object_list) == [discount]
        assert response.context["status"] == ""

    def test_discount_list_links_the_export_with_the_filter(self, alice_client, discount):
        response = alice_client.get(reverse("discount_list"), {"status": "expired"})

        assert f"{reverse('discount_export')}?status=expired" in response.content.decode()

    # --- CSV --------------------------------------------------------------------------------------

    def test_discount_export_is_utf8_csv_with_bom(
        self, alice_client, discount, won_deal, customer_discount
    ):
        response = alice_client.get(reverse("discount_export"))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="discounts-')
        rows = csv_rows(response)
        assert rows[0] == [
            "Deal",
            "Customer",
            "Tax code",
            "Products and rates",
            "Valid from",
            "Valid until",
            "Status",
            "Passed on",
        ]
        assert rows[1:] == [
            [
                won_deal.title,
                won_deal.customer.name,
                won_deal.customer.tax_code,
                "vServer 10.00%; vStorage 15.00%",
                discount.valid_from.isoformat(),
                discount.valid_until.isoformat(),
                "Active",
                "1",
            ]
        ]

    def test_discount_export_applies_the_status_filter(self, alice_client, discount, alpha, alice):
        other = DealFactory(
            partner=alpha, created_by=alice, approved=True, stage=Deal.Stage.PROPOSAL
        )
        change_stage(other, Deal.Stage.WON, by=alice)
        make_expired(other.discount)

        response = alice_client.get(reverse("discount_export"), {"status": "expired"})

        assert [row[0] for row in csv_rows(response)[1:]] == [other.title]

    def test_discount_export_never_contains_another_partners_discount(
        self, alice_client, discount, beta_discount
    ):
        rows = csv_rows(alice_client.get(reverse("discount_export")))

        assert [row[0] for row in rows[1:]] == [discount.deal.title]

    # --- detail -----------------------------------------------------------------------------------

    def test_discount_detail_shows_customer_discounts_and_the_create_action(
        self, alice_client, discount, customer_discount
    ):
        response = alice_client.get(discount.get_absolute_url())

        assert response.status_code == 200
        assert list(response.context["customer_discounts"]) == [customer_discount]
        body = response.content.decode()
        assert 'data-action="create-customer-discount"' in body
        assert reverse("discount_customer_revoke", args=[discount.pk, customer_discount.pk]) in body

    def test_discount_detail_is_read_only_for_a_member(
        self, sam_client, discount, customer_discount
    ):
        response = sam_client.get(discount.get_absolute_url())

        assert response.status_code == 200
        body = response.content.decode()
        assert customer_discount.customer.name in body
        assert 'data-action="create-customer-discount"' not in body
        assert "/revoke/" not in body

    def test_discount_detail_hides_create_on_an_expired_discount(self, alice_client, discount):
        make_expired(discount)

        response = alice_client.get(discount.get_absolute_url())

        assert 'data-action="create-customer-discount"' not in response.content.decode()

    def test_discount_detail_of_another_partner_is_404(self, bob_client, discount):
        assert Discount.objects.filter(pk=discount.pk).exists()

        response = bob_client.get(discount.get_absolute_url())

        assert response.status_code == 404

    def test_discount_pages_need_login(self, client, discount):
        for url in (
            reverse("discount_list"),
            reverse("discount_export"),
            discount.get_absolute_url(),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    # --- create customer discount -----------------------------------------------------------------

    def test_customer_discount_create_form_has_a_rate_field_per_line(
        self, alice_client, discount, customer, second_customer, vserver, vstorage
    ):
        response = alice_client.get(create_url(discount))

        assert response.status_code == 200
        form = response.context["form"]
        assert [f.name for f in form.rate_fields()] == [f"rate_{vserver.pk}", f"rate_{vstorage.pk}"]
        assert set(form.fields["customer"].queryset) == {customer, second_customer}
        assert form.initial["customer"] == customer.pk
        assert (form.initial["valid_from"], form.initial["valid_until"]) == (
            today(),
            discount.valid_until,
        )
        assert "<html" in response.content.decode()

    def test_customer_discount_create_answers_htmx_with_the_modal(self, alice_client, discount):
        response = alice_client.get(create_url(discount), headers={"HX-Request": "true"})

        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" not in body
        assert 'class="modal-header"' in body
        assert response["Vary"].count("HX-Request") == 1

    def test_customer_discount_create_saves_and_redirects(
        self, alice_client, discount, customer, vserver, vstorage
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "7.5"}, note="Năm đầu")

        response = alice_client.post(create_url(discount), data, follow=True)

        assert response.redirect_chain == [(discount.get_absolute_url(), 302)]
        created = CustomerDiscount.objects.get()
        assert (created.customer, created.note, created.status) == (customer, "Năm đầu", "active")
        assert list(created.lines.values_list("product", "rate")) == [(vserver.pk, Decimal("7.50"))]
        assert "The customer discount for" in response.content.decode()

    def test_customer_discount_create_by_htmx_ends_with_hx_redirect(
        self, alice_client, discount, customer, vserver
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "5"})

        response = alice_client.post(create_url(discount), data, headers={"HX-Request": "true"})

        assert response.status_code == 200
        assert response["HX-Redirect"] == discount.get_absolute_url()
        assert CustomerDiscount.objects.count() == 1

    def test_customer_discount_create_shows_rate_above_parent_on_its_field(
        self, alice_client, discount, customer, vserver
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "11"})

        response = alice_client.post(create_url(discount), data)

        assert response.status_code == 400
        assert response.context["form"].errors == {
            f"rate_{vserver.pk}": [
                "At most 10.00%, the rate of your own discount for this product."
            ]
        }
        assert f'data-field-error="rate_{vserver.pk}"' in response.content.decode()
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_invalid_htmx_answers_200_with_errors(
        self, alice_client, discount, customer, vserver
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "0"})

        response = alice_client.post(create_url(discount), data, headers={"HX-Request": "true"})

        assert response.status_code == 200
        assert "The rate must be above 0%." in response.content.decode()
        assert CustomerDiscount.objects.count() == 0

    @pytest.mark.parametrize(
        ("rate", "message"),
        [
            ("-1", "The rate must be above 0%."),
            ("0", "The rate must be above 0%."),
            ("101", "At most 10.00%, the rate of your own discount for this product."),
            ("12.345", "Use at most 2 decimals."),
            ("abc", "Enter the rate as a number, for example 8 or 7.5."),
        ],
    )
    def test_customer_discount_create_rejects_bad_rate_on_the_field(
        self, alice_client, discount, customer, vserver, rate, message
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": rate})

        response = alice_client.post(create_url(discount), data)

        assert response.status_code == 400
        assert response.context["form"].errors == {f"rate_{vserver.pk}": [message]}
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_needs_one_rate(self, alice_client, discount, customer):
        response = alice_client.post(create_url(discount), form_data(discount, customer))

        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [
            "Give a rate for at least one product."
        ]
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_rejects_reversed_dates(
        self, alice_client, discount, customer, vserver
    ):
        data = form_data(
            discount,
            customer,
            **{f"rate_{vserver.pk}": "5"},
            valid_from=(today() + timedelta(days=5)).isoformat(),
            valid_until=(today() + timedelta(days=4)).isoformat(),
        )

        response = alice_client.post(create_url(discount), data)

        assert response.context["form"].errors == {
            "valid_until": ["The end date must be on or after the start date."]
        }
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_rejects_dates_outside_the_parent(
        self, alice_client, discount, customer, vserver
    ):
        data = form_data(
            discount,
            customer,
            **{f"rate_{vserver.pk}": "5"},
            valid_from=(discount.valid_from - timedelta(days=1)).isoformat(),
            valid_until=(discount.valid_until + timedelta(days=1)).isoformat(),
        )

        response = alice_client.post(create_url(discount), data)

        assert sorted(response.context["form"].errors) == ["valid_from", "valid_until"]
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_rejects_customer_not_owned(
        self, alice_client, discount, beta_discount, vserver
    ):
        for stranger in (beta_discount.customer, CustomerFactory()):
            data = form_data(discount, stranger, **{f"rate_{vserver.pk}": "5"})

            response = alice_client.post(create_url(discount), data)

            assert response.context["form"].errors == {
                "customer": ["This company is not one of your customers now."]
            }
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_ignores_a_rate_for_a_product_not_in_the_discount(
        self, alice_client, discount, customer, vserver, vdb
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "5", f"rate_{vdb.pk}": "5"})

        alice_client.post(create_url(discount), data)

        assert list(CustomerDiscountLine.objects.values_list("product", flat=True)) == [vserver.pk]

    def test_customer_discount_create_double_submit_gives_one_row(
        self, alice_client, discount, customer, vserver
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "5"})

        first = alice_client.post(create_url(discount), data)
        second = alice_client.post(create_url(discount), data)

        assert first.status_code == 302
        assert second.status_code == 400
        assert "already has a customer discount" in second.context["form"].errors["customer"][0]
        assert CustomerDiscount.objects.count() == 1

    def test_customer_discount_create_by_a_member_is_403_with_a_message(
        self, sam_client, discount, customer, vserver
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "5"})

        response = sam_client.post(create_url(discount), data)

        assert response.status_code == 403
        assert "Only an admin of your organisation can create or revoke customer discounts." in (
            response.content.decode()
        )
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_form_is_403_for_a_member(self, sam_client, discount):
        assert sam_client.get(create_url(discount)).status_code == 403

    def test_customer_discount_create_on_another_partners_discount_is_404(
        self, bob_client, discount, customer, vserver
    ):
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "5"})

        assert bob_client.get(create_url(discount)).status_code == 404
        assert bob_client.post(create_url(discount), data).status_code == 404
        assert CustomerDiscount.objects.count() == 0

    def test_customer_discount_create_on_a_revoked_discount_says_why(
        self, alice_client, discount, customer, staff, vserver
    ):
        revoke_discount(discount, by=staff, reason="Mistake")
        data = form_data(discount, customer, **{f"rate_{vserver.pk}": "5"})

        response = alice_client.post(create_url(discount), data)

        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [
            "This partner discount is revoked; it cannot be passed on any more."
        ]
        assert CustomerDiscount.objects.count() == 0

    # --- revoke customer discount -----------------------------------------------------------------

    def test_customer_discount_revoke_keeps_the_row(self, alice_client, alice, customer_discount):
        response = alice_client.post(revoke_url(customer_discount), follow=True)

        assert response.redirect_chain == [(customer_discount.discount.get_absolute_url(), 302)]
        customer_discount.refresh_from_db()
        assert (customer_discount.status, customer_discount.revoked_by) == ("revoked", alice)
        assert CustomerDiscount.objects.count() == 1
        assert "was revoked" in response.content.decode()

    def test_customer_discount_revoke_twice_shows_a_message(self, alice_client, customer_discount):
        alice_client.post(revoke_url(customer_discount))

        response = alice_client.post(revoke_url(customer_discount), follow=True)

        assert "This customer discount was already revoked." in response.content.decode()
        assert CustomerDiscount.objects.filter(status="revoked").count() == 1

    def test_customer_discount_revoke_get_is_405(self, alice_client, customer_discount):
        response = alice_client.get(revoke_url(customer_discount))

        assert response.status_code == 405
        assert CustomerDiscount.objects.get().status == "active"

    def test_customer_discount_revoke_by_a_member_is_403(self, sam_client, customer_discount):
        response = sam_client.post(revoke_url(customer_discount))

        assert response.status_code == 403
        assert CustomerDiscount.objects.get().status == "active"

    def test_customer_discount_revoke_of_another_partner_is_404(
        self, bob_client, customer_discount
    ):
        response = bob_client.post(revoke_url(customer_discount))

        assert response.status_code == 404
        assert CustomerDiscount.objects.get().status == "active"

    def test_customer_discount_revoke_under_the_wrong_discount_is_404(
        self, alice_client, customer_discount, alpha, alice
    ):
        other = DealFactory(
            partner=alpha, created_by=alice, approved=True, stage=Deal.Stage.PROPOSAL
        )
        change_stage(other, Deal.Stage.WON, by=alice)
        url = reverse("discount_customer_revoke", args=[other.discount.pk, customer_discount.pk])

        assert alice_client.post(url).status_code == 404
        assert CustomerDiscount.objects.get().status == "active"

    # --- done when: the whole flow as a new user would try it --------------------------------------
