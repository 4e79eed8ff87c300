"""Attachments' files, in four parts (import the module you need; this package imports none):

- `names`: the allow-list of types, the user's file name, object keys;
- `checks` (with `archives` for ZIP, Office and OLE structure): what a file really is, and
  every refusal, before anything is stored;
- `thumbnails`: opening images with Pillow, their thumbnails, the placeholder;
- `storing`: the storage transaction (objects written are deleted again when the change
  fails; a delete that fails waits in `PendingDeletion` for `purge_orphans`);
- `uploads`: the upload handler that enforces the size limits while a request streams in.

`deals.models` imports `names` only, so none of these modules may import `deals.models` at
import time except `storing` (which the models never import).
"""
