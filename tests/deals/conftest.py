"""Fixtures for notes and attachments: sample files (good and hostile) and a real S3 server.

The S3 server is moto's, in server mode, over real HTTP on 127.0.0.1 (no patched boto calls).
Between the app and moto sits a small gateway that behaves like a real S3 endpoint in two
ways moto does not: it refuses a presigned URL after its X-Amz-Expires, and it can fail
uploads on demand (an outage in the middle of a batch).
"""

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

from partner_portal.settings import s3_storage

# --- sample files -----------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


def _ooxml(folder: str, main: str) -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "_rels/.rels": b"<Relationships/>",
            f"{folder}/{main}": b"<x/>",
        }
    )


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

SAMPLES = {
    "pdf": b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< >>\n%%EOF\n",
    "xlsx": _ooxml("xl", "workbook.xml"),
    "docx": _ooxml("word", "document.xml"),
    "pptx": _ooxml("ppt", "presentation.xml"),
    "xlsm": _zip(
        {
            "[Content_Types].xml": b"<Types/>",
            "xl/workbook.xml": b"<x/>",
            "xl/vbaProject.bin": b"\x00macro",
        }
    ),
    "zip": _zip({"readme.txt": b"hello"}),
    # OLE compound files: the directory names the streams (UTF-16LE) that tell them apart.
    "xls": OLE + b"\x00" * 512 + "Workbook".encode("utf-16-le") + b"\x00" * 512,
    "doc": OLE + b"\x00" * 512 + "WordDocument".encode("utf-16-le") + b"\x00" * 512,
    "doc_macro": OLE
    + b"\x00" * 512
    + "WordDocument".encode("utf-16-le")
    + b"\x00" * 64
    + "_VBA_PROJECT".encode("utf-16-le"),
    "msi": OLE + b"\x00" * 1024,
    "csv": "Sản phẩm,Số lượng\nvServer,3\n".encode(),
    "txt": b"Plain notes about the deal.\n",
    "png": _image("PNG"),
    "png_alpha": _image("PNG", mode="RGBA"),
    "jpeg": _image("JPEG", size=(800, 600)),
    "html": b"<!doctype html><html><body><script>alert(1)</script></body></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
    "html_late": b"Name,Value\n" + b"<script>alert(1)</script>\n",
    "exe": b"MZ\x90\x00" + b"\x00" * 200,
    "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "bomb": _png_header_only(50_000, 50_000),
}


def upload(name: str, sample: str | bytes, content_type="application/octet-stream"):
    """A file as Django hands it to a view (the browser's content type is not trusted)."""
    data = SAMPLES[sample] if isinstance(sample, str) else sample
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def files():
    """Builders for uploads: files.upload("bom.xlsx", "xlsx"), files.data["png"]."""
    return SimpleNamespace(upload=upload, data=SAMPLES, image=_image, bomb=_png_header_only)


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


class S3Gateway:
    """In front of moto: `fail_puts_after = n` lets n object uploads through, fails the rest."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.fail_puts_after = None
        self.failure = INTERNAL_ERROR
        self.puts = 0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _GatewayHandler)
        self.server.daemon_threads = True
        self.server.gateway = self
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def should_fail_put(self) -> bool:
        with self._lock:
            self.puts += 1
            return self.fail_puts_after is not None and self.puts > self.fail_puts_after

    def reset(self):
        self.fail_puts_after = None
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


@pytest.fixture
def s3(settings, s3_gateway, moto_endpoint):
    """Django's default storage on a fresh, private bucket of the S3 server (through the
    gateway), built by the same function production settings use. Yields a helper to look
    into the bucket directly."""
    bucket = f"portal-{uuid.uuid4().hex[:12]}"
    client = _client(moto_endpoint)
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
