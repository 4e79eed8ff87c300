"""A webhook receiver for trying the portal's webhooks on your own machine.

    WEBHOOK_SECRET=whsec_... .venv/bin/python scripts/webhook_receiver.py 9000

Listens on 127.0.0.1:<port> (default 9000), checks each POST's Standard Webhooks signature
(`webhook-id`, `webhook-timestamp`, `webhook-signature`) with the secret shown on
/team/webhooks/, prints the event and answers 204, or 401 when no signature matches or the
time is old. Standard library only, like a partner's own receiver may be; with the
`standardwebhooks` library `verify` is `Webhook(secret).verify(body, headers)`
(docs/api.md#verifying-a-delivery).
"""

import base64
import hashlib
import hmac
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    msg_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    # Several signatures, space-separated, while a rotated secret is still valid.
    signatures = headers["webhook-signature"].split(" ")
    matches = any(hmac.compare_digest(expected, given) for given in signatures)
    return abs(time.time() - timestamp) <= tolerance and matches


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            ok = verify(os.environ["WEBHOOK_SECRET"], self.headers, body)
        except (KeyError, ValueError, TypeError):  # a header missing or malformed
            ok = False
        event = self.headers.get("webhook-id")
        verdict = "signature ok" if ok else "BAD SIGNATURE"
        print(f"event {event}: {verdict}: {body.decode(errors='replace')}")
        sys.stdout.flush()
        self.send_response(204 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main() -> None:
    if not os.environ.get("WEBHOOK_SECRET"):
        sys.exit("Set WEBHOOK_SECRET to the signing secret shown on /team/webhooks/.")
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9000
    server = HTTPServer(("127.0.0.1", port), Handler)
    print(f"Listening on http://127.0.0.1:{port}/ (Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
