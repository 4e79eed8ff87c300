"""external_id: the partner's own CRM id on a deal, unique per partner, settable at
registration (API and portal) and by PATCH, filterable, returned with every deal."""

import csv
import io

import pytest
from django.db import IntegrityError, transaction

from deals.models import Deal
from deals.services import send_back_deal
from notifications.models import Activity
from tests.api.test_deals import registration
from tests.deals.test_registration import form_data
from tests.factories import DealFactory

pytestmark = pytest.mark.django_db


def test_register_stores_and_returns_the_external_id(alpha_api, vserver):
    response = alpha_api.post("/api/v1/deals/", registration(external_id="  CRM-0001 "))

    assert response.status_code == 201
    deal = Deal.objects.get()
    assert deal.external_id == "CRM-0001"
    assert response.json()["external_id"] == "CRM-0001"
    assert alpha_api.get(f"/api/v1/deals/{deal.pk}/").json()["external_id"] == "CRM-0001"


@pytest.mark.parametrize("blank", ["", "   ", None])
def test_register_without_an_external_id_stores_null(alpha_api, vserver, blank):
    first = alpha_api.post("/api/v1/deals/", registration(external_id=blank))
    second = alpha_api.post("/api/v1/deals/", registration(external_id=blank, title="Other"))

    assert (first.status_code, second.status_code) == (201, 201)
    assert list(Deal.objects.values_list("external_id", flat=True)) == [None, None]
    assert first.json()["external_id"] is None


def test_register_refuses_an_external_id_the_partner_already_used(alpha_api, vserver):
    first = alpha_api.post("/api/v1/deals/", registration(external_id="CRM-1"))

    response = alpha_api.post("/api/v1/deals/", registration(external_id="CRM-1", title="Two"))

    assert response.status_code == 400
    problem = response.json()
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("external_id", "duplicate_external_id")
    ]
    assert f"#{first.json()['id']}" in problem["errors"][0]["detail"]
    assert Deal.objects.count() == 1


def test_another_partner_may_use_the_same_external_id(alpha_api, beta_api, alpha, beta, vserver):
    alpha_api.post("/api/v1/deals/", registration(external_id="CRM-1"))

    response = beta_api.post("/api/v1/deals/", registration(external_id="CRM-1"))

    assert response.status_code == 201
    partners = Deal.objects.filter(external_id="CRM-1").values_list("partner_id", flat=True)
    assert sorted(partners) == sorted([alpha.pk, beta.pk])


def test_register_refuses_an_over_long_external_id(alpha_api, vserver):
    response = alpha_api.post("/api/v1/deals/", registration(external_id="x" * 101))

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "external_id"
    assert Deal.objects.count() == 0


def test_the_database_refuses_a_second_deal_with_the_id(alpha, alice):
    DealFactory(partner=alpha, created_by=alice, external_id="CRM-9")
    with pytest.raises(IntegrityError), transaction.atomic():
        DealFactory(partner=alpha, created_by=alice, external_id="CRM-9")
    # Blanks are no id: any number of them.
    DealFactory(partner=alpha, created_by=alice, external_id="")
    DealFactory(partner=alpha, created_by=alice, external_id="")
    assert Deal.objects.filter(partner=alpha).count() == 3


def test_patch_sets_the_external_id_of_an_approved_deal(alpha_api, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True)
    before = deal.updated_at

    response = alpha_api.patch(f"/api/v1/deals/{deal.pk}/", {"external_id": "SF-42"})

    assert response.status_code == 200
    assert response.json()["external_id"] == "SF-42"
    deal.refresh_from_db()
    assert (deal.external_id, deal.status) == ("SF-42", "approved")
    assert deal.updated_at > before
    entry = Activity.objects.get(action="deal.external_id_set")
    assert (entry.actor, entry.object_id, entry.changes) == (
        alice,
        str(deal.pk),
        {"external_id": ["", "SF-42"]},
    )


def test_patch_clears_the_external_id_with_null(alpha_api, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice, external_id="SF-42")

    response = alpha_api.patch(f"/api/v1/deals/{deal.pk}/", {"external_id": None})

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.external_id is None


def test_patch_refuses_an_external_id_another_deal_has(alpha_api, alpha, alice):
    DealFactory(partner=alpha, created_by=alice, external_id="SF-1")
    deal = DealFactory(partner=alpha, created_by=alice, external_id="SF-2")

    response = alpha_api.patch(f"/api/v1/deals/{deal.pk}/", {"external_id": "SF-1"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "duplicate_external_id"
    deal.refresh_from_db()
    assert deal.external_id == "SF-2"


def test_patch_with_other_fields_saves_the_id_only_with_the_resubmission(
    alpha_api, alpha, alice, staff
):
    deal = DealFactory(partner=alpha, created_by=alice, approved=True)

    response = alpha_api.patch(
        f"/api/v1/deals/{deal.pk}/", {"external_id": "SF-7", "title": "Renamed"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_action_required"
    deal.refresh_from_db()
    assert (deal.external_id, deal.title) == (None, deal.title)
    assert deal.title != "Renamed"


def test_patch_resubmits_with_the_external_id(alpha_api, alpha, alice, staff):
    deal = DealFactory(partner=alpha, created_by=alice)
    send_back_deal(deal, by=staff, comment="Which region?")

    response = alpha_api.patch(
        f"/api/v1/deals/{deal.pk}/", {"external_id": "SF-8", "description": "Hanoi"}
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert (deal.external_id, deal.description, deal.status) == ("SF-8", "Hanoi", "pending")


def test_list_filters_by_external_id(alpha_api, alpha, alice, beta, bob):
    wanted = DealFactory(partner=alpha, created_by=alice, external_id="SF-1")
    DealFactory(partner=alpha, created_by=alice, external_id="SF-2")
    DealFactory(partner=beta, created_by=bob, external_id="SF-1")

    response = alpha_api.get("/api/v1/deals/", {"external_id": "SF-1"})

    assert response.status_code == 200
    assert [deal["id"] for deal in response.json()["results"]] == [wanted.pk]


def test_list_filter_by_another_partners_external_id_finds_nothing(alpha_api, beta, bob):
    DealFactory(partner=beta, created_by=bob, external_id="SF-1")

    response = alpha_api.get("/api/v1/deals/", {"external_id": "SF-1"})

    assert response.json()["results"] == []


def test_portal_registration_takes_an_optional_external_id(alice_client, vserver, vstorage):
    response = alice_client.post("/deals/new/", form_data([vserver, vstorage], external_id="HS-5"))

    assert response.status_code == 302
    deal = Deal.objects.get()
    assert deal.external_id == "HS-5"
    page = alice_client.get(deal.get_absolute_url())
    assert b"HS-5" in page.content


def test_portal_registration_shows_a_taken_external_id_on_its_field(
    alice_client, alpha, alice, vserver, vstorage
):
    DealFactory(partner=alpha, created_by=alice, external_id="HS-5")

    response = alice_client.post("/deals/new/", form_data([vserver, vstorage], external_id="HS-5"))

    assert response.status_code == 400
    assert response.context["form"].errors["external_id"]
    assert Deal.objects.count() == 1


def test_the_deal_csv_has_the_external_id_last(alice_client, alpha, alice):
    DealFactory(partner=alpha, created_by=alice, title="With", external_id="=SF-1")
    DealFactory(partner=alpha, created_by=alice, title="Without")

    response = alice_client.get("/deals/export.csv?sort=title")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][-1] == "Your CRM's id"
    # Escaped like every cell that a spreadsheet would read as a formula.
    assert sorted((row[0], row[-1]) for row in rows[1:]) == [("With", "'=SF-1"), ("Without", "")]
