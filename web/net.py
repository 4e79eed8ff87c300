"""Who is on the other end of a request: the client's address and the e-mail of a sign-in try."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address, as the nearest trusted proxy saw it.

    Behind `PROXY_COUNT` proxies each one appends the address it received the request from to
    X-Forwarded-For, so the client's is the entry that many places from the RIGHT; everything
    left of it is whatever the client chose to send. Without proxies (or without the header)
    the client is REMOTE_ADDR. Anything that is not an address falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    count = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Fewer entries than proxies: the request did not come through all of them.
    candidate = hops[-count] if len(hops) >= count else remote
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def axes_username(request, credentials) -> str | None:
    """The e-mail a sign-in try names, lower-cased, from allauth's credentials or the form."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("login") or credentials.get("username")
    if value is None and request is not None:
        value = request.POST.get("login")
    return value.strip().lower() if value else None
