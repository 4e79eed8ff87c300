"""ETags and conditional requests (RFC 9110 §8.8.3, §13).

A deal's ETag is its version (`Deal.version`, from `updated_at`), and a webhook endpoint's
its version (`WebhookEndpoint.version`, a digest of what its JSON shows): `If-Match` on a
change (a deal's PATCH or stage change, an endpoint's PATCH or DELETE) hands that version to
the service, which compares it on the row it has locked, so a change made against a stale
copy is refused (412) even when two requests race. Other single resources (a discount, a
customer, a customer discount) carry a strong ETag made from their JSON, for
`If-None-Match` (304). Both are the same in either language: the
representation differs only by `Content-Language`.
"""

import json

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.utils.encoders import JSONEncoder

from api.errors import problem
from web.digests import sha256_hex
from web.versions import STALE


def quoted(version: str) -> str:
    return f'"{version}"'


def content_etag(data) -> str:
    """A strong ETag of a JSON body: equal bodies, equal tags."""
    raw = json.dumps(data, sort_keys=True, cls=JSONEncoder, separators=(",", ":"))
    return quoted(sha256_hex(raw)[:32])


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def none_match(request, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison) or is `*`: answer 304."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    opaque = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == opaque for tag in _tags(header))


def if_match_version(request) -> str | None:
    """The deal version `If-Match` names, for the service to compare under its row lock.

    None: no condition (no header, or `*`: the deal exists, as the 404 check made sure). A
    weak tag never matches (strong comparison), so it stands for a version no deal has.
    """
    header = request.headers.get("If-Match")
    if header is None:
        return None
    tags = _tags(header)
    if tags == ["*"]:
        return None
    if len(tags) != 1:
        raise ValidationError(
            {"If-Match": [_("Send the one ETag you read, or *.")]}, code="invalid"
        )
    tag = tags[0]
    if tag.startswith("W/") or len(tag) < 2 or not (tag[0] == tag[-1] == '"'):
        return "-"  # no version: the comparison fails, 412
    return tag[1:-1]


def is_stale(exc) -> bool:
    return STALE in [error.code for error in getattr(exc, "error_list", [])]


def precondition_failed(current: dict, etag: str, *, detail: str = "", title: str = ""):
    """412: the resource (a deal unless `detail` and `title` say otherwise) changed since the
    client's copy; the current one is in `current`."""
    response = problem(
        status.HTTP_412_PRECONDITION_FAILED,
        detail
        or _(
            "The deal changed since the version you sent in If-Match. The current one is in "
            "“current” and its ETag in the ETag header: apply your change to it and send it "
            "with that ETag."
        ),
        title=title or _("The deal changed since you read it"),
        kind="stale",
        code=STALE,
        headers={"ETag": etag},
    )
    response.data["current"] = current
    return response
