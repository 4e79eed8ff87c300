"""The storage transaction: objects written for a change that fails are deleted again, and an
object whose delete fails is not forgotten.

Every object is announced in `PendingDeletion` before it is written, due an hour later
(ORPHAN_GRACE). The transaction that saves the rows pointing at it removes the announcement
(`StoredFiles.keep`), so a committed object is never touched. When the change fails, the
objects are deleted at once; a delete that fails (storage down) leaves its row due now. A
process that dies between the upload and the commit leaves its rows too. `purge_orphans`
deletes whatever is due and not referenced by an attachment: safe to run as often as liked.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.files.checks import CheckedFile
from deals.files.names import thumbnail_key
from deals.files.thumbnails import thumbnail_content_type
from deals.models import Attachment, PendingDeletion

logger = logging.getLogger(__name__)

# Longer than any upload plus its transaction takes; an announced object younger than this
# may still be on its way to being attached.
ORPHAN_GRACE = timedelta(hours=1)


class StoredFiles:
    """Remembers what was written to storage so a failure can take it back.

    Use as a context manager around the uploads and the transaction: if the block raises,
    every object written inside it is deleted; call `keep()` inside the transaction that
    saves the rows pointing at them.
    """

    def __init__(self, storage=None):
        self.storage = storage or default_storage
        self.names: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.delete_all()
        return False

    def save(self, name: str, content) -> str:
        _announce([name], due=timezone.now() + ORPHAN_GRACE)
        # Remembered before the write: a write that fails half-way may still leave the
        # object. The key carries 128 random bits, so no other object can have this name.
        self.names.append(name)
        stored = self.storage.save(name, content)
        if stored != name:
            _announce([stored], due=timezone.now() + ORPHAN_GRACE)
            self.names.append(stored)
        return stored

    def keep(self):
        """The objects now have their rows: in the same transaction, they stop being orphans."""
        PendingDeletion.objects.filter(name__in=self.names).delete()
        names = list(self.names)
        # Once committed, a later failure of the enclosing block must not delete them.
        transaction.on_commit(lambda: self._forget(names))

    def _forget(self, names):
        self.names = [name for name in self.names if name not in names]

    def delete_all(self):
        for name in self.names:
            _delete_or_defer(self.storage, name)
        self.names.clear()


def _announce(names, *, due):
    with transaction.atomic():
        for name in names:
            PendingDeletion.objects.update_or_create(name=name, defaults={"due_at": due})


def _delete_or_defer(storage, name: str):
    """Delete the object now; if storage fails, leave it due for purge_orphans."""
    try:
        storage.delete(name)
    except Exception as exc:
        logger.warning(
            "could not remove %s after a failed change (%r); purge_orphans will", name, exc
        )
        record, error = (lambda: _announce([name], due=timezone.now())), exc
    else:
        logger.info("removed %s after a failed change", name)
        record, error = (lambda: PendingDeletion.objects.filter(name=name).delete()), None
    try:
        record()
        if error is not None:
            PendingDeletion.objects.filter(name=name).update(last_error=repr(error)[:1000])
    except DatabaseError:
        # The database went too (the change failed because of it): the row written before the
        # upload is still there, due an hour later; purge_orphans deletes the object then.
        logger.exception("could not record the state of %s", name)


def store(checked: CheckedFile, *, key: str, stored: StoredFiles) -> tuple[str, str]:
    """Write the file (and its thumbnail) under `key`; returns the names storage chose.

    Raises ValidationError("could not be stored") on any storage failure; what was already
    written is in `stored`, for the caller's clean-up.
    """
    # S3 storage sends the upload's content_type: make it the sniffed one, not the browser's.
    checked.upload.content_type = checked.content_type
    checked.upload.seek(0)
    try:
        name = stored.save(key, checked.upload)
        thumb = ""
        if checked.thumbnail:
            thumb_name = thumbnail_key(key, checked.thumbnail)
            thumb_file = ContentFile(checked.thumbnail)
            thumb_file.content_type = thumbnail_content_type(thumb_name)
            thumb = stored.save(thumb_name, thumb_file)
    except Exception as exc:
        logger.exception("storing %s failed", key)
        raise ValidationError(
            _("%(name)s: the file could not be stored, try again.") % {"name": checked.name},
            code="storage_failed",
        ) from exc
    return name, thumb


@dataclass(frozen=True)
class PurgeResult:
    deleted: int
    failed: int
    kept: int  # announced objects that turned out to be attached: only the row is dropped


def purge_orphans(*, storage=None, limit: int = 1000) -> PurgeResult:
    """Delete the due objects of `PendingDeletion` (at most `limit` per run).

    Effects: for each due row whose object no Attachment references, the object is deleted
    and the row removed; a delete that fails again stays, with one more attempt counted and
    the error kept. A row whose object is referenced is removed without touching the object.
    Idempotent and safe to run concurrently: deleting a missing object succeeds.
    """
    storage = storage or default_storage
    deleted = failed = kept = 0
    due = PendingDeletion.objects.filter(due_at__lte=timezone.now()).order_by("due_at", "pk")
    for row in due[:limit]:
        if Attachment.objects.filter(Q(file=row.name) | Q(thumbnail=row.name)).exists():
            PendingDeletion.objects.filter(pk=row.pk).delete()
            kept += 1
            continue
        try:
            storage.delete(row.name)
        except Exception as exc:
            logger.warning("purge_orphans could not delete %s: %r", row.name, exc)
            PendingDeletion.objects.filter(pk=row.pk).update(
                attempts=row.attempts + 1, last_error=repr(exc)[:1000]
            )
            failed += 1
        else:
            PendingDeletion.objects.filter(pk=row.pk).delete()
            deleted += 1
    return PurgeResult(deleted=deleted, failed=failed, kept=kept)
