"""Read-mostly test data built once per class or module, as Django's TestCase.setUpTestData.

    class TestAtScale:
        @pytest.fixture(scope="class")
        @classmethod
        def programme(cls, django_db_setup, django_db_blocker, tmp_path_factory):
            with built_once(django_db_blocker, tmp_path_factory):
                ...  # create the rows
                yield {"alpha": alpha.pk}  # ids, not objects: tests fetch their own copy

The rows are made inside a transaction that is rolled back when the fixture ends. Each test
still runs in its own savepoint (pytest-django's `db`), rolled back after it, so a test that
writes leaves the next one the same data; a test fetches its objects again (by id) so nothing
mutated in memory leaks from one test to the next. Works on SQLite and PostgreSQL alike.

Use class (or module) scope only for the tests that ask for the data: every test that runs
while the fixture is alive sees its rows. Tests that need real commits (`transactional_db`,
`live_server`) cannot run inside it.
"""

from contextlib import contextmanager

from django.db import transaction
from django.test import override_settings
from django.utils import translation

from tests.settings_for_tests import EVERY_TEST


@contextmanager
def built_once(django_db_blocker, tmp_path_factory):
    """Open the outer transaction, with the settings tests/conftest.py gives every test."""
    with (
        django_db_blocker.unblock(),
        # The settings tests/conftest.py gives every test, which its fixtures set per test.
        override_settings(**EVERY_TEST, MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))),
        translation.override("en"),
    ):
        atomic = transaction.atomic()
        # As Django's TestCase marks its own: a service's atomic(durable=True) may run inside.
        atomic._from_testcase = True
        with atomic:
            try:
                yield
            finally:
                transaction.set_rollback(True)
