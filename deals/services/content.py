"""Notes and attachments on a deal."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Attachment, Deal, Note, attachment_key
from deals.storage import CheckedFile, StoredFiles, check_uploads, key_name

NOTE_MAX_CHARS = 5000


def clean_note_text(text: str) -> str:
    if not text or not text.strip():
        raise ValidationError({"text": _("Write something in the note.")}, code="empty")
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError(
            {"text": _("A note has at most %(n)s characters.") % {"n": NOTE_MAX_CHARS}},
            code="too_long",
        )
    return text


@transaction.atomic
def add_note(deal: Deal, *, by, text: str) -> Note:
    """Add a note to the deal's timeline, kept exactly as written."""
    note = Note.objects.create(deal=deal, author=by, text=clean_note_text(text))
    Deal.objects.filter(pk=deal.pk).update(updated_at=timezone.now())
    return note


def add_attachments(
    deal: Deal,
    *,
    by,
    files: Iterable,
    kind: str = Attachment.Kind.OTHER,
    stored: StoredFiles | None = None,
) -> list[Attachment]:
    """Check and store a batch of files on the deal: all of them or none.

    Effects: one Attachment per file, the file in storage under deals/<id>/<random>/<name>.
    If anything fails, no row is saved and every object written is deleted again. Pass
    `stored` to let an enclosing change (the stage update) own the clean-up.
    """
    checked = check_uploads(files)
    if not checked:
        return []
    if stored is not None:
        return _store_all(deal, by, checked, kind, stored)
    with StoredFiles() as own, transaction.atomic():
        return _store_all(deal, by, checked, kind, own)


def _store_all(deal, by, checked: list[CheckedFile], kind, stored: StoredFiles):
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of file from the list.")})
    attachments = [_store_one(deal, by, item, kind, stored) for item in checked]
    Deal.objects.filter(pk=deal.pk).update(updated_at=timezone.now())
    return attachments


def _store_one(deal, by, item: CheckedFile, kind, stored: StoredFiles) -> Attachment:
    attachment = Attachment(
        deal=deal,
        kind=kind,
        original_name=item.name,
        size=item.size,
        content_type=item.content_type,
        sha256=item.sha256,
        uploaded_by=by,
    )
    # S3 storage sends the upload's content_type: make it the sniffed one, not the browser's.
    item.upload.content_type = item.content_type
    try:
        attachment.file.name = stored.save(
            attachment_key(attachment, key_name(item.name)), item.upload
        )
    except Exception as exc:
        raise ValidationError(
            _("The file could not be stored, try again. (%(name)s)") % {"name": item.name},
            code="storage_failed",
        ) from exc
    attachment.save()
    return attachment
