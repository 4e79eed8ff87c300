"""Django admin: every model is browsable; reviews and stage changes go through services."""

from html import unescape

import pytest
from django.urls import reverse

from deals.models import Deal, StageChange
from discounts.models import Discount
from tests.factories import PDF, DealFactory

pytestmark = pytest.mark.django_db


def change_form(deal, **overrides):
    """The deal's admin change form as a browser posts it, with its one discount rule."""
    rule = deal.discount_rules.get()
    data = {
        "customer": deal.customer_id,
        "title": deal.title,
        "description": "",
        "estimated_value": "5",
        "expected_close_date": deal.expected_close_date.isoformat(),
        "discount_rules-TOTAL_FORMS": "1",
        "discount_rules-INITIAL_FORMS": "1",
        "discount_rules-0-id": rule.pk,
        "discount_rules-0-deal": deal.pk,
        "discount_rules-0-product": rule.product_id,
        "discount_rules-0-rate": "10",
        **{
            f"{name}-{key}": "0"
            for name in ("stage_changes", "notes", "attachments")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    }
    return {**data, **overrides}


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "model",
    [
        "partners/user",
        "partners/partner",
        "partners/membership",
        "partners/contract",
        "partners/customer",
        "partners/customerownership",
        "deals/product",
        "deals/deal",
        "discounts/discount",
        "discounts/customerdiscount",
    ],
)
def test_admin_changelists_open(staff_client, alpha_deal, beta_deal, model):
    response = staff_client.get(f"/admin/{model}/", {"q": "a"})
    assert response.status_code == 200


def test_admin_deal_page_shows_history_and_no_stage_input(staff_client, alpha_deal, alice):
    StageChange.objects.create(
        deal=alpha_deal, from_stage="proposal", to_stage="negotiation", by=alice
    )

    html = staff_client.get(
        reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    ).content.decode()

    assert 'name="stage"' not in html
    assert 'name="status"' not in html
    assert "Change stage" in html
    assert "stage and review history" in html.lower()


def test_admin_editing_a_deal_cannot_change_its_stage(staff_client, alpha_deal):
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    data = change_form(alpha_deal, title="Renamed", stage="won", status="rejected")
    staff_client.post(url, data)

    alpha_deal.refresh_from_db()
    assert alpha_deal.title == "Renamed"
    assert (alpha_deal.stage, alpha_deal.status) == ("negotiation", "approved")


def test_admin_review_approves_with_protection(staff_client, staff, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice)

    response = staff_client.post(
        reverse("admin:deals_deal_review", args=[deal.pk]),
        {"decision": "approve", "protection_days": "30"},
    )

    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.reviewed_by) == ("approved", staff)
    assert (deal.protected_until - deal.reviewed_at.date()).days in (29, 30, 31)
    assert StageChange.objects.get(deal=deal).to_status == "approved"


def test_admin_review_send_back_needs_a_comment(staff_client, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice)

    response = staff_client.post(
        reverse("admin:deals_deal_review", args=[deal.pk]), {"decision": "send_back"}
    )

    assert response.status_code == 200
    assert "Say what the partner should change." in response.content.decode()
    deal.refresh_from_db()
    assert deal.status == "pending"


def test_admin_review_reject_closes_the_deal(staff_client, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice)

    staff_client.post(
        reverse("admin:deals_deal_review", args=[deal.pk]),
        {"decision": "reject", "comment": "Duplicate"},
    )

    deal.refresh_from_db()
    assert (deal.status, deal.review_comment) == ("rejected", "Duplicate")
    assert deal.closed_at is not None
    assert not Discount.objects.filter(deal=deal).exists()


def test_admin_stage_change_goes_through_the_service(staff_client, staff, alpha_deal):
    response = staff_client.post(
        reverse("admin:deals_deal_stage", args=[alpha_deal.pk]), {"stage": "won"}
    )

    assert response.status_code == 302
    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, alpha_deal.closed_by) == ("won", staff)
    assert Discount.objects.filter(deal=alpha_deal).count() == 1
    assert StageChange.objects.get(deal=alpha_deal, to_stage="won").by == staff


def test_admin_approve_action_reports_refusals(staff_client, alpha, alice, alpha_deal):
    pending = DealFactory(partner=alpha, created_by=alice)

    response = staff_client.post(
        reverse("admin:deals_deal_changelist"),
        {"action": "approve_selected", "_selected_action": [pending.pk, alpha_deal.pk]},
        follow=True,
    )

    pending.refresh_from_db()
    assert pending.status == Deal.Status.APPROVED
    text = response.content.decode()
    assert "1 registration(s) approved." in text
    assert "already reviewed" in text


def test_partner_users_cannot_open_admin(alice_client):
    response = alice_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_rate_above_the_contract_is_refused(staff_client, alpha_deal):
    rule = alpha_deal.discount_rules.get()
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    data = change_form(alpha_deal, **{"discount_rules-0-rate": "45"})

    response = staff_client.post(url, data)

    assert response.status_code == 200
    assert "At most 20.00% under contract" in response.content.decode()
    rule.refresh_from_db()
    assert rule.rate == 10


def test_admin_shows_another_partners_protected_claim(staff_client, alpha, alice, beta_deal):
    newcomer = DealFactory(partner=alpha, created_by=alice, customer=beta_deal.customer)

    changelist = staff_client.get(reverse("admin:deals_deal_changelist"))
    flags = {deal.pk: deal.has_conflict for deal in changelist.context["cl"].result_list}
    review = staff_client.get(
        reverse("admin:deals_deal_review", args=[newcomer.pk])
    ).content.decode()

    assert flags[newcomer.pk] is True
    assert flags[beta_deal.pk] is False  # the earlier, protected claim is not in conflict itself
    # A conflict is a warning with a word, never the admin's green "yes" tick.
    html = changelist.content.decode()
    assert html.count("icon-alert.svg") == 1
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html
    assert beta_deal.title in review and "Beta Integration JSC" in review


def test_admin_moving_a_deal_to_another_partners_claimed_customer_flags_it(
    staff_client, alpha_deal, beta_deal
):
    from notifications.models import Event, Kind
    from tests.factories import CustomerFactory

    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    unclaimed = CustomerFactory()

    quiet = staff_client.post(url, change_form(alpha_deal, customer=unclaimed.pk), follow=True)
    flagged = staff_client.post(
        url, change_form(alpha_deal, customer=beta_deal.customer_id), follow=True
    )

    alpha_deal.refresh_from_db()
    assert alpha_deal.customer_id == beta_deal.customer_id
    conflicts = Event.objects.filter(kind=Kind.CONFLICT_FLAGGED, deal=alpha_deal)
    assert [event.params for event in conflicts] == [{"on": "correction"}]
    warning = "Another partner holds a protected claim on this customer"
    assert warning not in quiet.content.decode()
    assert warning in flagged.content.decode()


def test_admin_expired_protection_is_no_conflict(staff_client, alpha, alice, beta_deal):
    from datetime import timedelta

    from django.utils import timezone

    Deal.objects.filter(pk=beta_deal.pk).update(
        protected_until=timezone.localdate() - timedelta(days=1)
    )
    newcomer = DealFactory(partner=alpha, created_by=alice, customer=beta_deal.customer)

    changelist = staff_client.get(reverse("admin:deals_deal_changelist"))

    flags = {deal.pk: deal.has_conflict for deal in changelist.context["cl"].result_list}
    assert flags[newcomer.pk] is False


def test_admin_cannot_remove_the_last_discount_rule(staff_client, alpha_deal):
    data = change_form(alpha_deal, **{"discount_rules-0-DELETE": "on"})

    response = staff_client.post(reverse("admin:deals_deal_change", args=[alpha_deal.pk]), data)

    assert response.status_code == 200
    assert alpha_deal.discount_rules.count() == 1


def test_admin_closed_deal_is_read_only(staff_client, alpha_deal, alice):
    from deals.services import change_stage

    change_stage(alpha_deal, "won", by=alice)
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])

    html = staff_client.get(url).content.decode()
    staff_client.post(url, {"title": "Changed", "customer": alpha_deal.customer_id})

    assert 'name="title"' not in html and 'name="customer"' not in html
    alpha_deal.refresh_from_db()
    assert alpha_deal.title != "Changed"


def test_correct_deal_refuses_a_closed_deal_and_keeps_the_stage(alpha_deal, alice, staff):
    from django.core.exceptions import ValidationError

    from deals.services import change_stage, correct_deal

    stale = Deal.objects.get(pk=alpha_deal.pk)
    change_stage(alpha_deal, "won", by=alice)

    with pytest.raises(ValidationError, match="closed"):
        correct_deal(stale, by=staff, changes={"title": "Late edit"})

    alpha_deal.refresh_from_db()
    assert (alpha_deal.stage, alpha_deal.title) == ("won", stale.title)


def test_admin_extends_protection_with_history(staff_client, staff, alpha_deal):
    from datetime import timedelta

    until = alpha_deal.protected_until + timedelta(days=30)

    response = staff_client.post(
        reverse("admin:deals_deal_protection", args=[alpha_deal.pk]), {"until": until.isoformat()}
    )

    assert response.status_code == 302
    alpha_deal.refresh_from_db()
    assert alpha_deal.protected_until == until
    assert StageChange.objects.get(deal=alpha_deal).by == staff


def test_admin_extend_protection_refuses_an_earlier_date(staff_client, alpha_deal):
    before = alpha_deal.protected_until
    response = staff_client.post(
        reverse("admin:deals_deal_protection", args=[alpha_deal.pk]), {"until": "2020-01-01"}
    )
    assert response.status_code == 200
    assert "must be later" in response.content.decode()
    alpha_deal.refresh_from_db()
    assert alpha_deal.protected_until == before


def test_admin_extend_protection_refuses_a_date_past_the_furthest(staff_client, alpha_deal):
    # 9999-12-31 typed by hand made a claim that never ends; 730 days from today is the most.
    from datetime import timedelta

    from django.utils import timezone

    from deals.models import PROTECTION_MAX_DAYS

    before = alpha_deal.protected_until
    furthest = timezone.localdate() + timedelta(days=PROTECTION_MAX_DAYS)
    url = reverse("admin:deals_deal_protection", args=[alpha_deal.pk])

    refused = [
        staff_client.post(url, {"until": day})
        for day in ("9999-12-31", (furthest + timedelta(days=1)).isoformat())
    ]

    for response in refused:
        assert response.status_code == 200
        assert "at the latest" in response.content.decode() or "muộn nhất" in (
            response.content.decode()
        )
    alpha_deal.refresh_from_db()
    assert alpha_deal.protected_until == before
    assert staff_client.post(url, {"until": furthest.isoformat()}).status_code == 302
    alpha_deal.refresh_from_db()
    assert alpha_deal.protected_until == furthest


def test_admin_staff_can_download_an_attachment(staff_client, alpha_deal, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deals.services import add_attachments

    [attachment] = add_attachments(alpha_deal, by=alice, files=[SimpleUploadedFile("BOM.pdf", PDF)])

    page = staff_client.get(
        reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    ).content.decode()
    url = reverse("admin:deals_deal_attachment", args=[alpha_deal.pk, attachment.pk])
    response = staff_client.get(url)

    assert f'href="{url}"' in page
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_admin_lists_pending_deletions_read_only(staff_client):
    from django.utils import timezone

    from deals.models import PendingDeletion

    row = PendingDeletion.objects.create(
        name="deals/1/abc/bom.pdf", due_at=timezone.now(), attempts=2, last_error="timed out"
    )

    listing = staff_client.get("/admin/deals/pendingdeletion/")
    assert listing.status_code == 200
    assert "deals/1/abc/bom.pdf" in listing.content.decode()
    assert "timed out" in listing.content.decode()
    assert staff_client.get("/admin/deals/pendingdeletion/add/").status_code == 403
    delete = staff_client.post(f"/admin/deals/pendingdeletion/{row.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert PendingDeletion.objects.count() == 1


def test_admin_rule_edit_on_an_open_deal_goes_through_the_service(
    staff_client, alpha_deal, vstorage
):
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    data = change_form(
        alpha_deal,
        **{
            "discount_rules-TOTAL_FORMS": "2",
            "discount_rules-0-rate": "15",
            "discount_rules-1-deal": alpha_deal.pk,
            "discount_rules-1-product": vstorage.pk,
            "discount_rules-1-rate": "7,5",
        },
    )

    response = staff_client.post(url, data, follow=True)

    assert "was changed successfully" in response.content.decode()
    rates = {rule.product.code: rule.rate for rule in alpha_deal.discount_rules.all()}
    assert rates == {alpha_deal.discount_rules.get(rate=15).product.code: 15, "vstorage": 7.5}


def test_admin_rule_edit_on_a_closed_deal_is_refused_with_an_error(staff_client, alpha_deal, alice):
    from django.contrib.admin.models import LogEntry

    from deals.services import change_stage

    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    staff_client.get(url)  # staff open the page while the deal is open ...
    change_stage(alpha_deal, "won", by=alice)  # ... the partner wins it meanwhile ...

    response = staff_client.post(  # ... and staff save a new rate
        url, change_form(alpha_deal, **{"discount_rules-0-rate": "15"})
    )

    # The same page again, with why: the deal is now closed, so it shows read-only.
    assert response.status_code == 200
    html = response.content.decode()
    assert "This deal is closed; its data can no longer change." in html
    assert "changed successfully" not in html
    assert alpha_deal.discount_rules.get().rate == 10
    assert alpha_deal.discount.lines.get().rate == 10
    assert LogEntry.objects.count() == 0


def test_set_discount_rules_refuses_a_deal_closed_since_it_was_read(alpha_deal, alice, staff):
    from django.core.exceptions import ValidationError

    from deals.services import change_stage, set_discount_rules

    stale = Deal.objects.get(pk=alpha_deal.pk)
    product = alpha_deal.discount_rules.get().product
    change_stage(alpha_deal, "won", by=alice)

    with pytest.raises(ValidationError, match="closed") as refused:
        set_discount_rules(stale, by=staff, rates={product: 15})

    assert refused.value.code == "closed"
    assert alpha_deal.discount_rules.get().rate == 10


def test_set_discount_rules_refuses_a_rate_above_the_contract(alpha_deal, staff):
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from deals.services import set_discount_rules

    product = alpha_deal.discount_rules.get().product

    with pytest.raises(ValidationError) as refused:
        set_discount_rules(alpha_deal, by=staff, rates={product: Decimal("20.5")})

    assert refused.value.message_dict == {
        "rates": [
            f"{product}: At most 20.00% under contract {alpha_deal.partner.contracts.get().number}."
        ]
    }
    assert alpha_deal.discount_rules.get().rate == 10


def test_admin_speaks_vietnamese_for_django_and_axes_texts(staff_client):
    staff_client.cookies["django_language"] = "vi"
    index = staff_client.get(reverse("admin:index")).content.decode()
    products = staff_client.get(reverse("admin:deals_product_changelist")).content.decode()

    assert "Các lần truy cập" in index  # django-axes' "access attempts"
    assert "Hiện số lượng" in products  # the filter's "Show counts"
    assert "Show counts" not in products


def test_a_refused_admin_form_and_the_conflict_flag_speak_vietnamese(
    staff_client, alpha_deal, beta
):
    """Django 5.2 asks for "Please correct the error(s) below." with a plural form, which its
    Vietnamese catalogue lacks; and a conflict is not a duplicate (a filter of its own)."""
    staff_client.cookies["django_language"] = "vi"
    page = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    form = staff_client.get(page).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    refused = staff_client.post(page, {**data, "expected_close_date": "2001-01-01"})
    DealFactory(partner=beta, customer=alpha_deal.customer, approved=True)  # its claim
    listed = staff_client.get(reverse("admin:deals_deal_changelist")).content.decode()

    assert "Vui lòng sửa các lỗi bên dưới." in refused.content.decode()
    assert "Please correct" not in refused.content.decode()
    assert "Xung đột" in listed and "Trùng lặp" not in listed


def test_admin_product_form_has_both_languages(staff_client):
    html = staff_client.get(reverse("admin:deals_product_add")).content.decode()
    for field in ("name", "name_vi", "description", "description_vi"):
        assert f'name="{field}"' in html


def test_admin_protection_date_picker_speaks_vietnamese(staff_client, staff, alpha_deal, settings):
    """The protection date is picked in admin's calendar, whose month and day names come
    from admin's JavaScript catalogue in the page's language (a browser's own date picker
    speaks the browser's), loaded as a same-origin script the portal's CSP allows."""
    import json
    from datetime import timedelta

    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    url = reverse("admin:deals_deal_protection", args=[alpha_deal.pk])

    html = staff_client.get(url).content.decode()
    catalogue = staff_client.get(reverse("admin:jsi18n"))

    assert 'class="vDateField"' in html and 'type="date"' not in html
    for script in ("/admin/jsi18n/", "admin/js/calendar.js", "admin/js/admin/DateTimeShortcuts.js"):
        assert f'src="{script}' in html or script in html, script
    assert "script-src 'self'" in catalogue["Content-Security-Policy"]
    assert catalogue["Content-Language"] == "vi"
    body = catalogue.content.decode()
    start = body.index("const newcatalog = ") + len("const newcatalog = ")
    names = json.loads(body[start : body.index("};", start) + 1])
    # What the calendar shows: the month in its caption, the days' initials, the shortcuts.
    assert names["January"] == "Tháng Một" and names["December"] == "Tháng Mười Hai"
    assert names["one letter Sunday\x04S"] == "CN" and names["one letter Monday\x04M"] == "2"
    assert (names["Today"], names["Tomorrow"], names["Cancel"]) == ("Hôm nay", "Ngày mai", "Hủy bỏ")
    # The calendar writes the date as Vietnamese staff read it, and the form takes it.
    until = alpha_deal.protected_until + timedelta(days=30)
    response = staff_client.post(url, {"until": until.strftime("%d/%m/%Y")})
    assert response.status_code == 302
    alpha_deal.refresh_from_db()
    assert alpha_deal.protected_until == until
    assert StageChange.objects.get(deal=alpha_deal).by == staff


@pytest.mark.parametrize(
    "field, typed, says",
    [
        ("expected_close_date", "2001-01-01", "cannot be in the past"),
        ("description", "x" * 5001, "at most 5000 characters"),
        ("title", "   ", "This field is required"),
        # Django's number fields read other scripts' digits ("١٢٣" is 123); no page here does.
        ("estimated_value", "١٢٣", "Enter a"),
        # A number box dropped the words: "525 triệu" was saved as 525 đồng.
        ("estimated_value", "525 triệu", "Enter a whole number of VND"),
    ],
)
def test_a_correction_registration_would_refuse_is_refused_with_the_input_kept(
    staff_client, alpha_deal, field, typed, says
):
    before = Deal.objects.get(pk=alpha_deal.pk)
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])

    response = staff_client.post(url, change_form(alpha_deal, **{field: typed}))

    assert response.status_code == 200
    page = response.content.decode()
    assert says in page
    assert typed.strip()[:50] in page or not typed.strip()
    after = Deal.objects.get(pk=alpha_deal.pk)
    assert (after.title, after.description, after.expected_close_date, after.estimated_value) == (
        before.title,
        before.description,
        before.expected_close_date,
        before.estimated_value,
    )


def test_a_correction_leaves_a_past_close_date_it_does_not_change(alpha_deal, staff):
    """A close date that has passed since registration is not judged again when staff
    correct another field (the title, tidied as registration tidies it)."""
    from datetime import timedelta

    from django.utils import timezone

    from deals.services import correct_deal

    past = timezone.localdate() - timedelta(days=3)
    Deal.objects.filter(pk=alpha_deal.pk).update(expected_close_date=past)

    correct_deal(Deal.objects.get(pk=alpha_deal.pk), by=staff, changes={"title": "  Kho   lạnh "})

    alpha_deal.refresh_from_db()
    assert (alpha_deal.title, alpha_deal.expected_close_date) == ("Kho lạnh", past)


def test_a_correction_to_a_title_the_partner_has_open_for_the_customer_is_refused(
    alpha, alice, alpha_deal, staff
):
    from django.core.exceptions import ValidationError

    from deals.services import correct_deal

    other = DealFactory(partner=alpha, customer=alpha_deal.customer, created_by=alice, title="ERP")

    with pytest.raises(ValidationError) as refused:
        correct_deal(alpha_deal, by=staff, changes={"title": "erp"})

    assert refused.value.error_dict["title"][0].code == "duplicate"
    assert Deal.objects.get(pk=alpha_deal.pk).title != "erp"
    assert Deal.objects.get(pk=other.pk).title == "ERP"


def test_sandbox_and_real_customers_stay_apart_in_corrections_and_transfers(
    staff_client, alpha, alice, alpha_deal, staff
):
    """A sandbox's deal cannot take a real customer, a real deal a sandbox's test customer,
    and a customer is not moved to a partner of the other kind: a sandbox win would have
    taken a real customer (and its cloud accounts) from its partner."""
    from django.core.exceptions import ValidationError

    from deals.services import correct_deal
    from deals.services.sandbox import ensure_sandbox
    from discounts.services import transfer_customer
    from partners.models import CustomerOwnership
    from tests.factories import CustomerFactory

    sandbox = ensure_sandbox(alpha, by=alice)
    test_customer = CustomerFactory(sandbox=sandbox, tax_code="0109999999")
    sandbox_deal = DealFactory(partner=sandbox, customer=test_customer, created_by=alice)
    real_customer = alpha_deal.customer

    refused = [
        staff_client.post(
            reverse("admin:deals_deal_change", args=[deal.pk]),
            change_form(deal, customer=customer.pk),
        )
        for deal, customer in ((alpha_deal, test_customer), (sandbox_deal, real_customer))
    ]
    for customer, partner in ((real_customer, sandbox), (test_customer, alpha)):
        with pytest.raises(ValidationError) as moved:
            transfer_customer(customer=customer, partner=partner, by=staff, reason="merger")
        assert moved.value.error_dict["partner"][0].code == "other_realm"

    assert [r.status_code for r in refused] == [200, 200]
    assert "sandbox's test customer" in unescape(refused[0].content.decode())
    assert "its own test customers" in unescape(refused[1].content.decode())
    assert Deal.objects.get(pk=alpha_deal.pk).customer_id == real_customer.pk
    assert Deal.objects.get(pk=sandbox_deal.pk).customer_id == test_customer.pk
    assert not CustomerOwnership.objects.filter(partner=sandbox, customer=real_customer).exists()
    with pytest.raises(ValidationError):
        correct_deal(alpha_deal, by=staff, changes={"customer": test_customer})


def test_a_save_from_a_page_opened_before_the_deal_closed_keeps_the_input(
    staff_client, alpha_deal, alice
):
    """The partner won the deal while staff had its page open: the save is refused, nothing
    changes, and the page shows the refusal with the typed title and rate still there."""
    from deals.services import change_stage

    posted = change_form(alpha_deal, title="Tiêu đề đã sửa", **{"discount_rules-0-rate": "12"})
    change_stage(alpha_deal, "won", by=alice)

    response = staff_client.post(reverse("admin:deals_deal_change", args=[alpha_deal.pk]), posted)

    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "This deal is closed; its data can no longer change." in page
    assert 'value="Tiêu đề đã sửa"' in page and 'value="12"' in page
    alpha_deal.refresh_from_db()
    assert alpha_deal.title != "Tiêu đề đã sửa"
    assert alpha_deal.discount_rules.get().rate != 12
    # Opened now, the closed deal's page is read-only.
    assert (
        'name="title"'
        not in staff_client.get(
            reverse("admin:deals_deal_change", args=[alpha_deal.pk])
        ).content.decode()
    )


def test_a_products_code_stays_once_made(staff_client, vserver):
    """Billing's consumption and the API name products by code: renaming one in admin cut
    them off. The name changes; the code is read-only."""
    from deals.models import Product
    from tests.admin_forms import form_data

    url = reverse("admin:deals_product_change", args=[vserver.pk])

    response = staff_client.post(
        url, form_data(staff_client, url, code="renamed", name="vServer Pro")
    )

    assert response.status_code == 302
    product = Product.objects.get(pk=vserver.pk)
    assert (product.code, product.name) == (vserver.code, "vServer Pro")


def test_saving_a_closed_deals_read_only_page_says_it_is_closed(staff_client, alpha_deal, alice):
    from deals.services import change_stage
    from tests.admin_forms import form_data

    change_stage(alpha_deal, "won", by=alice)
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])

    response = staff_client.post(url, form_data(staff_client, url))

    page = unescape(response.content.decode())
    assert "This deal is closed; its data can no longer change." in page
    assert "This field is required" not in page


def test_staff_type_the_value_as_partners_do_and_read_it_grouped(staff_client, alpha_deal):
    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    staff_client.cookies["django_language"] = "vi"

    shown = staff_client.get(url).content.decode()
    response = staff_client.post(url, change_form(alpha_deal, estimated_value="600.000.000"))

    assert 'name="estimated_value" value="100.000.000"' in shown  # not a number box's 100000000
    assert 'type="number" name="estimated_value"' not in shown
    assert response.status_code == 302
    alpha_deal.refresh_from_db()
    assert alpha_deal.estimated_value == 600_000_000


def test_a_closed_deals_page_offers_no_save_and_an_open_one_shows_other_claims(
    staff_client, alpha_deal, beta
):
    """A closed deal never changes: no Save to press. A deal whose company another partner
    holds a protected claim on shows that claim above its fields, as its review page does."""
    from django.utils import timezone

    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    claim = DealFactory(partner=beta, customer=alpha_deal.customer, approved=True)

    open_page = staff_client.get(url).content.decode()
    Deal.objects.filter(pk=alpha_deal.pk).update(stage="lost", closed_at=timezone.now())
    closed_page = staff_client.get(url).content.decode()

    assert 'name="_save"' in open_page and "data-claims" in open_page
    assert "/admin/r/" not in open_page  # no "View on site": the partner's page, not staff's
    assert claim.title in open_page and beta.name in open_page
    assert 'name="_save"' not in closed_page and 'name="_continue"' not in closed_page


def test_each_other_claim_shows_its_stage_and_protection_without_a_query_of_its_own(
    staff_client, alpha_deal, beta, bob
):
    """The claims box names each claim's deal, partner, stage and protection date, read in
    the claims' one query (only the columns it shows): a third claim costs no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    for title in ("ERP Sao Mai", "Kho Sao Mai"):
        DealFactory(
            partner=beta, created_by=bob, customer=alpha_deal.customer, approved=True,
            stage="proposal", title=title,
        )  # fmt: skip
    staff_client.get(url)  # what a first request reads once (the session's user, caches)
    with CaptureQueriesContext(connection) as two:
        staff_client.get(url)
    DealFactory(
        partner=beta, created_by=bob, customer=alpha_deal.customer, approved=True, title="CRM"
    )
    with CaptureQueriesContext(connection) as three:
        page = staff_client.get(url).content.decode()

    claims = page[page.index("data-claims") : page.index("</div>", page.index("data-claims"))]
    assert all(title in claims for title in ("ERP Sao Mai", "Kho Sao Mai", "CRM"))
    assert claims.count(beta.name) == 3 and claims.count("Proposal") >= 2
    assert "protected until" in claims
    assert len(three) == len(two)


def test_the_review_page_shows_what_the_decision_is_about(staff_client, alpha_deal):
    """Value, close date, the rates with the contract's limit, the description: a reviewer
    decides without opening another page."""
    Deal.objects.filter(pk=alpha_deal.pk).update(
        status=Deal.Status.PENDING, description="Chuyển ERP lên vServer"
    )
    contract = alpha_deal.partner.contracts.get()

    page = staff_client.get(reverse("admin:deals_deal_review", args=[alpha_deal.pk]))

    html = page.content.decode()
    assert "100,000,000 VND" in html and "Chuyển ERP lên vServer" in html
    rule = alpha_deal.discount_rules.get()
    assert f"{rule.product.display_name}: 10%" in html
    assert f"contract {contract.number}: at most" in html


def test_saving_an_unchanged_deal_writes_no_history_entry(staff_client, alpha_deal):
    from django.contrib.admin.models import LogEntry

    url = reverse("admin:deals_deal_change", args=[alpha_deal.pk])
    as_shown = change_form(alpha_deal, estimated_value="100.000.000")  # as the page shows it
    staff_client.post(url, as_shown, follow=True)  # Save pressed, nothing typed
    assert LogEntry.objects.count() == 0

    staff_client.post(url, {**as_shown, "title": "Renamed by staff"}, follow=True)
    entry = LogEntry.objects.get()
    assert (entry.object_id, entry.get_change_message()) == (str(alpha_deal.pk), "Changed Title.")


def test_saving_an_unchanged_product_writes_no_history_entry(staff_client, vstorage):
    from django.contrib.admin.models import LogEntry

    url = reverse("admin:deals_product_change", args=[vstorage.pk])
    form = {
        "name": vstorage.name,
        "name_vi": vstorage.name_vi,
        "description": vstorage.description,
        "description_vi": vstorage.description_vi,
        "is_active": "on",
    }
    assert staff_client.post(url, form).status_code == 302
    assert LogEntry.objects.count() == 0

    staff_client.post(url, {**form, "name": "vStorage Plus"})
    assert LogEntry.objects.get().get_change_message() == "Changed Name (English)."


def test_every_admin_of_the_portal_leaves_empty_saves_out_of_the_history():
    from django.contrib import admin

    from web.admin import NoEmptyHistory

    ours = {"accounts", "api", "billing", "deals", "discounts", "notifications", "partners"}
    ours |= {"statements", "webhooks"}
    missing = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in ours and not isinstance(model_admin, NoEmptyHistory)
    ]
    assert missing == []


def test_staff_switch_the_language_from_any_admin_page(staff_client):
    """Admin had no language switch: staff went through a portal page to change it."""
    staff_client.cookies["django_language"] = "vi"
    page = staff_client.get("/admin/review/").content.decode()
    assert "data-language-switch" in page and 'value="en" lang="en">English</button>' in page

    response = staff_client.post(
        reverse("set_language"), {"language": "en", "next": "/admin/review/"}
    )

    assert response.status_code == 302 and response["Location"] == "/admin/review/"
    assert '<html lang="en"' in staff_client.get("/admin/review/").content.decode()
