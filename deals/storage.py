"""Checks on uploaded files and the keys they are stored under.

Nothing here trusts the file's name or the browser's content type: the type is sniffed from
the first bytes, images are opened with Pillow, the size and hash are measured while reading.
"""

import contextlib
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image

logger = logging.getLogger(__name__)

# Sniffed type → the content type we store and serve. Text types are decided separately.
ALLOWED_BINARY = {
    "application/pdf": "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    "application/vnd.ms-excel": "application/vnd.ms-excel",
    "application/msword": "application/msword",
    "application/x-ole-storage": "application/x-ole-storage",
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "application/zip": "application/zip",
}
IMAGE_TYPES = {"image/png", "image/jpeg"}
ALLOWED_LABEL = "PDF, XLSX, XLS, CSV, DOCX, DOC, PPTX, TXT, PNG, JPEG, ZIP"
# Markup is refused even when it is valid text: a browser could run it.
MARKUP = re.compile(
    rb"^\s*(<\?xml|<!doctype|<html|<svg|<script|<head|<body|<iframe|<\w+[^>]*>)", re.I
)
SNIFF_BYTES = 8192
MAX_NAME = 150


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    name: str
    content_type: str
    size: int
    sha256: str

    @property
    def is_image(self):
        return self.content_type in IMAGE_TYPES


def safe_name(name: str) -> str:
    """A display and key name: no path, no control characters, no more than MAX_NAME chars."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME]
    return name or "file"


def key_name(name: str) -> str:
    """The object key's last part: ASCII letters, digits, dot, dash and underscore only."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("._") or "file"
    return ascii_name[-100:]


def _sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return ALLOWED_BINARY.get(kind.mime)
    if not head or b"\x00" in head or MARKUP.match(head):
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may cut a multi-byte character in half at its end.
        if exc.start < len(head) - 3:
            return None
    return "text/plain"


def _measure(upload) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def _check_image(upload):
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            _("The image is too large to open safely."), code="image_bomb"
        ) from exc
    except Exception as exc:
        raise ValidationError(
            _("The image is damaged and cannot be opened."), code="bad_image"
        ) from exc
    finally:
        upload.seek(0)


def check_upload(upload) -> CheckedFile:
    """Validate one uploaded file; raises ValidationError with a message naming the file."""
    name = safe_name(getattr(upload, "name", ""))
    try:
        return _check(upload, name)
    except ValidationError as exc:
        raise ValidationError(
            _("%(name)s: %(reason)s") % {"name": name, "reason": " ".join(exc.messages)},
            code=exc.error_list[0].code,
        ) from exc


def _check(upload, name) -> CheckedFile:
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("the file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    size, sha256 = _measure(upload)
    if size == 0:
        raise ValidationError(_("the file is empty."), code="empty")
    if size > limit:
        raise ValidationError(
            _("the file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = _sniff(head)
    if content_type is None:
        raise ValidationError(
            _("this type of file is not accepted (allowed: %(types)s).") % {"types": ALLOWED_LABEL},
            code="bad_type",
        )
    if content_type == "text/plain" and name.lower().endswith(".csv"):
        content_type = "text/csv"
    checked = CheckedFile(upload, name, content_type, size, sha256)
    if checked.is_image:
        _check_image(upload)
    return checked


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
            with contextlib.suppress(Exception):
                self.storage.delete(name)
            logger.info("removed %s after a failed change", name)
        self.names.clear()
