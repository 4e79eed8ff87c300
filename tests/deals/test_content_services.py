"""Notes and attachments through the services, on local storage (a temporary MEDIA_ROOT)."""

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from deals.models import Attachment, Deal, Note, PendingDeletion
from deals.services.content import add_attachments, add_note, post_attachments, post_note

pytestmark = pytest.mark.django_db


def close(deal, stage=Deal.Stage.LOST):
    Deal.objects.filter(pk=deal.pk).update(stage=stage, closed_at=timezone.now())
    deal.refresh_from_db()


def test_post_note_keeps_the_text_as_written(alpha_deal, alice):
    text = "  Khách hàng muốn <b>demo</b>\n\n– tuần sau  "

    note = post_note(alpha_deal, by=alice, text=text)

    assert list(Note.objects.values_list("deal", "author", "text")) == [
        (alpha_deal.pk, alice.pk, text)
    ]
    assert note.text == text


def test_post_note_makes_line_breaks_uniform(alpha_deal, alice):
    post_note(alpha_deal, by=alice, text="one\r\ntwo\rthree")
    assert Note.objects.get().text == "one\ntwo\nthree"


@pytest.mark.parametrize("text", ["", "   ", "\n\t\r\n"])
def test_post_note_refuses_an_empty_note(alpha_deal, alice, text):
    with pytest.raises(ValidationError) as caught:
        post_note(alpha_deal, by=alice, text=text)
    assert caught.value.message_dict == {"text": ["Write something in the note."]}
    assert Note.objects.count() == 0


def test_post_note_accepts_5000_characters_and_refuses_5001(alpha_deal, alice):
    post_note(alpha_deal, by=alice, text="a" * 5000)
    with pytest.raises(ValidationError) as caught:
        post_note(alpha_deal, by=alice, text="a" * 5001)

    assert "at most 5,000 characters" in caught.value.message_dict["text"][0]
    assert list(Note.objects.values_list("text", flat=True)) == ["a" * 5000]


def test_post_note_refuses_a_closed_deal(alpha_deal, alice):
    close(alpha_deal)
    with pytest.raises(ValidationError) as caught:
        post_note(alpha_deal, by=alice, text="too late")
    assert caught.value.error_list[0].code == "closed"
    assert Note.objects.count() == 0


def test_post_note_refuses_another_partners_user(alpha_deal, bob):
    with pytest.raises(PermissionDenied, match="You can only change your own organisation's"):
        post_note(alpha_deal, by=bob, text="hello")
    assert Note.objects.count() == 0


def test_post_note_lets_a_member_add(alpha_deal, sam):
    post_note(alpha_deal, by=sam, text="from a member")
    assert list(Note.objects.values_list("author", flat=True)) == [sam.pk]


def test_add_note_records_inside_a_closing_change(alpha_deal, alice):
    """The stage update adds its note to the deal it is closing: add_note must allow it."""
    close(alpha_deal, Deal.Stage.WON)
    add_note(alpha_deal, by=alice, text="won it")
    assert Note.objects.filter(deal=alpha_deal).count() == 1


def test_post_attachments_stores_every_file_with_its_facts(alpha_deal, alice, files, media_files):
    saved = post_attachments(
        alpha_deal,
        by=alice,
        files=[files.upload("Báo giá.xlsx", "xlsx"), files.upload("ảnh.jpg", "jpeg")],
        kind=Attachment.Kind.QUOTATION,
    )

    rows = list(Attachment.objects.order_by("pk"))
    assert [a.pk for a in saved] == [a.pk for a in rows]
    assert [(a.original_name, a.kind, a.size, a.uploaded_by_id) for a in rows] == [
        ("Báo giá.xlsx", "quotation", len(files.data["xlsx"]), alice.pk),
        ("ảnh.jpg", "quotation", len(files.data["jpeg"]), alice.pk),
    ]
    assert rows[0].content_type == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert rows[1].content_type == "image/jpeg"
    assert rows[0].sha256 == hashlib.sha256(files.data["xlsx"]).hexdigest()
    assert rows[0].file.name.startswith(f"deals/{alpha_deal.pk}/")
    assert rows[0].file.name.endswith("/Bao_gia.xlsx")
    assert rows[0].thumbnail.name == ""
    assert rows[1].thumbnail.name.endswith("/thumbnail.jpg")
    assert media_files() == sorted([rows[0].file.name, rows[1].file.name, rows[1].thumbnail.name])
    with default_storage.open(rows[0].file.name, "rb") as stored:
        assert stored.read() == files.data["xlsx"]


def test_post_attachments_defaults_to_kind_other(alpha_deal, alice, files):
    post_attachments(alpha_deal, by=alice, files=[files.upload("bom.pdf", "pdf")])
    assert list(Attachment.objects.values_list("kind", flat=True)) == ["other"]


def test_post_attachments_refuses_an_unknown_kind(alpha_deal, alice, files, media_files):
    with pytest.raises(ValidationError) as caught:
        post_attachments(alpha_deal, by=alice, files=[files.upload("a.pdf", "pdf")], kind="x")
    assert list(caught.value.message_dict) == ["kind"]
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_post_attachments_saves_none_of_a_batch_with_one_bad_file(
    alpha_deal, alice, files, media_files
):
    batch = [
        files.upload("bom.xlsx", "xlsx"),
        files.upload("bom.pdf", "html"),
        files.upload("photo.png", "png"),
    ]
    with pytest.raises(ValidationError) as caught:
        post_attachments(alpha_deal, by=alice, files=batch)

    assert caught.value.messages == [
        "bom.pdf: this type of file is not accepted "
        "(allowed: PDF, XLSX, XLS, CSV, DOCX, DOC, PPTX, TXT, PNG, JPEG, ZIP)."
    ]
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_post_attachments_refuses_no_files(alpha_deal, alice):
    with pytest.raises(ValidationError) as caught:
        post_attachments(alpha_deal, by=alice, files=[])
    assert caught.value.message_dict == {"files": ["Choose at least one file."]}


def test_post_attachments_refuses_a_closed_deal(alpha_deal, alice, files, media_files):
    close(alpha_deal)
    with pytest.raises(ValidationError) as caught:
        post_attachments(alpha_deal, by=alice, files=[files.upload("bom.pdf", "pdf")])
    assert caught.value.error_list[0].code == "closed"
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_post_attachments_refuses_another_partners_user(alpha_deal, bob, files, media_files):
    with pytest.raises(PermissionDenied):
        post_attachments(alpha_deal, by=bob, files=[files.upload("bom.pdf", "pdf")])
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_post_attachments_removes_stored_files_when_the_deal_closed_meanwhile(
    alpha_deal, alice, files, media_files
):
    """The files are uploaded before the short transaction; if the deal closed in between,
    the check under the row lock refuses and the uploaded objects are deleted again."""
    stale = Deal.objects.get(pk=alpha_deal.pk)
    close(alpha_deal)
    stale.closed_at = None  # what the request read before another one closed the deal

    with pytest.raises(ValidationError) as caught:
        post_attachments(stale, by=alice, files=[files.upload("photo.jpg", "jpeg")])

    assert caught.value.error_list[0].code == "closed"
    assert (Attachment.objects.count(), media_files()) == (0, [])


def test_post_attachments_reports_a_storage_failure_and_leaves_nothing(
    alpha_deal, alice, files, settings, tmp_path, media_files
):
    """The media folder cannot be written (a file sits where the deal's folder would go):
    the user is told to try again, no row exists, the first file is removed again."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media" / "deals").mkdir(parents=True)
    (tmp_path / "media" / "deals" / str(alpha_deal.pk)).write_text("in the way")

    with pytest.raises(ValidationError) as caught:
        post_attachments(alpha_deal, by=alice, files=[files.upload("bom.pdf", "pdf")])

    assert caught.value.messages == ["bom.pdf: the file could not be stored, try again."]
    assert Attachment.objects.count() == 0
    assert media_files() == [f"deals/{alpha_deal.pk}"]


def test_uploaded_attachments_are_deleted_when_the_transaction_fails(
    alpha_deal, alice, files, media_files
):
    """The stage update's path: a failure after the files were written removes them."""
    from django.db import transaction

    from deals.files.storing import StoredFiles
    from deals.services.content import save_attachments, upload_attachments

    with pytest.raises(RuntimeError), StoredFiles() as stored:
        uploaded = upload_attachments(
            alpha_deal, by=alice, files=[files.upload("bom.pdf", "pdf")], kind="bom", stored=stored
        )
        with transaction.atomic():
            save_attachments(alpha_deal, uploaded, stored=stored)
            assert len(media_files()) == 1
            raise RuntimeError("the stage change failed after storing")

    assert (Attachment.objects.count(), media_files()) == (0, [])
    assert PendingDeletion.objects.count() == 0


def test_add_attachments_without_files_does_nothing(alpha_deal, alice, media_files):
    assert add_attachments(alpha_deal, by=alice, files=[]) == []
    assert (Attachment.objects.count(), media_files()) == (0, [])
