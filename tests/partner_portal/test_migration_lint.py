"""The migration linter CI runs (`manage.py lintmigrations`, .ci/run) refuses a migration the
previous release cannot run beside, and passes a safe one. The migrations are a test app's
(tests/lintapp), linted with the portal's own MIGRATION_LINTER_OPTIONS but that app. The
portal's own migrations are linted by .ci/run itself."""

import pytest
from django.core.management import call_command
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the linter reads PostgreSQL's SQL (CI runs it there)",
    ),
]


@pytest.fixture
def lintapp(settings):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "tests.lintapp"]


@pytest.fixture
def lint(lintapp, capsys):
    """Lint one of the test app's migrations: (exit code, what the linter printed)."""

    def run(name: str) -> tuple[int, str]:
        code = 0
        try:
            call_command("lintmigrations", "lintapp", name, include_apps=["lintapp"])
        except SystemExit as exit:
            code = exit.code
        return code, capsys.readouterr().out

    return run


def test_a_nullable_column_or_one_with_a_database_default_passes(lint):
    code, out = lint("0002_add_nullable_note")
    assert code == 0, out


def test_not_null_without_a_database_default_fails(lint):
    code, out = lint("0003_add_not_null_author")
    assert code == 1
    assert "NOT NULL constraint on columns" in out


def test_a_dropped_column_fails(lint):
    code, out = lint("0004_drop_title")
    assert code == 1
    assert "DROPPING columns" in out
