"""Sentry: reports go out (without personal data) only when SENTRY_DSN is set.

Each case starts Django in a child process, as a server would, so the SDK's patches of Django
never reach the other tests.
"""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SCRIPT = """
import django, json, sentry_sdk
django.setup()
from django.conf import settings
from django_guid import set_guid
client = sentry_sdk.get_client()
set_guid("req-sentry-1")
try:
    raise ValueError("reported")
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(5)
print(json.dumps({
    "enabled": settings.SENTRY_ENABLED,
    "active": client.is_active(),
    "pii": client.options.get("send_default_pii") if client.is_active() else None,
    "integrations": sorted(getattr(client, "integrations", {}) or {}),
}))
"""


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    server.received = []
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _django(**env) -> dict:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")}
    environ.update(DJANGO_SETTINGS_MODULE="partner_portal.settings", DEBUG="true", **env)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_a_dsn_sentry_is_not_started(sentry_server):
    result = _django()

    assert (result["enabled"], result["active"]) == (False, False)
    assert sentry_server.received == []


def test_with_a_dsn_errors_are_reported_without_personal_data(sentry_server):
    port = sentry_server.server_address[1]
    result = _django(SENTRY_DSN=f"http://public@127.0.0.1:{port}/1")

    assert (result["enabled"], result["active"], result["pii"]) == (True, True, False)
    assert {"celery", "django"} <= set(result["integrations"])
    [envelope] = sentry_server.received
    text = envelope.decode("utf-8", "replace")
    assert "reported" in text and "req-sentry-1" in text
