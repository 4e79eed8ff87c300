"""Nothing a partner types is doubled or lost: double clicks, an ended session, a long note."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from deals.models import Attachment, Note

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_dialog(page, live_server, deal, action):
    page.goto(f"{live_server.url}/deals/{deal.pk}/")
    page.locator(f"[data-action={action}]").click()
    modal = page.locator("#portal-modal")
    expect(modal.locator("form")).to_be_visible()
    return modal


def test_double_clicking_save_adds_one_note(page, live_server, login, alice, alpha_deal):
    login("alice@alpha.test", to=None)  # the next step opens the deal
    modal = open_dialog(page, live_server, alpha_deal, "add-note")
    modal.locator("textarea[name=text]").fill("Khách hàng đồng ý báo giá")

    modal.locator("button[type=submit]").dblclick()

    expect(page.locator("#timeline")).to_contain_text("Khách hàng đồng ý báo giá")
    page.wait_for_load_state("networkidle")
    assert Note.objects.filter(deal=alpha_deal).count() == 1
    page.reload()
    expect(page.locator("#timeline")).to_contain_text("Khách hàng đồng ý báo giá")
    assert page.locator("#timeline").get_by_text("Khách hàng đồng ý báo giá").count() == 1


def test_double_clicking_upload_stores_the_file_once(
    page, live_server, login, alice, alpha_deal, tmp_path
):
    bom = tmp_path / "BOM.csv"
    bom.write_text("product,qty\nvServer,10\n", encoding="utf-8")
    login("alice@alpha.test", to=None)  # the next step opens the deal
    modal = open_dialog(page, live_server, alpha_deal, "add-attachment")
    modal.locator("input[name=files]").set_input_files([str(bom)])

    modal.locator("button[type=submit]").dblclick()

    expect(page.locator("#timeline")).to_contain_text("BOM.csv")
    page.wait_for_load_state("networkidle")
    assert Attachment.objects.filter(deal=alpha_deal).count() == 1


def sign_in_in_a_new_tab(page, live_server):
    """What the partner does from the dialog's link: sign in again in another tab."""
    link = page.locator("#portal-modal [data-session-ended] a")
    expect(link).to_have_attribute("target", "_blank")
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    tab.fill("input[name=login]", "alice@alpha.test")
    tab.fill("input[name=password]", "test-password")
    tab.locator("main button[type=submit]").click()
    tab.wait_for_url(re.compile(re.escape(live_server.url) + r"/deals/\d+/"))
    tab.close()


def test_an_ended_session_keeps_the_note_dialog_until_signed_in_again(
    page, live_server, login, alice, alpha_deal
):
    # Through the form: signing in again must take up the session the dialog was opened in.
    login("alice@alpha.test", form=True)
    modal = open_dialog(page, live_server, alpha_deal, "add-note")
    modal.locator("textarea[name=text]").fill("Ghi chú dài gõ trong nửa giờ")
    Session.objects.all().delete()  # the session ends on the server (timeout, sign-out)

    modal.locator("button[type=submit]").click()

    ended = modal.locator("[data-session-ended]")
    expect(ended).to_contain_text(re.compile("session has ended|Phiên đăng nhập của bạn đã hết"))
    expect(modal.locator("textarea[name=text]")).to_have_value("Ghi chú dài gõ trong nửa giờ")
    expect(modal.locator("input[name=login]")).to_have_count(0)  # no login page in the dialog
    assert Note.objects.count() == 0

    sign_in_in_a_new_tab(page, live_server)
    modal.locator("button[type=submit]").click()

    expect(page.locator("#timeline")).to_contain_text("Ghi chú dài gõ trong nửa giờ")
    assert list(Note.objects.values_list("text", flat=True)) == ["Ghi chú dài gõ trong nửa giờ"]


def test_an_ended_session_keeps_the_chosen_files(
    page, live_server, login, alice, alpha_deal, tmp_path
):
    bom = tmp_path / "BOM.csv"
    bom.write_text("product,qty\nvServer,10\n", encoding="utf-8")
    login("alice@alpha.test", to=None)  # the next step opens the deal
    modal = open_dialog(page, live_server, alpha_deal, "add-attachment")
    modal.locator("input[name=files]").set_input_files([str(bom)])
    Session.objects.all().delete()

    modal.locator("button[type=submit]").click()
    expect(modal.locator("[data-session-ended]")).to_be_visible()
    sign_in_in_a_new_tab(page, live_server)
    modal.locator("button[type=submit]").click()

    expect(page.locator("#timeline")).to_contain_text("BOM.csv")
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["BOM.csv"]


def test_a_note_over_the_limit_is_an_error_with_the_text_kept(
    page, live_server, login, alice, alpha_deal
):
    text = ("Nội dung ghi chú rất dài. " * 240)[:6000]
    login("alice@alpha.test", to=None)  # the next step opens the deal
    modal = open_dialog(page, live_server, alpha_deal, "add-note")
    modal.locator("textarea[name=text]").fill(text)

    modal.locator("button[type=submit]").click()

    field = modal.locator("textarea[name=text]")
    expect(field).to_have_class(re.compile("is-invalid"))
    expect(modal.locator(".invalid-feedback")).to_contain_text(re.compile("5,000|5.000"))
    assert len(field.input_value()) == 6000
    assert Note.objects.count() == 0


def test_an_ended_session_outside_a_dialog_goes_to_the_login_page_and_back(
    page, live_server, login, alice, alpha_deal
):
    login("alice@alpha.test", to="/deals/")
    Session.objects.all().delete()

    page.locator("#id_q").press_sequentially(alpha_deal.title[:6])  # the search asks by htmx

    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/login/\?next=%2Fdeals%2F"))
    expect(page.locator("#deal-table")).to_have_count(0)  # no list swapped in
    page.fill("input[name=login]", "alice@alpha.test")
    page.fill("input[name=password]", "test-password")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(live_server.url) + r"/deals/"))
