"""The allow-list of file types, the user's file name, and the keys objects are stored under.

Imported by `deals.models`: nothing here may import the models.
"""

import posixpath
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


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
MAX_NAME = 200


def label_for(content_type: str) -> str:
    """A short type label for icons (PDF, XLSX, ...)."""
    kind = BY_CONTENT_TYPE.get(content_type)
    return kind.label if kind else "FILE"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


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
    if "\ufffd" in name:
        # What a decoder puts for bytes that are no text: the name came in an encoding that
        # is not the one it claims, and stored so it would read "��.pdf" for good.
        raise ValidationError(
            _("the file name is not readable text in the encoding it was sent in; rename the "
              "file."),
            code="bad_name",
        )  # fmt: skip
    if len(name) > MAX_NAME:
        raise ValidationError(
            _("the file name is longer than %(n)s characters; rename the file.") % {"n": MAX_NAME},
            code="bad_name",
        )
    return name


def shown_name(raw) -> str:
    """The name as it may appear in an error message, whatever it contains."""
    return "".join(ch for ch in str(raw or "") if ch.isprintable())[:MAX_NAME] or "?"


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


def attachment_key(instance, filename):
    """deals/<deal id>/<random>/<safe name>: never the user's raw name, never guessable.

    The `upload_to` of Attachment's file fields; migrations find it as
    `deals.models.attachment_key`, which imports it from here.
    """
    return _key(instance.deal_id, PurePath(filename).name or "file")


def object_key(deal_id: int, name: str) -> str:
    """The key a new file of the deal is stored under (see attachment_key)."""
    return _key(deal_id, key_name(name))


def _key(deal_id: int, safe_name: str) -> str:
    return f"deals/{deal_id}/{uuid.uuid4().hex}/{safe_name}"


def thumbnail_key(file_key: str, thumbnail: bytes) -> str:
    ext = ".png" if thumbnail.startswith(b"\x89PNG") else ".jpg"
    return posixpath.join(posixpath.dirname(file_key), "thumbnail" + ext)
