"""scripts/webhook_receiver.py, the receiver the README starts: it accepts what the portal
signs with the endpoint's secret and refuses anything else."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from notifications.webhooks.transport import new_secret, send, standard_headers

SECRET = new_secret()
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "webhook_receiver.py"


@pytest.fixture
def receiver():
    with socket.socket() as probe:  # a free port for the script to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(port)],
        env={"WEBHOOK_SECRET": SECRET},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith("Listening on")
        yield process, f"http://127.0.0.1:{port}/hooks"
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()


def test_receiver_script_accepts_the_portals_signature_and_refuses_another(receiver, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    process, url = receiver
    body = b'{"id": 7, "type": "deal.won", "deal": 41, "data": {}}'

    assert send(url, body, headers=standard_headers([SECRET], "7", body)) == 204
    assert process.stdout.readline() == f"event 7: signature ok: {body.decode()}\n"

    # During a rotation: the old secret's signature and the new one's; either verifies.
    both = standard_headers([new_secret(), SECRET], "7", body)
    assert send(url, body, headers=both) == 204
    assert process.stdout.readline() == f"event 7: signature ok: {body.decode()}\n"

    assert send(url, body, headers=standard_headers([new_secret()], "7", body)) == 401
    assert process.stdout.readline().startswith("event 7: BAD SIGNATURE")


def test_receiver_script_needs_the_secret():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], env={}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert "WEBHOOK_SECRET" in done.stderr
