"""Faults in the middle of a stage change leave the deal, discount, ownership, notes and
storage exactly as before. Runs on SQLite and PostgreSQL alike."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from deals.models import Attachment, Note, StageChange
from deals.services import change_stage
from discounts.models import Discount
from partners.models import CustomerOwnership
from tests.factories import PDF

pytestmark = pytest.mark.django_db


class SecondSaveFails(FileSystemStorage):
    """A real local storage that fails on its second write, like a store going down mid-batch."""

    saves = 0

    def _save(self, name, content):
        type(self).saves += 1
        if type(self).saves == 2:
            raise OSError("storage unavailable")
        return super()._save(name, content)


def snapshot(deal):
    deal.refresh_from_db()
    return (
        deal.stage,
        deal.closed_at,
        Discount.objects.count(),
        CustomerOwnership.objects.count(),
        Note.objects.count(),
        Attachment.objects.count(),
        StageChange.objects.count(),
    )


def test_storage_failure_mid_change_leaves_everything_as_before(
    alpha_deal, alice, settings, tmp_path
):
    media = tmp_path / "flaky"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.SecondSaveFails", "OPTIONS": {"location": str(media)}},
    }
    SecondSaveFails.saves = 0
    before = snapshot(alpha_deal)
    files = [SimpleUploadedFile(f"part-{i}.pdf", PDF, "application/pdf") for i in range(3)]

    with pytest.raises(ValidationError, match="could not be stored"):
        change_stage(alpha_deal, "won", by=alice, note="with files", files=files)

    assert snapshot(alpha_deal) == before
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_constraint_violation_mid_change_leaves_everything_as_before(alpha_deal, alice):
    # A stray discount row for the deal (say, typed in by hand) makes the one-to-one guard fire.
    Discount.objects.create(
        partner=alpha_deal.partner,
        deal=alpha_deal,
        customer=alpha_deal.customer,
        valid_from="2026-01-01",
        valid_until="2026-12-31",
    )
    before = snapshot(alpha_deal)

    with pytest.raises(ValidationError, match="conflicts with existing data"):
        change_stage(alpha_deal, "won", by=alice, note="should vanish")

    assert snapshot(alpha_deal) == before
