"""deals/ through the API: the same rules as the portal, answered in JSON."""

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from deals.models import Attachment, Deal, DiscountRule, Note, StageChange
from deals.services import send_back_deal
from discounts.models import Discount
from partners.models import Customer
from tests.factories import PDF, DealFactory

pytestmark = pytest.mark.django_db


def registration(**overrides):
    body = {
        "customer_tax_code": "0312345678",
        "customer_name": "Công ty ACME",
        "title": "Move the ERP to vServer",
        "description": "Two regions",
        "estimated_value": 150000000,
        "expected_close_date": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "rates": [{"product": "vserver", "rate": "12.5"}],
    }
    body.update(overrides)
    return body


# --- register ----------------------------------------------------------------------------------


def test_register_creates_a_pending_deal_with_its_rates(alpha_api, alpha, alice, vserver):
    response = alpha_api.post("/api/v1/deals/", registration())

    assert response.status_code == 201
    deal = Deal.objects.get()
    assert response["Location"].endswith(f"/api/v1/deals/{deal.pk}/")
    body = response.json()
    assert body["id"] == deal.pk and body["status"] == "pending" and body["stage"] == "prospect"
    assert body["rates"] == [{"product": "vserver", "product_name": "vServer", "rate": "12.50"}]
    assert (deal.partner, deal.created_by, deal.estimated_value) == (alpha, alice, 150000000)
    assert list(deal.discount_rules.values_list("product__code", "rate")) == [
        ("vserver", Decimal("12.50"))
    ]
    assert StageChange.objects.filter(deal=deal).count() == 1


def test_register_refuses_rates_above_the_contract(alpha_api, vserver):
    response = alpha_api.post(
        "/api/v1/deals/", registration(rates=[{"product": "vserver", "rate": "25"}])
    )

    assert response.status_code == 400
    problem = response.json()
    assert problem["errors"][0]["field"] == "rates"
    assert "At most 20" in problem["errors"][0]["detail"]
    assert Deal.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (registration(estimated_value="lots"), "estimated_value"),
        (registration(estimated_value=-1), "estimated_value"),
        (registration(expected_close_date="tomorrow"), "expected_close_date"),
        # Well formed and in the future, but two centuries ahead: a year typed wrong.
        (registration(expected_close_date="2226-12-07"), "expected_close_date"),
        (registration(title=None), "title"),
        (registration(rates="vserver"), "rates"),
        (registration(rates=[{"product": "nope", "rate": "5"}]), "rates.0.product"),
        (registration(rates=[{"product": "vserver", "rate": "5.555"}]), "rates.0.rate"),
        (registration(rates=[{"product": "vserver", "rate": "5", "x": 1}]), "rates.0.x"),
        (registration(discount="50%"), "discount"),
        (registration(customer_tax_code="123"), "customer_tax_code"),
        (registration(title="a\x00b"), "title"),
    ],
)
def test_register_bad_input_is_a_field_error_and_saves_nothing(alpha_api, vserver, body, field):
    response = alpha_api.post("/api/v1/deals/", body)

    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]]
    assert Deal.objects.count() == 0


def test_unknown_fields_are_reported_with_the_other_errors(alpha_api, vserver):
    response = alpha_api.post("/api/v1/deals/", registration(title="", colour="red"))

    fields = sorted(error["field"] for error in response.json()["errors"])
    assert fields == ["colour", "title"]


@pytest.mark.parametrize("raw", ["{bad json", "[1, 2]", '"text"', "null", "\xff\xfe"])
def test_malformed_or_non_object_json_is_400(alpha_api, raw):
    response = alpha_api.post("/api/v1/deals/", raw=raw)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert Deal.objects.count() == 0


def _nested(depth: int, inner: str = "1") -> str:
    return '{"title": ' + "[" * depth + inner + "]" * depth + "}"


@pytest.mark.parametrize("depth", [1_000, 100_000])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/deals/", "/api/v1/deals/{pk}/stage/", "/api/v1/deals/{pk}/notes/"],
)
@pytest.mark.parametrize("idempotency", [False, True])
def test_json_nested_too_deep_is_400(alpha_api, alpha_deal, path, depth, idempotency):
    headers = {"Idempotency-Key": f"deep-{depth}"} if idempotency else None
    response = alpha_api.post(path.format(pk=alpha_deal.pk), raw=_nested(depth), headers=headers)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "nested" in response.json()["detail"]
    assert Deal.objects.count() == 1
    assert alpha_deal.notes.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        '{"stage": "negotiation", "\\ud800": 1}',  # a key that is half a surrogate pair
        '{"stage": "\\ud800"}',  # a choice that is none, named in the answer
        '{"stage": "negotiation", "note": ["a\\udfffb"]}',
    ],
)
def test_json_text_that_is_not_unicode_is_400(alpha_api, alpha_deal, body):
    """JSON may escape half a UTF-16 surrogate pair alone; Python reads it into a string that
    cannot be written as UTF-8, and an answer naming it was a 500."""
    before = alpha_deal.stage

    response = alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/stage/", raw=body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "Unicode" in response.json()["detail"]
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == before and alpha_deal.stage_changes.count() == 0


def test_json_nested_to_the_limit_is_read(alpha_api, alpha_deal, settings):
    body = (
        '{"text": "Nested", "x": '
        + "[" * (settings.API_MAX_JSON_DEPTH - 1)
        + "]" * (settings.API_MAX_JSON_DEPTH - 1)
        + "}"
    )

    response = alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", raw=body)

    # Read, then refused for the unknown field like any other: no 500, no depth error.
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["x"]


def test_a_10_mb_body_is_refused_unread(alpha_api):
    response = alpha_api.post("/api/v1/deals/", raw='{"title": "' + "x" * 10_000_000 + '"}')

    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert Deal.objects.count() == 0


def test_another_content_type_is_415(alpha_api):
    response = alpha_api.post("/api/v1/deals/", raw="title=x", content_type="text/plain")

    assert response.status_code == 415
    assert response["Content-Type"] == "application/problem+json"


def test_an_unknown_path_and_a_wrong_method_are_problems(alpha_api, alpha_deal):
    missing = alpha_api.post("/api/v1/nothing-here/", {})
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/problem+json")
    wrong = alpha_api.method("DELETE", f"/api/v1/deals/{alpha_deal.pk}/")
    assert (wrong.status_code, wrong["Content-Type"]) == (405, "application/problem+json")
    assert "PATCH" in wrong["Allow"]


def test_errors_speak_the_requested_language(alpha_api, alpha_deal):
    alpha_deal.stage = "won"
    response = alpha_api.get("/api/v1/deals/999999/", headers={"Accept-Language": "vi"})

    assert response.status_code == 404
    assert response["Content-Language"] == "vi"
    assert response.json()["detail"] != "Not found."


def test_field_errors_in_vietnamese_are_vietnamese(alpha_api, vserver):
    # Django REST framework's own Vietnamese lacks most of its field messages
    # (locale_drf/vi/): a Vietnamese problem read "A valid integer is required.".
    bad = registration(estimated_value="lots")
    bad["title"] = "x" * 300

    vi = alpha_api.post("/api/v1/deals/", bad, headers={"Accept-Language": "vi"}).json()
    en = alpha_api.post("/api/v1/deals/", bad, headers={"Accept-Language": "en"}).json()

    english = {error["detail"] for error in en["errors"]}
    vietnamese = {error["detail"] for error in vi["errors"]}
    assert "A valid integer is required." in english
    assert "Cần một số nguyên hợp lệ." in vietnamese
    assert any("Trường này không được quá 200 ký tự." == d for d in vietnamese), vietnamese
    assert not english & vietnamese


# --- list ----------------------------------------------------------------------------------------


def test_list_pages_by_cursor_without_gaps_or_repeats(alpha_api, alpha, alice):
    deals = [DealFactory(partner=alpha, created_by=alice) for _ in range(7)]
    # Equal sort values: only the id tie-breaker keeps the order stable.
    Deal.objects.update(updated_at=timezone.now(), estimated_value=5)

    seen, url = [], "/api/v1/deals/?limit=3&sort=value"
    while url:
        body = alpha_api.get(url).json()
        seen += [deal["id"] for deal in body["results"]]
        url = body["next"]

    assert seen == sorted(deal.pk for deal in deals)


def test_list_filters_and_sorts_like_the_page(alpha_api, alpha, alice):
    cheap = DealFactory(partner=alpha, created_by=alice, title="Cheap CDN", estimated_value=1)
    dear = DealFactory(partner=alpha, created_by=alice, title="Dear vDB", estimated_value=9)
    won = DealFactory(partner=alpha, created_by=alice, approved=True, stage="qualified")

    def ids(**params):
        return [d["id"] for d in alpha_api.get("/api/v1/deals/", params).json()["results"]]

    assert ids(q="cdn") == [cheap.pk]
    assert ids(q=cheap.customer.tax_code) == [cheap.pk]
    # Digits are a tax code's start or a part of a title, never of a customer's name (as on
    # the pages: partners.selectors.customer_match).
    Customer.objects.filter(pk=dear.customer_id).update(name="Công ty 2025")
    assert ids(q="2025") == []
    assert ids(stage="qualified") == [won.pk]
    assert ids(status="pending", sort="-value") == [dear.pk, cheap.pk]
    assert ids(status="pending", sort="value") == [cheap.pk, dear.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "nope"},
        {"sort": "title"},
        {"limit": "0"},
        {"limit": "x"},
        {"cursor": "garbage"},
        # Digits int() refuses ("²" is a digit to str.isdigit()), and a number past bigint.
        {"limit": "²"},
        {"limit": "٣"},
        {"limit": "9" * 40},
    ],
)
def test_list_bad_parameters_are_400(alpha_api, params):
    response = alpha_api.get("/api/v1/deals/", params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_cursor_of_another_sort_is_refused(alpha_api, alpha, alice):
    for _ in range(3):
        DealFactory(partner=alpha, created_by=alice)
    next_url = alpha_api.get("/api/v1/deals/?limit=1&sort=value").json()["next"]
    cursor = next_url.split("cursor=")[1]

    assert alpha_api.get("/api/v1/deals/", {"sort": "close", "cursor": cursor}).status_code == 400


# --- resubmit ------------------------------------------------------------------------------------


def test_resubmit_after_send_back(alpha_api, alpha, alice, staff, vserver):
    deal = DealFactory(partner=alpha, created_by=alice)
    send_back_deal(deal, by=staff, comment="Rate too high")

    response = alpha_api.patch(
        f"/api/v1/deals/{deal.pk}/",
        {"rates": [{"product": "vserver", "rate": "8"}], "note": "Lowered"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "pending"
    deal.refresh_from_db()
    assert deal.status == Deal.Status.PENDING
    assert DiscountRule.objects.get(deal=deal).rate == Decimal("8")


def test_resubmit_of_a_deal_not_sent_back_is_409(alpha_api, alpha_deal):
    response = alpha_api.patch(f"/api/v1/deals/{alpha_deal.pk}/", {"title": "New"})

    assert response.status_code == 409
    assert response.json()["code"] == "not_action_required"
    alpha_deal.refresh_from_db()
    assert alpha_deal.title != "New"


# --- stage ---------------------------------------------------------------------------------------


def test_won_answers_with_the_issued_discount(alpha_api, alpha_deal):
    response = alpha_api.post(
        f"/api/v1/deals/{alpha_deal.pk}/stage/", {"stage": "won", "note": "Signed"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    discount = Discount.objects.get(deal=alpha_deal)
    assert body["deal"]["stage"] == "won" and body["deal"]["discount"] == discount.pk
    assert body["discount"]["id"] == discount.pk
    assert body["discount"]["lines"] == [
        {"product": "vserver", "product_name": "vServer", "rate": "10.00"}
    ]
    assert Note.objects.get(deal=alpha_deal).text == "Signed"


def test_moving_a_closed_deal_is_409_and_changes_nothing(alpha_api, alpha_deal):
    alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/stage/", {"stage": "won"})

    response = alpha_api.post(
        f"/api/v1/deals/{alpha_deal.pk}/stage/", {"stage": "lost", "lost_reason": "price"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "closed"
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "won"
    assert Discount.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"stage": "negotiation"}, 409, "same_stage"),
        ({"stage": "lost"}, 400, "invalid"),
        ({"stage": "flying"}, 400, "invalid"),
        ({"stage": "won", "confirm": True}, 400, "invalid"),
    ],
)
def test_stage_changes_the_rules_refuse(alpha_api, alpha_deal, body, status, code):
    response = alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/stage/", body)

    assert response.status_code == status
    assert response.json()["code"] == code
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"


def test_a_pending_deal_cannot_change_stage(alpha_api, alpha, alice):
    deal = DealFactory(partner=alpha, created_by=alice)

    response = alpha_api.post(f"/api/v1/deals/{deal.pk}/stage/", {"stage": "qualified"})

    assert (response.status_code, response.json()["code"]) == (409, "not_approved")


def test_stage_with_rates_above_the_contract_is_refused(alpha_api, alpha, alice, vserver):
    deal = DealFactory(
        partner=alpha, created_by=alice, approved=True, rates={vserver: Decimal("30")}
    )

    response = alpha_api.post(f"/api/v1/deals/{deal.pk}/stage/", {"stage": "won"})

    assert (response.status_code, response.json()["code"]) == (409, "rate_out_of_range")
    assert Discount.objects.count() == 0


# --- notes and attachments -----------------------------------------------------------------------


def test_notes_list_and_add(alpha_api, alpha_deal, alice):
    created = alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": "  Line 1\nLine 2"})

    assert created.status_code == 201
    assert Note.objects.get().text == "  Line 1\nLine 2"
    listed = alpha_api.get(f"/api/v1/deals/{alpha_deal.pk}/notes/").json()["results"]
    assert [(n["text"], n["author"]) for n in listed] == [("  Line 1\nLine 2", alice.email)]


@pytest.mark.parametrize("text", ["   ", "x" * 5001, 42])
def test_bad_notes_are_refused(alpha_api, alpha_deal, text):
    response = alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": text})

    assert response.status_code == 400
    assert Note.objects.count() == 0


def test_upload_list_and_download_attachments(alpha_api, alpha_deal):
    response = alpha_api.upload(
        f"/api/v1/deals/{alpha_deal.pk}/attachments/",
        [SimpleUploadedFile("bom.pdf", PDF, "application/pdf")],
    )

    assert response.status_code == 201, response.content
    (item,) = response.json()["attachments"]
    attachment = Attachment.objects.get()
    assert (item["id"], item["kind"], item["content_type"]) == (
        attachment.pk,
        "bom",
        "application/pdf",
    )
    listed = alpha_api.get(f"/api/v1/deals/{alpha_deal.pk}/attachments/").json()["results"]
    assert [a["id"] for a in listed] == [attachment.pk]
    download = alpha_api.get(item["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")


def test_a_hostile_file_refuses_the_whole_upload(alpha_api, alpha_deal):
    response = alpha_api.upload(
        f"/api/v1/deals/{alpha_deal.pk}/attachments/",
        [
            SimpleUploadedFile("bom.pdf", PDF, "application/pdf"),
            SimpleUploadedFile("bom2.pdf", b"<html><script>x</script></html>", "application/pdf"),
        ],
    )

    assert response.status_code == 400
    assert Attachment.objects.count() == 0


def test_upload_needs_multipart_and_a_file(alpha_api, alpha_deal):
    path = f"/api/v1/deals/{alpha_deal.pk}/attachments/"
    assert alpha_api.post(path, {"files": []}).status_code == 415
    assert alpha_api.upload(path, []).status_code == 400


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary named
        ("multipart/form-data; boundary=", b"--\r\n"),
    ],
    ids=["no-boundary", "empty-boundary"],
)
def test_a_malformed_upload_is_called_a_malformed_form_not_json(
    alpha_api, alpha_deal, content_type, body
):
    path = f"/api/v1/deals/{alpha_deal.pk}/attachments/"

    response = alpha_api.post(path, raw=body, content_type=content_type)

    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith(":malformed-body")
    assert problem["title"] == "The request body is not a valid multipart form"
    assert Attachment.objects.count() == 0


def test_a_file_name_in_bytes_that_are_no_utf8_is_refused(alpha_api, alpha_deal):
    # RFC 5987's filename* says UTF-8 but carries bytes that are not: stored, the name read
    # "\ufffd\ufffd.txt" (found by a hostile walk).
    body = (
        b'--x\r\nContent-Disposition: form-data; name="kind"\r\n\r\nbom\r\n'
        b"--x\r\nContent-Disposition: form-data; name=\"files\"; filename*=UTF-8''%ff%fe.txt\r\n"
        b"Content-Type: text/plain\r\n\r\nhello\r\n--x--\r\n"
    )

    response = alpha_api.post(
        f"/api/v1/deals/{alpha_deal.pk}/attachments/",
        raw=body,
        content_type="multipart/form-data; boundary=x",
    )

    assert response.status_code == 400, response.content
    assert "not readable text" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_closed_deal_takes_no_notes_or_files(alpha_api, alpha_deal):
    alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/stage/", {"stage": "won"})

    note = alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": "late"})
    upload = alpha_api.upload(
        f"/api/v1/deals/{alpha_deal.pk}/attachments/",
        [SimpleUploadedFile("bom.pdf", PDF, "application/pdf")],
    )

    assert (note.status_code, note.json()["code"]) == (409, "closed")
    assert upload.status_code == 409
    assert Note.objects.count() == 0 and Attachment.objects.count() == 0


def test_text_the_database_cannot_store_is_a_field_error(alpha_api, vserver):
    bad_product = registration(rates=[{"product": "v\x00server", "rate": "5"}])
    bad_surrogate = registration(title="ERP \ud800")

    for body in (bad_product, bad_surrogate):
        response = alpha_api.post("/api/v1/deals/", raw=json.dumps(body))
        assert response.status_code == 400, response.content
    assert Deal.objects.count() == 0


def test_a_forged_cursor_with_nul_is_400(alpha_api, alpha, alice):
    cursor = base64.urlsafe_b64encode(json.dumps({"s": "name", "v": "a\x00", "id": 1}).encode())
    response = alpha_api.get("/api/v1/customers/", {"cursor": cursor.decode()})

    assert response.status_code == 400


def test_the_fast_deal_json_equals_the_declared_fields(alpha_api, alpha_deal, alice, staff):
    from rest_framework import serializers

    from api.serializers import DealSerializer
    from api.views.deals import deals_with_details
    from deals.services import change_stage

    change_stage(alpha_deal, "lost", by=alice, lost_reason="Too dear", lost_reason_code="price")
    deal = deals_with_details(alpha_deal.partner).get(pk=alpha_deal.pk)
    fast = DealSerializer(deal).data
    declared = serializers.Serializer.to_representation(DealSerializer(), deal)

    assert fast == declared
    assert fast["closed_at"] is not None and fast["lost_reason"] == "price"


def test_a_request_refused_before_the_api_is_still_a_problem(alpha_api):
    response = alpha_api.get("/api/v1/deals/?q=a%00b")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_every_answer_says_it_varies_with_accept_language(alpha_api, alpha_deal):
    """The words change with Accept-Language (Content-Language says which): a cache between
    the CRM and the portal must keep one answer per language, or it serves the other's."""
    for path in ("/api/v1/deals/", f"/api/v1/deals/{alpha_deal.pk}/", "/api/v1/deals/999999/"):
        response = alpha_api.get(path, headers={"Accept-Language": "en"})
        assert "Accept-Language" in [v.strip() for v in response["Vary"].split(",")], path
