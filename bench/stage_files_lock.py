"""How long other work on the database waits behind a stage change that uploads slow files.

A throwaway SQLite file database (as `make run` uses; PostgreSQL with DATABASE_URL) and a local
storage whose every write takes SLOW seconds. One thread moves deal A to *proposal* with two
files (the stage change) or adds them with *Add attachment*; meanwhile another thread adds a
note to an unrelated deal B and to deal A itself. Prints how long each note waited. Usage:

    .venv/bin/python bench/stage_files_lock.py [SLOW]
"""

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORK = Path(tempfile.mkdtemp(prefix="bench-stage-files-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partner_portal.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ["MEDIA_ROOT"] = str(WORK / "media")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import FileSystemStorage  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from tests.factories import PDF  # noqa: E402

SLOW = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5


class SlowStorage(FileSystemStorage):
    """Local storage whose writes take SLOW seconds, like an object store far away."""

    def _save(self, name, content):
        time.sleep(SLOW)
        return super()._save(name, content)


def setup():
    from tests.factories import ContractFactory, DealFactory, MembershipFactory, ProductFactory

    call_command("migrate", verbosity=0)
    membership = MembershipFactory(role="admin")
    ContractFactory(partner=membership.partner)
    ProductFactory()
    deals = [
        DealFactory(partner=membership.partner, created_by=membership.user, approved=True)
        for _ in range(3)
    ]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.SlowStorage", "OPTIONS": {"location": str(WORK)}},
    }
    return membership.user, deals


def measure(label, write, user, busy, other):
    """Run `write` on deal `busy`; 0.3 s in, time a note on deal `other`."""
    from deals.services import post_note

    took = {}

    def run():
        started = time.perf_counter()
        write()
        took["write"] = time.perf_counter() - started
        connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    time.sleep(0.3)
    started = time.perf_counter()
    post_note(other, by=user, text="Meanwhile")
    waited = time.perf_counter() - started
    worker.join()
    print(f"{label:<48} took {took['write']:4.1f} s; the note waited {waited:4.2f} s")


def main():
    from deals.services import change_stage, post_attachments

    user, (a, b, c) = setup()

    def files():
        return [SimpleUploadedFile(f"part-{i}.pdf", PDF) for i in range(2)]

    print(f"two files, each write taking {SLOW} s, on {connection.vendor}")
    measure(
        "stage change with files; note on another deal",
        lambda: change_stage(a, "proposal", by=user, files=files()),
        user,
        a,
        b,
    )
    measure(
        "Add attachment; note on another deal",
        lambda: post_attachments(c, by=user, files=files()),
        user,
        c,
        b,
    )
    measure(
        "stage change with files; note on the same deal",
        lambda: change_stage(a, "negotiation", by=user, files=files()),
        user,
        a,
        a,
    )


if __name__ == "__main__":
    main()
