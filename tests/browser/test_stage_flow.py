"""The heart of the portal, as a partner does it in a browser."""

import re

import pytest
from playwright.sync_api import expect

from deals.models import Deal
from discounts.models import Discount
from partners.models import CustomerOwnership
from tests.factories import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_update_stage_to_won_in_the_modal(page, live_server, login, alice, alpha_deal, tmp_path):
    bom = tmp_path / "BOM-Q4.pdf"
    bom.write_bytes(PDF)
    login("alice@alpha.test")

    page.get_by_role("link", name=re.compile("Deal|Cơ hội")).first.click()
    page.get_by_role("link", name=alpha_deal.title).click()
    page.get_by_role("link", name=re.compile("Update stage|Cập nhật")).click()

    modal = page.locator("#portal-modal")
    expect(modal).to_be_visible()
    modal.locator("select[name=stage]").select_option("won")
    modal.locator("textarea[name=note]").fill("Khách hàng đã ký hợp đồng")
    modal.locator("input[name=files]").set_input_files(str(bom))
    modal.locator("input[name=confirm_close]").check()
    modal.locator("[data-submit]").click()

    page.wait_for_url(f"{live_server.url}/deals/{alpha_deal.pk}/")
    expect(page.locator("[aria-current=step]")).to_contain_text(re.compile("Won|Thắng"))
    expect(page.locator("#timeline")).to_contain_text("Khách hàng đã ký hợp đồng")
    expect(page.locator("#timeline")).to_contain_text("BOM-Q4.pdf")
    discount = Discount.objects.get(deal=alpha_deal)
    page.locator(f"a[href='/discounts/{discount.pk}/']").click()
    expect(page.locator("h1")).to_contain_text(alpha_deal.title)
    page.goto(f"{live_server.url}/customers/")
    expect(page.locator("main")).to_contain_text(alpha_deal.customer.name)
    assert CustomerOwnership.objects.get(customer=alpha_deal.customer).partner == alpha_deal.partner


def test_second_tab_pressing_won_gets_a_clear_message(
    page, context, live_server, login, alice, alpha_deal
):
    login("alice@alpha.test", to=None)  # the next step opens the stage page
    stage_url = f"{live_server.url}/deals/{alpha_deal.pk}/stage/"
    page.goto(stage_url)
    other = context.new_page()
    other.goto(stage_url)

    for tab in (page, other):
        tab.locator("select[name=stage]").select_option("won")
        tab.locator("input[name=confirm_close]").check()
    page.get_by_role("button", name=re.compile("^(Update|Cập nhật)$")).click()
    page.wait_for_url(f"{live_server.url}/deals/{alpha_deal.pk}/")
    other.get_by_role("button", name=re.compile("^(Update|Cập nhật)$")).click()

    expect(other.locator(".alert-danger")).to_contain_text(re.compile("already closed|đã đóng"))
    assert Discount.objects.filter(deal=alpha_deal).count() == 1
    assert Deal.objects.get(pk=alpha_deal.pk).stage == "won"


def test_lost_shows_the_reason_fields_only_for_lost(page, live_server, login, alice, alpha_deal):
    login("alice@alpha.test", to=f"/deals/{alpha_deal.pk}/")
    page.locator("[data-action=update-stage]").click()
    modal = page.locator("#portal-modal")
    expect(modal.locator("select[name=stage]")).to_be_visible()
    expect(modal.locator("[data-lost-reason]")).to_be_hidden()

    modal.locator("select[name=stage]").select_option("lost")
    expect(modal.locator("[data-lost-reason]")).to_be_visible()
    modal.locator("input[name=confirm_close]").check()
    modal.locator("[data-submit]").click()
    # Wait for the answer itself: the field marked invalid with its message.
    expect(modal.locator("select[name=lost_reason].is-invalid")).to_be_visible()
    expect(modal.locator("[data-lost-reason] .invalid-feedback")).to_contain_text(
        re.compile("Say why the deal was lost|lý do", re.I)
    )

    modal.locator("select[name=lost_reason]").select_option("price")
    modal.locator("[data-submit]").click()
    expect(page.locator("[aria-current=step]")).to_contain_text(re.compile("Lost|Thua"))
    assert Deal.objects.get(pk=alpha_deal.pk).stage == "lost"
    assert not Discount.objects.filter(deal=alpha_deal).exists()


def test_a_resized_note_survives_a_second_update_without_csp_errors(
    page, live_server, login, alice, alpha_deal
):
    """htmx keeps an element's old attributes until the new content settles; copying a style
    attribute (the height a person gives the note by dragging its corner) is an inline style
    the Content Security Policy refuses, and Chromium logs it as a console error."""
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login("alice@alpha.test", to=f"/deals/{alpha_deal.pk}/")
    page.locator("[data-action=update-stage]").click()
    note = page.locator("#portal-modal textarea[name=note]")
    expect(note).to_be_visible()
    box = note.bounding_box()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] - 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] + 80, steps=5)
    page.mouse.up()
    assert note.get_attribute("style")  # the drag gave the note its own height

    submit = page.locator("#portal-modal [data-submit]")
    submit.click()  # no stage chosen: the form comes back with its error
    expect(page.locator("#portal-modal select[name=stage]")).to_have_class(re.compile("is-invalid"))
    submit.click()
    expect(page.locator("#portal-modal select[name=stage]")).to_be_focused()
    page.locator("#portal-modal select[name=stage]").select_option("proposal")
    submit.click()
    page.wait_for_url(f"{live_server.url}/deals/{alpha_deal.pk}/")
    expect(page.locator("[data-toast]")).to_have_count(1)

    assert errors == []
