"""Attachments on S3-compatible object storage: moto's S3 server over HTTP on 127.0.0.1.

Django's default storage is the production S3Storage configuration (partner_portal.settings
.s3_storage, path-style addressing as for MinIO and vStorage) pointed at a fresh bucket.
"""

import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from deals.models import Attachment, PendingDeletion
from deals.services.content import post_attachments
from tests.deals.conftest import HOSTILE

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, reply.headers, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_s3_upload_stores_private_objects_under_safe_keys(alice_client, alpha_deal, files, s3):
    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/",
        {
            "kind": "bom",
            "files": [files.upload("Báo giá.xlsx", "xlsx"), files.upload("a.jpg", "jpeg")],
        },
    )

    assert response.status_code == 302
    sheet, photo = Attachment.objects.order_by("pk")
    assert s3.keys() == sorted([sheet.file.name, photo.file.name, photo.thumbnail.name])
    assert sheet.file.name.startswith(f"deals/{alpha_deal.pk}/")
    assert sheet.file.name.endswith("/Bao_gia.xlsx")
    random_part = sheet.file.name.split("/")[2]
    assert len(random_part) == 32
    assert s3.head(sheet.file.name)["ContentType"] == sheet.content_type
    assert s3.head(photo.thumbnail.name)["ContentType"] == "image/jpeg"
    body = s3.client.get_object(Bucket=s3.bucket, Key=sheet.file.name)["Body"].read()
    assert body == files.data["xlsx"]
    # Private: the object is not readable without a signature.
    assert fetch(f"{s3.gateway.endpoint}/{s3.bucket}/{sheet.file.name}")[0] == 403


def test_s3_download_redirects_to_a_presigned_download(alice_client, alpha_deal, alice, files, s3):
    (sheet,) = post_attachments(
        alpha_deal, by=alice, files=[files.upload("Báo giá tháng 5.xlsx", "xlsx")]
    )

    response = alice_client.get(sheet.get_absolute_url())

    assert response.status_code == 302
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    url = response["Location"]
    assert url.startswith(f"{s3.gateway.endpoint}/{s3.bucket}/deals/{alpha_deal.pk}/")
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["300"]
    status, headers, body = fetch(url)
    assert status == 200
    assert body == files.data["xlsx"]
    assert headers["Content-Disposition"] == (
        "attachment; filename*=utf-8''B%C3%A1o%20gi%C3%A1%20th%C3%A1ng%205.xlsx"
    )
    assert headers["Content-Type"] == sheet.content_type


def test_s3_download_is_404_for_another_partner_and_login_for_anonymous(
    client, bob, alpha_deal, alice, files, s3
):
    (sheet,) = post_attachments(alpha_deal, by=alice, files=[files.upload("a.pdf", "pdf")])

    assert client.get(sheet.get_absolute_url()).status_code == 302
    assert "login" in client.get(sheet.get_absolute_url())["Location"]
    client.force_login(bob)
    assert client.get(sheet.get_absolute_url()).status_code == 404
    assert s3.keys() == [sheet.file.name]


@pytest.mark.slow
def test_s3_presigned_url_expires(alice_client, alpha_deal, alice, files, s3):
    s3.use(expire=2)
    (sheet,) = post_attachments(alpha_deal, by=alice, files=[files.upload("a.pdf", "pdf")])
    url = alice_client.get(sheet.get_absolute_url())["Location"]

    assert fetch(url)[0] == 200
    time.sleep(3.1)
    status, _, body = fetch(url)
    assert status == 403
    assert b"Request has expired" in body


def test_s3_thumbnail_is_streamed_through_the_app(alice_client, alpha_deal, alice, files, s3):
    (photo,) = post_attachments(alpha_deal, by=alice, files=[files.upload("a.png", "png")])

    response = alice_client.get(f"/deals/{alpha_deal.pk}/attachments/{photo.pk}/thumbnail/")

    assert response.status_code == 200
    assert response.content.startswith(b"\xff\xd8\xff")


def test_s3_outage_mid_batch_leaves_no_rows_and_no_objects(alice_client, alpha_deal, files, s3):
    """The first file reaches the bucket, the second upload fails: the user is told to try
    again, no Attachment exists and the first object is deleted again."""
    s3.gateway.fail_puts_after = 1

    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/",
        {"files": [files.upload("one.pdf", "pdf"), files.upload("two.pdf", "pdf")]},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["files"] == [
        "two.pdf: the file could not be stored, try again."
    ]
    assert s3.gateway.puts >= 2  # the second file's upload was tried (and retried)
    assert Attachment.objects.count() == 0
    assert s3.keys() == []


def test_s3_endpoint_down_stores_nothing(alice_client, alpha_deal, files, s3):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    s3.use(endpoint=closed)

    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/", {"files": files.upload("one.pdf", "pdf")}
    )

    assert response.context["form"].errors["files"] == [
        "one.pdf: the file could not be stored, try again."
    ]
    assert Attachment.objects.count() == 0
    assert s3.keys() == []


def test_s3_missing_bucket_stores_nothing(alice_client, alpha_deal, files, s3):
    s3.use(bucket_name="no-such-bucket-here")

    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/", {"files": files.upload("one.pdf", "pdf")}
    )

    assert "could not be stored, try again" in response.content.decode()
    assert Attachment.objects.count() == 0
    assert s3.keys() == []


def test_s3_access_denied_stores_nothing(alice_client, alpha_deal, files, s3):
    from tests.deals.conftest import ACCESS_DENIED

    s3.gateway.fail_puts_after = 0
    s3.gateway.failure = ACCESS_DENIED

    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/", {"files": [files.upload("one.pdf", "pdf")]}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["files"] == [
        "one.pdf: the file could not be stored, try again."
    ]
    assert (Attachment.objects.count(), s3.keys()) == (0, [])


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        ([("empty.pdf", b"")], "empty.pdf: the file is empty."),
        ([("ok.pdf", "pdf"), ("bom.pdf", "html")], "bom.pdf: this type of file is not accepted"),
        ([("logo.svg", "svg")], "logo.svg: this type of file is not accepted"),
        ([("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100)], "broken.jpg: the image is damaged"),
        ([("bomb.png", "bomb")], "bomb.png: the image has too many pixels"),
        ([("invoice.doc", "doc_macro")], "invoice.doc: documents with macros are not accepted."),
    ],
)
def test_s3_bad_files_store_nothing(alice_client, alpha_deal, files, s3, batch, message):
    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/",
        {"files": [files.upload(name, sample) for name, sample in batch]},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["files"][0].startswith(message)
    assert (Attachment.objects.count(), s3.keys()) == (0, [])


@pytest.mark.parametrize(("name", "sample", "code", "message"), HOSTILE)
def test_s3_hostile_files_store_nothing(
    alice_client, alpha_deal, files, s3, name, sample, code, message
):
    response = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/",
        {"files": [files.upload("good.pdf", "pdf"), files.upload(name, sample)]},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["files"][0].startswith(message)
    assert (Attachment.objects.count(), s3.keys(), PendingDeletion.objects.count()) == (0, [], 0)


def test_s3_too_many_or_too_large_files_store_nothing(
    alice_client, alpha_deal, files, s3, settings
):
    settings.ATTACHMENT_MAX_FILES = 2
    too_many = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/",
        {"files": [files.upload(f"{i}.pdf", "pdf") for i in range(3)]},
    )
    settings.ATTACHMENT_MAX_BYTES = 1024
    too_large = alice_client.post(
        f"/deals/{alpha_deal.pk}/attachments/",
        {"files": [files.upload("big.csv", b"a,b\n" * 1000)]},
    )

    assert (too_many.status_code, too_large.status_code) == (400, 400)
    assert (Attachment.objects.count(), s3.keys()) == (0, [])
