"""A migrated SQLite database kept as a file, so a test process (or a bench script run by
the suite) copies it in milliseconds instead of applying every migration (about 10 s of CPU
on SQLite, most of it Django re-rendering model states).

The file is named by a digest of every installed app's migration files: a new or changed
migration names another file, which the next test process builds. `migrate` still runs after
the copy (it finds nothing to apply, or applies what is new), so the copy can only save time,
never change what the tests see. Kept in the system's temporary folder; delete
`portal-migrated-*.sqlite3` there to force a rebuild.
"""

import os
import sqlite3
import tempfile
from pathlib import Path

import django
from django.apps import apps

from web.digests import sha256_hex


def template_path() -> Path:
    parts = [django.get_version()]
    for config in apps.get_app_configs():
        folder = Path(config.path) / "migrations"
        if folder.is_dir():
            for file in sorted(folder.glob("*.py")):
                parts.append(f"{config.label}/{file.name}:{sha256_hex(file.read_text())}")
    return (
        Path(tempfile.gettempdir()) / f"portal-migrated-{sha256_hex('|'.join(parts))[:16]}.sqlite3"
    )


def restore_into(connection) -> bool:
    """Copy the template into `connection`'s (empty) SQLite database; False if there is none."""
    path = template_path()
    if not path.exists():
        return False
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    return True


def save_from(connection) -> None:
    """Keep `connection`'s freshly migrated database as the template (written aside, then
    renamed: two processes saving at once leave one whole file)."""
    path = template_path()
    if path.exists():
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".sqlite3")
    os.close(handle)
    target = sqlite3.connect(temporary)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    os.replace(temporary, path)


def copy_to(file: Path) -> bool:
    """A migrated SQLite file at `file` (for a script run by the suite); False if no template."""
    path = template_path()
    if not path.exists():
        return False
    source, target = sqlite3.connect(path), sqlite3.connect(file)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return True
