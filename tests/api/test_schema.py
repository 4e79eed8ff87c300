"""schemathesis against the schema the portal serves: no 500, every answer matches the schema.

Bounded (a few examples per operation) so it runs in `make test` in well under a minute. The
requests go through the WSGI application in-process, with a read-write token of a partner that
has an approved deal, a won deal (so a discount and a customer) and a note.
"""

from unittest import mock

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from deals.services import change_stage, post_note
from tests.api.conftest import make_token
from tests.factories import DealFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def api_data(db, alpha, alice):
    open_deal = DealFactory(partner=alpha, created_by=alice, approved=True, stage="proposal")
    won = DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")
    change_stage(won, "won", by=alice)
    post_note(open_deal, by=alice, text="Kick-off done")


@pytest.fixture
def test_connection_stays_open():
    """schemathesis calls the WSGI handler directly, which closes "old" database connections at
    the start and end of each request, as a server would. In a test that would close the test's
    own connection (and roll its transaction back on PostgreSQL); Django's test client switches
    this off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(api_data, alpha, alice, test_connection_stays_open):
    _token, secret = make_token(alpha, alice)
    return {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}


# Loaded from the running application (through WSGI), as a client would fetch it; pytest-django
# has set Django up before this module is collected. There is no database yet: the schema's
# product codes (read from the database) are the ones the test data has.
with mock.patch("api.schema.product_codes", return_value=["vserver"]):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", WSGIHandler())


# A property sweep of every operation (about 35 s of a worker's time): `make test` and CI run
# it; `make check`, the inner loop, leaves the slow ones out.
@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)


def test_the_docs_page_uses_only_our_own_files(client, db):
    """The reference is drawn on the server (api/docs.py): nothing inline (the portal's CSP
    allows only 'self'), nothing from a CDN; the schema itself is served beside it."""
    import re

    page = client.get("/api/v1/docs/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")), url
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/deals/" in schema.content


def test_each_operation_is_a_test_of_its_own(request):
    """Each operation of the schema is a test with its own id, which names it (pytest 9.2 gave
    them all one id, and in the whole suite under pytest-xdist 37 of the 38 went missing)."""
    ids = [
        item.nodeid.split("@")[0]
        for item in request.session.items
        if getattr(item, "originalname", item.name) == "test_the_api_keeps_its_schema"
    ]
    if not ids:
        pytest.skip("the schema's tests are not in this run")
    assert len(set(ids)) == len(ids), f"{len(ids)} tests, {len(set(ids))} ids"
    assert all("/api/v1/" in test_id for test_id in ids), ids[:3]


def test_the_schema_is_given_in_the_language_asked_for_with_lang(client, db):
    """docs/api.md: `?lang=en` or `?lang=vi` (the schema is the portal's language otherwise)."""
    english = client.get("/api/v1/schema/?lang=en&format=json").json()
    vietnamese = client.get("/api/v1/schema/?lang=vi&format=json").json()

    summary = english["paths"]["/api/v1/deals/"]["get"]["summary"]
    assert summary == "List the partner's deals"
    assert vietnamese["paths"]["/api/v1/deals/"]["get"]["summary"] != summary
