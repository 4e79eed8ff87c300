"""A browser as a person names it ("Chrome on Linux"), from its User-Agent header.

The parsing is ua-parser's (the uap-core rules, kept up to date in ua-parser-builtins); a
string it cannot place reads "Unknown browser", never the raw header.
"""

from functools import lru_cache

from django.utils.translation import gettext as _
from ua_parser import parse

UNKNOWN = {"", "Other"}


@lru_cache(maxsize=512)
def _families(user_agent: str) -> tuple[str, str]:
    result = parse(user_agent)
    browser = result.user_agent.family if result.user_agent else ""
    system = result.os.family if result.os else ""
    return ("" if browser in UNKNOWN else browser), ("" if system in UNKNOWN else system)


def describe(user_agent: str | None) -> str:
    """ "Chrome on Linux", "Mobile Safari on iOS", "Python Requests", or "Unknown browser"."""
    browser, system = _families((user_agent or "")[:1000])
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or _("Unknown browser")
