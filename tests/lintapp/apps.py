from django.apps import AppConfig


class LintAppConfig(AppConfig):
    """Migrations for the migration linter's test only (tests/partner_portal/test_migration_lint.py);
    never installed by the portal."""

    name = "tests.lintapp"
    label = "lintapp"
