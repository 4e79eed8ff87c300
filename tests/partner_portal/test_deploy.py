"""The deploy check with production settings: what an operator runs before going live."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    """Run manage.py with a production environment (DEBUG off, a real key), plus `env`."""
    production = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "partners.example.com",
        **env,
    }
    # Set for the browser tests' live server; never part of a deployment.
    production.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_defaults():
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_defaults_redirect_and_hsts_for_a_year():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    result = manage("shell", "-c", code)

    assert result.stdout.strip().splitlines()[-1].split() == [
        "True",
        "31536000",
        "True",
        "True",
        "True",
        "True",
    ]


def test_ssl_redirect_switched_off_for_a_proxy_is_reported_unless_silenced():
    off = manage("check", "--deploy", "--fail-level", "WARNING", SECURE_SSL_REDIRECT="false")
    silenced = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECURE_SSL_REDIRECT="false",
        SILENCED_SYSTEM_CHECKS="security.W008",
    )

    assert off.returncode == 1
    assert "security.W008" in off.stderr
    assert silenced.returncode == 0, silenced.stderr
