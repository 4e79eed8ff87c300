"""The deploy check with production settings: what an operator runs before going live."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.fresh_settings import fresh_settings

ROOT = Path(__file__).resolve().parents[2]


def production_environment(**env):
    """The process environment of a production run (DEBUG off, a real key), plus `env`."""
    production = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "partners.example.com",
        **env,
    }
    # Set for the browser tests' live server; never part of a deployment.
    production.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return production


def production_settings(**env):
    """The settings module as a production process reads it from `env` (settings.py executed
    afresh here, without the cost of a Django process per case)."""
    return fresh_settings(production_environment(**env))


def manage(*args, **env):
    """Run manage.py with a production environment (DEBUG off, a real key), plus `env`."""
    production = production_environment(**env)
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


def security(s):
    return [
        s.SECURE_SSL_REDIRECT,
        s.SECURE_HSTS_SECONDS,
        s.SECURE_HSTS_INCLUDE_SUBDOMAINS,
        s.SECURE_HSTS_PRELOAD,
        s.SESSION_COOKIE_SECURE,
        s.CSRF_COOKIE_SECURE,
        s.DEBUG,
    ]


def test_production_defaults_redirect_and_hsts_for_a_year():
    s = production_settings()

    assert security(s)[:6] == [True, 31536000, True, True, True, True]


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


def test_local_http_turns_every_https_setting_off_and_keeps_debug_off():
    s = production_settings(LOCAL_HTTP="true", ALLOWED_HOSTS="127.0.0.1,localhost")

    assert security(s) == [False, 0, *[False] * 5]


def test_local_http_is_refused_with_a_host_others_reach():
    with pytest.raises(ImproperlyConfigured) as refused:
        production_settings(LOCAL_HTTP="true")  # partners.example.com

    assert "LOCAL_HTTP=true serves plain HTTP" in str(refused.value)
    assert "partners.example.com" in str(refused.value)
