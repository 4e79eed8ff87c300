"""Keyset (cursor) pagination for every list page, in any app (web is the ground floor).

A page is found by the sort values of the row before it, never by an OFFSET: the database
walks an index from that point, so page 1,000 costs what page 1 costs. Every ordering ends
in the primary key, so two rows with the same value still have one fixed order.

The cursor is signed and names the list it came from (its sort and filters): a forged,
truncated or foreign cursor is simply ignored and the first page is shown. The total is
counted only up to COUNT_CAP rows ("1,000+"): an exact COUNT(*) of a partner's whole
history on every request is what made the lists slow.
"""

import json
import re
import time
from dataclasses import dataclass, replace

from django.contrib.postgres.expressions import ArraySubquery
from django.core import signing
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import (
    BooleanField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)

from web.digests import sha256_hex

PAGE_SIZE = 25
COUNT_CAP = 1000
SEARCH_WINDOW = 1000
# The salt the cursors were first signed with (in partners.paging): links already handed out
# keep working.
_SALT = "partners.paging"


# Shorter searches match nearly everything and no trigram index can serve them; longer ones
# than any name are cut.
SEARCH_MIN_LENGTH = 3
SEARCH_MAX_LENGTH = 200


def clean_search(q: str | None) -> str:
    """The search as typed, trimmed and cut to SEARCH_MAX_LENGTH; "" when too short to search.

    NUL cannot be stored or searched in PostgreSQL text and is never part of a name.
    """
    q = (q or "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH].strip()
    return q if len(q) >= SEARCH_MIN_LENGTH else ""


# An id or a count from a request: ASCII digits, few enough for a database's bigint.
_WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")


def whole_number(raw) -> int | None:
    """`raw` (a query or form value) as a whole number, or None when it is not one: ASCII
    digits only, at most 18 of them. `str.isdigit()` also takes "²" and other digits `int()`
    refuses, and a longer number is past the database's integers."""
    if isinstance(raw, str) and _WHOLE_NUMBER.fullmatch(raw):
        return int(raw)
    return None


# A name probe is not run when PostgreSQL's planner expects this many times its cap: the
# word is common beyond doubt, and reading the cap's worth of matches to say so is the
# dearest part of the page (a name in one customer of ten: 10,000 names read and
# upper-cased, 5.5 ms at a million deals).
PLANNED_MANY = 10


# A table's size as PostgreSQL last counted it (pg_class.reltuples, kept by autovacuum's
# ANALYZE), read once per process every TABLE_SIZE_SECONDS: in a table smaller than what
# makes a word common, no word is, and the planner is not asked.
TABLE_SIZE_SECONDS = 600
_table_sizes: dict[tuple[str, str], tuple[float, float]] = {}


def table_rows(model, using: str) -> float:
    """`model`'s table's rows as PostgreSQL last counted them; -1 if never counted."""
    key, now = (using, model._meta.db_table), time.monotonic()
    known = _table_sizes.get(key)
    if known is None or known[1] < now:
        with connections[using].cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [key[1]])
            row = cursor.fetchone()
        known = _table_sizes[key] = (row[0] if row else -1, now + TABLE_SIZE_SECONDS)
    return known[0]


def planned_rows(queryset: QuerySet) -> float | None:
    """The rows PostgreSQL's planner expects `queryset` to return (EXPLAIN: planned from
    the table's statistics, never run); None on other databases."""
    if connections[queryset.db].vendor != "postgresql":
        return None
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"]


def capped_ids(queryset: QuerySet, cap: int | None = None, *, estimate=False) -> list | None:
    """The ids of `queryset`, or None when there are more than `cap`: a search's probe, where
    more than `cap` matches means a common word (then tested row by row in list order, where
    a page of matches comes soon) and fewer are fetched by id.

    `estimate`: first ask the planner (planned_rows), and answer None without reading a row
    when it expects PLANNED_MANY times `cap` (not asked when the table itself is smaller, or
    was never counted). For a search of names, whose statistics sample them: a word in a few
    names is estimated at a few. A guess thirty times too high would make the list walk
    further (each row tested in list order) and say "more than 1,000" of fewer rows, never
    leave a matching row out; a common word is often underestimated, which costs the probe
    as before."""
    cap = COUNT_CAP if cap is None else cap
    if (
        estimate
        and connections[queryset.db].vendor == "postgresql"
        # Never counted (-1: too small for autovacuum to analyse, or just restored): probed.
        and table_rows(queryset.model, queryset.db) >= PLANNED_MANY * cap
        and planned_rows(queryset) >= PLANNED_MANY * cap
    ):
        return None
    ids = list(queryset.order_by().values_list("pk", flat=True)[: cap + 1])
    return None if len(ids) > cap else ids


def probe_ids(*querysets: QuerySet, cap: int | None = None) -> list | None:
    """The ids the probes find together, or None when they find more than `cap`."""
    cap = COUNT_CAP if cap is None else cap
    found: set = set()
    for queryset in querysets:
        ids = capped_ids(queryset, cap)
        if ids is None or len(found.union(ids)) > cap:
            return None
        found.update(ids)
    return list(found)


class InvalidCursor(ValueError):
    """A cursor that is not ours or not for this list, where the caller wants to say so (the
    API answers 400; a page simply shows the first page)."""


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str = ""
    previous_cursor: str = ""
    count: int = 0
    count_capped: bool = False
    # A search page found in the list's next rows: how many match in all was not counted.
    count_unknown: bool = False

    @property
    def object_list(self):
        return self.rows


def _field(queryset, name: str):
    """The field (or the annotation's output field) a sort value is read back with."""
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    model = queryset.model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def _values(obj, ordering: tuple[str, ...]) -> list[str]:
    """The row's sort values as strings (JSON-safe, read back with the field's to_python)."""
    return [str(getattr(obj, name.lstrip("-"))) for name in ordering]


def _scope_key(scope: str) -> str:
    # A short digest keeps the cursor small whatever the filters (a long search, say).
    return sha256_hex(scope)[:16]


def cursor_after(row, *, ordering: tuple[str, ...], scope: str) -> str:
    """The cursor of the page that starts after `row` (for links made outside a list page)."""
    return _encode(scope, "n", _values(row, ordering))


def _encode(scope: str, direction: str, values: list[str]) -> str:
    payload = {"s": _scope_key(scope), "d": direction, "v": values}
    return signing.dumps(payload, salt=_SALT, compress=True)


def _decode(cursor: str, scope: str, queryset, ordering) -> tuple[str, list] | None:
    """(direction, typed values), or None for a cursor that is not ours or not for this list."""
    if not cursor or len(cursor) > 2000:
        return None
    try:
        data = signing.loads(cursor, salt=_SALT)
        if (
            data["s"] != _scope_key(scope)
            or data["d"] not in ("n", "p")
            or len(data["v"]) != len(ordering)
        ):
            return None
        values = [
            _field(queryset, name.lstrip("-")).to_python(value)
            for name, value in zip(ordering, data["v"], strict=True)
        ]
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        return None
    except FieldDoesNotExist:
        return None
    return data["d"], values


def _after(ordering: tuple[str, ...], values: list, *, backwards: bool) -> Q:
    """Rows strictly after `values` in `ordering` (before them when `backwards`).

    (a, b, pk) > (x, y, z) is written out as a > x OR (a = x AND b > y) OR ...; the leading
    a >= x repeats the first branch so the database can start its index scan right there.
    """
    names = [name.lstrip("-") for name in ordering]
    ops = ["lt" if name.startswith("-") != backwards else "gt" for name in ordering]
    condition = Q()
    for i, name in enumerate(names):
        equal = {names[j]: values[j] for j in range(i)}
        condition |= Q(**equal, **{f"{name}__{ops[i]}": values[i]})
    lead = "lte" if ops[0] == "lt" else "gte"
    return Q(**{f"{names[0]}__{lead}": values[0]}) & condition


def _reverse(ordering: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in ordering)


def capped_count(queryset: QuerySet, cap: int | None = None) -> tuple[int, bool]:
    """How many rows, counting no further than `cap` + 1: (count, whether it passed the cap)."""
    cap = COUNT_CAP if cap is None else cap
    # Only the ids: per-row annotations (a discount's passed_on) need not be computed here.
    count = queryset.order_by().values("pk")[: cap + 1].count()
    return min(count, cap), count > cap


class CappedCount(Subquery):
    """`capped_count` as an expression, so several go into one query: a scalar subquery
    counting the ids of `queryset` no further than `cap` + 1."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"

    def __init__(self, queryset: QuerySet, cap: int = COUNT_CAP):
        super().__init__(queryset.order_by().values("pk")[: cap + 1], output_field=IntegerField())


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: tuple[str, ...],
    cursor: str = "",
    scope: str = "",
    size: int = PAGE_SIZE,
    count: bool = True,
    strict: bool = False,
    keys_first: bool = False,
) -> KeysetPage:
    """One page of `queryset` in `ordering` (which must end in "pk" or "-pk").

    `scope` names the list (its sort and filters); a cursor made for another scope, or one
    that does not verify, gives the first page, or raises InvalidCursor when `strict`. Two
    queries: the rows (one more than a page, to know whether there is a next one) and the
    capped count (none when `count` is off). `keys_first`: see `_rows`.
    """
    decoded = _decode(cursor, scope, queryset, ordering)
    if strict and cursor and decoded is None:
        raise InvalidCursor(cursor)
    total, capped = capped_count(queryset) if count else (0, False)
    if decoded and decoded[0] == "p":
        rows = _rows(
            queryset.filter(_after(ordering, decoded[1], backwards=True)).order_by(
                *_reverse(ordering)
            ),
            size + 1,
            keys_first,
        )
        if len(rows) > size:
            rows = rows[:size][::-1]
            return _page(
                rows, ordering, scope, has_previous=True, has_next=True, count=total, capped=capped
            )
        decoded = None  # the previous page is the first one
    qs = queryset.order_by(*ordering)
    if decoded:
        qs = qs.filter(_after(ordering, decoded[1], backwards=False))
    rows = _rows(qs, size + 1, keys_first)
    return _page(
        rows[:size],
        ordering,
        scope,
        has_previous=bool(decoded),
        has_next=len(rows) > size,
        count=total,
        capped=capped,
    )


def _rows(queryset: QuerySet, limit: int, keys_first: bool) -> list:
    """The first `limit` rows of the ordered `queryset`.

    `keys_first` (PostgreSQL): the page's primary keys are found first, in a subquery that
    reads only the sort values and the filters, and then just those rows. When an index holds
    all of these (a search's filter tested on its last column), the database walks that index
    alone, testing each entry, instead of reading every row it passes (a common word far down
    the list passes tens of thousands)."""
    if keys_first and connections[queryset.db].vendor == "postgresql":
        keys = queryset.values("pk")[:limit]
        queryset = queryset.filter(_AnyOf(F("pk"), ArraySubquery(keys)))
    return list(queryset[:limit])


def _page(rows, ordering, scope, *, has_previous, has_next, count, capped) -> KeysetPage:
    return KeysetPage(
        rows=rows,
        next_cursor=_encode(scope, "n", _values(rows[-1], ordering)) if has_next and rows else "",
        previous_cursor=(
            _encode(scope, "p", _values(rows[0], ordering)) if has_previous and rows else ""
        ),
        count=count,
        count_capped=capped,
    )


def search_page(
    queryset: QuerySet,
    match: Q,
    narrow,
    *,
    ordering: tuple[str, ...],
    cursor: str = "",
    scope: str = "",
    size: int = PAGE_SIZE,
    window: int = SEARCH_WINDOW,
    count: bool = True,
) -> KeysetPage:
    """One page of the rows of `queryset` that `match`, for a search.

    A common word matches many rows, and finding all of them is the expensive part; but
    then the next `window` rows of the list in its order (one index range) hold a page of
    matches. So that is tried first (unless `window` is 0), testing each of those rows; the
    total is then not counted (`count_unknown`). When the window holds some matches but not
    a page, the list is walked on with the same test. A rare word falls through to
    `narrow(queryset)`, which finds the matches from the search indexes and returns them
    with their number when it knows it (None: count them; above COUNT_CAP: "more than").
    """
    decoded = _decode(cursor, scope, queryset, ordering)
    backwards = bool(decoded) and decoded[0] == "p"
    rows = _nearby_matches(queryset, match, ordering, decoded, window, size) if window else []
    if len(rows) > size // 5 and len(rows) <= size:
        # Not a page in the window, but the word is common enough (1 row in 200 or more)
        # that walking on in list order finds a page soon; cheaper than finding every match.
        page = keyset_page(
            queryset.filter(match), ordering=ordering, cursor=cursor, scope=scope, count=False
        )
        return replace(page, count_unknown=True)
    if len(rows) <= size:
        matches, total = narrow(queryset)
        page = keyset_page(
            matches,
            ordering=ordering,
            cursor=cursor,
            scope=scope,
            size=size,
            count=count and total is None,
        )
        if total is None:
            return page
        return replace(page, count=min(total, COUNT_CAP), count_capped=total > COUNT_CAP)
    prefetch_related_objects(rows, *queryset._prefetch_related_lookups)
    rows = rows[:size][::-1] if backwards else rows[:size]
    page = _page(
        rows,
        ordering,
        scope,
        has_previous=bool(decoded),
        has_next=True,
        count=0,
        capped=False,
    )
    return replace(page, count_unknown=True)


class _AnyOf(Func):
    """`value = ANY(array)` (PostgreSQL)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def _nearby_matches(queryset, match, ordering, decoded, window, size) -> list:
    """The matches among the next `window` rows of the list (in the paging direction)."""
    backwards = bool(decoded) and decoded[0] == "p"
    order = _reverse(ordering) if backwards else ordering
    nearby = queryset.order_by(*order)
    if decoded:
        nearby = nearby.filter(_after(ordering, decoded[1], backwards=backwards))
    ids = nearby.values("pk")[:window]
    if queryset.db and connections[queryset.db].vendor == "postgresql":
        # `id = ANY(ARRAY(the window))`: PostgreSQL reads the window first and tests only
        # its rows. With `id IN (the window)` it misjudged a common word as rare (3 matches
        # estimated where 7,000 were) and tested every one of the partner's rows instead,
        # then kept those in the window: 117 ms against 10 ms for a search at 1M (the customers',
        # which now walks its own index instead: partners.selectors.customer_page).
        in_window = _AnyOf(F("pk"), ArraySubquery(ids))
    else:
        in_window = Q(pk__in=ids)
    # Related rows are fetched for the page only, once it is known to come from here.
    candidates = queryset.filter(in_window).filter(match).prefetch_related(None)
    return list(candidates.order_by(*order)[: size + 1])
