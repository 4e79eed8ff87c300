"""The Update stage sub-screen: modal (htmx) and plain page, with the same view."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.models import Attachment, Note, StageChange
from discounts.models import Discount
from tests.factories import PDF, DealFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(deal):
    return f"/deals/{deal.pk}/stage/"


def test_stage_modal_offers_only_allowed_stages(alice_client, alpha_deal):
    response = alice_client.get(url(alpha_deal), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a partial for the modal, not a page
    assert 'name="stage"' in html and 'name="note"' in html and 'name="files"' in html
    assert 'name="lost_reason"' in html
    assert 'value="negotiation"' not in html  # the current stage is not offered
    for stage in ("prospect", "qualified", "proposal", "won", "lost"):
        assert f'value="{stage}"' in html
    assert response["Vary"].count("HX-Request") == 1


def test_stage_page_works_without_javascript(alice_client, alpha_deal):
    response = alice_client.get(url(alpha_deal))

    assert response.status_code == 200
    assert b"<html" in response.content
    assert b'enctype="multipart/form-data"' in response.content


def test_stage_update_won_closes_the_deal_and_links_the_discount(alice_client, alpha_deal):
    bom = SimpleUploadedFile("BOM.pdf", PDF, "application/pdf")
    response = alice_client.post(
        url(alpha_deal),
        {
            "stage": "won",
            "note": "Signed today",
            "files": [bom],
            "kind": "bom",
            "confirm_close": "on",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/deals/{alpha_deal.pk}/"
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "won" and alpha_deal.closed_at is not None
    discount = Discount.objects.get(deal=alpha_deal)
    assert Attachment.objects.get(deal=alpha_deal).original_name == "BOM.pdf"
    assert Note.objects.get(deal=alpha_deal).text == "Signed today"

    page = alice_client.get(response["Location"]).content.decode()
    assert f'href="/discounts/{discount.pk}/"' in page
    assert page.count("Signed today") == 1  # the note shows inside the stage entry, once
    assert "BOM.pdf" in page
    assert 'data-action="update-stage"' not in page  # a closed deal offers no update


def test_stage_update_by_htmx_redirects_with_hx_redirect(alice_client, alpha_deal):
    response = alice_client.post(url(alpha_deal), {"stage": "proposal", "kind": "other"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/deals/{alpha_deal.pk}/"
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "proposal"


def test_stage_update_closing_needs_confirmation(alice_client, alpha_deal):
    response = alice_client.post(url(alpha_deal), {"stage": "won", "kind": "other"}, **HTMX)

    assert response.status_code == 200
    assert "Confirm that you want to close the deal." in response.content.decode()
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert Discount.objects.count() == 0


def test_stage_update_lost_without_reason_shows_the_error_on_the_field(alice_client, alpha_deal):
    response = alice_client.post(
        url(alpha_deal), {"stage": "lost", "confirm_close": "on", "kind": "other", "note": "kept"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Say why the deal was lost." in html
    assert "kept" in html  # what the user typed is not lost
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"


def test_stage_update_lost_with_reason_closes_the_deal(alice_client, alpha_deal):
    alice_client.post(
        url(alpha_deal),
        {
            "stage": "lost",
            "lost_reason": "competitor",
            "lost_reason_text": "Chose X",
            "confirm_close": "on",
            "kind": "other",
        },
    )
    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, alpha_deal.lost_reason_code, alpha_deal.lost_reason) == (
        "lost",
        "competitor",
        "Chose X",
    )
    assert Discount.objects.count() == 0


def test_stage_update_second_tab_gets_already_closed(alice_client, alpha_deal):
    form = {"stage": "won", "confirm_close": "on", "kind": "other"}
    alice_client.post(url(alpha_deal), form)

    response = alice_client.post(url(alpha_deal), form, **HTMX)

    assert response.status_code == 200
    assert "already closed" in response.content.decode()
    assert Discount.objects.filter(deal=alpha_deal).count() == 1
    assert StageChange.objects.filter(deal=alpha_deal, to_stage="won").count() == 1


def test_stage_update_with_a_hostile_file_saves_nothing(alice_client, alpha_deal):
    svg = SimpleUploadedFile(
        "bom.pdf", b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>"
    )
    response = alice_client.post(
        url(alpha_deal), {"stage": "won", "confirm_close": "on", "files": [svg], "kind": "bom"}
    )

    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
    assert (Discount.objects.count(), Attachment.objects.count()) == (0, 0)


def test_stage_update_of_a_pending_deal_explains_why(alice_client, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice)

    page = alice_client.get(url(deal)).content.decode()
    assert "once VNG Cloud has approved" in page

    response = alice_client.post(url(deal), {"stage": "qualified", "kind": "other"})
    assert response.status_code == 400
    assert "Only an approved deal" in response.content.decode()
    deal.refresh_from_db()
    assert deal.stage == "prospect"


def test_stage_update_of_another_partners_deal_is_404(alice_client, beta_deal):
    assert alice_client.get(url(beta_deal)).status_code == 404
    response = alice_client.post(url(beta_deal), {"stage": "won", "confirm_close": "on"})
    assert response.status_code == 404
    beta_deal.refresh_from_db()
    assert beta_deal.stage == "proposal"


def test_stage_update_member_may_update(client, sam, alpha_deal):
    client.force_login(sam)
    client.post(url(alpha_deal), {"stage": "proposal", "kind": "other"})
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "proposal"


def test_stage_update_requires_login(client, alpha_deal):
    response = client.post(url(alpha_deal), {"stage": "won"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"


def test_stage_update_other_methods_are_405(alice_client, alpha_deal):
    assert alice_client.put(url(alpha_deal)).status_code == 405
    assert alice_client.delete(url(alpha_deal)).status_code == 405


def test_stage_update_with_only_the_documented_fields(alice_client, alpha_deal):
    bom = SimpleUploadedFile("BOM.pdf", PDF, "application/pdf")
    response = alice_client.post(
        url(alpha_deal),
        {
            "stage": "lost",
            "note": "n",
            "lost_reason": "price",
            "files": [bom],
            "confirm_close": "on",
        },
    )

    assert response.status_code == 302
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "lost"
    assert Attachment.objects.get(deal=alpha_deal).kind == "other"


def test_stage_update_a_lost_reason_too_long_says_only_that(alice_client, alpha_deal):
    response = alice_client.post(
        url(alpha_deal),
        {"stage": "lost", "lost_reason": "other", "lost_reason_text": "x" * 1001,
         "confirm_close": "on", "kind": "other"},
    )  # fmt: skip

    assert response.status_code == 400
    errors = response.context["form"].errors["lost_reason_text"]
    assert len(errors) == 1 and "1000" in errors[0].replace(".", "").replace(",", "")
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"
