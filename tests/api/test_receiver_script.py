"""scripts/webhook_receiver.py, the receiver the README starts: it accepts what the portal
signs with the endpoint's secret and refuses anything else."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from notifications.webhooks.transport import send

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "webhook_receiver.py"


@pytest.fixture
def receiver():
    with socket.socket() as probe:  # a free port for the script to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(port)],
        env={"WEBHOOK_SECRET": "whsec_walk"},
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
    headers = {"X-Portal-Event": "deal.won", "X-Portal-Delivery": "3"}

    assert send(url, "whsec_walk", body, headers=headers) == 204
    assert process.stdout.readline() == f"deal.won (delivery 3): signature ok: {body.decode()}\n"

    assert send(url, "whsec_other", body, headers=headers) == 401
    assert process.stdout.readline().startswith("deal.won (delivery 3): BAD SIGNATURE")


def test_receiver_script_needs_the_secret():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], env={}, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert "WEBHOOK_SECRET" in done.stderr
