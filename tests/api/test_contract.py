"""The API's answers agree with what it declares: rate-limit headers on every answer, problem
details for an over-long address, a NUL in a query and unknown fields."""

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

_RATELIMIT = re.compile(r'^"default";r=(\d+);t=(\d+)$')


def _remaining(response) -> tuple[int, int]:
    match = _RATELIMIT.match(response["RateLimit"])
    assert match, response["RateLimit"]
    return int(match[1]), int(match[2])


def test_every_answer_says_the_policy_and_what_is_left(settings, alpha, alice):
    settings.API_RATE_LIMIT = "5/minute"
    cache.clear()
    _token, secret = make_token(alpha, alice)
    api = ApiClient(secret)

    answers = [
        api.get("/api/v1/products/"),
        api.get("/api/v1/deals/999999/"),  # an error answer counts and says so too
        api.post("/api/v1/deals/", {"nonsense": 1}),
        api.get("/api/v1/products/"),
        api.get("/api/v1/products/"),
        api.get("/api/v1/products/"),
    ]

    assert [a.status_code for a in answers] == [200, 404, 400, 200, 200, 429]
    for answer in answers:
        assert answer["RateLimit-Policy"] == '"default";q=5;w=60'
    left = [_remaining(a)[0] for a in answers]
    assert left == [4, 3, 2, 1, 0, 0]
    assert all(0 <= _remaining(a)[1] <= 60 for a in answers)
    # On the 429, RateLimit's reset is the Retry-After.
    assert _remaining(answers[-1])[1] == int(answers[-1]["Retry-After"])
    # Another token has its own budget.
    _other, other_secret = make_token(alpha, alice, name="Other")
    assert _remaining(ApiClient(other_secret).get("/api/v1/products/"))[0] == 4
    cache.clear()


def test_answers_without_a_token_state_the_policy(anonymous_api):
    for path in ("/api/v1/deals/", "/api/v1/nowhere/"):
        response = anonymous_api.get(path)
        assert response.status_code in (401, 404)
        assert response["RateLimit-Policy"].startswith('"default";q=')
        assert "RateLimit" not in response


def test_an_over_long_address_answers_414_problem_details(settings, alpha_api):
    settings.API_MAX_URL_LENGTH = 200
    response = alpha_api.get("/api/v1/deals/", {"q": "x" * 300})

    assert response.status_code == 414
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 414 and problem["code"] == "url_too_long"
    assert "200" in problem["detail"]
    assert response["Content-Language"] == "en"
    # Just under the limit is an ordinary answer.
    assert alpha_api.get("/api/v1/deals/", {"q": "x" * 150}).status_code == 200


def test_a_nul_in_the_query_answers_400_with_a_code(alpha_api):
    response = alpha_api.get("/api/v1/deals/?q=a%00b")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "nul_character"


def test_pages_still_answer_a_nul_with_the_page(alice_client):
    response = alice_client.get("/deals/?q=a%00b")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/deals/", {"title": "x", "colour": "red"}),
        ("/api/v1/deals/1/stage/", {"stage": "won", "colour": "red"}),
    ],
)
def test_unknown_fields_are_refused_with_problem_details(alpha_api, alpha_deal, path, body):
    path = path.replace("/1/", f"/{alpha_deal.pk}/")
    response = alpha_api.post(path, body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    fields = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert fields["colour"] == "unknown_field"


# --- the schema declares what the server does ---------------------------------------------------


@pytest.fixture
def schema(client, vserver, vstorage):
    response = client.get("/api/v1/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return json.loads(response.content)


def _operations(schema):
    return {
        op["operationId"]: (method, path, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
    }


def _resolve(schema, ref_or_schema):
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    return schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_every_write_declares_the_idempotency_key_and_its_replay(schema):
    # DELETE is idempotent by itself (a second one answers 404 and deletes nothing).
    writes = [
        (op_id, op)
        for op_id, (method, _p, op) in _operations(schema).items()
        if method not in ("get", "delete")
    ]

    assert len(writes) >= 7  # the deal, stage, note, attachment, token writes at least
    for op_id, op in writes:
        headers = {p["name"]: p for p in op.get("parameters", ()) if p["in"] == "header"}
        assert headers["Idempotency-Key"]["schema"]["pattern"] == r"^[\x21-\x7e]{1,255}$", op_id
        success = next(op["responses"][code] for code in op["responses"] if code.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"], op_id


def test_every_answer_declares_the_rate_limit_headers(schema):
    for op_id, (_m, _p, op) in _operations(schema).items():
        for code, response in op["responses"].items():
            headers = response.get("headers", {})
            assert headers["RateLimit-Policy"]["required"] is True, (op_id, code)
            assert "RateLimit" in headers, (op_id, code)
            assert ("Retry-After" in headers) == (code == "429"), (op_id, code)


def test_lists_declare_paging(schema):
    lists = {op_id: op for op_id, (m, _p, op) in _operations(schema).items() if "list" in op_id}

    assert len(lists) >= 8
    for op_id, op in lists.items():
        params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
        assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
        assert params["cursor"]["schema"]["type"] == "string", op_id
        page = _resolve(schema, op["responses"]["200"]["content"]["application/json"]["schema"])
        assert set(page["required"]) == {"next", "results"}, op_id


def test_request_bodies_refuse_unknown_fields(schema):
    for op_id, (_m, _p, op) in _operations(schema).items():
        for content in op.get("requestBody", {}).get("content", {}).values():
            body = _resolve(schema, content["schema"])
            assert body["additionalProperties"] is False, op_id
    assert schema["components"]["schemas"]["RateInRequest"]["additionalProperties"] is False


def test_constraints_are_the_servers(schema):
    components = schema["components"]["schemas"]
    register = components["DealRegisterRequest"]["properties"]
    tax_code = re.compile(register["customer_tax_code"]["pattern"])
    assert tax_code.search("0312345678") and tax_code.search("0312345678-001")
    assert not tax_code.search("031234567") and not tax_code.search(" 0312345678")

    rate = re.compile(components["RateInRequest"]["properties"]["rate"]["pattern"])
    assert all(rate.search(v) for v in ("12.5", "0.01", "100", "100.00", "7"))
    assert not any(rate.search(v) for v in ("", "0", "0.00", "-1", "100.01", "12.345", "1e1"))
    products = _resolve(schema, components["RateInRequest"]["properties"]["product"]["allOf"][0])
    assert products["enum"] == ["vserver", "vstorage"]

    close = re.compile(register["expected_close_date"]["pattern"])
    today = timezone.localdate()
    assert close.search(today.isoformat()) and close.search("2999-01-31")
    assert not close.search((today - timedelta(days=1)).isoformat())

    download = _operations(schema)["deals_attachments_download"][2]["responses"]["200"]
    assert "application/pdf" in download["content"] and "image/png" in download["content"]
    assert download["content"]["application/pdf"]["schema"] == {
        "type": "string",
        "format": "binary",
    }


def test_a_blank_allowed_text_matches_exactly_one_choice(schema):
    """drf-spectacular offers "" as a choice of its own (a oneOf) beside a text's pattern; the
    pattern must then not take "" too, or "" matches both choices and a oneOf refuses it
    (schemathesis called the server wrong for taking `{"external_id": ""}`)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            choices = node.get("oneOf", [])
            if {"type": "string", "maxLength": 0} in choices:
                found.append([c for c in choices if c.get("maxLength") != 0])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)

    assert found  # external_id, a description, a note...
    for others in found:
        assert all(not re.search(c.get("pattern", "^$|"), "") for c in others), others


def test_links_lead_from_a_new_deal_to_its_operations(schema):
    created = _operations(schema)["deals_create"][2]["responses"]["201"]

    assert created["links"]["deals_resubmit"]["parameters"] == {"id": "$response.body#/id"}
    assert created["headers"]["Location"]["required"] is True
    drawn = _operations(schema)["customer_discounts_create"][2]["responses"]["201"]
    assert drawn["links"]["customer_discounts_revoke"]["parameters"] == {
        "id": "$response.body#/discount",
        "cd_pk": "$response.body#/id",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rates": [{"product": "vserver", "rate": 12.5}]}, "rates.0.rate"),
        ({"rates": [{"product": "vserver", "rate": ""}]}, "rates.0.rate"),
        ({"rates": [{"product": "vserver", "rate": "-1"}]}, "rates.0.rate"),
        ({"rates": []}, "rates"),
        ({"customer_tax_code": " 0312345678"}, "customer_tax_code"),
        ({"title": "x" * 199 + "  "}, "title"),
    ],
)
def test_the_server_refuses_what_the_schema_refuses(alpha_api, vserver, change, field):
    body = {
        "customer_tax_code": "0312345678",
        "customer_name": "ACME",
        "title": "Move the ERP",
        "estimated_value": 1,
        "expected_close_date": (timezone.localdate() + timedelta(days=9)).isoformat(),
        "rates": [{"product": "vserver", "rate": "12.5"}],
        **change,
    }

    response = alpha_api.post("/api/v1/deals/", body)

    assert response.status_code == 400, response.content
    assert field in {e["field"] for e in response.json()["errors"]}


def test_an_empty_limit_is_refused(alpha_api):
    response = alpha_api.get("/api/v1/products/?limit=")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "limit"


def test_an_undeclared_method_is_405_whatever_the_query(alpha_api):
    assert alpha_api.method("TRACE", "/api/v1/products/?limit=1").status_code == 405
