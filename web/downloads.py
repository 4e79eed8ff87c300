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
    try:
        return field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError:
        logger.error("stored object %s is missing from storage", field_file.name)
        raise Http404 from None


def file_download(field_file, *, name: str, content_type: str) -> HttpResponse:
    """`field_file` as a download named `name`: streamed (local) or a presigned redirect (S3)."""
    storage = field_file.storage
    disposition = content_disposition_header(True, name)
    if getattr(storage, "querystring_auth", False):
        url = storage.url(
            field_file.name,
            parameters={
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
        )
        response = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            open_stored(field_file), as_attachment=True, filename=name, content_type=content_type
        )
    response["Content-Disposition"] = disposition
    return private(response)
