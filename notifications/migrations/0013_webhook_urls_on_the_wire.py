"""Webhook URLs saved before `transport.wire_url` (issue 22's second hostile walk) written as the
service writes them now: the host in lower case, in IDNA by UTS #46 where it has letters beyond
ASCII, the path and query %-encoded, the scheme's own port and the #fragment left out. So
"https://Example.com:443/h" saved then is seen as the same address as "https://example.com/h"
typed now (one live endpoint per URL), and an address with "é" in its path is sent as a
request line can carry it.

Data only, one UPDATE per row that changes; the previous release reads the rewritten URLs as
it reads any other. A URL that IDNA cannot write, or that would pass 500 characters once
encoded, is left as it is (its deliveries fail as before, and the partner sees why). Two
endpoints that become the same URL are both kept: the rule refuses a second one from now on,
it does not delete what a partner made."""

from urllib.parse import urlsplit, urlunsplit

import idna
from django.db import migrations
from django.utils.encoding import iri_to_uri

URL_MAX_LENGTH = 500


def on_the_wire(url: str) -> str | None:
    """transport.wire_url as it was when this migration was written (a migration keeps its
    own copy: the code it came from may change); None where it cannot write `url`."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an address urlsplit cannot read (a bad IPv6 literal)
        return None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):
        host, _bracket, port = hostport.partition("]")
        host += "]"
    else:
        host, _colon, port = hostport.partition(":")
    try:
        host = idna.encode(host, uts46=True).decode("ascii") if not host.isascii() else host
    except idna.IDNAError:
        return None
    port = port.removeprefix(":") if hostport.startswith("[") else port
    if port in ("", {"https": "443", "http": "80"}.get(parts.scheme)):
        port = ""
    netloc = iri_to_uri(userinfo) + at + host.lower() + (f":{iri_to_uri(port)}" if port else "")
    return urlunsplit((parts.scheme, netloc, iri_to_uri(parts.path), iri_to_uri(parts.query), ""))


def rewrite(apps, schema_editor):
    endpoints = apps.get_model("notifications", "WebhookEndpoint")
    for pk, url in endpoints.objects.values_list("pk", "url").iterator():
        wire = on_the_wire(url)
        if wire is not None and wire != url and len(wire) <= URL_MAX_LENGTH:
            endpoints.objects.filter(pk=pk, url=url).update(url=wire)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0012_cloud_account_kinds"),
    ]

    operations = [
        # Nothing to undo: the rewritten URL names the same address.
        migrations.RunPython(rewrite, migrations.RunPython.noop),
    ]
