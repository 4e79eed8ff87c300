"""An upload handler that enforces the attachment limits while the request is being read.

Django's own handlers keep small uploads in memory and spool larger ones to a temporary file;
neither knows a size limit. This handler sits in front of them: it counts each file's bytes as
they stream in and, once a file passes ATTACHMENT_MAX_BYTES (or the request carries more than
ATTACHMENT_MAX_FILES files), stops passing that file's bytes on. The file then arrives in
request.FILES as a `RefusedUpload`: empty, carrying the reason, so the form can name it in a
clear error instead of the file silently disappearing. Nothing past the limit is kept in
memory or on disk.
"""

from io import BytesIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class RefusedUpload(UploadedFile):
    """Stands in for a file the handler stopped reading; `refused` says why."""

    def __init__(self, *, name, content_type, size, refused):
        super().__init__(BytesIO(), name, content_type, size)
        self.refused = refused


class AttachmentLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts bytes and files, cuts off what is over the limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.files_seen = 0

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        self.files_seen += 1
        self.received = 0
        self.refused = "too_many" if self.files_seen > settings.ATTACHMENT_MAX_FILES else ""

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if not self.refused and self.received > settings.ATTACHMENT_MAX_BYTES:
            self.refused = "too_large"
        # None stops the chunk here: the handlers after this one never see it.
        return None if self.refused else raw_data

    def file_complete(self, file_size):
        if not self.refused:
            return None  # the next handler (memory or temporary file) returns the file
        self._drop_partial_copies()
        return RefusedUpload(
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            refused=self.refused,
        )

    def _drop_partial_copies(self):
        # The handlers behind us hold the part of the file they saw before the cut (or an empty
        # temporary file): free it now rather than when the request ends.
        for handler in self.request.upload_handlers:
            partial = getattr(handler, "file", None) if handler is not self else None
            if partial is not None:
                partial.close()
