"""Notes and attachments on a deal.

Two layers:
- `add_note` records a note inside a change that another service owns (the stage update calls
  it in its transaction, on a deal it has locked, possibly one it is closing right now);
  `add_attachments` stores files on a deal with no deal checks (staff, seed data). They check
  the note and the files, not the deal.
- `post_note` / `post_attachments` are what a partner user does on the deal page: they also
  refuse a closed deal and a user outside the deal's partner, and they upload files before
  opening the transaction, so a slow upload never holds the deal's row lock.
- `upload_attachments` / `save_attachments` are the two halves of that for the stage update,
  which uploads before it locks the deal and saves the rows inside its own transaction.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from deals.files.checks import CheckedFile, check_uploads
from deals.files.names import object_key
from deals.files.storing import StoredFiles, store
from deals.models import Attachment, Deal, Note
from notifications.activity import record_activity
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
                % {
                    "n": number_format(NOTE_MAX_CHARS, force_grouping=True),
                    "count": number_format(len(text), force_grouping=True),
                }
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

    Effects: as add_note, and an activity entry with the text. Refuses (ValidationError,
    nothing saved) a closed deal, an empty or whitespace-only text, a text over 5,000
    characters; a user of another partner gets PermissionDenied.
    """
    text = clean_note_text(text)
    with transaction.atomic():
        locked = _lock_open_deal(deal, by)
        note = add_note(locked, by=by, text=text)
        record_activity(action="deal.note_added", actor=by, obj=locked, data={"text": text})
        return note


def upload_attachments(
    deal: Deal, *, by, files: Iterable, kind: str, stored: StoredFiles
) -> list[Attachment]:
    """Check a batch of files and write them to storage, outside any transaction.

    Returns the Attachments, not saved yet: `save_attachments` saves them in the caller's
    transaction. Refuses (ValidationError) a bad kind, too many files and any file that fails
    a check, before anything is written; a storage failure says "could not be stored, try
    again". What was written is in `stored`, whose block deletes it if the change fails.
    """
    _check_kind(kind)
    return [_put(deal, by, item, kind, stored) for item in check_uploads(files)]


def save_attachments(deal: Deal, attachments: list[Attachment], *, stored: StoredFiles):
    """Save uploaded Attachments on `deal` (inside the caller's transaction); the deal's
    updated_at moves, and their objects stop being candidates for purge_orphans."""
    if not attachments:
        return []
    now = timezone.now()
    for attachment in attachments:
        attachment.deal = deal
        attachment.uploaded_at = now
        attachment.save()
    stored.keep()
    _touch(deal)
    return attachments


def add_attachments(
    deal: Deal, *, by, files: Iterable, kind: str = Attachment.Kind.OTHER
) -> list[Attachment]:
    """Check and store a batch of files on the deal: all of them or none (no deal checks).

    Effects: one Attachment per file (original name, size, sniffed type, SHA-256, thumbnail
    for images), the file in storage under deals/<id>/<random>/<safe name>; the deal's
    updated_at moves; an activity entry with the files' names. If any file is refused or anything fails, no row is saved and every
    object written is deleted again (or, storage being down, left to purge_orphans).
    """
    with StoredFiles() as stored:
        attachments = upload_attachments(deal, by=by, files=files, kind=kind, stored=stored)
        with transaction.atomic():
            saved = save_attachments(deal, attachments, stored=stored)
            _log_files(deal, by, saved)
            return saved


def post_attachments(
    deal: Deal, *, by, files: Iterable, kind: str = Attachment.Kind.OTHER
) -> list[Attachment]:
    """A partner user's *Add attachment*: `add_attachments` on an open deal of the user's partner.

    Effects: as add_attachments (the activity entry included). Refuses (ValidationError, nothing saved, nothing left in
    storage) a closed deal, no file, too many files, and any file that fails a check; a storage
    failure says "the file could not be stored, try again"; a user of another partner gets
    PermissionDenied.
    """
    _check_kind(kind)
    _check_may_add(deal, by)  # early, before uploading anything; repeated under the lock
    files = list(files)
    if not files:
        raise ValidationError({"files": _("Choose at least one file.")}, code="no_files")
    with StoredFiles() as stored:
        # Slow I/O first, outside the transaction; the rows follow in a short one.
        attachments = upload_attachments(deal, by=by, files=files, kind=kind, stored=stored)
        with transaction.atomic():
            locked = _lock_open_deal(deal, by)
            saved = save_attachments(locked, attachments, stored=stored)
            _log_files(locked, by, saved)
            return saved


def _log_files(deal: Deal, by, attachments: list[Attachment]) -> None:
    if attachments:
        record_activity(
            action="deal.attachments_added",
            actor=by,
            obj=deal,
            data={"files": [attachment.original_name for attachment in attachments]},
        )


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
