"""The marks of a test module that needs PostgreSQL: concurrent connections (threads, each with
a connection of its own, on committed data) and row locks. SQLite's in-memory test database is
not shared between threads, so there the module is skipped, saying why; CI's PostgreSQL pass
runs it."""

import pytest
from django.conf import settings

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# Why most such modules are skipped on SQLite.
THREADS = (
    "SQLite's in-memory test database is not shared between threads, so concurrent "
    "connections cannot be tested there"
)


def needs_postgres(why: str) -> list:
    """`pytestmark` of such a module: marked `postgres`, on committed data (a transactional
    test), skipped elsewhere with `why`."""
    return [
        pytest.mark.postgres,
        pytest.mark.django_db(transaction=True),
        pytest.mark.skipif(
            not ON_POSTGRES, reason=f"needs PostgreSQL: {why} (run with DATABASE_URL)"
        ),
    ]
