"""Notes, files and the language switch, as a partner uses them in a browser."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from deals.models import Attachment, Note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOADED_WIDTH = """img => img.complete ? img.naturalWidth : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth), {once: true});
    img.addEventListener("error", () => done(0), {once: true});
})"""


def test_attach_a_bom_and_a_photo_then_a_renamed_html_is_refused(
    page, live_server, login, alice, alpha_deal, tmp_path
):
    bom = tmp_path / "BOM.csv"
    bom.write_text("product,qty\nvServer,10\n", encoding="utf-8")
    photo = tmp_path / "ảnh.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (20, 120, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    fake = tmp_path / "bom.pdf"
    fake.write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    login("alice@alpha.test", to=f"/deals/{alpha_deal.pk}/")

    page.locator("[data-action=add-attachment]").click()
    modal = page.locator("#portal-modal")
    modal.locator("input[name=files]").set_input_files([str(bom), str(photo)])
    modal.locator("select[name=kind]").select_option("bom")
    modal.locator("button[type=submit]").click()

    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("BOM.csv")
    expect(timeline.locator("img.thumbnail")).to_have_count(1)
    # The thumbnail decodes (its width once loaded or failed, not while it is still loading).
    assert timeline.locator("img.thumbnail").evaluate(LOADED_WIDTH) > 0
    assert Attachment.objects.filter(deal=alpha_deal).count() == 2

    page.locator("[data-action=add-attachment]").click()
    modal.locator("input[name=files]").set_input_files([str(fake)])
    modal.locator("button[type=submit]").click()
    expect(modal).to_contain_text(re.compile("not accepted|không chấp nhận"))
    assert Attachment.objects.filter(deal=alpha_deal).count() == 2


def test_add_a_note_keeps_the_line_breaks(page, live_server, login, alice, alpha_deal):
    login("alice@alpha.test", to=f"/deals/{alpha_deal.pk}/")

    page.locator("[data-action=add-note]").click()
    page.locator("#portal-modal textarea[name=text]").fill("Dòng một\n<b>Dòng hai</b>")
    page.locator("#portal-modal button[type=submit]").click()

    expect(page.locator("#timeline")).to_contain_text("<b>Dòng hai</b>")
    assert Note.objects.get(deal=alpha_deal).text == "Dòng một\n<b>Dòng hai</b>"


def test_the_language_switch(page, live_server, login, alice):
    login("alice@alpha.test")
    nav = page.locator("nav.navbar")
    expect(nav).to_contain_text("Chiết khấu")

    page.get_by_role("button", name="English").click()
    expect(nav).to_contain_text("Discount")
    page.goto(f"{live_server.url}/deals/")
    expect(page.locator("h1")).to_have_text("Deals")

    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("h1")).to_have_text("Cơ hội")
