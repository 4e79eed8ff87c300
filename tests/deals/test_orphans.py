"""Storage outages: objects written before the store went down are deleted once it is back.

A change that fails deletes what it wrote at once; a delete that fails too is recorded in
PendingDeletion and `manage.py purge_orphans` deletes it later. Local storage here (a real
FileSystemStorage that can be switched off), and the S3 server (moto over HTTP, behind the
gateway of conftest.py that takes the whole endpoint down after n uploads).
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.management import CommandError, call_command
from django.utils import timezone

from deals.files.storing import ORPHAN_GRACE, StoredFiles, purge_orphans
from deals.models import Attachment, Deal, PendingDeletion, StageChange
from deals.services import change_stage, post_attachments

pytestmark = pytest.mark.django_db


class SwitchableStorage(FileSystemStorage):
    """Local storage whose disk "goes away" after `up_for` writes, deletes included."""

    up_for: int | None = None
    saves = 0

    def _down(self):
        return self.up_for is not None and type(self).saves >= self.up_for

    def _save(self, name, content):
        if self._down():
            raise OSError("storage unavailable")
        type(self).saves += 1
        return super()._save(name, content)

    def delete(self, name):
        if self._down():
            raise OSError("storage unavailable")
        return super().delete(name)


@pytest.fixture
def switchable(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": f"{__name__}.SwitchableStorage",
            "OPTIONS": {"location": str(tmp_path / "flaky")},
        },
    }
    SwitchableStorage.up_for, SwitchableStorage.saves = None, 0
    yield lambda: sorted(
        str(p.relative_to(tmp_path / "flaky"))
        for p in (tmp_path / "flaky").rglob("*")
        if p.is_file()
    )
    SwitchableStorage.up_for = None


def pdfs(files, n):
    return [files.upload(f"part-{i}.pdf", "pdf") for i in range(n)]


def purge():
    out = StringIO()
    call_command("purge_orphans", stdout=out)
    return out.getvalue().strip()


def test_local_cut_mid_batch_leaves_an_orphan_that_purge_orphans_deletes(
    alpha_deal, alice, files, switchable
):
    SwitchableStorage.up_for = 1  # the first file is written, then the disk is gone

    with pytest.raises(ValidationError) as caught:
        post_attachments(alpha_deal, by=alice, files=pdfs(files, 3))

    assert caught.value.messages == ["part-1.pdf: the file could not be stored, try again."]
    assert Attachment.objects.count() == 0
    (orphan,) = switchable()
    # The stored first file, and the second file's key (its write may have half-happened).
    pending = set(PendingDeletion.objects.values_list("name", flat=True))
    assert len(pending) == 2
    assert orphan in pending
    with pytest.raises(CommandError, match="could not be deleted"):
        purge()  # still down: nothing lost, the rows wait
    assert switchable() == [orphan]
    assert set(PendingDeletion.objects.values_list("attempts", flat=True)) == {1}

    SwitchableStorage.up_for = None
    assert purge() == "deleted 2, failed 0, already attached 0"  # the object and the attempt

    assert (switchable(), PendingDeletion.objects.count()) == ([], 0)
    assert purge() == "deleted 0, failed 0, already attached 0"


def test_local_cut_mid_stage_change_changes_nothing_and_purge_cleans_up(
    alpha_deal, alice, files, switchable
):
    SwitchableStorage.up_for = 1
    stage_before = Deal.objects.get(pk=alpha_deal.pk).stage

    with pytest.raises(ValidationError, match="could not be stored"):
        change_stage(alpha_deal, "won", by=alice, note="with the PO", files=pdfs(files, 2))

    assert Deal.objects.get(pk=alpha_deal.pk).stage == stage_before
    assert (StageChange.objects.count(), Attachment.objects.count()) == (0, 0)
    assert len(switchable()) == 1
    SwitchableStorage.up_for = None
    purge()
    assert (switchable(), PendingDeletion.objects.count()) == ([], 0)


def test_purge_orphans_waits_for_uploads_in_flight_and_spares_attached_objects(
    alpha_deal, alice, files, media_files
):
    """An object announced before its upload is young: it may be attached any moment now. Once
    past the grace period (the process died before its commit) it is deleted, unless an
    attachment points at it after all."""
    from django.core.files.base import ContentFile

    (kept,) = post_attachments(alpha_deal, by=alice, files=[files.upload("kept.pdf", "pdf")])
    stored = StoredFiles()
    stored.save("deals/1/crashed/upload.pdf", ContentFile(b"%PDF-1.4"))  # never attached
    PendingDeletion.objects.create(name=kept.file.name, due_at=timezone.now())

    assert purge() == "deleted 0, failed 0, already attached 1"
    assert sorted(media_files()) == sorted([kept.file.name, "deals/1/crashed/upload.pdf"])

    PendingDeletion.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    assert purge_orphans().deleted == 1
    assert media_files() == [kept.file.name]
    assert PendingDeletion.objects.count() == 0


def test_announced_objects_are_due_after_the_grace_period(alpha_deal, alice, files, switchable):
    SwitchableStorage.up_for = 1
    before = timezone.now()
    with pytest.raises(ValidationError):
        post_attachments(alpha_deal, by=alice, files=pdfs(files, 2))
    SwitchableStorage.up_for = None

    # The failed deletes are due now; nothing else is left announced.
    assert all(row.due_at <= timezone.now() for row in PendingDeletion.objects.all())
    assert ORPHAN_GRACE == timedelta(hours=1)
    assert all(row.created_at >= before for row in PendingDeletion.objects.all())


def test_a_successful_upload_leaves_no_pending_deletion(alpha_deal, alice, files, media_files):
    post_attachments(alpha_deal, by=alice, files=[files.upload("a.png", "png")])

    assert PendingDeletion.objects.count() == 0
    assert len(media_files()) == 2  # the file and its thumbnail


# --- S3 -------------------------------------------------------------------------------------


@pytest.mark.s3
def test_s3_cut_mid_batch_then_purge_orphans_leaves_zero_objects(
    alice_client, alpha_deal, files, s3
):
    """The first upload reaches the bucket, then the endpoint goes down: the second upload
    and the clean-up delete both fail. Once it is back, purge_orphans deletes the orphan."""
    s3.gateway.down_after_puts = 1

    response = alice_client.post(f"/deals/{alpha_deal.pk}/attachments/", {"files": pdfs(files, 2)})

    assert response.status_code == 400
    assert response.context["form"].errors["files"] == [
        "part-1.pdf: the file could not be stored, try again."
    ]
    assert Attachment.objects.count() == 0
    (orphan,) = s3.keys()  # counted in moto, not through the app
    assert orphan in set(PendingDeletion.objects.values_list("name", flat=True))
    with pytest.raises(CommandError):
        purge()
    assert s3.keys() == [orphan]

    s3.gateway.reset()  # storage is back
    purge()

    assert s3.keys() == []
    assert PendingDeletion.objects.count() == 0
    assert purge() == "deleted 0, failed 0, already attached 0"


@pytest.mark.s3
def test_s3_cut_mid_stage_change_then_purge_orphans_leaves_zero_objects(
    alpha_deal, alice, files, s3
):
    s3.gateway.down_after_puts = 2  # the PDF and the image, not the image's thumbnail

    with pytest.raises(ValidationError, match="could not be stored"):
        change_stage(
            alpha_deal,
            "proposal",
            by=alice,
            files=[files.upload("bom.pdf", "pdf"), files.upload("site.jpg", "jpeg")],
        )

    assert (StageChange.objects.count(), Attachment.objects.count()) == (0, 0)
    assert len(s3.keys()) == 2
    s3.gateway.reset()
    purge()
    assert (s3.keys(), PendingDeletion.objects.count()) == ([], 0)


@pytest.mark.s3
def test_s3_thumbnail_while_storage_is_down_shows_a_placeholder(
    alice_client, alpha_deal, alice, files, s3
):
    from deals.files.thumbnails import placeholder

    (photo,) = post_attachments(alpha_deal, by=alice, files=[files.upload("a.png", "png")])
    s3.gateway.down_after_puts = 0

    response = alice_client.get(f"/deals/{alpha_deal.pk}/attachments/{photo.pk}/thumbnail/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == placeholder()
    assert "no-store" in response["Cache-Control"]
    s3.gateway.reset()
    again = alice_client.get(f"/deals/{alpha_deal.pk}/attachments/{photo.pk}/thumbnail/")
    assert again.content.startswith(b"\xff\xd8\xff")  # the real thumbnail once storage is back


def test_local_thumbnail_that_cannot_be_read_shows_a_placeholder(
    alice_client, alpha_deal, alice, files, settings
):
    """The stored thumbnail cannot be read (here a folder stands where the file should be)."""
    from pathlib import Path

    from deals.files.thumbnails import placeholder

    (photo,) = post_attachments(alpha_deal, by=alice, files=[files.upload("a.png", "png")])
    path = Path(settings.MEDIA_ROOT) / photo.thumbnail.name
    path.unlink()
    path.mkdir()

    response = alice_client.get(f"/deals/{alpha_deal.pk}/attachments/{photo.pk}/thumbnail/")

    assert (response.status_code, response.content) == (200, placeholder())
