"""What an uploaded file really is, and every reason to refuse it, before anything is stored.

Nothing here trusts the file's name or the browser's content type: the type is sniffed from
the content (filetype for the magic numbers; `archives` for ZIP, Office and OLE structure; the
whole text for text files), PDFs are parsed for active content (`pdfs`), images are opened
with Pillow (`thumbnails`), the size and hash are measured while reading in chunks.
"""

import codecs
import hashlib
import itertools
import re
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from deals.files import archives, pdfs
from deals.files.names import (
    ALLOWED,
    ALLOWED_LABEL,
    BY_CONTENT_TYPE,
    FileType,
    clean_name,
    megabytes,
    shown_name,
    with_extension,
)
from deals.files.thumbnails import IMAGE_FORMATS, check_image

SNIFF_BYTES = 8192
ZIP_FAMILY = {"application/zip", *(ALLOWED[k].content_type for k in ("xlsx", "docx", "pptx"))}
# Markup is refused even when it is valid text: a browser that opened it would run it. A file
# that starts with "<" is markup; so is one with a tag like these anywhere in it.
MARKUP_TAG = re.compile(
    r"<\s*(?:script|html|svg|iframe|!doctype|\?xml|body|head|meta|object|embed|link"
    r"|style|form|img|math)\b",
    re.IGNORECASE,
)
TAG_OVERLAP = 32  # characters carried from one chunk to the next, so no tag hides in the seam
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


def _empty_error():
    return ValidationError(_("the file is empty."), code="empty")


def _measure(upload) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return size, digest.hexdigest()


def _text_type(upload, head: bytes, name: str) -> FileType | None:
    """TXT or CSV when the whole file is text without markup; None when it is not text.

    The file is decoded chunk by chunk (UTF-8, or UTF-16 with a BOM), so memory stays bounded
    and markup after the first kilobytes is found as surely as at the start. A file of only
    whitespace is empty.
    """
    encoding = "utf-16" if head.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    decoder = codecs.getincrementaldecoder(encoding)()
    seen, carry = "", ""  # seen: the first non-blank character, once there is one
    upload.seek(0)
    try:
        for chunk in itertools.chain(upload.chunks(), [b""]):  # b"": the decoder's final call
            text = decoder.decode(chunk, final=not chunk)
            if BINARY_CONTROLS.search(text):
                return None
            seen = seen or text.lstrip()[:1]
            window = carry + text
            if seen == "<" or MARKUP_TAG.search(window):
                return None
            carry = window[-TAG_OVERLAP:]
    except UnicodeDecodeError:
        return None
    finally:
        upload.seek(0)
    if not seen:
        raise _empty_error()
    return ALLOWED["csv"] if name.lower().endswith(".csv") else ALLOWED["txt"]


def sniff(upload, name: str) -> FileType | None:
    """The file's type from its content, or None when it is not on the allow-list."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(archives.OLE_MAGIC):
        return archives.ole_type(upload)
    guess = filetype.guess(head)
    if guess is None:
        return _text_type(upload, head, name)
    if guess.mime in ZIP_FAMILY:
        return archives.zip_type(upload)
    return BY_CONTENT_TYPE.get(guess.mime)


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
        raise _empty_error()
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise _too_large_error()
    kind = sniff(upload, name)
    if kind is None:
        raise ValidationError(
            _("this type of file is not accepted (allowed: %(types)s).") % {"types": ALLOWED_LABEL},
            code="bad_type",
        )
    if kind.content_type == ALLOWED["pdf"].content_type:
        pdfs.check_pdf(upload)
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
        raise ValidationError(
            _("%(name)s: %(reason)s") % {"name": shown_name(raw), "reason": " ".join(exc.messages)},
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
