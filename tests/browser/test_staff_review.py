"""A reviewer works the review queue and reads the programme view in a real browser, at
1280 px, in Vietnamese and English, on the demo data (`seed_demo`).

Each page state passes `UI.check` (tests/browser/conftest.py): no horizontal overflow, no
serious or critical axe-core violation (a screenshot in tests/browser/artifacts/ when asked).
"""

import pytest
from playwright.sync_api import expect

from deals.models import Deal
from tests.browser.conftest import close, open_tab

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAFF = "staff@example.com"


@pytest.fixture(params=["vi", "en"])
def staff_ui(request, browser, live_server, demo):
    name = request.node.originalname.removeprefix("test_")
    tab = open_tab(browser, live_server.url, "desktop", request.param, name=name, sessions=demo)
    yield tab
    close(request, tab)


def sign_in_as_staff(ui):
    """Staff sign in on the portal's page and land on the review queue."""
    ui.go("/login/")
    ui.page.fill("input[name=login]", STAFF)
    ui.page.fill("input[name=password]", "portal-demo")
    ui.page.locator("main button[type=submit]").click()
    ui.page.wait_for_url(ui.base + "/admin/review/")


def row(ui, deal):
    return ui.page.locator(f"[data-review-queue] tr[data-deal='{deal.pk}']")


def test_reviewer_takes_approves_and_sends_back_from_the_queue(staff_ui):
    ui = staff_ui
    waiting = list(Deal.objects.filter(status="pending").order_by("submitted_at", "pk"))
    assert len(waiting) >= 3
    first, second, third = waiting[:3]
    sign_in_as_staff(ui)
    expect(ui.page.locator("[data-review-queue] tbody tr")).to_have_count(len(waiting))
    expect(ui.page.locator("[data-count=waiting]")).to_contain_text(str(len(waiting)))
    expect(ui.page.locator("[data-flag=conflict]").first).to_be_visible()
    ui.check("queue")

    # Take the oldest from its row: the row now says it is the reviewer's.
    row(ui, first).locator("button[name=row_action]").click()
    expect(row(ui, first).locator("[data-taken-by]")).to_contain_text(ui.text("Bạn", "You"))
    expect(ui.page.locator(".messagelist")).to_contain_text(
        ui.text("Đã nhận xử lý: 1.", "Taken for review: 1.")
    )
    ui.check("queue-taken")

    # Approve it.
    row(ui, first).locator("input[name=deal]").check()
    ui.page.locator("button[name=action][value=approve]").click()
    expect(row(ui, first)).to_have_count(0)
    expect(ui.page.locator(".messagelist")).to_contain_text(ui.text("Đã duyệt: 1.", "Approved: 1."))

    # Send one back without a reason: the error (a 400), and the choice kept; then with one.
    ui.refusals_expected = True  # that 400 is the form's answer
    row(ui, second).locator("input[name=deal]").check()
    ui.page.locator("button[name=action][value=send_back]").click()
    expect(ui.page.locator("#id_reason_error, .errorlist").first).to_be_visible()
    expect(row(ui, second).locator("input[name=deal]")).to_be_checked()
    ui.check("queue-reason-missing")
    ui.page.locator("textarea[name=reason]").fill("Vui lòng bổ sung BOM.")
    ui.page.locator("button[name=action][value=send_back]").click()
    expect(row(ui, second)).to_have_count(0)
    expect(ui.page.locator(".messagelist")).to_contain_text(
        ui.text("Đã yêu cầu đối tác bổ sung: 1.", "Sent back to the partner: 1.")
    )
    ui.check("queue-after-review")

    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert (first.status, first.review_taken_by.email) == ("approved", STAFF)
    assert (second.status, second.review_comment) == ("action_required", "Vui lòng bổ sung BOM.")
    assert third.status == "pending"

    # Filters: overdue (none in fresh demo data), then taken by me.
    ui.page.locator("input[name=overdue]").check()
    ui.page.locator(".queue-filters input[type=submit]").click()
    ui.page.wait_for_url("**/admin/review/?*overdue=1*")
    expect(ui.page.locator("[data-review-queue] tbody tr")).to_have_count(1)
    ui.check("queue-filtered")

    # The admin index opens with the counts.
    ui.go("/admin/")
    expect(ui.page.locator("[data-review-counts]")).to_be_visible()
    ui.check("admin-index")


def test_channel_manager_reads_the_programme_view(staff_ui):
    ui = staff_ui
    ui.login(STAFF, to="/admin/programme/")  # the seeded session; the form is the queue's test
    expect(ui.page.locator("[data-table]")).to_have_count(7)
    # Demo reviews happen on the day of registration: no review-time chart of zeros.
    expect(ui.page.locator("svg.chart:visible")).to_have_count(3)
    ui.check("programme")

    # A number leads to the admin list of its rows.
    total = ui.page.locator("[data-figure=pipeline-total]")
    count = int(total.inner_text().replace(".", "").replace(",", ""))
    total.click()
    ui.page.wait_for_url("**/admin/deals/deal/?*")
    assert Deal.objects.filter(status="approved", closed_at__isnull=True).count() == count

    # CSV of a table.
    ui.go("/admin/programme/")
    with ui.page.expect_download() as download:
        ui.page.locator("[data-table=pipeline-by-stage] a[download]").click()
    body = download.value.path().read_bytes().decode("utf-8")
    # The header, the four open stages and the page's Total row.
    assert body.startswith("\ufeff") and len(body.splitlines()) == 6
