"""Ports and servers of a test run's own, so two pytest-xdist workers, or two runs (and a
benchmark) on one machine, never meet on a port or in a Redis database.

In-process servers bind port 0 and read back the port the kernel gave them. A server in another
process (redis-server, runserver) is given a port the kernel has just handed out as free, and
is started again on another one if something took it in between.

Standard library (and redis-py) only: the benchmarks in bench/ use it too.
"""

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPController(Controller):
    """aiosmtpd's controller on port 0 (the default): `port` is the one the kernel chose."""

    def __init__(self, handler, port: int = 0, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=port, **kwargs)

    def _trigger_server(self):
        # aiosmtpd connects to its own port once to start the protocol; port 0 is not it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class RedisServer:
    """A redis-server of our own on a free port, nothing saved to disk. `stop()` and `start()`
    again keep the port, so a client configured with `url` finds it back."""

    def __init__(self, workdir: Path | None = None):
        # Nothing is written there (no snapshots, no append-only file); it is redis's cwd.
        self.workdir = workdir or Path(tempfile.gettempdir())
        self.port = 0
        self.proc = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        if self.port:  # a restart: same address
            if not self._spawn(self.port):
                raise RuntimeError(f"port {self.port} was taken while redis-server was down")
            return self
        for _attempt in range(5):
            if self._spawn(free_port()):
                return self
        raise RuntimeError("redis-server did not start on any of 5 free ports")

    def _spawn(self, port: int) -> bool:
        self.port = port
        args = ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), *args, "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # the port was taken after all
            if self._answers():  # ours, not a server that already held the port
                return True
            time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {port} did not answer")

    def _answers(self) -> bool:
        import redis

        try:
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
            return client.info("server")["process_id"] == self.proc.pid
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
