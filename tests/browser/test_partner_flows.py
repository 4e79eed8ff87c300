"""Every partner flow in a real browser, at desktop and phone size, in Vietnamese and English.

Each test gets a `ui` (tests/browser/conftest.py): a tab on the seeded demo data, logged out,
at one size and in one language. `ui.check(label)` asserts the page fits the screen and has no
serious or critical axe-core violation (a screenshot in tests/browser/artifacts/ when
BROWSER_SCREENSHOTS=1 asks, or when the test fails); the fixture fails the test on any console
error.
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deals.models import Attachment, Deal, Note
from discounts.models import CustomerDiscount, Discount
from tests.factories import PDF

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALPHA = "alpha@example.com"


def deal_named(title: str) -> Deal:
    return Deal.objects.get(title=title)


def open_deal(ui, deal: Deal):
    ui.menu("/deals/")
    ui.page.get_by_role("link", name=deal.title, exact=True).first.click()
    ui.page.wait_for_url(f"{ui.base}/deals/{deal.pk}/")


def dialog(ui):
    modal = ui.page.locator("#portal-modal")
    expect(modal).to_be_visible()
    return modal


def test_seeds_flow_win_then_customer_discount(ui, tmp_path):
    deal = deal_named("Chuyển đổi hạ tầng lên vServer")
    bom = tmp_path / "BOM-Q4.pdf"
    bom.write_bytes(PDF)
    ui.login(ALPHA, form=True)  # the sign-in form, at each size and in each language
    ui.check("dashboard")
    ui.menu("/deals/")
    ui.check("deal-list")
    ui.page.get_by_role("link", name=deal.title, exact=True).first.click()
    ui.check("deal")

    # The stage path's next stage opens Update stage with it chosen.
    ui.page.locator("[data-stage-link=won]").click()
    modal = dialog(ui)
    expect(modal.locator("select[name=stage]")).to_have_value("won")
    modal.locator("textarea[name=note]").fill("Khách hàng đã ký hợp đồng")
    modal.locator("input[name=files]").set_input_files(str(bom))
    expect(modal.locator("[data-file-names]")).to_have_text("BOM-Q4.pdf")
    modal.locator("input[name=confirm_close]").check()
    ui.check("stage-dialog")
    modal.locator("[data-submit]").click()

    ui.page.wait_for_url(f"{ui.base}/deals/{deal.pk}/")
    expect(ui.page.locator("[data-toast]")).to_have_count(1)
    expect(ui.page.locator("[aria-current=step]")).to_contain_text(ui.text("Thắng", "Won"))
    expect(ui.page.locator("#timeline")).to_contain_text("BOM-Q4.pdf")
    ui.check("deal-won")
    discount = Discount.objects.get(deal=deal)
    assert Attachment.objects.get(deal=deal).kind == Attachment.Kind.BOM

    ui.menu("/discounts/")
    ui.check("discount-list")
    ui.page.locator(f"main a[href='/discounts/{discount.pk}/']").first.click()
    ui.page.locator("[data-action=create-customer-discount]").click()
    modal = dialog(ui)
    modal.locator("input[name^=rate_]").first.fill("5")
    ui.check("customer-discount-dialog")
    modal.locator("button[type=submit]").click()
    ui.page.wait_for_url(f"{ui.base}/discounts/{discount.pk}/")
    expect(ui.page.locator("[data-customer-discount]")).to_have_count(1)
    ui.check("discount")
    assert CustomerDiscount.objects.get(discount=discount).customer == deal.customer


def test_lost_with_a_reason(ui):
    deal = deal_named("Lưu trữ dữ liệu camera")
    ui.login(ALPHA)
    open_deal(ui, deal)
    ui.page.locator("[data-action=update-stage]").click()
    modal = dialog(ui)
    modal.locator("select[name=stage]").select_option("lost")
    modal.locator("input[name=confirm_close]").check()
    modal.locator("[data-submit]").click()

    # The app's own message, in the page's language; focus stays in the dialog.
    reason = modal.locator("select[name=lost_reason]")
    expect(reason).to_have_class(re.compile("is-invalid"))
    expect(reason).to_be_focused()
    expect(modal.locator("[data-lost-reason] .invalid-feedback")).to_have_text(
        ui.text("Vui lòng nêu lý do thua cơ hội.", "Say why the deal was lost.")
    )
    ui.check("lost-error")
    reason.select_option("price")
    modal.locator("[data-submit]").click()

    expect(ui.page.locator("[aria-current=step]")).to_contain_text(ui.text("Thua", "Lost"))
    ui.check("deal-lost")
    deal.refresh_from_db()
    assert (deal.stage, deal.lost_reason_code) == ("lost", "price")


def test_add_note(ui):
    deal = deal_named("Nền tảng thương mại điện tử")
    ui.login(ALPHA)
    open_deal(ui, deal)
    ui.page.locator("[data-action=add-note]").click()
    modal = dialog(ui)
    # The dialog opens with the keyboard in its first field (not its hidden one-time key).
    expect(modal.locator("textarea[name=text]")).to_be_focused()
    modal.locator("button[type=submit]").click()
    expect(modal.locator("textarea[name=text]")).to_be_focused()
    ui.check("note-error")
    modal.locator("textarea[name=text]").fill("Khách hẹn demo thứ Hai")
    modal.locator("button[type=submit]").click()

    expect(ui.page.locator("#timeline")).to_contain_text("Khách hẹn demo thứ Hai")
    assert list(Note.objects.filter(deal=deal).values_list("text", flat=True)) == [
        "Khách hẹn demo thứ Hai"
    ]


def test_add_attachment_and_download_it(ui, tmp_path):
    deal = deal_named("Hệ thống quản lý kho")
    sheet = tmp_path / "BOM kho.csv"
    sheet.write_text("sản phẩm,số lượng\nvDB,2\n", encoding="utf-8")
    ui.login(ALPHA)
    open_deal(ui, deal)
    ui.page.locator("[data-action=add-attachment]").click()
    modal = dialog(ui)
    expect(modal.locator("select[name=kind]")).to_have_value("bom")
    expect(modal.locator("[data-file-names]")).to_have_text(
        ui.text("Chưa chọn tệp nào", "No file chosen")
    )
    ui.check("attachment-dialog")
    modal.locator("input[name=files]").set_input_files(str(sheet))
    modal.locator("button[type=submit]").click()

    link = ui.page.locator("#timeline a[download]", has_text="BOM kho.csv")
    expect(link).to_be_visible()
    ui.check("deal-with-file")
    with ui.page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "BOM kho.csv"
    assert open(download.value.path(), "rb").read() == sheet.read_bytes()
    assert Attachment.objects.get(deal=deal).kind == Attachment.Kind.BOM


def test_register_a_deal(ui):
    ui.login(ALPHA)
    ui.menu("/deals/")
    ui.page.locator("[data-action=register-deal]").click()
    page = ui.page
    ui.refusals_expected = True  # the page answers 400 with the form's errors
    page.locator("main button[type=submit]").click()  # nothing typed: the app's own messages
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    ui.check("register-errors")

    close = timezone.localdate() + timedelta(days=45)
    page.fill("input[name=customer_tax_code]", "0399999999")
    page.fill("input[name=customer_name]", "Công ty TNHH Mây Xanh")
    page.fill("input[name=title]", "Hạ tầng cho ứng dụng giao hàng")
    page.fill("input[name=estimated_value]", "250.000.000")
    page.fill(
        "input[name=expected_close_date]",
        close.strftime("%d/%m/%Y" if ui.lang == "vi" else "%m/%d/%Y"),
    )
    # Product texts in the page's language.
    expect(page.locator("main")).to_contain_text(
        ui.text("Máy chủ ảo trên đám mây", "Cloud virtual machines")
    )
    page.locator("input[name^=rate_]").first.fill("10")
    page.locator("main button[type=submit]").click()

    deal = Deal.objects.get(title="Hạ tầng cho ứng dụng giao hàng")
    page.wait_for_url(f"{ui.base}/deals/{deal.pk}/")
    ui.check("registered")
    assert (deal.status, deal.expected_close_date, deal.estimated_value) == (
        "pending",
        close,
        250_000_000,
    )


def test_resubmit_after_send_back(ui):
    deal = deal_named("Máy chủ game mùa giải mới")
    ui.login(ALPHA)
    open_deal(ui, deal)
    ui.page.locator("[data-action=resubmit]").click()
    ui.page.fill("input[name=estimated_value]", "420000000")
    ui.page.fill("textarea[name=note]", "Đã sửa giá trị theo góp ý")
    ui.check("resubmit")
    ui.page.locator("main button[type=submit]").click()

    ui.page.wait_for_url(f"{ui.base}/deals/{deal.pk}/")
    deal.refresh_from_db()
    assert (deal.status, deal.estimated_value) == ("pending", 420_000_000)


def test_customer_discount_revoke_then_create(ui):
    existing = CustomerDiscount.objects.filter(status="active").order_by("pk").first()
    discount = existing.discount
    ui.login(ALPHA)
    ui.menu("/discounts/")
    ui.page.locator(f"main a[href='/discounts/{discount.pk}/']").first.click()
    row = ui.page.locator(f"[data-customer-discount='{existing.pk}']")
    row.locator("button[type=submit]").click()
    expect(ui.page.locator("[data-toast]")).to_have_count(1)
    # The page after the revoke has its toast before its deferred scripts ran; the dialog
    # link opens in place only once htmx has started (under load, a click came first).
    ui.page.wait_for_load_state("load")
    existing.refresh_from_db()
    assert existing.status == "revoked"

    rows = ui.page.locator("[data-customer-discount]")
    before = rows.count()
    ui.page.locator("[data-action=create-customer-discount]").click()
    modal = dialog(ui)
    modal.locator("select[name=customer]").select_option(str(existing.customer_id))
    # Half a percent, typed as the partner writes it: "0,5" in Vietnamese. A number box
    # dropped the comma and sent "05": 5% was saved.
    modal.locator("input[name^=rate_]").first.press_sequentially(ui.text("0,5", "0.5"))
    modal.locator("button[type=submit]").click()
    expect(rows).to_have_count(before + 1)
    ui.check("discount-after-revoke-and-create")
    made = CustomerDiscount.objects.get(
        discount=discount, customer=existing.customer, status="active"
    )
    assert [line.rate for line in made.lines.all()] == [Decimal("0.5")]


def test_csv_download_with_the_list_filter(ui):
    ui.login(ALPHA, to="/deals/?stage=won")
    with ui.page.expect_download() as download:
        ui.page.locator("[data-action=export-deals]").click()
    raw = open(download.value.path(), "rb").read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    won = Deal.objects.filter(partner__name="Alpha Cloud Solutions", stage="won")
    assert sorted(r[0] for r in rows[1:]) == sorted(won.values_list("title", flat=True))
    ui.menu("/reports/")
    ui.check("reports")
    ui.menu("/customers/")
    ui.check("customers")
    ui.page.locator("main table a").first.click()
    ui.page.wait_for_url(f"{ui.base}/customers/*/")
    ui.check("customer")


def test_language_switch(ui):
    ui.go("/login/")
    ui.check("login")
    ui.login(ALPHA)
    other, label = ("en", "English") if ui.lang == "vi" else ("vi", "Tiếng Việt")
    toggler = ui.page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
    ui.page.get_by_role("button", name=label).click()
    expect(ui.page.locator("html")).to_have_attribute("lang", other)
    ui.check("switched")
    ui.refusals_expected = True
    assert ui.page.goto(ui.base + "/deals/999999/").status == 404  # none, or another partner's
    ui.check("not-found")


def test_api_token_create_and_webhooks_page(ui):
    from api.models import ApiToken

    ui.login(ALPHA, to="/team/tokens/")
    ui.check("tokens")
    ui.page.fill("input[name=name]", "ERP sync")
    ui.page.locator("main form button[type=submit]").first.click()
    expect(ui.page.locator("#new-token")).to_be_visible()
    ui.check("token-created")
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["ERP sync"]
    # A sandbox token: the list then says which token is which.
    ui.go("/team/tokens/")
    ui.page.fill("input[name=name]", "ERP tests")
    ui.page.locator("input[name=environment][value=sandbox]").check()
    ui.page.locator("main form button[type=submit]").first.click()
    expect(ui.page.locator("#new-token")).to_be_visible()
    kinds = ui.page.locator("td[data-token-environment] .badge")
    expect(kinds).to_have_count(2)
    assert ApiToken.objects.get(name="ERP tests").is_sandbox is True
    ui.check("token-sandbox")
    ui.go("/team/webhooks/")
    ui.check("webhooks")


def test_team_notifications_and_account_pages(ui):
    ui.login(ALPHA, to="/team/")
    expect(ui.page.locator("main")).to_contain_text("alpha.sales@example.com")
    ui.check("team")
    ui.page.locator("main a[data-activity-link]").click()
    ui.page.wait_for_url(ui.base + "/team/activity/")
    # The demo data went through the services, so the log has the organisation's history.
    expect(ui.page.locator("table[data-activity] tbody tr").first).to_be_visible()
    ui.check("team-activity")
    ui.go("/notifications/")
    ui.check("notifications")
    ui.go("/notifications/settings/")
    ui.check("notification-settings")
    ui.go("/accounts/security/")
    ui.check("security")
    ui.go("/accounts/sessions/")
    ui.check("sessions")
    ui.go("/accounts/security/")
    ui.page.locator("main a[href='/accounts/2fa/']").click()
    ui.page.wait_for_url(ui.base + "/accounts/2fa/")
    ui.check("two-factor")
    ui.page.locator("main a[href='/accounts/2fa/totp/activate/']").click()
    # allauth asks for the password again before the second factor changes.
    ui.check("reauthenticate")
    ui.page.fill("input[name=password]", "portal-demo")
    ui.page.locator("main form button[type=submit]").click()
    expect(ui.page.locator("img.portal-qr")).to_be_visible()
    ui.check("totp-activate")
