"""`Idempotency-Key` on writes: a retried POST returns the first answer and writes nothing.

The key's row is inserted inside the same transaction as the write it guards. A concurrent
duplicate's INSERT waits on the unique index (token, key) until the first request commits,
then fails, reads the committed row and replays its answer: exactly one write, and both
callers get the same answer. If the first request fails, its row rolls back with it and the
key is free for a retry. Only successful (2xx) answers are kept, for 24 hours per token.
"""

import json
import re
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from api.errors import problem
from api.models import IdempotencyKey
from api.services import IDEMPOTENCY_TTL
from web.digests import sha256_hex, upload_digest

HEADER = "Idempotency-Key"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"  # printable ASCII, no spaces (also in the schema)
_VALID_KEY = re.compile(KEY_PATTERN)


def fingerprint(request) -> str:
    """What makes two requests "the same": method, path and the parsed body.

    The parsed body, not the bytes: a client retrying a multipart upload sends another
    boundary, and JSON may come back with other spacing or key order.
    """
    data = request.data
    if hasattr(data, "lists"):
        body = sorted(
            [key, upload_digest(value) if hasattr(value, "chunks") else value]
            for key, values in data.lists()
            for value in values
        )
    else:
        body = data
    raw = json.dumps(
        [request.method, request.path, body], sort_keys=True, cls=JSONEncoder, default=str
    )
    return sha256_hex(raw)


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not _VALID_KEY.match(key):
        raise ValidationError(
            {HEADER: [_("Use 1 to 255 printable ASCII characters without spaces, e.g. a UUID.")]}
        )
    return key


def _replay(stored: IdempotencyKey, print_: str) -> Response:
    if stored.fingerprint != print_:
        return problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            _(
                "This Idempotency-Key was already used with another request. Use a new key "
                "for a new request."
            ),
            title=_("Idempotency-Key reused"),
            kind="idempotency-key-reused",
            code="idempotency_key_reused",
        )
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    if stored.etag:  # the version the first answer gave, for the client's next If-Match
        headers["ETag"] = stored.etag
    return Response(stored.response, status=stored.status_code, headers=headers)


def idempotent(handler):
    """Decorate a view method (post, patch) to honour the Idempotency-Key header."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = _key(request)
        if key is None:
            return handler(view, request, *args, **kwargs)
        print_ = fingerprint(request)
        token = request.auth
        with transaction.atomic():
            IdempotencyKey.objects.filter(
                token=token, key=key, created_at__lt=timezone.now() - IDEMPOTENCY_TTL
            ).delete()
            try:
                with transaction.atomic():
                    claim = IdempotencyKey.objects.create(
                        token=token, key=key, fingerprint=print_, status_code=0
                    )
            except IntegrityError:
                # A request with this key committed first (or we waited for it to).
                return _replay(IdempotencyKey.objects.get(token=token, key=key), print_)
            response = handler(view, request, *args, **kwargs)
            if not status.is_success(response.status_code):
                claim.delete()
                return response
            claim.status_code = response.status_code
            claim.response = response.data
            claim.location = response.get("Location", "")
            claim.etag = response.get("ETag", "")
            claim.save(update_fields=["status_code", "response", "location", "etag"])
            return response

    wrapper.idempotent = True  # read by api.schema: the operation declares the header
    return wrapper
