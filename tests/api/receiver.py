"""A webhook receiver on 127.0.0.1 for the tests: answers with the codes it is told, in order
(503 to everything while `down`), and keeps every request (headers, body, the code it answered
and the monotonic time it came) it got. It listens on a port the kernel picks, so parallel runs
never share one."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, port: int = 0):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.down = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    if receiver.down:
                        code = 503
                    else:
                        code = receiver.answers.pop(0) if receiver.answers else 204
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "code": code,
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portal"
        # Polled every 50 ms for the stop (serve_forever's default 0.5 s was half a second of
        # every webhook test's teardown).
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def received(self) -> list[dict]:
        with self.lock:
            return list(self.requests)
