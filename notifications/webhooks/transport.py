"""Webhook transport: which URLs may receive the partner's events, how a delivery is signed,
and the POST itself.

The delivery (POST each outbox event to the partner's endpoints from the Celery worker, with
retries and a log) is `notifications.webhooks.deliveries`, fanned out with the notifications;
it sends each attempt with `send`, which vets the URL again right before sending and connects
only to a vetted address, so a host whose DNS changed after registration to a private one is
refused.
"""

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
import time
from urllib.parse import urlsplit, urlunsplit

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _

from notifications.webhooks.events import EVENT_TYPES  # noqa: F401 - the names live in notifications.webhooks.events

# Standard Webhooks (https://www.standardwebhooks.com/): what every receiver should check.
ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SECRET_PREFIX = "whsec_"
# The previous release's headers, still sent so receivers written for them keep working while
# they move to the standard ones (deprecated).
SIGNATURE_HEADER = "X-Portal-Signature"
EVENT_HEADER = "X-Portal-Event"
DELIVERY_HEADER = "X-Portal-Delivery"


def _allowed_host(host: str) -> bool:
    return host.lower() in {h.lower() for h in settings.WEBHOOK_ALLOWED_HOSTS}


# IPv6 prefixes whose addresses carry an IPv4 address in their last 32 bits: a NAT64
# translator (RFC 6052) or a host (IPv4-compatible, RFC 4291, deprecated) sends the packets on
# to that IPv4 address, so it is the one to vet. Python's is_global vets only the IPv6 one.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
# The local-use NAT64 prefix (RFC 8215): an operator's own translator, with the IPv4 address
# at a place the prefix length decides. Refused whatever it holds; a deployment that uses one
# admits its receivers by name with WEBHOOK_ALLOWED_HOSTS.
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64, 6to4 or IPv4-compatible address leads to."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:  # 2002::/16: a 6to4 relay sends it to the IPv4 address in bits 16-47
        return ip.sixtofour
    if ip in NAT64 or ip in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in LOCAL_NAT64:
            return False
        ip = _embedded_ipv4(ip) or ip
    return ip.is_global and not ip.is_multicast


def wire_url(url: str) -> str:
    """`url` as it goes on the wire, what a browser sends for the same address: the scheme
    and host in lower case, a host with letters beyond ASCII in IDNA by UTS #46 as browsers
    write it ("faß.de" is "xn--fa-hia.de", not IDNA 2003's "fass.de", another domain), such
    letters in the path and query %-encoded, the scheme's own port and the #fragment (never
    sent) left out. So one address is one URL: "https://Example.com:443/h" is
    "https://example.com/h". A host IDNA cannot write is a ValidationError. (Stored as typed,
    "https://example.com/é" failed every delivery for a day: a request line is ASCII.)"""
    parts = urlsplit(url)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):  # an IPv6 address, then perhaps a port
        host, _bracket, port = hostport.partition("]")
        host += "]"
    else:
        host, _colon, port = hostport.partition(":")
    try:
        host = idna.encode(host, uts46=True).decode("ascii") if not host.isascii() else host
    except idna.IDNAError:
        raise ValidationError(_("Enter a valid URL."), code="invalid") from None
    port = port.removeprefix(":") if hostport.startswith("[") else port
    if port in ("", {"https": "443", "http": "80"}.get(parts.scheme)):
        port = ""
    netloc = iri_to_uri(userinfo) + at + host.lower() + (f":{iri_to_uri(port)}" if port else "")
    return urlunsplit((parts.scheme, netloc, iri_to_uri(parts.path), iri_to_uri(parts.query), ""))


# A receiver listens on https's port or on one from 1024 up: the ports below are the system's
# own services (22 ssh, 25 mail, ...), which a webhook's POST, or its error shown back to the
# partner, would only probe.
def _allowed_port(port: int, allowed_host: bool) -> bool:
    return port != 0 and (allowed_host or port >= 1024 or port == 443)


def vetted_addresses(url: str) -> list[str]:
    """The addresses `url` resolves to, if it may receive webhooks; a ValidationError if not.

    Refused: anything but http(s), credentials in the URL, http outside the allow-list, port 0
    and the ports below 1024 but https's (outside the allow-list), a host that does not
    resolve, and any host with a private, loopback, link-local, multicast or
    reserved address among its addresses, an IPv6 address that carries one inside it
    (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16, IPv4-compatible ::/96) included, and
    any address of the local-use NAT64 prefix 64:ff9b:1::/48 (the allow-list
    WEBHOOK_ALLOWED_HOSTS admits hosts for tests and development).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationError(_("Enter an http or https URL."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(_("Leave user names and passwords out of the URL."), code="auth")
    allowed = _allowed_host(host)
    if parts.scheme != "https" and not allowed:
        raise ValidationError(
            _(
                "Use an https URL. (For a plain http receiver while testing, the portal's "
                "operator can allow its host with the WEBHOOK_ALLOWED_HOSTS setting.)"
            ),
            code="https",
        )
    try:
        port = (443 if parts.scheme == "https" else 80) if parts.port is None else parts.port
    except ValueError:  # not a number, or past 65535
        raise ValidationError(_("Enter a valid URL."), code="invalid") from None
    if not _allowed_port(port, allowed):
        raise ValidationError(
            _("Use port 443 or a port from 1024 up: the ports below are other services'."),
            code="port",
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError):
        raise ValidationError(
            _("The host %(host)s could not be resolved.") % {"host": host}, code="dns"
        ) from None
    addresses = sorted({info[4][0] for info in infos})
    if not allowed and not all(_is_public(address) for address in addresses):
        raise ValidationError(
            _(
                "This URL points to a private, loopback or link-local address; webhooks go "
                "only to public addresses. (For a receiver on your own network while testing, "
                "the portal's operator can allow its host with the WEBHOOK_ALLOWED_HOSTS "
                "setting.)"
            ),
            code="private",
        )
    return addresses


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the HMAC key)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed by the decoded secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def standard_headers(
    secrets_: list[str], msg_id: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per secret, space-separated (the
    current secret and, during a rotation's grace period, the previous one)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        STANDARD_SIGNATURE_HEADER: " ".join(
            standard_signature(secret, msg_id, timestamp, body) for secret in secrets_
        ),
    }


def signature(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The previous release's signature header's value (deprecated):
    `t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`.

    Signing the timestamp with the body lets a receiver refuse an old delivery replayed.
    """
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> bool:
    """What a receiver does: the HMAC matches and the timestamp is recent."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp=timestamp)
    return hmac.compare_digest(expected, header)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address vetted beforehand, whatever the host name resolves to now."""

    def __init__(self, host, *, address, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, *, address, **kwargs):
        super().__init__(host, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the host name, not the pinned address.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)


def send(url: str, body: bytes, *, timeout: float = 10, headers: dict | None = None) -> int:
    """POST one delivery to `url` with `headers` (the signatures); returns the status code.

    The URL is vetted again now (its DNS may have changed since registration) and the
    connection goes to a vetted address, so a rebinding to a private address is refused.
    Raises ValidationError for a refused URL and OSError for a network failure; the caller
    (the delivery task) records either and retries.
    """
    url = wire_url(url)  # an endpoint stored before URLs were kept so
    address = vetted_addresses(url)[0]
    parts = urlsplit(url)
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, port=parts.port, timeout=timeout, address=address)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "VNG-Cloud-Partner-Portal-Webhooks/1",
                **(headers or {}),
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()
