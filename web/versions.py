"""A row's version, for optimistic concurrency (the API's ETags and If-Match).

A deal's version comes from its `updated_at`: every service that changes it moves
`updated_at` (a queryset `update()` sets it by hand: auto_now only works in `save()`). A row
with no such column (a webhook endpoint) is versioned by a digest of what its JSON shows
(`version_of_values`). Either way a service compares the version it was given with the row
it has locked (`check_version`), so a change made against a stale copy is refused even when
two requests race.
"""

import json
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError

from web.digests import sha256_hex

# The refusal's code, which the API answers with 412.
STALE = "stale"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def version_of(moment: datetime | None) -> str:
    """`moment` as microseconds since 1970, in base 36 (short, and exact: no float)."""
    if moment is None:
        return "0"
    if moment.tzinfo is None:  # USE_TZ is on; a naive value is UTC (SQLite's raw read)
        moment = moment.replace(tzinfo=UTC)
    number = (moment - _EPOCH) // timedelta(microseconds=1)
    digits = ""
    while True:
        number, rest = divmod(number, 36)
        digits = _DIGITS[rest] + digits
        if not number:
            return digits


def version_of_values(*values) -> str:
    """A digest of `values` (JSON-able; dates as ISO text): equal values, equal versions."""
    raw = json.dumps(values, default=str, separators=(",", ":"))
    return sha256_hex(raw)[:32]


def check_version(current: str, expected: str | None, message) -> None:
    """Refuse with `message` (code "stale") when the caller changed a row as it was at version
    `expected` and the row, now at `current`, has changed since. Call it with the version of
    the row the service's transaction has locked. None: no condition."""
    if expected is not None and current != expected:
        raise ValidationError(message, code=STALE)
