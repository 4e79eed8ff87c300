"""A migrated SQLite database kept as a file, so a test process (or a bench script run by
the suite) copies it in milliseconds instead of applying every migration (about 10 s of CPU
on SQLite, most of it Django re-rendering model states). On PostgreSQL the same: a migrated
template database (`portal_migrated_<digest>`), which each test process's database is created
from (CREATE DATABASE ... TEMPLATE) instead of migrating.

The file is named by a digest of every installed app's migration files: a new or changed
migration names another file, which the next test process builds. `migrate` still runs after
the copy (it finds nothing to apply, or applies what is new), so the copy can only save time,
never change what the tests see. Kept in the system's temporary folder; delete
`portal-migrated-*.sqlite3` there (or drop the `portal_migrated_*` databases) to force a
rebuild.
"""

import functools
import os
import sqlite3
import tempfile
from pathlib import Path

import django
from django.apps import apps

from web.digests import sha256_hex


@functools.cache
def digest() -> str:
    """Of Django's version and every installed app's migration files, read once per process:
    a file saved under a digest worked out later than its migrations were read (a migration
    added while the suite ran) would be found by the next run without that migration."""
    parts = [django.get_version()]
    for config in apps.get_app_configs():
        folder = Path(config.path) / "migrations"
        if folder.is_dir():
            for file in sorted(folder.glob("*.py")):
                parts.append(f"{config.label}/{file.name}:{sha256_hex(file.read_text())}")
    return sha256_hex("|".join(parts))[:16]


def template_path() -> Path:
    return Path(tempfile.gettempdir()) / f"portal-migrated-{digest()}.sqlite3"


def restore_into(connection) -> bool:
    """Copy the template into `connection`'s (empty) SQLite database; False if there is none."""
    return copy_file_into(template_path(), connection)


def save_from(connection) -> None:
    """Keep `connection`'s freshly migrated database as the template."""
    if not template_path().exists():
        save_whole(connection, template_path())


def copy_file_into(path: Path, connection) -> bool:
    """Copy the SQLite file at `path` into `connection`'s database (SQLite's backup API);
    False if there is no file."""
    if not path.exists():
        return False
    connection.ensure_connection()
    source = sqlite3.connect(path)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    return True


def save_whole(connection, path: Path) -> None:
    """`connection`'s SQLite database as the file `path` (`_write_aside`)."""
    _write_aside(path, connection.connection.backup)


def _write_aside(path: Path, fill) -> None:
    """The SQLite file `path`, filled by `fill(target connection)` in a file beside it, then
    renamed: two processes writing it at once leave one whole file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".sqlite3")
    os.close(handle)
    target = sqlite3.connect(temporary)
    try:
        fill(target)
    finally:
        target.close()
    os.replace(temporary, path)


def copy_to(file: Path) -> bool:
    """A migrated SQLite file at `file` (for a script run by the suite); False if no template."""
    path = template_path()
    if not path.exists():
        return False
    copy_file(path, file)
    return True


def copy_file(source: Path, target: Path) -> None:
    """The SQLite database `source` into the file `target` (SQLite's backup API: whole, even
    if `source` keeps a write-ahead log)."""
    source, target = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def keep_file(source: Path, kept: Path) -> None:
    """Keep the SQLite database `source` as the file `kept` (`_write_aside`)."""
    database = sqlite3.connect(source)
    try:
        _write_aside(kept, database.backup)
    finally:
        database.close()


def postgresql_template() -> str:
    return f"portal_migrated_{digest()}"


def _disconnect(connection) -> None:
    connection.close()
    if hasattr(connection, "close_pool"):  # a pooled connection stays open in its pool
        connection.close_pool()


def clone_into(connection) -> bool:
    """Replace `connection`'s new, empty PostgreSQL database with a copy of the migrated
    template; False (and nothing changed) if there is none."""
    template, name = postgresql_template(), connection.settings_dict["NAME"]
    quote = connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if cursor.fetchone() is None:
            return False
    _disconnect(connection)
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE {quote(name)}")
        cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
    return True


def new_database_from_template(connection, name: str) -> bool:
    """A new PostgreSQL database `name` (dropped first if it is there) made from the migrated
    template, for a script that makes a throwaway database of its own (bench/events.py,
    bench/soak.py); False, and nothing made, if there is no template."""
    template, quote = postgresql_template(), connection.ops.quote_name
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if cursor.fetchone() is None:
            return False
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(name)}")
        cursor.execute(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(template)}")
    return True


def save_as_template(connection) -> None:
    """Keep `connection`'s freshly migrated PostgreSQL database as the template. Two
    processes saving at once: one makes it, the other finds it made (CREATE DATABASE is
    atomic: the template is visible only once whole)."""
    template, name = postgresql_template(), connection.settings_dict["NAME"]
    quote = connection.ops.quote_name
    _disconnect(connection)
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
        if cursor.fetchone() is not None:
            return
        try:
            cursor.execute(f"CREATE DATABASE {quote(template)} TEMPLATE {quote(name)}")
        except Exception:  # made by the other process meanwhile: theirs is as good
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template])
            if cursor.fetchone() is None:
                raise
