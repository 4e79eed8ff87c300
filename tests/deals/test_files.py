"""File checks: names, sniffed types, images, keys, hostile files (deals.files)."""

import hashlib

import pytest
from django.core.exceptions import ValidationError

from deals.files.checks import check_upload, check_uploads
from deals.files.names import (
    ALLOWED,
    DOCX,
    clean_name,
    key_name,
    label_for,
    object_key,
    with_extension,
)
from tests.deals.conftest import HOSTILE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "sample", "content_type"),
    [
        ("bom.pdf", "pdf", "application/pdf"),
        ("bom.xlsx", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "proposal.docx",
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "deck.pptx",
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("old.xls", "xls", "application/vnd.ms-excel"),
        ("old.doc", "doc", "application/msword"),
        ("bom.csv", "csv", "text/csv"),
        ("notes.txt", "txt", "text/plain"),
        ("photo.png", "png", "image/png"),
        ("photo.jpg", "jpeg", "image/jpeg"),
        ("bundle.zip", "zip", "application/zip"),
    ],
)
def test_check_upload_accepts_the_allow_list_by_content(files, name, sample, content_type):
    checked = check_upload(files.upload(name, sample, content_type="text/html"))

    assert checked.content_type == content_type
    assert checked.name == name
    assert checked.size == len(files.data[sample])
    assert checked.sha256 == hashlib.sha256(files.data[sample]).hexdigest()


@pytest.mark.parametrize(
    ("name", "sample"),
    [
        ("bom.pdf", "html"),
        ("bom.pdf", "svg"),
        ("drawing.svg", "svg"),
        ("bom.csv", "html_late"),
        ("setup.pdf", "exe"),
        ("anim.png", "gif"),
        ("legacy.exe", "msi"),  # an OLE container with neither Word nor Excel inside
        ("setup.msi.xls", "msi"),  # the name does not make it a spreadsheet
        ("report.doc", "fake_doc"),  # the names of Word's streams, but no OLE directory
    ],
)
def test_check_upload_refuses_types_outside_the_allow_list(files, name, sample):
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload(name, sample, content_type="application/pdf"))

    assert caught.value.error_list[0].code == "bad_type"
    assert name in caught.value.messages[0]
    assert "not accepted" in caught.value.messages[0]


@pytest.mark.parametrize(("name", "sample", "code", "message"), HOSTILE)
def test_check_upload_refuses_hostile_files_with_the_reason(files, name, sample, code, message):
    """ZIP bombs (1 GiB, a nested 4 GiB, 1000:1), archives nested 4 deep or encrypted, macros
    in OOXML (content types, vbaProject part, a 1 MB directory, embedded, in a ZIP) and OLE,
    HTML after the first 8 KB of text, a whitespace-only file."""
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload(name, sample))

    assert caught.value.error_list[0].code == code
    assert caught.value.messages[0].startswith(message)


@pytest.mark.parametrize(
    ("name", "sample", "content_type"),
    [
        ("offer.doc", "doc_says_macros", "application/msword"),
        ("offer.docx", "docx_says_macros", DOCX),
        ("bundle.zip", "zip_nested_ok", "application/zip"),
        # Going to a page on opening, a link to click, an external hyperlink: not active.
        ("quote.pdf", "pdf_open_goto", "application/pdf"),
        ("quote.pdf", "pdf_open_page", "application/pdf"),
        ("quote.pdf", "pdf_link", "application/pdf"),
        ("offer.docx", "docx_links", DOCX),
        ("notes.zip", "zip_dots_in_names", "application/zip"),
    ],
)
def test_check_upload_decides_by_structure_not_words(files, name, sample, content_type):
    """A document whose text says "Macros" or "_VBA_PROJECT" has no macros; a ZIP in a ZIP
    of harmless files is harmless."""
    assert check_upload(files.upload(name, sample)).content_type == content_type


def test_check_upload_takes_the_archive_limits_from_the_settings(files, settings):
    settings.ATTACHMENT_MAX_COMPRESSION_RATIO = 2000
    assert check_upload(files.upload("dense.zip", "zip_dense")).content_type == "application/zip"

    settings.ATTACHMENT_MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("dense.zip", "zip_dense"))
    assert caught.value.messages == ["dense.zip: the archive unpacks to more than 32 MB."]

    settings.ATTACHMENT_MAX_ARCHIVE_ENTRIES = 3
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("many.zip", files.zip({f"{n}.txt": b"x" for n in range(4)})))
    assert caught.value.messages == ["many.zip: the archive holds more than 3 files."]


def test_check_upload_refuses_a_damaged_zip(files):
    cut = files.data["docx"][:-30]  # the end of the central directory is gone
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("offer.docx", cut))
    assert caught.value.error_list[0].code == "bad_zip"


def test_check_upload_finds_markup_across_chunks(files):
    """The text is read in chunks; a tag split between two of them is still found."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    head = b"a" * (64 * 1024 - 3)
    upload = SimpleUploadedFile("notes.txt", head + b"<script>x</script>")
    upload.DEFAULT_CHUNK_SIZE = 64 * 1024
    with pytest.raises(ValidationError) as caught:
        check_upload(upload)
    assert caught.value.error_list[0].code == "bad_type"


def test_check_upload_tells_word_from_excel_by_content(files):
    assert check_upload(files.upload("report.xls", "doc")).content_type == "application/msword"
    assert check_upload(files.upload("sheet.doc", "xls")).content_type == "application/vnd.ms-excel"


def test_check_upload_names_a_file_by_what_it_is(files):
    """A PNG called bom.pdf keeps its name and gets the real extension: never opened as PDF."""
    assert check_upload(files.upload("bom.pdf", "png")).name == "bom.pdf.png"
    assert check_upload(files.upload("notes.html", "txt")).name == "notes.html.txt"
    assert check_upload(files.upload("bom.xlsx", "zip")).name == "bom.xlsx.zip"


def test_check_upload_refuses_an_empty_file(files):
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("empty.pdf", b""))
    assert caught.value.error_list[0].code == "empty"


def test_check_upload_refuses_a_file_over_the_limit(files, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("bom.pdf", "pdf"))
    assert caught.value.error_list[0].code == "too_large"


def test_check_upload_refuses_a_broken_image(files):
    broken = files.data["jpeg"][: len(files.data["jpeg"]) // 2]
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("photo.jpg", broken))
    assert caught.value.error_list[0].code == "bad_image"


def test_check_upload_refuses_a_decompression_bomb(files):
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("bomb.png", "bomb"))
    assert caught.value.error_list[0].code == "image_bomb"


def test_check_upload_leaves_pillows_global_pixel_limit_alone(files, settings):
    """The limit is the setting's, applied per call: another request's images are unaffected."""
    from PIL import Image

    before = Image.MAX_IMAGE_PIXELS
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 10_000
    with pytest.raises(ValidationError):
        check_upload(files.upload("big.png", files.image("PNG", size=(200, 100))))
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 40_000
    assert check_upload(files.upload("big.png", files.image("PNG", size=(200, 100)))).thumbnail

    assert Image.MAX_IMAGE_PIXELS == before


@pytest.mark.parametrize("size", [(120, 100), (400, 400)])
def test_check_upload_refuses_images_over_the_pixel_limit(files, settings, size):
    """Pillow only warns between the limit and twice the limit: that is a refusal too."""
    settings.ATTACHMENT_MAX_IMAGE_PIXELS = 10_000
    with pytest.raises(ValidationError) as caught:
        check_upload(files.upload("big.png", files.image("PNG", size=size)))
    assert caught.value.error_list[0].code == "image_bomb"


def test_check_upload_makes_a_thumbnail_of_an_image(files):
    from io import BytesIO

    from PIL import Image

    checked = check_upload(files.upload("photo.jpg", "jpeg"))
    thumbnail = Image.open(BytesIO(checked.thumbnail))

    assert thumbnail.format == "JPEG"
    assert max(thumbnail.size) == 320
    transparent = check_upload(files.upload("logo.png", "png_alpha")).thumbnail
    assert Image.open(BytesIO(transparent)).format == "PNG"
    assert check_upload(files.upload("bom.pdf", "pdf")).thumbnail is None


@pytest.mark.parametrize(
    "name",
    [
        *("..\\..\\bom.pdf", "a/b.pdf", "bom\x00.pdf", "bom\x1b[31m.pdf", "bom\u202efdp.exe"),
        *("x" * 201, "\ufffd\ufffd.txt"),  # the last: bytes that were no UTF-8, decoded
    ],
)
def test_clean_name_refuses_bad_names(name):
    with pytest.raises(ValidationError) as caught:
        clean_name(name)
    assert caught.value.error_list[0].code == "bad_name"


def test_clean_name_keeps_unicode_names_as_written():
    assert clean_name("Báo giá tháng 5.xlsx") == "Báo giá tháng 5.xlsx"
    assert clean_name("Ba\u0301o.pdf") == "Báo.pdf"  # NFD from macOS becomes NFC


def test_check_uploads_refuses_too_many_files(files, settings):
    settings.ATTACHMENT_MAX_FILES = 2
    with pytest.raises(ValidationError) as caught:
        check_uploads([files.upload(f"{n}.pdf", "pdf") for n in range(3)])
    assert caught.value.error_list[0].code == "too_many"


def test_check_uploads_names_every_refused_file(files):
    with pytest.raises(ValidationError) as caught:
        check_uploads(
            [
                files.upload("good.pdf", "pdf"),
                files.upload("page.pdf", "html"),
                files.upload("empty.txt", b""),
            ]
        )
    messages = caught.value.messages
    assert len(messages) == 2
    assert messages[0].startswith("page.pdf:")
    assert messages[1].startswith("empty.txt:")


def test_key_name_is_ascii_and_short():
    assert key_name("Báo giá đợt 1.xlsx") == "Bao_gia_dot_1.xlsx"
    assert key_name("../../etc/passwd") == "etc_passwd"
    assert key_name("日本.pdf") == "file.pdf"
    assert len(key_name("a" * 300 + ".pdf")) == 100


def test_object_key_is_per_deal_random_and_safe():
    first, second = object_key(7, "Báo giá.pdf"), object_key(7, "Báo giá.pdf")

    assert first.startswith("deals/7/")
    assert first.endswith("/Bao_gia.pdf")
    assert len(first.split("/")[2]) == 32
    assert first != second


def test_with_extension_and_label_for():
    assert with_extension("photo.JPEG", ALLOWED["jpeg"]) == "photo.JPEG"
    assert with_extension("report", ALLOWED["pdf"]) == "report.pdf"
    assert label_for("application/pdf") == "PDF"
    assert label_for("application/x-unknown") == "FILE"
