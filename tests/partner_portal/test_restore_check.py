"""`manage.py restore_check`, what the restore drill compares (scripts/restore_drill.sh runs
the drill itself on PostgreSQL in CI)."""

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from deals.models import Attachment

pytestmark = pytest.mark.django_db


def _report(*args) -> dict:
    out = io.StringIO()
    call_command("restore_check", *args, stdout=out)
    return json.loads(out.getvalue())


def test_restore_check_counts_and_finds_every_file(alpha_deal):
    report = _report("--add-attachments", "1")

    assert report == {
        "attachments": 1,
        "deals": 1,
        "discounts": 0,
        "events": 0,
        "missing_files": [],
    }
    assert default_storage.exists(Attachment.objects.get().file.name)


def test_restore_check_fails_when_a_file_is_missing(alpha_deal):
    _report("--add-attachments", "1")
    name = Attachment.objects.get().file.name
    default_storage.delete(name)

    with pytest.raises(CommandError, match="1 attachment files missing"):
        call_command("restore_check", stdout=io.StringIO())
