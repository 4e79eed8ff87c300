"""Notes and attachments on a deal.

Two layers:
- `add_note` / `add_attachments` record a note or files inside a change that another service
  owns (the stage update calls them in its transaction, on a deal it has locked, possibly one
  it is closing right now); they check the note and the files, not the deal.
- `post_note` / `post_attachments` are what a partner user does on the deal page: they also
  refuse a closed deal and a user outside the deal's partner, and they upload files before
  opening the transaction, so a slow upload never holds the deal's row lock.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Attachment, Deal, Note
from deals.storage import CheckedFile, StoredFiles, check_uploads, object_key, store
from partners.access import require_member

NOTE_MAX_CHARS = 5000


def clean_note_text(text: str) -> str:
    """The note as written (line breaks made uniform), or a ValidationError."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ValidationError({"text": _("Write something in the note.")}, code="empty")
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError(
            {
                "text": _("A note has at most %(n)s characters; this one has %(count)s.")
                % {"n": NOTE_MAX_CHARS, "count": len(text)}
            },
            code="too_long",
        )
    return text


def _check_kind(kind: str):
    if kind not in Attachment.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of file from the list.")}, code="kind")


def _lock_open_deal(deal: Deal, by) -> Deal:
    """The deal's row, locked, if `by` may add to it now; a ValidationError otherwise."""
    # Locked so that a note cannot slip in after another request closed the deal.
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    _check_may_add(locked, by)
    return locked


def _check_may_add(deal: Deal, by):
    require_member(by, deal.partner_id)
    if deal.is_closed:
        raise ValidationError(
            _("This deal is closed (%(stage)s); notes and files can no longer be added.")
            % {"stage": deal.get_stage_display()},
            code="closed",
        )


def _touch(deal: Deal):
    Deal.objects.filter(pk=deal.pk).update(updated_at=timezone.now())


@transaction.atomic
def add_note(deal: Deal, *, by, text: str, stage_change=None) -> Note:
    """Record a note on the deal's timeline, kept as written (inside a larger change).

    Effects: one Note (linked to `stage_change` when written with one); the deal's
    updated_at moves. Refuses an empty or too long text.
    """
    note = Note.objects.create(
        deal=deal, author=by, text=clean_note_text(text), stage_change=stage_change
    )
    _touch(deal)
    return note


def post_note(deal: Deal, *, by, text: str) -> Note:
    """A partner user's *Add note*: `add_note` on an open deal of the user's partner.

    Effects: as add_note. Refuses (ValidationError, nothing saved) a closed deal, an empty or
    whitespace-only text, a text over 5,000 characters; a user of another partner gets
    PermissionDenied.
    """
    text = clean_note_text(text)
    with transaction.atomic():
        locked = _lock_open_deal(deal, by)
        return add_note(locked, by=by, text=text)


def add_attachments(
    deal: Deal,
    *,
    by,
    files: Iterable,
    kind: str = Attachment.Kind.OTHER,
    stored: StoredFiles | None = None,
) -> list[Attachment]:
    """Check and store a batch of files on the deal: all of them or none (inside a change).

    Effects: one Attachment per file (original name, size, sniffed type, SHA-256, thumbnail
    for images), the file in storage under deals/<id>/<random>/<safe name>; the deal's
    updated_at moves. If any file is refused or anything fails, no row is saved and every
    object written is deleted again. Pass `stored` to let an enclosing change (the stage
    update) own the clean-up.
    """
    _check_kind(kind)
    checked = check_uploads(files)
    if not checked:
        return []
    if stored is not None:
        return _save_rows(deal, _put_all(deal, by, checked, kind, stored))
    with StoredFiles() as own, transaction.atomic():
        return _save_rows(deal, _put_all(deal, by, checked, kind, own))


def post_attachments(
    deal: Deal, *, by, files: Iterable, kind: str = Attachment.Kind.OTHER
) -> list[Attachment]:
    """A partner user's *Add attachment*: `add_attachments` on an open deal of the user's partner.

    Effects: as add_attachments. Refuses (ValidationError, nothing saved, nothing left in
    storage) a closed deal, no file, too many files, and any file that fails a check; a storage
    failure says "the file could not be stored, try again"; a user of another partner gets
    PermissionDenied.
    """
    _check_kind(kind)
    _check_may_add(deal, by)  # early, before uploading anything; repeated under the lock
    checked = check_uploads(files)
    if not checked:
        raise ValidationError({"files": _("Choose at least one file.")}, code="no_files")
    with StoredFiles() as stored:
        # Slow I/O first, outside the transaction; the rows follow in a short one.
        attachments = _put_all(deal, by, checked, kind, stored)
        with transaction.atomic():
            locked = _lock_open_deal(deal, by)
            return _save_rows(locked, attachments)


def _put_all(deal, by, checked: list[CheckedFile], kind, stored) -> list[Attachment]:
    return [_put(deal, by, item, kind, stored) for item in checked]


def _put(deal, by, item: CheckedFile, kind, stored: StoredFiles) -> Attachment:
    """Write one file to storage; the Attachment it returns is not saved yet."""
    file_name, thumbnail_name = store(item, key=object_key(deal.pk, item.name), stored=stored)
    attachment = Attachment(
        deal=deal,
        kind=kind,
        original_name=item.name,
        size=item.size,
        content_type=item.content_type,
        sha256=item.sha256,
        uploaded_by=by,
    )
    attachment.file.name = file_name
    attachment.thumbnail.name = thumbnail_name
    return attachment


def _save_rows(deal: Deal, attachments: list[Attachment]) -> list[Attachment]:
    now = timezone.now()
    for attachment in attachments:
        attachment.deal = deal
        attachment.uploaded_at = now
        attachment.save()
    _touch(deal)
    return attachments
