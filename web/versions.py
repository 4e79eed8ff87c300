"""A row's version from its `updated_at`, for optimistic concurrency (the API's ETags).

Every service that changes a versioned row moves its `updated_at` (a queryset `update()` sets
it by hand: auto_now only works in `save()`), so the version changes with every change.
"""

from datetime import UTC, datetime, timedelta

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
