"""The API's answers agree with what it declares: rate-limit headers on every answer, problem
details for an over-long address, a NUL in a query and unknown fields."""

import re

import pytest
from django.core.cache import cache

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
