"""A webhook receiver for trying the portal's webhooks on your own machine.

    WEBHOOK_SECRET=whsec_... .venv/bin/python scripts/webhook_receiver.py 9000

Listens on 127.0.0.1:<port> (default 9000), checks each POST's X-Portal-Signature with the
secret shown on /team/webhooks/, prints the event and answers 204, or 401 when the signature
is wrong or old. Standard library only, like a partner's own receiver would be; `verify` is
the README's.
"""

import hashlib
import hmac
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    fields = dict(part.split("=", 1) for part in header.split(","))
    t = int(fields["t"])
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - t) <= tolerance and hmac.compare_digest(mac, fields["v1"])


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            ok = verify(os.environ["WEBHOOK_SECRET"], self.headers["X-Portal-Signature"], body)
        except (KeyError, ValueError, TypeError):  # no header, or not "t=...,v1=..."
            ok = False
        event = self.headers.get("X-Portal-Event")
        delivery = self.headers.get("X-Portal-Delivery")
        verdict = "signature ok" if ok else "BAD SIGNATURE"
        print(f"{event} (delivery {delivery}): {verdict}: {body.decode(errors='replace')}")
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
