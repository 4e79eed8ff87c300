"""Tokens for the personas and a small client that speaks JSON with a bearer token."""

import json

import pytest
from django.test import Client

from api.models import ApiToken
from api.services import create_api_token


class ApiClient:
    """Django's test client with `Authorization: Bearer <token>` and JSON bodies."""

    def __init__(self, token: str | None = None):
        self.client = Client()
        self.token = token

    def _headers(self, headers):
        extra = {"HTTP_ACCEPT_LANGUAGE": "en"}
        if self.token is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {self.token}"
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return extra

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params or {}, **self._headers(headers))

    def post(self, path, data=None, headers=None, raw=None, content_type="application/json"):
        body = raw if raw is not None else json.dumps(data if data is not None else {})
        return self.client.post(path, body, content_type=content_type, **self._headers(headers))

    def patch(self, path, data=None, headers=None):
        return self.client.patch(
            path, json.dumps(data or {}), content_type="application/json", **self._headers(headers)
        )

    def upload(self, path, files, kind="bom", headers=None):
        return self.client.post(path, {"files": files, "kind": kind}, **self._headers(headers))

    def method(self, method, path, headers=None):
        return self.client.generic(method, path, **self._headers(headers))


def make_token(partner, user, access=ApiToken.Access.READ_WRITE, name="CRM"):
    token, secret = create_api_token(partner=partner, by=user, name=name, access=access)
    return token, secret


@pytest.fixture(autouse=True)
def _generous_rate_limit(settings):
    settings.API_RATE_LIMIT = "10000/minute"


@pytest.fixture
def alpha_api(alpha, alice):
    _token, secret = make_token(alpha, alice)
    return ApiClient(secret)


@pytest.fixture
def alpha_read_api(alpha, alice):
    _token, secret = make_token(alpha, alice, access=ApiToken.Access.READ, name="Reports")
    return ApiClient(secret)


@pytest.fixture
def beta_api(beta, bob):
    _token, secret = make_token(beta, bob)
    return ApiClient(secret)


@pytest.fixture
def anonymous_api():
    return ApiClient()
