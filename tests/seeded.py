"""The demo data (`seed_demo`) in a SQLite database kept as a file, with the files it stored, so
the browser tests' first test in each process copies it in milliseconds instead of seeding
(about 10 s idle, 17-25 s under load), as tests/migrated.py does for the migrations.

The file is named by a digest of everything the seeded rows come from: the migrated
template's name (every migration), every Python file of the portal's apps (seed_demo calls
the services), the test settings and factories, the secret key and today's date (the demo's
dates count from today). Anything else names another file, which the next test process builds.
It holds no session: each process signs its users in afresh. Kept in the system's temporary
folder; delete `portal-demo-*` there to force a rebuild.
"""

import functools
import os
import shutil
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils import timezone

from tests import migrated
from web.digests import sha256_hex

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def digest() -> str:
    """Of everything the seeded rows come from (the module's docstring lists it), worked out
    once per process, as tests.migrated.digest."""
    parts = [migrated.template_path().name, sha256_hex(settings.SECRET_KEY)]
    parts.append(timezone.localdate().isoformat())
    files = [ROOT / "tests" / "settings_for_tests.py", ROOT / "tests" / "factories.py"]
    # Every app of ours (a folder of the checkout's own, not a library's in the venv).
    for folder in sorted(Path(c.path) for c in apps.get_app_configs()):
        if folder.parent != ROOT:
            continue
        files.extend(sorted(folder.rglob("*.py")))
    for file in files:
        parts.append(f"{file.relative_to(ROOT)}:{sha256_hex(file.read_text())}")
    return sha256_hex("|".join(parts))[:16]


def paths() -> tuple[Path, Path]:
    """The database file and the folder of the media files it names."""
    stem = Path(tempfile.gettempdir()) / f"portal-demo-{digest()}"
    return stem.with_suffix(".sqlite3"), stem.with_suffix(".media")


def restore_into(connection, media: Path) -> bool:
    """Copy the seeded database into `connection`'s and its files into `media`; False if
    there is none."""
    database, files = paths()
    if not files.is_dir() or not migrated.copy_file_into(database, connection):
        return False
    shutil.copytree(files, media, dirs_exist_ok=True)
    return True


def save_from(connection, media: Path) -> None:
    """Keep `connection`'s freshly seeded database and `media`'s files (each written aside,
    then renamed: two processes saving at once leave whole ones; the folder first, since the
    database's presence says both are there)."""
    database, files = paths()
    if database.exists():
        return
    if not files.is_dir():
        folder = Path(tempfile.mkdtemp(dir=files.parent, prefix="portal-demo-media-"))
        if media.is_dir():
            shutil.copytree(media, folder, dirs_exist_ok=True)
        try:
            os.rename(folder, files)
        except OSError:  # another process renamed its own first
            shutil.rmtree(folder, ignore_errors=True)
    migrated.save_whole(connection, database)
