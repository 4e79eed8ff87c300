"""Another partner's ids answer 404 on every route, while the data exists; nothing leaks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.services import change_stage, post_attachments, post_note
from discounts.services import create_customer_discount
from partners.selectors import owned_customers
from tests.factories import PDF

pytestmark = pytest.mark.django_db


@pytest.fixture
def beta_world(beta, bob, beta_deal):
    """Beta's data of every kind: a won deal with a note, a file, a discount, a customer
    discount, and an open deal."""
    won = beta_deal
    post_note(won, by=bob, text="Beta's secret note")
    (attachment,) = post_attachments(
        won, by=bob, files=[SimpleUploadedFile("bom.pdf", PDF, "application/pdf")]
    )
    change_stage(won, "won", by=bob)
    customer = owned_customers(beta).get()
    line = won.discount.lines.get()
    customer_discount = create_customer_discount(
        won.discount,
        by=bob,
        customer=customer,
        rates={line.product_id: line.rate},
        valid_from=won.discount.valid_from,
        valid_until=won.discount.valid_until,
    )
    return {
        "deal": won.pk,
        "attachment": attachment.pk,
        "discount": won.discount.pk,
        "customer": customer.pk,
        "customer_discount": customer_discount.pk,
    }


def routes(ids):
    d, a, disc = ids["deal"], ids["attachment"], ids["discount"]
    cd, c = ids["customer_discount"], ids["customer"]
    return [
        ("get", f"/api/v1/deals/{d}/", None),
        ("patch", f"/api/v1/deals/{d}/", {"note": "x"}),
        ("post", f"/api/v1/deals/{d}/stage/", {"stage": "lost", "lost_reason": "price"}),
        ("get", f"/api/v1/deals/{d}/notes/", None),
        ("post", f"/api/v1/deals/{d}/notes/", {"text": "x"}),
        ("get", f"/api/v1/deals/{d}/attachments/", None),
        ("get", f"/api/v1/deals/{d}/attachments/{a}/", None),
        ("get", f"/api/v1/discounts/{disc}/", None),
        ("get", f"/api/v1/discounts/{disc}/customer-discounts/", None),
        (
            "post",
            f"/api/v1/discounts/{disc}/customer-discounts/",
            {"customer": c, "rates": [], "valid_from": "2030-01-01", "valid_until": "2030-01-02"},
        ),
        ("get", f"/api/v1/discounts/{disc}/customer-discounts/{cd}/", None),
        ("post", f"/api/v1/discounts/{disc}/customer-discounts/{cd}/revoke/", {}),
        ("get", f"/api/v1/customers/{c}/", None),
    ]


def test_every_route_answers_404_for_another_partners_ids(alpha_api, beta_world, beta_api):
    for method, path, body in routes(beta_world):
        # The data is there: Beta's own token reads it.
        if method == "get":
            assert beta_api.get(path).status_code == 200, path
        call = getattr(alpha_api, method)
        response = call(path) if body is None else call(path, body)
        assert response.status_code == 404, (method, path, response.content)
        assert response["Content-Type"] == "application/problem+json"
        assert b"Beta" not in response.content


def test_another_partners_data_is_not_in_any_list(alpha_api, beta_world, alpha_deal):
    for path in ("/api/v1/deals/", "/api/v1/discounts/", "/api/v1/customers/"):
        body = alpha_api.get(path).json()
        ids = {item["id"] for item in body["results"]}
        assert beta_world["deal"] not in ids and beta_world["discount"] not in ids
        assert beta_world["customer"] not in ids or path != "/api/v1/customers/"
    assert [d["id"] for d in alpha_api.get("/api/v1/deals/").json()["results"]] == [alpha_deal.pk]
    assert alpha_api.get("/api/v1/discounts/").json()["results"] == []
    assert alpha_api.get("/api/v1/customers/").json()["results"] == []


def test_nothing_was_written_by_the_refused_writes(alpha_api, beta_world):
    from deals.models import Deal, Note
    from discounts.models import CustomerDiscount

    for method, path, body in routes(beta_world):
        if method != "get":
            getattr(alpha_api, method)(path, body)
    assert Note.objects.filter(deal_id=beta_world["deal"]).count() == 1
    assert Deal.objects.get(pk=beta_world["deal"]).stage == "won"
    assert CustomerDiscount.objects.get(pk=beta_world["customer_discount"]).status == "active"
