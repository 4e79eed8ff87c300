"""Idempotency-Key: a retried POST returns the first answer and writes nothing again."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.models import IdempotencyKey
from api.services import purge_idempotency_keys
from deals.models import Attachment, Deal, Note
from tests.api.conftest import ApiClient, make_token
from tests.api.test_deals import PDF, registration

pytestmark = pytest.mark.django_db


def test_same_key_same_body_replays_the_first_answer(alpha_api, vserver):
    first = alpha_api.post("/api/v1/deals/", registration(), headers={"Idempotency-Key": "k-1"})
    again = alpha_api.post("/api/v1/deals/", registration(), headers={"Idempotency-Key": "k-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Deal.objects.count() == 1


def test_same_key_with_json_in_another_order_is_the_same_request(alpha_api, alpha_deal):
    path = f"/api/v1/deals/{alpha_deal.pk}/notes/"
    headers = {"Idempotency-Key": "note-1"}
    alpha_api.post(path, raw='{"text": "hi"}', headers=headers)
    again = alpha_api.post(path, raw='{ "text" :   "hi" }', headers=headers)

    assert again.status_code == 201
    assert Note.objects.count() == 1


def test_same_key_with_another_body_is_422_and_writes_nothing(alpha_api, vserver):
    alpha_api.post("/api/v1/deals/", registration(), headers={"Idempotency-Key": "k-2"})

    other = alpha_api.post(
        "/api/v1/deals/", registration(title="Other deal"), headers={"Idempotency-Key": "k-2"}
    )

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert list(Deal.objects.values_list("title", flat=True)) == ["Move the ERP to vServer"]


def test_same_key_on_another_route_is_422(alpha_api, alpha_deal):
    headers = {"Idempotency-Key": "k-3"}
    alpha_api.post(f"/api/v1/deals/{alpha_deal.pk}/notes/", {"text": "hi"}, headers=headers)

    other = alpha_api.post(
        f"/api/v1/deals/{alpha_deal.pk}/stage/", {"stage": "won"}, headers=headers
    )

    assert other.status_code == 422
    alpha_deal.refresh_from_db()
    assert alpha_deal.stage == "negotiation"


def test_a_failed_request_keeps_no_key_so_a_corrected_retry_runs(alpha_api, vserver):
    headers = {"Idempotency-Key": "k-4"}
    refused = alpha_api.post(
        "/api/v1/deals/",
        registration(rates=[{"product": "vserver", "rate": "99"}]),
        headers=headers,
    )
    assert refused.status_code == 400
    assert IdempotencyKey.objects.count() == 0

    retried = alpha_api.post("/api/v1/deals/", registration(), headers=headers)

    assert retried.status_code == 201
    assert Deal.objects.count() == 1


def test_keys_belong_to_one_token(alpha, alice, alpha_deal):
    _t1, one = make_token(alpha, alice, name="one")
    _t2, two = make_token(alpha, alice, name="two")
    path = f"/api/v1/deals/{alpha_deal.pk}/notes/"

    ApiClient(one).post(path, {"text": "a"}, headers={"Idempotency-Key": "same"})
    ApiClient(two).post(path, {"text": "a"}, headers={"Idempotency-Key": "same"})

    assert Note.objects.count() == 2


def test_keys_are_kept_24_hours(alpha_api, alpha_deal):
    path = f"/api/v1/deals/{alpha_deal.pk}/notes/"
    alpha_api.post(path, {"text": "a"}, headers={"Idempotency-Key": "old"})
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    alpha_api.post(path, {"text": "a"}, headers={"Idempotency-Key": "old"})

    assert Note.objects.count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotency_keys() == 1
    assert IdempotencyKey.objects.count() == 0


def test_a_multipart_retry_with_another_boundary_replays(alpha_api, alpha_deal):
    path = f"/api/v1/deals/{alpha_deal.pk}/attachments/"
    headers = {"Idempotency-Key": "upload-1"}

    first = alpha_api.upload(path, [SimpleUploadedFile("a.pdf", PDF)], headers=headers)
    again = alpha_api.upload(path, [SimpleUploadedFile("a.pdf", PDF)], headers=headers)
    other = alpha_api.upload(path, [SimpleUploadedFile("a.pdf", PDF + b"\n")], headers=headers)

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert Attachment.objects.count() == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "ключ"])
def test_a_malformed_key_is_400(alpha_api, alpha_deal, key):
    response = alpha_api.client.post(
        f"/api/v1/deals/{alpha_deal.pk}/notes/",
        '{"text": "a"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alpha_api.token}",
        HTTP_IDEMPOTENCY_KEY=key,
    )

    assert response.status_code == 400
    assert Note.objects.count() == 0


def test_the_purge_command_deletes_only_old_keys(alpha_api, alpha_deal):
    from io import StringIO

    from django.core.management import call_command

    path = f"/api/v1/deals/{alpha_deal.pk}/notes/"
    alpha_api.post(path, {"text": "a"}, headers={"Idempotency-Key": "old"})
    alpha_api.post(path, {"text": "b"}, headers={"Idempotency-Key": "new"})
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    out = StringIO()

    call_command("purge_idempotency_keys", stdout=out)

    assert "1 idempotency keys deleted" in out.getvalue()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
