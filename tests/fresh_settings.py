"""The settings module as a fresh process reads it from its environment, without the process.

partner_portal/settings.py reads every value from the environment when it is executed. A test
that asks what a given environment yields executes a fresh copy of the file here under that
environment (put back afterwards) instead of starting a Django process (about a second of CPU
each). The copy is a separate module: django.conf.settings is untouched.
"""

import importlib.util
import os
from pathlib import Path
from unittest import mock

SETTINGS = Path(__file__).resolve().parents[1] / "partner_portal" / "settings.py"


def fresh_settings(environ: dict):
    """Execute settings.py under exactly `environ`; return the module."""
    spec = importlib.util.spec_from_file_location("fresh_settings_under_test", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ, environ, clear=True):
        spec.loader.exec_module(module)
    return module
