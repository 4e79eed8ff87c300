"""The Add note / Add attachment sub-screens, downloads and thumbnails (local storage)."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.utils import timezone

from deals.models import Attachment, Deal, Note, PendingDeletion
from deals.services.content import post_attachments
from tests.deals.conftest import HOSTILE

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def note_url(deal):
    return f"/deals/{deal.pk}/notes/"


def files_url(deal):
    return f"/deals/{deal.pk}/attachments/"


def close(deal):
    Deal.objects.filter(pk=deal.pk).update(stage=Deal.Stage.WON, closed_at=timezone.now())


def multipart(parts: list[tuple[str, str | None, bytes]]):
    """A hand-made multipart body, so file names reach Django exactly as a client sent them."""
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for field, filename, data in parts:
        body.write(f"--{boundary}\r\n".encode())
        if filename is None:
            body.write(f'Content-Disposition: form-data; name="{field}"\r\n\r\n'.encode())
        else:
            body.write(
                f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
            )
        body.write(data + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


def form_errors(response):
    return response.context["form"].errors


# --- add note -------------------------------------------------------------------------------


def test_note_add_get_answers_the_modal_partial_to_htmx(alice_client, alpha_deal):
    response = alice_client.get(note_url(alpha_deal), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'class="modal-header"' in html and 'class="modal-footer"' in html
    assert f'hx-post="{note_url(alpha_deal)}"' in html
    assert 'hx-target="#portal-modal-content"' in html
    assert "HX-Request" in response["Vary"]


def test_note_add_get_answers_a_page_without_javascript(alice_client, alpha_deal):
    response = alice_client.get(note_url(alpha_deal))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert f'method="post" action="{note_url(alpha_deal)}"' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_note_add_post_saves_the_note_and_redirects_htmx(alice_client, alpha_deal, alice):
    response = alice_client.post(note_url(alpha_deal), {"text": "Gọi lại thứ Hai"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == alpha_deal.get_absolute_url()
    assert list(Note.objects.values_list("deal", "author", "text")) == [
        (alpha_deal.pk, alice.pk, "Gọi lại thứ Hai")
    ]
    page = alice_client.get(alpha_deal.get_absolute_url()).content.decode()
    assert "Note added." in page


def test_note_add_post_without_javascript_redirects(alice_client, alpha_deal):
    response = alice_client.post(note_url(alpha_deal), {"text": "plain"})

    assert response.status_code == 302
    assert response["Location"] == alpha_deal.get_absolute_url()
    assert Note.objects.count() == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [("   \n ", "Write something in the note."), ("x" * 5001, "at most 5,000 characters")],
)
def test_note_add_post_shows_the_error_in_place(alice_client, alpha_deal, text, error):
    htmx = alice_client.post(note_url(alpha_deal), {"text": text}, **HTMX)
    plain = alice_client.post(note_url(alpha_deal), {"text": text})

    assert (htmx.status_code, plain.status_code) == (200, 400)
    assert error in form_errors(htmx)["text"][0]
    assert error in htmx.content.decode()
    assert Note.objects.count() == 0


def test_note_add_post_with_nothing_shows_the_required_error(alice_client, alpha_deal):
    response = alice_client.post(note_url(alpha_deal), {})
    assert response.status_code == 400
    assert "text" in form_errors(response)
    assert Note.objects.count() == 0


def test_note_add_keeps_a_long_note_as_written_and_shows_it_escaped(alice_client, alpha_deal):
    text = "<script>alert(1)</script>\nline two\n" + "y" * 4960
    alice_client.post(note_url(alpha_deal), {"text": text})

    assert Note.objects.get().text == text
    html = alice_client.get(alpha_deal.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>line two<br>" in html
    assert "<script>alert(1)" not in html


def test_note_add_shows_the_note_in_the_timeline_with_its_author(alice_client, alpha_deal, alice):
    alice_client.post(note_url(alpha_deal), {"text": "Khách hàng đồng ý demo"})

    timeline = alice_client.get(alpha_deal.get_absolute_url()).context["timeline"]
    assert [(entry.kind, entry.obj.text, entry.obj.author) for entry in timeline] == [
        ("note", "Khách hàng đồng ý demo", alice)
    ]
    html = alice_client.get(alpha_deal.get_absolute_url()).content.decode()
    assert "Khách hàng đồng ý demo" in html
    assert str(alice) in html


def test_note_add_another_partners_deal_is_404(alice_client, beta_deal):
    """Beta's deal exists (and has a note) yet answers 404, and nothing is added to it."""
    Note.objects.create(deal=beta_deal, author=beta_deal.created_by, text="Beta only")

    assert alice_client.get(note_url(beta_deal)).status_code == 404
    assert alice_client.post(note_url(beta_deal), {"text": "sneaky"}).status_code == 404
    assert list(Note.objects.values_list("text", flat=True)) == ["Beta only"]


def test_note_add_anonymous_goes_to_login(client, alpha_deal):
    response = client.post(note_url(alpha_deal), {"text": "hi"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert Note.objects.count() == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_note_add_other_methods_are_405(alice_client, alpha_deal, method):
    assert getattr(alice_client, method)(note_url(alpha_deal)).status_code == 405
    assert Note.objects.count() == 0


def test_note_add_on_a_closed_deal_is_refused(alice_client, alpha_deal):
    close(alpha_deal)

    get = alice_client.get(note_url(alpha_deal), **HTMX)
    post = alice_client.post(note_url(alpha_deal), {"text": "late"}, **HTMX)

    assert "notes can no longer be added" in get.content.decode()
    assert 'name="text"' not in get.content.decode()
    assert "notes can no longer be added" in post.content.decode()
    assert Note.objects.count() == 0


def test_deal_detail_hides_note_and_file_buttons_on_a_closed_deal(alice_client, alpha_deal):
    assert (
        'data-action="add-note"' in alice_client.get(alpha_deal.get_absolute_url()).content.decode()
    )
    close(alpha_deal)
    html = alice_client.get(alpha_deal.get_absolute_url()).content.decode()
    assert 'data-action="add-note"' not in html
    assert 'data-action="add-attachment"' not in html


# --- add attachments --------------------------------------------------------------------------


def test_attachment_add_get_has_a_multipart_form_for_htmx_and_plain(alice_client, alpha_deal):
    html = alice_client.get(files_url(alpha_deal), **HTMX).content.decode()

    assert 'hx-encoding="multipart/form-data"' in html
    assert 'enctype="multipart/form-data"' in html
    assert f'action="{files_url(alpha_deal)}"' in html
    assert "multiple" in html
    assert "data-upload-progress" in html
    assert '<option value="bom" selected>' in html


def test_attachment_add_post_stores_a_batch(alice_client, alpha_deal, alice, files, media_files):
    response = alice_client.post(
        files_url(alpha_deal),
        {"kind": "bom", "files": [files.upload("BOM.xlsx", "xlsx"), files.upload("a.png", "png")]},
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == alpha_deal.get_absolute_url()
    rows = list(Attachment.objects.order_by("pk").values_list("original_name", "kind", "deal"))
    assert rows == [("BOM.xlsx", "bom", alpha_deal.pk), ("a.png", "bom", alpha_deal.pk)]
    assert len(media_files()) == 3  # two files and the PNG's thumbnail
    assert "2 files attached." in alice_client.get(alpha_deal.get_absolute_url()).content.decode()


def test_attachment_add_post_without_javascript_redirects(alice_client, alpha_deal, files):
    response = alice_client.post(files_url(alpha_deal), {"files": files.upload("b.pdf", "pdf")})
    assert response.status_code == 302
    assert list(Attachment.objects.values_list("kind", flat=True)) == ["other"]


def test_attachment_add_refuses_a_renamed_html_file_and_saves_none(
    alice_client, alpha_deal, files, media_files
):
    response = alice_client.post(
        files_url(alpha_deal),
        {"files": [files.upload("good.pdf", "pdf"), files.upload("bom.pdf", "html")]},
        **HTMX,
    )

    assert response.status_code == 200
    assert form_errors(response)["files"] == [
        "bom.pdf: this type of file is not accepted "
        "(allowed: PDF, XLSX, XLS, CSV, DOCX, DOC, PPTX, TXT, PNG, JPEG, ZIP)."
    ]
    assert (Attachment.objects.count(), media_files()) == (0, [])


@pytest.mark.parametrize(
    ("name", "sample", "message"),
    [
        ("empty.pdf", b"", "empty.pdf: the file is empty."),
        ("bomb.png", "bomb", "bomb.png: the image has too many pixels"),
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "broken.jpg: the image is damaged"),
        ("logo.svg", "svg", "logo.svg: this type of file is not accepted"),
    ],
)
def test_attachment_add_refuses_bad_files(
    alice_client, alpha_deal, files, media_files, name, sample, message
):
    response = alice_client.post(files_url(alpha_deal), {"files": files.upload(name, sample)})

    assert response.status_code == 400
    assert form_errors(response)["files"][0].startswith(message)
    assert (Attachment.objects.count(), media_files()) == (0, [])


@pytest.mark.parametrize(("name", "sample", "code", "message"), HOSTILE)
def test_attachment_add_refuses_hostile_files_on_local_storage(
    alice_client, alpha_deal, files, media_files, name, sample, code, message
):
    """Each hostile sample, next to a good file: the reason is shown, nothing is stored."""
    response = alice_client.post(
        files_url(alpha_deal),
        {"files": [files.upload("good.pdf", "pdf"), files.upload(name, sample)]},
    )

    assert response.status_code == 400
    assert form_errors(response)["files"][0].startswith(message)
    assert (Attachment.objects.count(), media_files()) == (0, [])
    assert PendingDeletion.objects.count() == 0


def test_attachment_add_refuses_a_file_over_the_limit(
    alice_client, alpha_deal, files, settings, media_files
):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = b"a,b\n" * 1000  # 4,000 bytes of CSV

    response = alice_client.post(
        files_url(alpha_deal),
        {"files": [files.upload("ok.txt", "txt"), files.upload("big.csv", big)]},
    )

    assert response.status_code == 400
    assert form_errors(response)["files"] == ["big.csv: the file is larger than 0.000976562 MB."]
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_attachment_add_refuses_too_many_files(
    alice_client, alpha_deal, files, settings, media_files
):
    settings.ATTACHMENT_MAX_FILES = 2
    batch = [files.upload(f"{n}.pdf", "pdf") for n in range(3)]

    response = alice_client.post(files_url(alpha_deal), {"files": batch})

    assert form_errors(response)["files"] == ["At most 2 files can be attached at once."]
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_attachment_add_without_a_file_asks_for_one(alice_client, alpha_deal):
    response = alice_client.post(files_url(alpha_deal), {"kind": "bom"})
    assert form_errors(response)["files"] == ["Choose at least one file."]
    assert Attachment.objects.count() == 0


def test_attachment_add_strips_paths_and_control_characters_from_names(
    alice_client, alpha_deal, files, media_files
):
    """Django's parser drops directories and unprintable characters from the name a client
    sends; what is left is stored under a safe key."""
    body, content_type = multipart(
        [
            ("kind", None, b"other"),
            ("files", "..\\..\\windows\\bom.pdf", files.data["pdf"]),
            ("files", "../../etc/pass\x1bwd.txt", files.data["txt"]),
        ]
    )
    response = alice_client.post(files_url(alpha_deal), body, content_type=content_type)

    assert response.status_code == 302
    rows = list(Attachment.objects.order_by("pk"))
    assert [a.original_name for a in rows] == ["bom.pdf", "passwd.txt"]
    assert all(".." not in a.file.name and "\\" not in a.file.name for a in rows)
    assert media_files() == sorted(a.file.name for a in rows)


def test_attachment_add_refuses_a_very_long_name(alice_client, alpha_deal, files, media_files):
    body, content_type = multipart([("files", "b" * 300 + ".pdf", files.data["pdf"])])

    response = alice_client.post(files_url(alpha_deal), body, content_type=content_type)

    assert "the file name is longer than 200 characters" in form_errors(response)["files"][0]
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_attachment_add_another_partners_deal_is_404(
    alice_client, beta_deal, bob, files, media_files
):
    post_attachments(beta_deal, by=bob, files=[files.upload("beta.pdf", "pdf")])

    assert alice_client.get(files_url(beta_deal)).status_code == 404
    response = alice_client.post(files_url(beta_deal), {"files": files.upload("x.pdf", "pdf")})
    assert response.status_code == 404
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["beta.pdf"]
    assert len(media_files()) == 1


def test_attachment_add_anonymous_goes_to_login(client, alpha_deal, files, media_files):
    response = client.post(files_url(alpha_deal), {"files": files.upload("x.pdf", "pdf")})
    assert response.status_code == 302
    assert (Attachment.objects.count(), media_files()) == (0, [])


@pytest.mark.parametrize("method", ["put", "delete"])
def test_attachment_add_other_methods_are_405(alice_client, alpha_deal, method):
    assert getattr(alice_client, method)(files_url(alpha_deal)).status_code == 405


def test_attachment_add_on_a_closed_deal_is_refused(alice_client, alpha_deal, files, media_files):
    close(alpha_deal)
    get = alice_client.get(files_url(alpha_deal))
    post = alice_client.post(files_url(alpha_deal), {"files": files.upload("x.pdf", "pdf")})

    assert "files can no longer be added" in get.content.decode()
    assert 'type="file"' not in get.content.decode()
    assert post.status_code == 400
    assert (Attachment.objects.count(), media_files()) == (0, [])


# --- the streaming limit -----------------------------------------------------------------------


class _Recorder(FileUploadHandler):
    """The last handler: records how many bytes of each file got past the ones before it."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        self.request.recorded[self.file_name] = self.received

    def file_complete(self, file_size):
        return SimpleUploadedFile(self.file_name, b"")


def test_upload_handler_stops_a_large_file_while_it_streams(settings, files):
    from django.core.files.uploadhandler import load_handler

    settings.ATTACHMENT_MAX_BYTES = 100 * 1024
    body, content_type = multipart(
        [("files", "small.txt", b"x" * 1000), ("files", "big.txt", b"y" * 3_000_000)]
    )
    request = RequestFactory().post("/", body, content_type=content_type)
    request.recorded = {}
    handlers = [load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS[:1]]
    handlers.append(_Recorder(request))
    request.upload_handlers = handlers

    _, parsed = MultiPartParser(request.META, io.BytesIO(body), handlers).parse()

    big = parsed.getlist("files")[1]
    assert big.refused == "too_large"
    assert big.read() == b""
    # Bytes past the limit never reach the handlers that keep the file (memory or disk).
    assert request.recorded["small.txt"] == 1000
    assert request.recorded["big.txt"] <= 100 * 1024


def test_upload_handler_refuses_files_beyond_the_count(settings):
    from django.core.files.uploadhandler import load_handler

    settings.ATTACHMENT_MAX_FILES = 1
    body, content_type = multipart([("files", "a.txt", b"a" * 10), ("files", "b.txt", b"b" * 10)])
    request = RequestFactory().post("/", body, content_type=content_type)
    handlers = [load_handler(path, request) for path in settings.FILE_UPLOAD_HANDLERS]
    request.upload_handlers = handlers

    _, parsed = MultiPartParser(request.META, io.BytesIO(body), handlers).parse()

    first, second = parsed.getlist("files")
    assert (first.read(), getattr(first, "refused", "")) == (b"a" * 10, "")
    assert (second.read(), second.refused) == (b"", "too_many")


# --- download and thumbnail --------------------------------------------------------------------


@pytest.fixture
def photo(alpha_deal, alice, files):
    (attachment,) = post_attachments(
        alpha_deal, by=alice, files=[files.upload("Ảnh công trình.jpg", "jpeg")]
    )
    return attachment


def test_attachment_download_streams_the_file_as_a_download(alice_client, photo, files):
    response = alice_client.get(photo.get_absolute_url())

    assert response.status_code == 200
    assert response.streaming
    assert b"".join(response.streaming_content) == files.data["jpeg"]
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E1%BA%A2nh%20c%C3%B4ng%20tr%C3%ACnh.jpg"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_attachment_download_another_partner_is_404(client, bob, photo):
    client.force_login(bob)
    assert client.get(photo.get_absolute_url()).status_code == 404
    assert Attachment.objects.filter(pk=photo.pk).exists()


def test_attachment_download_under_another_deal_id_is_404(alice_client, alpha, alice, photo):
    from tests.factories import DealFactory

    other = DealFactory(partner=alpha, created_by=alice)
    assert alice_client.get(f"/deals/{other.pk}/attachments/{photo.pk}/").status_code == 404


def test_attachment_download_anonymous_goes_to_login(client, photo):
    response = client.get(photo.get_absolute_url())
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_attachment_download_is_get_only(alice_client, photo):
    assert alice_client.post(photo.get_absolute_url()).status_code == 405
    assert Attachment.objects.filter(pk=photo.pk).exists()


def test_attachment_download_of_a_missing_object_is_404(alice_client, photo):
    photo.file.storage.delete(photo.file.name)
    assert alice_client.get(photo.get_absolute_url()).status_code == 404


def test_attachment_thumbnail_is_served_inline_to_the_owner_only(client, alice, bob, photo):
    url = f"/deals/{photo.deal_id}/attachments/{photo.pk}/thumbnail/"
    client.force_login(alice)
    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content[:3] == b"\xff\xd8\xff"
    client.force_login(bob)
    assert client.get(url).status_code == 404


def test_attachment_thumbnail_of_a_document_is_404(alice_client, alpha_deal, alice, files):
    (pdf,) = post_attachments(alpha_deal, by=alice, files=[files.upload("a.pdf", "pdf")])
    url = f"/deals/{pdf.deal_id}/attachments/{pdf.pk}/thumbnail/"
    assert alice_client.get(url).status_code == 404


def test_timeline_lists_files_with_thumbnail_name_size_and_uploader(
    alice_client, alpha_deal, alice, photo, files
):
    post_attachments(alpha_deal, by=alice, files=[files.upload("BOM.xlsx", "xlsx")], kind="bom")

    html = alice_client.get(alpha_deal.get_absolute_url()).content.decode()

    thumb = f'src="/deals/{alpha_deal.pk}/attachments/{photo.pk}/thumbnail/"'
    assert thumb in html
    assert "Ảnh công trình.jpg" in html
    assert 'class="file-icon file-icon-xlsx"' in html
    assert "BOM.xlsx" in html
    assert str(alice) in html
