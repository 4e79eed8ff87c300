"""The API's JSON parser: DRF's, with a bound on how deep a document may nest.

Python's json module parses by recursion: a body of 1,000 nested arrays raises RecursionError
(a 500), and one just under the interpreter's limit parses, then breaks whatever walks it next
(validation, the idempotency fingerprint, error reports). No request the API takes nests more
than a few levels, so anything deeper than API_MAX_JSON_DEPTH is refused as malformed (400).
"""

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class NestedTooDeep(ParseError):
    default_code = "too_deep"


def _too_deep() -> NestedTooDeep:
    return NestedTooDeep(
        _("The JSON document is nested more than %(n)s levels deep.")
        % {"n": settings.API_MAX_JSON_DEPTH}
    )


def depth(data) -> int:
    """How deep `data` nests (a scalar is 0, `[]` is 1), measured without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = list(value.values())
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, level)
        stack.extend((item, level + 1) for item in value)
    return deepest


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        if depth(data) > settings.API_MAX_JSON_DEPTH:
            raise _too_deep()
        return data
