"""The API's JSON parser: DRF's, with a bound on how deep a document may nest, and text only.

Python's json module parses by recursion: a body of 1,000 nested arrays raises RecursionError
(a 500), and one just under the interpreter's limit parses, then breaks whatever walks it next
(validation, the idempotency fingerprint, error reports). No request the API takes nests more
than a few levels, so anything deeper than API_MAX_JSON_DEPTH is refused as malformed (400).

JSON may also escape half a UTF-16 pair alone ("\\ud800"): Python reads it into a string that
cannot be written out as UTF-8, so an answer naming it (an unknown field, a choice that is
not one) failed as a 500. Such a body is refused as malformed too.
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


def _not_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return True
    return False


def inspect(data) -> tuple[int, bool]:
    """How deep `data` nests (a scalar is 0, `[]` is 1), and whether a string in it (a value
    or a key) is not Unicode text; read without recursion."""
    deepest, stack, broken = 0, [(data, 1)], False
    while stack:
        value, level = stack.pop()
        if isinstance(value, str):
            broken = broken or _not_unicode(value)
            continue
        if isinstance(value, dict):
            value = [*value.keys(), *value.values()]
        elif not isinstance(value, list):
            continue
        deepest = max(deepest, level)
        stack.extend((item, level + 1) for item in value)
    return deepest, broken


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        deepest, broken = inspect(data)
        if deepest > settings.API_MAX_JSON_DEPTH:
            raise _too_deep()
        if broken:
            raise ParseError(
                _(
                    "The JSON document holds text that is not Unicode: half a surrogate pair (\\ud800)."
                )
            )
        return data
