"""A hand-made admin form or action never answers 500 and never stores what no page can read
back: found by a hostile walk of the staff forms (each case was a 500, or, for the year 1, a
row stored that every later page failed on)."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.models import Deal
from partners.models import Customer, Membership, Partner, User
from statements.models import Consumption
from tests.factories import CustomerFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize("ticked", ["abc", "", "1.5", "1\x00", "١", "99999999999999999999999"])
def test_an_action_on_rows_no_key_can_name_changes_nothing(staff_client, alpha_deal, ticked):
    response = staff_client.post(
        "/admin/deals/deal/",
        {"action": "approve_selected", "index": "0", "_selected_action": [ticked]},
        follow=True,
    )

    # Django's own answer when nothing is ticked; the deal is still there.
    assert response.status_code == 200
    assert "Items must be selected" in response.content.decode() or "Bạn cần chọn" in (
        response.content.decode()
    )
    assert Deal.objects.get(pk=alpha_deal.pk).status == alpha_deal.status


def test_an_action_keeps_the_rows_it_can_name(staff_client):
    kept, gone = Group.objects.create(name="kept"), Group.objects.create(name="gone")

    staff_client.post(
        "/admin/auth/group/",
        {"action": "delete_selected", "_selected_action": [str(gone.pk), "abc"], "post": "yes"},
    )

    assert list(Group.objects.filter(pk__in=[kept.pk, gone.pk])) == [kept]


@pytest.mark.parametrize("value", ["abc", "1.5", "99999999999999999999999"])
def test_a_choice_box_given_no_key_is_a_field_error(staff_client, alpha, value):
    response = staff_client.post(
        "/admin/partners/membership/add/", {"user": value, "partner": alpha.pk, "role": "admin"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"]
    assert not Membership.objects.filter(partner=alpha).exclude(user__email__endswith=".test")


def test_a_partner_with_a_real_partners_tax_code_is_a_field_error(staff_client, alpha, beta):
    added = staff_client.post(
        "/admin/partners/partner/add/", {"name": "Dup", "tax_code": beta.tax_code}
    )
    changed = staff_client.post(
        f"/admin/partners/partner/{alpha.pk}/change/",
        {"name": alpha.name, "tax_code": beta.tax_code, "status": "active"},
    )

    for response in (added, changed):
        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors() == [
            "A partner with this tax code already exists."
        ]
    assert not Partner.objects.filter(name="Dup").exists()
    alpha.refresh_from_db()
    assert alpha.tax_code != beta.tax_code


def test_a_customer_with_a_real_customers_tax_code_is_a_field_error(staff_client, alpha):
    first, second = CustomerFactory(), CustomerFactory()

    added = staff_client.post(
        "/admin/partners/customer/add/",
        {"name": "Dup", "tax_code": first.tax_code, "address": "", "created_at_0": "2026-12-01",
         "created_at_1": "08:00:00"},
    )  # fmt: skip
    changed = staff_client.post(
        f"/admin/partners/customer/{second.pk}/change/",
        {"name": second.name, "tax_code": first.tax_code, "address": "",
         "created_at_0": "2026-12-01", "created_at_1": "08:00:00",
         "ownerships-TOTAL_FORMS": "0", "ownerships-INITIAL_FORMS": "0"},
    )  # fmt: skip

    # Customers come with their deals: none is added by hand.
    assert added.status_code == 403
    assert changed.status_code == 200
    assert changed.context["adminform"].form.non_field_errors() == [
        "A customer with this tax code already exists."
    ]
    assert Customer.objects.filter(tax_code=first.tax_code).count() == 1


def test_a_sandboxs_copy_of_a_real_tax_code_is_still_allowed(alpha):
    sandbox = PartnerFactory(tax_code=alpha.tax_code, sandbox_of=alpha)

    assert sandbox.tax_code == alpha.tax_code


def test_a_moment_before_1900_is_refused_and_nothing_is_stored(staff_client, alice):
    joined = User.objects.get(pk=alice.pk).date_joined

    response = staff_client.post(
        f"/admin/partners/user/{alice.pk}/change/",
        {"email": alice.email, "is_active": "on", "date_joined_0": "0001-01-01",
         "date_joined_1": "00:00:00", "last_login_0": "", "last_login_1": ""},
    )  # fmt: skip

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date_joined"]
    assert User.objects.get(pk=alice.pk).date_joined == joined
    assert staff_client.get("/admin/partners/user/").status_code == 200


@pytest.mark.parametrize(
    "csv",
    [
        b"account_id,day,product,amount\nacc-0001,2026-10-01,vserver,1000\rx,y\n",
        b"account_id,day,product,amount\nacc-0001,2026-10-01,vserver," + b"9" * 140_000 + b"\n",
    ],
    ids=["bare-cr", "field-past-the-csv-limit"],
)
def test_a_csv_the_import_cannot_read_is_reported_and_nothing_stored(staff_client, csv):
    response = staff_client.post(
        "/admin/statements/consumption/add/", {"file": SimpleUploadedFile("c.csv", csv)}
    )

    assert response.status_code == 200
    assert "not CSV the import can read" in response.content.decode() or "không phải CSV" in (
        response.content.decode()
    )
    assert not Consumption.objects.exists()


def test_a_signed_in_session_is_seen_and_ended_never_edited(staff_client, staff):
    from allauth.usersessions.models import UserSession

    session = UserSession.objects.create(user=staff, ip="127.0.0.1", session_key="k" * 32,
                                         data={"a": 1})  # fmt: skip

    response = staff_client.post(
        f"/admin/usersessions/usersession/{session.pk}/change/", {"data": "NaN"}
    )

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.data == {"a": 1}


def test_every_autocomplete_box_is_the_one_that_survives_a_bad_key():
    # FastAutocompleteSelect draws nothing selected for a value no row's key can be; Django's
    # own AutocompleteSelect looked the value up and failed (a 500 on the form shown again).
    from django.contrib import admin

    from web.admin import QuickAutocompleteMixin

    plain = [
        type(model_admin).__name__
        for model_admin in admin.site._registry.values()
        for owner in (model_admin, *(i(model_admin.model, admin.site) for i in model_admin.inlines))
        if owner.autocomplete_fields and not isinstance(owner, QuickAutocompleteMixin)
    ]

    assert plain == []


def test_an_address_differing_only_in_case_is_the_same_user(staff_client, alice):
    response = staff_client.post(
        "/admin/partners/user/add/",
        {"email": alice.email.upper(), "password1": "a-Long-pass-2026", "password2": "a-Long-pass-2026",
         "usable_password": "true"},
    )  # fmt: skip
    renamed = UserFactory(email="other@example.test")
    changed = staff_client.post(
        f"/admin/partners/user/{renamed.pk}/change/",
        {"email": f"  {alice.email.title()} ",
         "is_active": "on", "date_joined_0": "2026-12-01", "date_joined_1": "08:00:00",
         "last_login_0": "", "last_login_1": ""},
    )  # fmt: skip

    for answer in (response, changed):
        assert answer.status_code == 200
        assert answer.context["adminform"].form.errors["email"]
    assert User.objects.filter(email__iexact=alice.email).count() == 1
    renamed.refresh_from_db()
    assert renamed.email == "other@example.test"


def test_a_lost_reason_past_its_limit_is_refused_from_every_door(staff_client, alpha_deal, alice):
    from django.core.exceptions import ValidationError

    from deals.models import LOST_REASON_MAX_LENGTH
    from deals.services import change_stage

    too_long = "x" * (LOST_REASON_MAX_LENGTH + 1)
    admin_answer = staff_client.post(
        f"/admin/deals/deal/{alpha_deal.pk}/stage/",
        {"stage": "lost", "lost_reason_code": "other", "lost_reason": "x" * 100_000},
    )
    with pytest.raises(ValidationError) as refused:
        change_stage(alpha_deal, "lost", by=alice, lost_reason=too_long)

    assert admin_answer.status_code == 200
    assert "lost_reason" in admin_answer.context["form"].errors
    assert "lost_reason_text" in refused.value.message_dict
    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, alpha_deal.lost_reason) == ("negotiation", "")


def test_a_review_comment_past_its_limit_is_refused(staff, alpha, alice):
    from django.core.exceptions import ValidationError

    from deals.models import REVIEW_COMMENT_MAX_LENGTH
    from deals.services import send_back_deal
    from tests.factories import DealFactory

    waiting = DealFactory(partner=alpha, created_by=alice)

    with pytest.raises(ValidationError):
        send_back_deal(waiting, by=staff, comment="x" * (REVIEW_COMMENT_MAX_LENGTH + 1))

    waiting.refresh_from_db()
    assert (waiting.status, waiting.review_comment) == ("pending", "")
