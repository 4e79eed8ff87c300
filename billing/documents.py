"""Documents other apps keep about a top-up (the e-invoice references live in `statements`,
a floor above): that app registers a function here, and the top-up pages ask for them.

A registry, not an import up the floors (docs/architecture.md, "The floors").
"""

from collections.abc import Callable

_providers: list[Callable] = []


def register_top_up_documents(provider: Callable) -> None:
    """`provider(top_ups)` returns {top-up id: [document, ...]} for the given top-ups."""
    if provider not in _providers:
        _providers.append(provider)


def top_up_documents(top_ups) -> dict:
    """{top-up id: [document, ...]} from every registered provider (one query each)."""
    found: dict = {}
    ids = [t.pk for t in top_ups]
    for provider in _providers:
        for pk, documents in provider(ids).items():
            found.setdefault(pk, []).extend(documents)
    return found
