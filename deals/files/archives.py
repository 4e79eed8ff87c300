"""What is inside a ZIP (and the Office documents built on it) or an OLE file (Office 97-2003),
decided by structure, never by scanning bytes:

- ZIP: the central directory is walked entry by entry (bounded memory) before zipfile loads
  it; the declared sizes of every entry must stay under ATTACHMENT_MAX_UNCOMPRESSED_BYTES in
  total and under ATTACHMENT_MAX_COMPRESSION_RATIO each; an entry that is itself a ZIP or an
  OLE file is opened and checked the same way, down to MAX_DEPTH levels, sharing one budget.
  Every deflated entry is then inflated (and thrown away) to prove the declared size, stopping
  just past it: a ZIP whose sizes lie is refused as damaged, and the budget bounds the work.
- Entry names: one that is absolute (`/etc/passwd`, a UNC path), starts with a drive
  letter (`C:`) or holds a `..` step is refused: unpacked, it would land outside its folder.
- OOXML (docx/xlsx/pptx): the package's `[Content_Types].xml` (parsed with defusedxml) and its
  part names; macro-enabled content types and `vbaProject` parts are refused. Every `.rels`
  part is read (defusedxml): an external relationship that Office follows by itself when the
  file opens (an attached template, an OLE object, a sub-document, a frame: "remote template
  injection") is refused; external hyperlinks are kept.
- A PDF inside an archive is checked like an uploaded one (`pdfs`).
- OLE: olefile reads the compound file's directory: `WordDocument` is Word, `Workbook`/`Book`
  is Excel, a VBA project storage (`VBA/dir`, `VBA/_VBA_PROJECT`) is macros, and so is an
  Excel 4.0 macro sheet (a BOUNDSHEET record of that type in the workbook's globals).
"""

import io
import shutil
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass

import olefile
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deals.files.names import ALLOWED, FileType, megabytes
from deals.files.pdfs import check_pdf

MAX_DEPTH = 3  # an archive in an archive in an archive; deeper is refused
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive, or an empty one
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RATIO_FLOOR = 1024 * 1024  # smaller entries may compress as well as they like
CONTENT_TYPES_MAX = 1024 * 1024
MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
# Content types of parts that carry code: VBA projects, macro-enabled main parts (docm, xlsm,
# pptm, ...), Excel 4.0 macro sheets.
MACRO_TYPE_MARKERS = ("vbaproject", "macroenabled", "macrosheet")
PDF_MAGIC = b"%PDF"
RELS_MAX = 1024 * 1024
# External relationships Office follows by itself when a file opens (the last part of the
# relationship type), with what the refusal calls them.
FETCHED_WHEN_OPENED = {
    "attachedtemplate": gettext_lazy("a template"),
    "oleobject": gettext_lazy("an OLE object"),
    "subdocument": gettext_lazy("a sub-document"),
    "frame": gettext_lazy("a frame"),
}


def _macros_error():
    return ValidationError(_("documents with macros are not accepted."), code="macros")


def _damaged_error():
    return ValidationError(_("the ZIP file is damaged."), code="bad_zip")


class Budget:
    """The uncompressed bytes an upload may unpack to, shared by all its nested archives."""

    def __init__(self):
        self.left = settings.ATTACHMENT_MAX_UNCOMPRESSED_BYTES

    def spend(self, size: int):
        self.left -= size
        if self.left < 0:
            raise ValidationError(
                _("the archive unpacks to more than %(mb)s MB.")
                % {"mb": megabytes(settings.ATTACHMENT_MAX_UNCOMPRESSED_BYTES)},
                code="archive_too_large",
            )


def zip_type(upload) -> FileType:
    """ZIP, or the Office document it is; a ValidationError for bombs, macros, damage."""
    try:
        return _inspect_zip(upload, Budget(), depth=1)
    finally:
        upload.seek(0)


def _inspect_zip(fileobj, budget: Budget, depth: int) -> FileType:
    _check_entry_count(fileobj)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            _check_sizes(archive, budget)  # first: it refuses encrypted entries before any read
            _check_names(archive)
            for info in archive.infolist():
                _check_real_size(fileobj, info)
            kind = _ooxml_kind(archive)
            for info in archive.infolist():
                _inspect_nested(archive, info, budget, depth)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        ValueError,
        EOFError,
    ) as exc:
        # NotImplementedError: a compression method zipfile cannot read, so cannot check.
        raise _damaged_error() from exc
    return kind


def _check_entry_count(fileobj):
    """Count the central directory's entries without keeping them (a hostile ZIP lists
    millions; zipfile would hold them all), refusing past ATTACHMENT_MAX_ARCHIVE_ENTRIES."""
    limit = settings.ATTACHMENT_MAX_ARCHIVE_ENTRIES
    start, size = _directory_span(fileobj)
    fileobj.seek(start)
    count, read = 0, 0
    while read < size:
        header = fileobj.read(46)
        if len(header) < 46 or header[:4] != b"PK\x01\x02":
            raise _damaged_error()
        name_len, extra_len, comment_len = struct.unpack("<HHH", header[28:34])
        skip = name_len + extra_len + comment_len
        fileobj.seek(skip, io.SEEK_CUR)
        read += 46 + skip
        count += 1
        if count > limit:
            raise ValidationError(
                _("the archive holds more than %(n)s files.") % {"n": limit},
                code="archive_entries",
            )
    fileobj.seek(0)


def _directory_span(fileobj) -> tuple[int, int]:
    """Where the central directory starts and how long it is, from the end records."""
    fileobj.seek(0, io.SEEK_END)
    end = fileobj.tell()
    tail_start = max(0, end - 65_557)  # the end record (22 bytes) and a comment of 64 KB
    fileobj.seek(tail_start)
    tail = fileobj.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        raise _damaged_error()
    (size,) = struct.unpack("<I", tail[at + 12 : at + 16])
    record = tail_start + at
    locator = tail[at - 20 : at] if at >= 20 else b""
    if locator[:4] == b"PK\x06\x07":  # ZIP64: the real figures are in the ZIP64 end record
        (offset,) = struct.unpack("<Q", locator[8:16])
        fileobj.seek(offset)
        zip64 = fileobj.read(56)
        if zip64[:4] != b"PK\x06\x06" or len(zip64) < 56:
            raise _damaged_error()
        (size,) = struct.unpack("<Q", zip64[40:48])
        record = offset
    if size > record:
        raise _damaged_error()
    return record - size, size


def _check_sizes(archive: zipfile.ZipFile, budget: Budget):
    ratio = settings.ATTACHMENT_MAX_COMPRESSION_RATIO
    for info in archive.infolist():
        if info.flag_bits & 0x1:
            raise ValidationError(
                _("the archive is password-protected, so its content cannot be checked."),
                code="archive_encrypted",
            )
        budget.spend(info.file_size)
        if info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise ValidationError(
                _("the archive is compressed more than %(ratio)s to 1, the mark of a ZIP bomb.")
                % {"ratio": ratio},
                code="archive_ratio",
            )


def _check_names(archive: zipfile.ZipFile):
    """Refuse an entry whose name, unpacked, lands outside the folder ("zip slip")."""
    for info in archive.infolist():
        name = info.orig_filename
        steps = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or name[1:2] == ":" or ".." in steps:
            raise ValidationError(
                _(
                    "the archive holds a file named “%(name)s”, which would be unpacked outside "
                    "its folder (an absolute name, a drive letter or “..”)."
                )
                % {"name": name[:100]},
                code="archive_path",
            )


def _check_real_size(fileobj, info: zipfile.ZipInfo):
    """Inflate a deflated entry to prove its declared size (and the local header's): an entry
    that declares 1 KB and inflates to 1 GiB is a bomb for every tool that trusts the stream.

    The work stops one chunk past the declared size, which the budget already allowed.
    """
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return  # stored: its data is its size; others are read by zipfile, bounded by it
    fileobj.seek(info.header_offset)
    header = fileobj.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _damaged_error()
    local_sizes = struct.unpack("<II", header[18:26])
    if not info.flag_bits & 0x8 and 0xFFFFFFFF not in local_sizes:
        if local_sizes != (info.compress_size, info.file_size):
            raise _damaged_error()
    fileobj.seek(sum(struct.unpack("<HH", header[26:30])), io.SEEK_CUR)
    inflater, size, left = zlib.decompressobj(-zlib.MAX_WBITS), 0, info.compress_size
    while size <= info.file_size and not inflater.eof:
        data = inflater.unconsumed_tail
        if not data and left > 0:
            data = fileobj.read(min(64 * 1024, left))
            if not data:
                raise _damaged_error()
            left -= len(data)
        out = inflater.decompress(data, 1024 * 1024)  # at most 1 MB held, then thrown away
        if not data and not out:
            break  # all input read and nothing pending: the stream ended early
        size += len(out)
    if size != info.file_size or not inflater.eof:
        raise _damaged_error()


def _inspect_nested(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, depth):
    """Open an entry that is itself an archive or an OLE file, and check it the same way."""
    if info.is_dir() or info.file_size < 8:
        return
    with archive.open(info) as entry:
        head = entry.read(8)
    is_zip, is_ole = head.startswith(ZIP_MAGIC), head.startswith(OLE_MAGIC)
    is_pdf = head.startswith(PDF_MAGIC)
    if not (is_zip or is_ole or is_pdf):
        return
    if is_zip and depth >= MAX_DEPTH:
        raise ValidationError(
            _("the archive holds archives nested more than %(n)s deep.") % {"n": MAX_DEPTH},
            code="archive_depth",
        )
    # Spooled: the entry is at most its declared size, which the budget already allowed.
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as copy:
        with archive.open(info) as entry:
            shutil.copyfileobj(entry, copy, 64 * 1024)
        copy.seek(0)
        if is_zip:
            _inspect_zip(copy, budget, depth + 1)
        elif is_pdf:
            check_pdf(copy)
        elif _ole_has_macros(copy):
            raise _macros_error()


def _ooxml_kind(archive: zipfile.ZipFile) -> FileType:
    """DOCX, XLSX or PPTX for an Office package (macros refused), ZIP for anything else."""
    names = archive.namelist()
    if "[Content_Types].xml" not in names:
        return ALLOWED["zip"]
    types = _content_types(archive)
    if any(marker in ct.lower() for ct in types for marker in MACRO_TYPE_MARKERS):
        raise _macros_error()
    if any(name.lower().rsplit("/", 1)[-1] == "vbaproject.bin" for name in names):
        raise _macros_error()
    for name in names:
        if name.lower().endswith(".rels"):
            _check_relationships(archive, name)
    for content_type, kind in MAIN_PARTS.items():
        if content_type in types:
            return ALLOWED[kind]
    # A package without the main part's content type: decide by its top folder.
    for prefix, kind in (("xl/", "xlsx"), ("word/", "docx"), ("ppt/", "pptx")):
        if any(name.startswith(prefix) for name in names):
            return ALLOWED[kind]
    return ALLOWED["zip"]


def _content_types(archive: zipfile.ZipFile) -> set[str]:
    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > CONTENT_TYPES_MAX:
        raise _damaged_error()
    try:
        root = ElementTree.fromstring(archive.read(info))
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise _damaged_error() from exc
    return {
        element.get("ContentType", "")
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] in ("Default", "Override")
    }


def _check_relationships(archive: zipfile.ZipFile, name: str):
    """Refuse a relationship part that makes Office fetch something from outside on opening."""
    info = archive.getinfo(name)
    if info.file_size > RELS_MAX:
        raise _damaged_error()
    try:
        root = ElementTree.fromstring(archive.read(info))
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise _damaged_error() from exc
    for element in root.iter():
        if element.tag.rsplit("}", 1)[-1] != "Relationship":
            continue
        if element.get("TargetMode", "").lower() != "external":
            continue
        kind = element.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        if kind in FETCHED_WHEN_OPENED:
            raise ValidationError(
                _(
                    "the document loads %(what)s from outside when it opens (%(target)s); "
                    "documents that fetch content are not accepted."
                )
                % {"what": FETCHED_WHEN_OPENED[kind], "target": element.get("Target", "")[:100]},
                code="active_content",
            )


# --- OLE (Office 97-2003) ---------------------------------------------------------------------


@dataclass(frozen=True)
class OleFacts:
    paths: list[tuple[str, ...]]  # streams and storages, lower case
    macros: bool  # a VBA project, or an Excel 4.0 macro sheet


def _ole_facts(fileobj) -> OleFacts | None:
    """What the compound file holds; None if it is not one."""
    fileobj.seek(0)
    try:
        ole = olefile.OleFileIO(fileobj)
    except Exception:  # olefile raises plain OSError and friends for any malformed file
        return None
    try:
        paths = [tuple(part.lower() for part in path) for path in ole.listdir(True, True)]
        vba = any(path[-2:] in (("vba", "dir"), ("vba", "_vba_project")) for path in paths)
        return OleFacts(paths, vba or _has_macro_sheets(ole, paths))
    except Exception:  # a directory that lists streams it cannot read
        return None
    finally:
        ole.close()  # leaves our file open: olefile closes only what it opened
        fileobj.seek(0)


def _has_macro_sheets(ole, paths) -> bool:
    """Excel 4.0 (XLM) macros: a BOUNDSHEET record of type "macro sheet" among the workbook's
    global records (BIFF: type, length, data; the globals end at the first EOF record)."""
    stream = next((name for name in ("workbook", "book") if (name,) in paths), None)
    if stream is None:
        return False
    data = ole.openstream(stream).read()
    at = 0
    while at + 4 <= len(data):
        kind, size = struct.unpack_from("<HH", data, at)
        if kind == 0x0085 and size >= 6 and data[at + 9] == 0x01:  # BOUNDSHEET, dt = macro
            return True
        if kind == 0x000A:  # EOF
            return False
        at += 4 + size
    return False


def _ole_has_macros(fileobj) -> bool:
    facts = _ole_facts(fileobj)
    return facts is not None and facts.macros


def ole_type(upload) -> FileType | None:
    """Word 97-2003 or Excel 97-2003, decided by the compound file's streams (not the name);
    one with a VBA project or an Excel 4.0 macro sheet is refused; anything else in OLE (MSI,
    ...) is not accepted."""
    facts = _ole_facts(upload)
    if facts is None:
        return None
    if facts.macros:
        raise _macros_error()
    if ("worddocument",) in facts.paths:
        return ALLOWED["doc"]
    if ("workbook",) in facts.paths or ("book",) in facts.paths:
        return ALLOWED["xls"]
    return None
