"""Files handed to a browser or an API client: always private, a download unless inline.

Local storage streams the file through the view; object storage (S3, vStorage) answers a
redirect to a presigned URL valid for AWS_QUERYSTRING_EXPIRE seconds, which makes the bucket
send the same download headers. Callers check who may see the file first.
"""

import logging

from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)


def private(response: HttpResponse) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    # Neither the file nor a presigned link may sit in a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response


def open_stored(field_file):
    """The stored file opened for reading; a missing object is a 404 (and an error logged)."""
    return _open(field_file.storage, field_file.name)


def _open(storage, stored: str):
    try:
        return storage.open(stored, "rb")
    except FileNotFoundError:
        logger.error("stored object %s is missing from storage", stored)
        raise Http404 from None


def file_download(field_file, *, name: str, content_type: str) -> HttpResponse:
    """`field_file` as a download named `name`: streamed (local) or a presigned redirect (S3)."""
    return stored_download(
        field_file.storage, field_file.name, name=name, content_type=content_type
    )


def stored_download(storage, stored: str, *, name: str, content_type: str) -> HttpResponse:
    """The object `stored` of `storage` as a download named `name` (see file_download)."""
    disposition = content_disposition_header(True, name)
    if getattr(storage, "querystring_auth", False):
        url = storage.url(
            stored,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
        )
        response = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            _open(storage, stored), as_attachment=True, filename=name, content_type=content_type
        )
    response["Content-Disposition"] = disposition
    return private(response)
