"""Register a deal (/deals/new/) and edit and resubmit one staff sent back (/deals/<id>/edit/)."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from deals.models import Deal, DiscountRule, StageChange
from deals.services import register_deal, resubmit_deal
from deals.services.checks import latest_close_date
from partners.models import Customer
from tests.factories import ContractFactory, CustomerFactory, DealFactory, ProductFactory

pytestmark = pytest.mark.django_db

REGISTER = "/deals/new/"
TAX_CODE = "0312345678"


@pytest.fixture
def products(vserver, vstorage):
    return [vserver, vstorage]


def today():
    return timezone.localdate()


def rate_key(product):
    return f"rate_{product.pk}"


def form_data(products, **overrides):
    vserver, vstorage = products
    data = {
        "customer_tax_code": TAX_CODE,
        "customer_name": "Công ty TNHH Minh Phát",
        "title": "ERP on vServer",
        "description": "Move the ERP to the cloud.",
        "estimated_value": "150000000",
        "expected_close_date": (today() + timedelta(days=30)).isoformat(),
        rate_key(vserver): "12.5",
        rate_key(vstorage): "",
    }
    data.update(overrides)
    return data


def counts():
    return {
        "deals": Deal.objects.count(),
        "rules": DiscountRule.objects.count(),
        "changes": StageChange.objects.count(),
        "customers": Customer.objects.count(),
    }


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- Register: the page ---------------------------------------------------------------------


def test_register_page_shows_the_form_with_the_contract_limit(alice_client, alpha, products):
    contract = alpha.contracts.get()

    response = alice_client.get(REGISTER)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="customer_tax_code"' in html and 'name="customer_name"' in html
    for product in products:
        assert f'name="{rate_key(product)}"' in html
    assert f"at most 20.00% (your contract {contract.number})" in html


def test_register_page_offers_only_active_products(alice_client, products):
    retired = ProductFactory(code="old", name="Old service", is_active=False)

    html = alice_client.get(REGISTER).content.decode()

    assert f'name="{rate_key(retired)}"' not in html


def test_register_page_without_contract_says_so(alice_client, alpha, products):
    alpha.contracts.all().delete()

    response = alice_client.get(REGISTER)

    assert response.status_code == 200
    assert b"data-no-contract" in response.content
    assert b"no contract with VNG Cloud in force today" in response.content
    assert b'name="customer_tax_code"' not in response.content


def test_register_put_gives_405(alice_client):
    assert alice_client.put(REGISTER).status_code == 405


def test_register_anonymous_goes_to_login(client):
    response = client.get(REGISTER)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_register_user_without_partner_gets_403_page(client, nobody, products):
    client.force_login(nobody)

    response = client.post(REGISTER, form_data(products))

    assert response.status_code == 403
    assert b"not linked to a partner" in response.content
    assert Deal.objects.count() == 0


# --- Register: success ----------------------------------------------------------------------


def test_register_creates_deal_rules_history_and_customer(alice_client, alice, alpha, products):
    vserver, vstorage = products
    data = form_data(products, **{rate_key(vstorage): "5"})

    response = alice_client.post(REGISTER, data)

    deal = Deal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/deals/{deal.pk}/"
    assert (deal.partner, deal.created_by, deal.title) == (alpha, alice, "ERP on vServer")
    assert (deal.status, deal.stage, deal.probability) == ("pending", "prospect", 10)
    assert deal.estimated_value == Decimal("150000000")
    assert deal.expected_close_date == today() + timedelta(days=30)
    assert deal.description == "Move the ERP to the cloud."
    assert deal.customer.tax_code == TAX_CODE
    assert deal.customer.name == "Công ty TNHH Minh Phát"
    rules = {(r.product, r.rate) for r in DiscountRule.objects.all()}
    assert rules == {(vserver, Decimal("12.50")), (vstorage, Decimal("5.00"))}
    change = StageChange.objects.get()
    assert (change.deal, change.to_stage, change.to_status, change.by) == (
        deal,
        "prospect",
        "pending",
        alice,
    )
    assert counts() == {"deals": 1, "rules": 2, "changes": 1, "customers": 1}
    assert messages_of(response) == ["Deal “ERP on vServer” registered. VNG Cloud will review it."]


def test_register_reuses_a_known_customer_and_keeps_its_name(alice_client, products):
    known = CustomerFactory(tax_code=TAX_CODE, name="Minh Phát JSC")

    response = alice_client.post(REGISTER, form_data(products, customer_name="Another name"))

    assert response.status_code == 302
    assert Deal.objects.get().customer == known
    assert Customer.objects.count() == 1
    known.refresh_from_db()
    assert known.name == "Minh Phát JSC"
    assert "already known for this tax code: Minh Phát JSC" in messages_of(response)[0]


def test_register_known_customer_needs_no_name_and_the_hint_shows(alice_client, products):
    CustomerFactory(tax_code=TAX_CODE, name="Minh Phát JSC")

    response = alice_client.post(
        REGISTER, form_data(products, customer_name="", estimated_value="oops")
    )

    assert response.status_code == 400
    assert b"data-known-customer" in response.content
    assert "already known to the portal as Minh Phát JSC" in response.content.decode()
    assert "customer_name" not in response.context["form"].errors


def test_register_a_branch_tax_code(alice_client, products):
    response = alice_client.post(REGISTER, form_data(products, customer_tax_code="0312345678-001"))

    assert response.status_code == 302
    assert Deal.objects.get().customer.tax_code == "0312345678-001"


@pytest.mark.parametrize(
    "typed", ["150000000", "150.000.000", "150,000,000", "150 000 000", " 150000000 "]
)
def test_register_estimated_value_accepts_thousands_separators(alice_client, products, typed):
    response = alice_client.post(REGISTER, form_data(products, estimated_value=typed))

    assert response.status_code == 302
    assert Deal.objects.get().estimated_value == Decimal("150000000")


# The one rule for typed amounts (web.formats.TYPED_VND), the money pages' too.
@pytest.mark.parametrize("typed", ["0.500", "1_000", "1e5", "١٢٣", "150.000,000"])
def test_register_estimated_value_refuses_what_is_not_an_amount_of_dong(
    alice_client, products, typed
):
    response = alice_client.post(REGISTER, form_data(products, estimated_value=typed))

    assert response.status_code == 400
    assert response.context["form"].errors["estimated_value"]
    assert not Deal.objects.exists()


@pytest.mark.parametrize("typed", ["12,5", "12.50", "12.5%"])
def test_register_rate_accepts_a_decimal_comma_and_a_percent_sign(
    alice_client, products, vserver, typed
):
    response = alice_client.post(REGISTER, form_data(products, **{rate_key(vserver): typed}))

    assert response.status_code == 302
    assert DiscountRule.objects.get().rate == Decimal("12.5")


def test_register_rate_at_the_contract_limit_is_accepted(alice_client, products, vserver):
    response = alice_client.post(REGISTER, form_data(products, **{rate_key(vserver): "20"}))

    assert response.status_code == 302
    assert DiscountRule.objects.get().rate == Decimal("20")


def test_register_zero_value_and_today_are_accepted(alice_client, products):
    data = form_data(products, estimated_value="0", expected_close_date=today().isoformat())

    assert alice_client.post(REGISTER, data).status_code == 302
    assert Deal.objects.get().estimated_value == 0


def test_register_by_a_member_without_admin_rights(client, sam, alpha, products):
    client.force_login(sam)

    response = client.post(REGISTER, form_data(products))

    assert response.status_code == 302
    assert Deal.objects.get().created_by == sam


# --- Register: bad input ----------------------------------------------------------------------

BAD_TAX_CODE = "A tax code is 10 digits, or 10 digits, a dash and 3 digits for a branch."
RATE_ABOVE_0 = "The rate must be above 0%."
NOT_A_VALUE = "Enter a whole number of VND, 0 or more"


@pytest.mark.parametrize(
    ("field", "typed", "error"),
    [
        ("customer_tax_code", "12345", BAD_TAX_CODE),
        ("customer_tax_code", "031234567A", BAD_TAX_CODE),
        ("customer_tax_code", "0312345678-01", BAD_TAX_CODE),
        ("customer_tax_code", "", "This field is required."),
        ("customer_name", "", "This tax code is new to the portal: give the customer's name."),
        ("title", "   ", "This field is required."),
        ("vserver", "0", RATE_ABOVE_0),
        ("vserver", "-1", RATE_ABOVE_0),
        ("vserver", "101", "At most 20.00% under contract"),
        ("vserver", "20.01", "At most 20.00% under contract"),
        ("vserver", "12.345", "Use at most 2 decimals."),
        ("vserver", "ten", "Enter the rate as a number, for example 8 or 7.5."),
        ("vserver", "NaN", "Enter the rate as a number, for example 8 or 7.5."),
        ("vserver", "1e1000000", "Enter the rate as a number, for example 8 or 7.5."),
        ("vserver", "9" * 40, "Enter the rate as a number, for example 8 or 7.5."),
        ("estimated_value", "-1", NOT_A_VALUE),
        ("estimated_value", "abc", NOT_A_VALUE),
        ("estimated_value", "150.5", NOT_A_VALUE),
        ("estimated_value", "1.50.000", NOT_A_VALUE),
        ("estimated_value", "١٥٠٠٠٠٠٠٠", NOT_A_VALUE),  # another script's digits
        ("estimated_value", "1" * 19, "That amount is too large."),
        ("expected_close_date", "yesterday", "The expected close date cannot be in the past."),
        ("expected_close_date", "31/02/2030", "Enter a valid date."),
        # A year typed wrong (2226 for 2026).
        ("expected_close_date", "beyond", "must be within 5 years from today"),
    ],
)
def test_register_bad_input_shows_the_error_on_its_field_and_saves_nothing(
    alice_client, products, vserver, field, typed, error
):
    if typed == "yesterday":
        typed = (today() - timedelta(days=1)).isoformat()
    if typed == "beyond":
        typed = (latest_close_date(today()) + timedelta(days=1)).isoformat()
    name = rate_key(vserver) if field == "vserver" else field
    data = form_data(products, **{name: typed})

    response = alice_client.post(REGISTER, data)

    assert response.status_code == 400
    form = response.context["form"]
    assert any(error in message for message in form.errors[name])
    assert error.split("%")[0] in response.content.decode().replace("&#x27;", "'")
    assert 'class="form-control is-invalid"' in response.content.decode()
    # What the partner typed is still there.
    assert 'value="ERP on vServer"' in response.content.decode() or field == "title"
    assert counts() == {"deals": 0, "rules": 0, "changes": 0, "customers": 0}


def test_register_without_any_product_shows_the_error_and_saves_nothing(alice_client, products):
    response = alice_client.post(REGISTER, form_data(products, **{rate_key(products[0]): ""}))

    assert response.status_code == 400
    assert response.context["form"].errors["rates"] == ["Give a rate for at least one product."]
    assert b"data-rates-error" in response.content
    assert counts() == {"deals": 0, "rules": 0, "changes": 0, "customers": 0}


def test_register_above_a_lower_contract_limit_is_refused(alice_client, alpha, products, vserver):
    alpha.contracts.update(max_discount_rate=Decimal("8.5"))

    response = alice_client.post(REGISTER, form_data(products, **{rate_key(vserver): "9"}))

    assert response.status_code == 400
    assert response.context["form"].errors[rate_key(vserver)] == [
        f"At most 8.50% under contract {alpha.contracts.get().number}."
    ]
    assert Deal.objects.count() == 0


@pytest.mark.parametrize("contract", ["none", "expired", "not_started"])
def test_register_without_contract_in_force_is_refused(alice_client, alpha, products, contract):
    alpha.contracts.all().delete()
    if contract == "expired":
        ContractFactory(
            partner=alpha,
            start_date=today() - timedelta(days=400),
            end_date=today() - timedelta(days=1),
        )
    elif contract == "not_started":
        ContractFactory(partner=alpha, start_date=today() + timedelta(days=1))

    response = alice_client.post(REGISTER, form_data(products))

    assert response.status_code == 403
    assert b"no contract with VNG Cloud in force today" in response.content
    assert counts() == {"deals": 0, "rules": 0, "changes": 0, "customers": 0}


# --- Register: double submission and conflicts --------------------------------------------------


def test_register_double_submission_gives_one_deal(alice_client, products):
    first = alice_client.post(REGISTER, form_data(products))
    second = alice_client.post(REGISTER, form_data(products, title="  erp ON  vserver "))

    assert first.status_code == 302
    assert second.status_code == 400
    deal = Deal.objects.get()
    [error] = second.context["form"].errors["title"]
    assert error.startswith("Your organisation already has an open deal “ERP on vServer”")
    assert counts() == {"deals": 1, "rules": 1, "changes": 1, "customers": 1}
    assert deal.title == "ERP on vServer"


def test_register_same_title_for_another_customer_or_after_closing_is_allowed(
    alice, alpha, products, vserver
):
    args = {
        "partner": alpha,
        "by": alice,
        "customer_name": "Minh Phát",
        "title": "ERP",
        "estimated_value": Decimal(1),
        "expected_close_date": today(),
        "rates": {vserver: Decimal(5)},
    }
    first = register_deal(customer_tax_code=TAX_CODE, **args)
    register_deal(customer_tax_code="0398765432", **args)
    Deal.objects.filter(pk=first.pk).update(status="rejected", closed_at=timezone.now())
    register_deal(customer_tax_code=TAX_CODE, **args)

    assert Deal.objects.filter(title="ERP").count() == 3


def test_register_same_title_by_another_partner_is_not_a_duplicate(alice, bob, products, vserver):
    args = {
        "customer_tax_code": TAX_CODE,
        "customer_name": "Minh Phát",
        "title": "ERP",
        "estimated_value": Decimal(1),
        "expected_close_date": today(),
        "rates": {vserver: Decimal(5)},
    }
    register_deal(partner=alice.membership.partner, by=alice, **args)
    register_deal(partner=bob.membership.partner, by=bob, **args)

    assert Deal.objects.count() == 2
    assert Customer.objects.count() == 1


def test_register_conflict_is_accepted_with_a_warning_that_names_nobody(
    alice_client, beta_deal, products
):
    data = form_data(products, customer_tax_code=beta_deal.customer.tax_code)

    response = alice_client.post(REGISTER, data)

    assert response.status_code == 302
    assert Deal.objects.count() == 2
    new = Deal.objects.exclude(pk=beta_deal.pk).get()
    assert (new.customer, new.status) == (beta_deal.customer, "pending")
    [message] = messages_of(response)
    assert "VNG Cloud will review a possible conflict" in message
    page = alice_client.get(response["Location"]).content.decode()
    for secret in ("Beta Integration", beta_deal.title):
        assert secret not in message
        assert secret not in page
    assert StageChange.objects.get(deal=new).system_note == (
        "Registered. Another partner holds a protected claim on this customer."
    )


@pytest.mark.parametrize("state", ["expired", "pending", "won", "own"])
def test_register_no_conflict_warning_without_another_protected_open_claim(
    alice_client, alpha, alice, beta_deal, products, state
):
    if state == "expired":
        beta_deal.protected_until = today() - timedelta(days=1)
        beta_deal.save()
    elif state == "pending":
        beta_deal.status = "pending"
        beta_deal.save()
    elif state == "won":
        beta_deal.stage, beta_deal.closed_at = "won", timezone.now()
        beta_deal.save()
    else:
        DealFactory(partner=alpha, created_by=alice, approved=True, customer=beta_deal.customer)
        beta_deal.delete()
    data = form_data(products, customer_tax_code=beta_deal.customer.tax_code)

    response = alice_client.post(REGISTER, data)

    assert response.status_code == 302
    assert "conflict" not in messages_of(response)[0]


def test_register_deal_service_refuses_a_duplicate(alice, alpha, products, vserver):
    args = {
        "partner": alpha,
        "by": alice,
        "customer_tax_code": TAX_CODE,
        "customer_name": "Minh Phát",
        "title": "ERP",
        "estimated_value": Decimal(1),
        "expected_close_date": today(),
        "rates": {vserver: Decimal(5)},
    }
    register_deal(**args)

    with pytest.raises(ValidationError) as refused:
        register_deal(**args)

    assert list(refused.value.message_dict) == ["title"]
    assert Deal.objects.count() == 1


def test_register_deal_service_refuses_an_inactive_product(alice, alpha):
    retired = ProductFactory(code="old", name="Old", is_active=False)

    with pytest.raises(ValidationError) as refused:
        register_deal(
            partner=alpha,
            by=alice,
            customer_tax_code=TAX_CODE,
            customer_name="Minh Phát",
            title="ERP",
            estimated_value=Decimal(1),
            expected_close_date=today(),
            rates={retired: Decimal(5)},
        )

    assert list(refused.value.message_dict) == ["rates"]
    assert counts() == {"deals": 0, "rules": 0, "changes": 0, "customers": 0}


# --- Resubmit -------------------------------------------------------------------------------------


@pytest.fixture
def sent_back(alpha, alice, vserver):
    return DealFactory(
        partner=alpha,
        created_by=alice,
        title="Old title",
        status="action_required",
        review_comment="Lower the vServer rate, please.",
        rates={vserver: Decimal("15")},
    )


def edit_url(deal):
    return f"/deals/{deal.pk}/edit/"


def edit_data(products, **overrides):
    vserver, vstorage = products
    data = {
        "title": "New title",
        "description": "Now with storage.",
        "estimated_value": "200.000.000",
        "expected_close_date": (today() + timedelta(days=60)).isoformat(),
        rate_key(vserver): "10",
        rate_key(vstorage): "5",
        "note": "Rate lowered as asked.",
    }
    data.update(overrides)
    return data


def test_resubmit_page_shows_the_comment_and_the_current_values(
    alice_client, sent_back, products, vserver
):
    response = alice_client.get(edit_url(sent_back))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Lower the vServer rate, please." in html
    assert 'value="Old title"' in html
    assert 'value="100000000"' in html
    assert f'name="{rate_key(vserver)}" value="15.00"' in html
    assert 'name="note"' in html
    assert 'name="customer_tax_code"' not in html  # the customer does not change


def test_resubmit_saves_the_edits_and_the_history(alice_client, alice, sent_back, products):
    vserver, vstorage = products

    response = alice_client.post(edit_url(sent_back), edit_data(products))

    assert response.status_code == 302
    assert response["Location"] == f"/deals/{sent_back.pk}/"
    sent_back.refresh_from_db()
    assert sent_back.status == "pending"
    assert (sent_back.title, sent_back.description) == ("New title", "Now with storage.")
    assert sent_back.estimated_value == Decimal("200000000")
    assert sent_back.expected_close_date == today() + timedelta(days=60)
    rules = {(r.product, r.rate) for r in sent_back.discount_rules.all()}
    assert rules == {(vserver, Decimal("10.00")), (vstorage, Decimal("5.00"))}
    change = StageChange.objects.get(deal=sent_back)
    assert (change.from_status, change.to_status, change.by) == (
        "action_required",
        "pending",
        alice,
    )
    assert change.note == "Rate lowered as asked."
    assert change.system_params["fields"][-1] == "rates"
    assert messages_of(response) == ["Your changes were sent to VNG Cloud for review."]


def test_resubmit_by_a_member_without_edits(client, sam, sent_back, products, vserver):
    client.force_login(sam)
    data = edit_data(
        products,
        title="Old title",
        description="",
        estimated_value="100000000",
        expected_close_date=sent_back.expected_close_date.isoformat(),
        note="",
        **{rate_key(vserver): "15", rate_key(products[1]): ""},
    )

    response = client.post(edit_url(sent_back), data)

    assert response.status_code == 302
    sent_back.refresh_from_db()
    assert sent_back.status == "pending"
    change = StageChange.objects.get(deal=sent_back)
    assert (change.from_status, change.to_status, change.note) == ("action_required", "pending", "")


@pytest.mark.parametrize(
    ("name", "typed", "error"),
    [
        ("vserver", "25", "At most 20.00% under contract"),
        ("vserver", "0", RATE_ABOVE_0),
        ("estimated_value", "-5", NOT_A_VALUE),
        ("expected_close_date", "yesterday", "The expected close date cannot be in the past."),
        ("title", "", "This field is required."),
    ],
)
def test_resubmit_bad_input_saves_nothing(alice_client, sent_back, products, name, typed, error):
    if typed == "yesterday":
        typed = (today() - timedelta(days=1)).isoformat()
    field = rate_key(products[0]) if name == "vserver" else name

    response = alice_client.post(edit_url(sent_back), edit_data(products, **{field: typed}))

    assert response.status_code == 400
    assert any(error in message for message in response.context["form"].errors[field])
    assert "Rate lowered as asked." in response.content.decode()
    sent_back.refresh_from_db()
    assert (sent_back.status, sent_back.title) == ("action_required", "Old title")
    assert [r.rate for r in sent_back.discount_rules.all()] == [Decimal("15.00")]
    assert StageChange.objects.filter(deal=sent_back).count() == 0


def test_resubmit_without_any_product_is_refused(alice_client, sent_back, products):
    data = edit_data(products, **{rate_key(p): "" for p in products})

    response = alice_client.post(edit_url(sent_back), data)

    assert response.status_code == 400
    assert response.context["form"].errors["rates"] == ["Give a rate for at least one product."]
    assert DiscountRule.objects.filter(deal=sent_back).count() == 1


def test_resubmit_without_contract_is_refused(alice_client, alpha, sent_back, products):
    alpha.contracts.all().delete()

    response = alice_client.post(edit_url(sent_back), edit_data(products))

    assert response.status_code == 403
    assert b"no contract with VNG Cloud in force today" in response.content
    sent_back.refresh_from_db()
    assert sent_back.status == "action_required"


def test_resubmit_keeps_a_product_staff_withdrew_since(alice_client, sent_back, products, vserver):
    vserver.is_active = False
    vserver.save()

    page = alice_client.get(edit_url(sent_back)).content.decode()
    response = alice_client.post(edit_url(sent_back), edit_data(products))

    assert "vServer (no longer offered)" in page
    assert response.status_code == 302
    assert DiscountRule.objects.get(deal=sent_back, product=vserver).rate == Decimal("10")


@pytest.mark.parametrize("status", ["pending", "approved", "rejected"])
def test_resubmit_other_status_is_refused_with_a_message(alice_client, sent_back, products, status):
    Deal.objects.filter(pk=sent_back.pk).update(status=status)

    for response in (
        alice_client.get(edit_url(sent_back)),
        alice_client.post(edit_url(sent_back), edit_data(products)),
    ):
        assert response.status_code == 302
        assert response["Location"] == f"/deals/{sent_back.pk}/"
        message = messages_of(response)[-1]  # the GET's message is still unread at the POST
        assert message.startswith("Only a deal that VNG Cloud sent back for changes can be")
    sent_back.refresh_from_db()
    assert (sent_back.status, sent_back.title) == (status, "Old title")
    assert StageChange.objects.filter(deal=sent_back).count() == 0


def test_resubmit_another_partners_deal_is_404(alice_client, beta, bob, products, vserver):
    theirs = DealFactory(
        partner=beta, created_by=bob, status="action_required", review_comment="Beta secret"
    )

    got = alice_client.get(edit_url(theirs))
    posted = alice_client.post(edit_url(theirs), edit_data(products))

    assert (got.status_code, posted.status_code) == (404, 404)
    assert b"Beta secret" not in got.content
    theirs.refresh_from_db()
    assert (theirs.status, theirs.title) == ("action_required", theirs.title)
    assert StageChange.objects.count() == 0


def test_resubmit_unknown_id_is_404(alice_client):
    assert alice_client.get("/deals/999999/edit/").status_code == 404


def test_resubmit_anonymous_goes_to_login(client, sent_back):
    response = client.get(edit_url(sent_back))

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_resubmit_user_without_partner_gets_403_page(client, nobody, sent_back):
    client.force_login(nobody)

    assert client.get(edit_url(sent_back)).status_code == 403


def test_resubmit_put_gives_405(alice_client, sent_back):
    assert alice_client.put(edit_url(sent_back)).status_code == 405


def test_resubmit_deal_service_twice_is_refused_the_second_time(alice, sent_back):
    resubmit_deal(sent_back, by=alice, note="first")

    with pytest.raises(ValidationError) as refused:
        resubmit_deal(sent_back, by=alice, note="second")

    assert refused.value.code == "not_action_required"
    assert StageChange.objects.filter(deal=sent_back).count() == 1


def test_resubmit_deal_service_records_what_changed(alice, sent_back, vserver):
    resubmit_deal(sent_back, by=alice, title="Renamed", rates={vserver: Decimal("9")})

    sent_back.refresh_from_db()
    assert sent_back.title == "Renamed"
    change = StageChange.objects.get(deal=sent_back)
    assert (change.note, change.system_code) == ("", "changed")
    assert change.system_params == {"fields": ["title", "rates"]}
    assert change.system_note == "Changed: title, discount rates."


# --- Buttons on other pages -----------------------------------------------------------------------


def test_deal_detail_offers_resubmit_only_when_action_required(alice_client, sent_back, alpha_deal):
    assert (
        f'href="{edit_url(sent_back)}"'
        in alice_client.get(f"/deals/{sent_back.pk}/").content.decode()
    )
    other = alice_client.get(f"/deals/{alpha_deal.pk}/").content.decode()
    assert f'href="{edit_url(alpha_deal)}"' not in other


def test_deal_list_links_to_registration(alice_client):
    html = alice_client.get("/deals/").content.decode()

    assert 'data-action="register-deal"' in html
    assert "Register your first deal" in html  # the empty state


# --- Double submission on real PostgreSQL ----------------------------------------------------------

on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not on_postgres,
    reason="needs PostgreSQL: SQLite's in-memory test database is not shared between threads",
)
def test_register_deal_concurrent_double_submission_gives_one_deal(alice, alpha, vserver):
    threads_count = 4
    barrier = threading.Barrier(threads_count)
    outcomes = []

    def submit():
        try:
            barrier.wait(timeout=10)
            register_deal(
                partner=alpha,
                by=alice,
                customer_tax_code=TAX_CODE,
                customer_name="Minh Phát",
                title="ERP",
                estimated_value=Decimal(1),
                expected_close_date=today(),
                rates={vserver: Decimal(5)},
            )
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(list(error.message_dict))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(map(str, outcomes)) == ["['title']"] * (threads_count - 1) + ["ok"]
    assert Deal.objects.count() == 1
    assert Customer.objects.count() == 1


def test_a_close_date_five_years_ahead_is_the_furthest_taken(alice, alpha, vserver):
    from deals.services.checks import CLOSE_DATE_MAX_YEARS

    last = latest_close_date(today())
    deal = register_deal(
        partner=alpha,
        by=alice,
        customer_tax_code=TAX_CODE,
        customer_name="Minh Phát",
        title="ERP",
        estimated_value=Decimal(1),
        expected_close_date=last,
        rates={vserver: Decimal(5)},
    )

    assert deal.expected_close_date == last
    assert last.year == today().year + CLOSE_DATE_MAX_YEARS
