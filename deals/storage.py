"""Checks on uploaded files and the keys they are stored under.

Nothing here trusts the file's name or the browser's content type: the type is sniffed from
the content, images are opened with Pillow (which also makes their thumbnail), the size and
hash are measured while reading in chunks. Every check runs before anything is stored.
"""

import hashlib
import io
import logging
import posixpath
import re
import struct
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str
    extensions: tuple[str, ...]  # the first one is added to a name that has none of them


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ALLOWED = {
    "pdf": FileType("application/pdf", "PDF", (".pdf",)),
    "xlsx": FileType(XLSX, "XLSX", (".xlsx",)),
    "xls": FileType("application/vnd.ms-excel", "XLS", (".xls",)),
    "csv": FileType("text/csv", "CSV", (".csv",)),
    "docx": FileType(DOCX, "DOCX", (".docx",)),
    "doc": FileType("application/msword", "DOC", (".doc",)),
    "pptx": FileType(PPTX, "PPTX", (".pptx",)),
    "txt": FileType("text/plain", "TXT", (".txt",)),
    "png": FileType("image/png", "PNG", (".png",)),
    "jpeg": FileType("image/jpeg", "JPEG", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "zip": FileType("application/zip", "ZIP", (".zip",)),
}
BY_CONTENT_TYPE = {kind.content_type: kind for kind in ALLOWED.values()}
ALLOWED_LABEL = ", ".join(kind.label for kind in ALLOWED.values())
IMAGE_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}

SNIFF_BYTES = 8192
MAX_NAME = 200
THUMBNAIL_SIZE = (320, 320)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_FAMILY = {"application/zip", XLSX, DOCX, PPTX}
# Markup is refused even when it is valid text: a browser that opened it would run it.
MARKUP = re.compile(
    r"^\s*<|<\s*(?:script|html|svg|iframe|!doctype|\?xml|body|head|meta|object|embed|link"
    r"|style|form|img|math)\b",
    re.IGNORECASE,
)
# C0 control characters that never appear in a text or CSV file.
BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    name: str
    type: FileType
    size: int
    sha256: str
    thumbnail: bytes | None = None

    @property
    def content_type(self) -> str:
        return self.type.content_type


def label_for(content_type: str) -> str:
    """A short type label for icons (PDF, XLSX, ...)."""
    kind = BY_CONTENT_TYPE.get(content_type)
    return kind.label if kind else "FILE"


# --- names -----------------------------------------------------------------------------------


def clean_name(raw) -> str:
    """The name as the user gave it (NFC), or a ValidationError saying what is wrong with it.

    Django's upload parser already drops directories and unprintable characters; this also
    guards files handed to the service by other code.
    """
    name = unicodedata.normalize("NFC", str(raw or "")).strip()
    if not name or name in {".", ".."}:
        raise ValidationError(_("the file has no name."), code="bad_name")
    if "/" in name or "\\" in name:
        raise ValidationError(_("the file name must not contain / or \\."), code="bad_name")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValidationError(
            _("the file name contains control characters; rename the file."), code="bad_name"
        )
    if len(name) > MAX_NAME:
        raise ValidationError(
            _("the file name is longer than %(n)s characters; rename the file.") % {"n": MAX_NAME},
            code="bad_name",
        )
    return name


def with_extension(name: str, kind: FileType) -> str:
    """Add the real type's extension to a name that claims another (`bom.pdf` → `bom.pdf.txt`).

    The file then opens in the right program on the user's computer, never as something else.
    """
    if name.lower().endswith(kind.extensions):
        return name
    return name + kind.extensions[0]


def key_name(name: str) -> str:
    """The object key's last part: ASCII letters, digits, dot, dash and underscore only."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", ext):
        stem, ext = name, ""
    stem, ext = _ascii(stem), ext.lower()
    ext = "." + ext if ext else ""
    return (stem[: 100 - len(ext)] or "file") + ext


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")


def object_key(deal_id: int, name: str) -> str:
    """deals/<deal id>/<random>/<safe name>: never the user's raw name, never guessable."""
    from deals.models import Attachment, attachment_key

    return attachment_key(Attachment(deal_id=deal_id), key_name(name))


def thumbnail_key(file_key: str, thumbnail: bytes) -> str:
    ext = ".png" if thumbnail.startswith(b"\x89PNG") else ".jpg"
    return posixpath.join(posixpath.dirname(file_key), "thumbnail" + ext)


# --- content ---------------------------------------------------------------------------------


def _measure(upload) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def _decode_text(head: bytes) -> str | None:
    """The sample as text, or None when it is not UTF-8 (or UTF-16 with a BOM) text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[: len(head) // 2 * 2].decode("utf-16")
        except UnicodeDecodeError:
            return None
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # The sample may cut a multi-byte character in half at its end.
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8-sig")
    return None if BINARY_CONTROLS.search(text) else text


def _text_type(head: bytes, name: str) -> FileType | None:
    text = _decode_text(head)
    if not text or MARKUP.search(text):
        return None
    return ALLOWED["csv"] if name.lower().endswith(".csv") else ALLOWED["txt"]


def _zip_listing_is_small(upload, limit=1024 * 1024) -> bool:
    """Whether the archive's directory is small enough to read (a hostile ZIP can list
    millions of entries; reading them all would cost far more memory than the file)."""
    upload.seek(0, io.SEEK_END)
    end = upload.tell()
    upload.seek(max(0, end - 65_557))
    tail = upload.read()
    upload.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return False
    (directory_size,) = struct.unpack("<I", tail[at + 12 : at + 16])
    return directory_size <= limit


def _zip_type(upload) -> FileType:
    """ZIP, or the Office document inside it, decided from the archive's directory."""
    if not _zip_listing_is_small(upload):
        return ALLOWED["zip"]
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ValidationError(_("the ZIP file is damaged."), code="bad_zip") from exc
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return ALLOWED["zip"]
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ValidationError(_("documents with macros are not accepted."), code="macros")
    for prefix, kind in (("xl/", "xlsx"), ("word/", "docx"), ("ppt/", "pptx")):
        if any(name.startswith(prefix) for name in names):
            return ALLOWED[kind]
    return ALLOWED["zip"]


# Stream names in an OLE compound file's directory are UTF-16LE.
OLE_WORD = "WordDocument".encode("utf-16-le")
OLE_EXCEL = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
OLE_MACROS = ("_VBA_PROJECT".encode("utf-16-le"), "Macros".encode("utf-16-le"))


def _ole_streams(upload) -> set[bytes]:
    """Which of the marker stream names occur in the file (read in chunks, with overlap)."""
    wanted = (OLE_WORD, *OLE_EXCEL, *OLE_MACROS)
    found, tail = set(), b""
    upload.seek(0)
    for chunk in upload.chunks():
        window = tail + chunk
        found.update(marker for marker in wanted if marker in window)
        tail = window[-32:]
    upload.seek(0)
    return found


def _ole_type(upload) -> FileType | None:
    """Word 97-2003 or Excel 97-2003, decided by the streams inside the OLE container (not
    the name); one with a VBA project is refused, anything else in OLE (MSI, ...) too."""
    streams = _ole_streams(upload)
    if any(marker in streams for marker in OLE_MACROS):
        raise ValidationError(_("documents with macros are not accepted."), code="macros")
    if OLE_WORD in streams:
        return ALLOWED["doc"]
    if any(marker in streams for marker in OLE_EXCEL):
        return ALLOWED["xls"]
    return None


def sniff(upload, name: str) -> FileType | None:
    """The file's type from its content, or None when it is not on the allow-list."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(OLE_MAGIC):
        return _ole_type(upload)
    guess = filetype.guess(head)
    if guess is None:
        return _text_type(head, name)
    if guess.mime in ZIP_FAMILY:
        return _zip_type(upload)
    return BY_CONTENT_TYPE.get(guess.mime)


def _image_bomb_error():
    return ValidationError(
        _("the image has too many pixels to open safely (at most %(mp)s megapixels).")
        % {"mp": settings.ATTACHMENT_MAX_IMAGE_PIXELS // 1_000_000},
        code="image_bomb",
    )


def _open_checked(upload, image_format):
    """Open the image and refuse it before decoding when it has too many pixels."""
    upload.seek(0)
    image = Image.open(upload, formats=[image_format])
    if image.width * image.height > settings.ATTACHMENT_MAX_IMAGE_PIXELS:
        image.close()
        raise _image_bomb_error()
    return image


def _render_thumbnail(image) -> bytes:
    image.draft("RGB", THUMBNAIL_SIZE)  # JPEG decodes straight at a fraction of the size
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block only costs the thumbnail its rotation
        logger.info("ignored unreadable EXIF orientation")
    image.thumbnail(THUMBNAIL_SIZE)
    out = io.BytesIO()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image.convert("RGBA").save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=80)
    return out.getvalue()


def check_image(upload, content_type: str) -> bytes:
    """Verify the image with Pillow and return its thumbnail; refuse broken images and bombs.

    Pillow warns (DecompressionBombWarning) between MAX_IMAGE_PIXELS and twice that, and only
    refuses above; here the warning is a refusal too. The explicit pixel check repeats the rule
    without relying on the warnings filter, which is process-wide state.
    """
    Image.MAX_IMAGE_PIXELS = settings.ATTACHMENT_MAX_IMAGE_PIXELS
    image_format = IMAGE_FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with _open_checked(upload, image_format) as image:
                image.verify()
            with _open_checked(upload, image_format) as image:
                return _render_thumbnail(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _image_bomb_error() from exc
    except Exception as exc:
        raise ValidationError(
            _("the image is damaged and cannot be opened."), code="bad_image"
        ) from exc
    finally:
        upload.seek(0)


# --- checks ----------------------------------------------------------------------------------


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _too_large_error():
    return ValidationError(
        _("the file is larger than %(mb)s MB.") % {"mb": megabytes(settings.ATTACHMENT_MAX_BYTES)},
        code="too_large",
    )


def _check(upload, name: str) -> CheckedFile:
    if getattr(upload, "refused", "") == "too_large":  # cut off by the upload handler
        raise _too_large_error()
    if upload.size is not None and upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise _too_large_error()
    size, sha256 = _measure(upload)
    if size == 0:
        raise ValidationError(_("the file is empty."), code="empty")
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise _too_large_error()
    kind = sniff(upload, name)
    if kind is None:
        raise ValidationError(
            _("this type of file is not accepted (allowed: %(types)s).") % {"types": ALLOWED_LABEL},
            code="bad_type",
        )
    thumbnail = (
        check_image(upload, kind.content_type) if kind.content_type in IMAGE_FORMATS else None
    )
    return CheckedFile(upload, with_extension(name, kind), kind, size, sha256, thumbnail)


def check_upload(upload) -> CheckedFile:
    """Validate one uploaded file; raises ValidationError with a message naming the file."""
    raw = getattr(upload, "name", "")
    try:
        return _check(upload, clean_name(raw))
    except ValidationError as exc:
        shown = "".join(ch for ch in str(raw or "") if ch.isprintable())[:MAX_NAME] or "?"
        raise ValidationError(
            _("%(name)s: %(reason)s") % {"name": shown, "reason": " ".join(exc.messages)},
            code=exc.error_list[0].code,
        ) from exc


def check_uploads(uploads) -> list[CheckedFile]:
    """Validate a batch: all or nothing. Every refused file is named in the error."""
    uploads = list(uploads)
    if len(uploads) > settings.ATTACHMENT_MAX_FILES:
        raise ValidationError(
            _("At most %(n)s files can be attached at once.")
            % {"n": settings.ATTACHMENT_MAX_FILES},
            code="too_many",
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


# --- storing ---------------------------------------------------------------------------------


class StoredFiles:
    """Remembers what was written to storage so a failure can take it back.

    Use as a context manager around the transaction: if the block raises, every object
    written inside it is deleted, so a rolled-back row never leaves an orphan file.
    """

    def __init__(self, storage=None):
        self.storage = storage or default_storage
        self.names: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.delete_all()
        return False

    def save(self, name, content) -> str:
        stored = self.storage.save(name, content)
        self.names.append(stored)
        return stored

    def delete_all(self):
        for name in self.names:
            try:
                self.storage.delete(name)
            except Exception:
                # Storage is down: the object outlives the failed change. Say which one so
                # an operator can remove it; no row points at it.
                logger.exception("could not remove %s after a failed change", name)
            else:
                logger.info("removed %s after a failed change", name)
        self.names.clear()


def store(checked: CheckedFile, *, key: str, stored: StoredFiles) -> tuple[str, str]:
    """Write the file (and its thumbnail) under `key`; returns the names storage chose.

    Raises ValidationError("could not be stored") on any storage failure; what was already
    written is in `stored`, for the caller's clean-up.
    """
    # S3 storage sends the upload's content_type: make it the sniffed one, not the browser's.
    checked.upload.content_type = checked.content_type
    checked.upload.seek(0)
    try:
        name = stored.save(key, checked.upload)
        thumb = ""
        if checked.thumbnail:
            thumb_file = ContentFile(checked.thumbnail)
            thumb_file.content_type = (
                "image/png" if checked.thumbnail.startswith(b"\x89PNG") else "image/jpeg"
            )
            thumb = stored.save(thumbnail_key(key, checked.thumbnail), thumb_file)
    except Exception as exc:
        logger.exception("storing %s failed", key)
        raise ValidationError(
            _("%(name)s: the file could not be stored, try again.") % {"name": checked.name},
            code="storage_failed",
        ) from exc
    return name, thumb
