"""Peak memory of the app process while a 200 MB file is uploaded through the view.

Runs the portal under gunicorn (one sync worker, like production) on a throwaway SQLite
database and media folder, logs in a partner user, warms the worker up with a small upload,
resets the worker's peak-RSS counter, then streams one large file to
/deals/<id>/attachments/ and reads the worker's peak RSS (VmHWM) from /proc. The issue's
target: growth under 30 MB.

    .venv/bin/python bench/upload_memory.py              # local media storage
    .venv/bin/python bench/upload_memory.py --s3         # moto's S3 server as the bucket
    .venv/bin/python bench/upload_memory.py --mb 500     # another size

Linux only (/proc). Exit status 1 when the growth reaches the limit.
"""

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 30
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS) ... of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if rest.strip().endswith("kB"):
            values[key] = int(rest.split()[0])
    return values


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False when the kernel refuses."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def worker_pid(master: int, timeout: float = 20) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def wait_for_port(port: int, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the app server did not start")


def prepare(env: dict) -> tuple[int, str]:
    """Migrate the throwaway database, create a partner user with a deal; (deal id, session)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tests.factories import ContractFactory, DealFactory, MembershipFactory

    membership = MembershipFactory(user__email="bench@alpha.test", partner__name="Bench")
    ContractFactory(partner=membership.partner)
    deal = DealFactory(
        partner=membership.partner, created_by=membership.user, approved=True, stage="proposal"
    )
    session = SessionStore()
    session[SESSION_KEY] = str(membership.user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = membership.user.get_session_auth_hash()
    session.create()
    return deal.pk, session.session_key


def post_file(port, path, cookies, csrf, name, size, chunk=b"vServer,3,1000000\n") -> int:
    """Stream a multipart upload of `size` bytes without holding it in this process either."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nbom\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    block = chunk * (CHUNK // len(chunk))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.putheader("Cookie", cookies)
    conn.putheader("X-CSRFToken", csrf)
    conn.endheaders()
    conn.send(head)
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        conn.send(piece)
        sent += len(piece)
    conn.send(tail)
    status = conn.getresponse().status
    conn.close()
    return status


def start_moto(env: dict):
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env.update(
        AWS_STORAGE_BUCKET_NAME="bench",
        AWS_S3_ENDPOINT_URL=endpoint,
        AWS_S3_REGION_NAME="us-east-1",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_S3_ADDRESSING_STYLE="path",
    )
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    ).create_bucket(Bucket="bench")
    return server


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="size of the uploaded file")
    parser.add_argument("--s3", action="store_true", help="store on moto's S3 server")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument(
        "--database-url",
        default="",
        help="a database to use instead of a new SQLite file (the test suite passes a copy of "
        "its migrated one, so the script does not apply every migration again)",
    )
    args = parser.parse_args()
    size = args.mb * 1024 * 1024

    work = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "partner_portal.settings",
        "DEBUG": "true",
        "SECRET_KEY": "bench-only",
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'bench.sqlite3'}",
        "MEDIA_ROOT": str(work / "media"),
        "ATTACHMENT_MAX_BYTES": str(size + CHUNK),
        "AXES_ENABLED": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "TMPDIR": str(work),  # Django's upload temp files go next to the media folder
    }
    moto = start_moto(env) if args.s3 else None
    deal_pk, session_key = prepare(env)
    csrf = uuid.uuid4().hex  # any 32-character secret: cookie and header must match
    cookies = f"sessionid={session_key}; csrftoken={csrf}"
    port = args.port or free_port()
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "partner_portal.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "600",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        wait_for_port(port)
        worker = worker_pid(server.pid)
        path = f"/deals/{deal_pk}/attachments/"
        # Warm-up: imports, templates, a first small upload (Pillow, storage, boto).
        assert post_file(port, path, cookies, csrf, "warmup.csv", 64 * 1024) == 302
        exact = reset_peak(worker)
        before = proc_status(worker)
        started = time.monotonic()
        status = post_file(port, path, cookies, csrf, "big.csv", size)
        seconds = time.monotonic() - started
        after = proc_status(worker)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if moto:
            moto.stop()

    baseline = before["VmRSS"] if exact else before["VmHWM"]
    growth_mb = (after["VmHWM"] - baseline) / 1024
    from deals.models import Attachment

    stored = Attachment.objects.filter(original_name="big.csv").values_list("size", flat=True)
    print(f"storage:            {'S3 (moto server)' if args.s3 else 'local media'}")
    print(f"upload:             {args.mb} MB in {seconds:.1f} s, HTTP {status}")
    print(f"attachment stored:  {list(stored) == [size]} ({list(stored)})")
    print(f"worker RSS before:  {before['VmRSS'] / 1024:.1f} MB")
    print(f"worker peak after:  {after['VmHWM'] / 1024:.1f} MB")
    print(f"peak growth:        {growth_mb:.1f} MB (limit {LIMIT_MB} MB)")
    if not exact:
        print("note: /proc/<pid>/clear_refs refused; growth measured from the earlier peak")
    ok = status == 302 and list(stored) == [size] and growth_mb < LIMIT_MB
    print("OK" if ok else "FAILED")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
