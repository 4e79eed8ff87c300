"""The stage change uploads its files before it locks the deal (PostgreSQL, two connections).

A real local storage whose writes wait at a gate stands for a slow object store: while the
files of a stage change are on their way, another connection can lock and update the deal
row at once (NOWAIT), and if the change is then refused its objects are deleted again.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction

from deals.models import Attachment, Deal, PendingDeletion, StageChange
from deals.services import change_stage
from tests.postgres import needs_postgres

pytestmark = needs_postgres(
    "SQLite's in-memory test database is not shared between threads, so a second "
    "connection cannot be tested there"
)


class GatedStorage(FileSystemStorage):
    """Local storage whose writes wait until the test opens the gate."""

    writing = threading.Event()
    gate = threading.Event()

    def _save(self, name, content):
        type(self).writing.set()
        assert type(self).gate.wait(timeout=30), "the test never opened the gate"
        return super()._save(name, content)


@pytest.fixture
def gated(settings, tmp_path):
    media = tmp_path / "gated"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.GatedStorage", "OPTIONS": {"location": str(media)}},
    }
    GatedStorage.writing.clear()
    GatedStorage.gate.clear()
    yield lambda: sorted(p.name for p in media.rglob("*") if p.is_file())
    GatedStorage.gate.set()


def in_background(deal_pk, to_stage, user, files):
    """change_stage in its own thread (its own connection); returns (thread, outcome)."""
    outcome = {}

    def run():
        try:
            deal = Deal.objects.get(pk=deal_pk)
            outcome["change"] = change_stage(deal, to_stage, by=user, note="BOM", files=files)
        except ValidationError as exc:
            outcome["refused"] = exc.error_list[0].code
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_stage_change_does_not_hold_the_row_lock_while_its_files_upload(
    alpha_deal, alice, files, gated
):
    thread, outcome = in_background(
        alpha_deal.pk, "proposal", alice, [files.upload("bom.pdf", "pdf")]
    )
    assert GatedStorage.writing.wait(timeout=10)  # the upload is in flight

    # Another connection locks the same deal row without waiting, and updates it.
    with transaction.atomic():
        Deal.objects.select_for_update(nowait=True).get(pk=alpha_deal.pk)
        Deal.objects.filter(pk=alpha_deal.pk).update(title="Renamed during the upload")
    GatedStorage.gate.set()
    thread.join(timeout=30)

    deal = Deal.objects.get(pk=alpha_deal.pk)
    assert (deal.title, deal.stage) == ("Renamed during the upload", "proposal")
    assert Attachment.objects.get().original_name == "bom.pdf"
    assert outcome["change"].to_stage == "proposal"
    assert gated() == ["bom.pdf"]
    assert PendingDeletion.objects.count() == 0


def test_stage_change_refused_after_its_upload_deletes_the_objects(alpha_deal, alice, files, gated):
    """Someone closes the deal while the files upload: the change is refused under the lock
    and the uploaded objects are deleted; the other person's close stands."""
    thread, outcome = in_background(
        alpha_deal.pk, "won", alice, [files.upload("po.pdf", "pdf"), files.upload("a.png", "png")]
    )
    assert GatedStorage.writing.wait(timeout=10)

    change_stage(Deal.objects.get(pk=alpha_deal.pk), "lost", by=alice, lost_reason="Budget cut")
    GatedStorage.gate.set()
    thread.join(timeout=30)

    assert outcome == {"refused": "closed"}
    assert Deal.objects.get(pk=alpha_deal.pk).stage == "lost"
    assert list(StageChange.objects.values_list("to_stage", flat=True)) == ["lost"]
    assert (Attachment.objects.count(), gated(), PendingDeletion.objects.count()) == (0, [], 0)
