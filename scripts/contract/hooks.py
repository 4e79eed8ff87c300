"""schemathesis hooks for scripts/api_contract_check.sh (SCHEMATHESIS_HOOKS=scripts.contract.hooks).

- A list's `cursor` is opaque and signed by the server: only the `next` link of a page holds a
  valid one, and any other string is a 400 (`This cursor is not valid for this list and
  sort`). Generated cursors are dropped; the generated client's walk follows `next` links.
- A valid generated `Idempotency-Key` gets a unique suffix, as a client makes one key per
  write: generated keys repeat ("0", "00", ...), and a key already used with another body is
  a 422 that would hide the operation behind it. Invalid keys are left as they are (400).
- A generated `If-Match` is dropped from positive cases, as cursors are: only an ETag the
  server sent names a version, and any other is rightly a 412 (`stale`).
"""

import re
import uuid

import schemathesis

KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # api.idempotency.KEY_PATTERN


@schemathesis.hook
def map_query(ctx, query):
    if query and "cursor" in query:
        query = {name: value for name, value in query.items() if name != "cursor"}
    return query


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # Before every call, in every phase (the coverage phase bypasses the map_* hooks); only
    # positive cases: changing a negative case's headers would make schemathesis revalidate
    # it and send the header it meant to leave out (e.g. Authorization).
    if case.meta is None or case.meta.generation.mode.is_negative:
        return
    if case.headers and "If-Match" in case.headers:
        del case.headers["If-Match"]
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and KEY.search(key):
        case.headers["Idempotency-Key"] = f"{key[:200]}-{uuid.uuid4().hex}"
