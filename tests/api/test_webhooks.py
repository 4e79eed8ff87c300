"""Webhook endpoints: only public URLs, admins only, and the signature a receiver checks."""

import base64
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications.webhooks.models import WebhookEndpoint
from notifications.webhooks.services import create_webhook_endpoint
from notifications.webhooks.transport import (
    new_secret,
    send,
    signature,
    standard_headers,
    standard_signature,
    verify_signature,
    vetted_addresses,
    wire_url,
)

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hooks/portal"  # a literal public address: no DNS needed


@contextmanager
def one_post():
    """A receiver on 127.0.0.1 for one POST: yields its base URL and the list it fills with
    (path, headers, body); stopped when the block ends."""
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        thread.join(timeout=10)
        server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5432/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://[::ffff:127.0.0.1]/",
        "https://0.0.0.0/",
        "https://localhost/hook",
        "https://224.0.0.1/",
        "ftp://93.184.216.34/",
        "https://user:pass@93.184.216.34/",
        "http://93.184.216.34/",
        "https://no-such-host.invalid/",
        "not a url",
    ],
)
def test_urls_that_must_not_receive_webhooks_are_refused(url):
    with pytest.raises(ValidationError):
        vetted_addresses(url)


# IPv6 addresses that carry an IPv4 address inside: the IPv4 one decides.
EMBEDDING_LOCAL = [
    "https://[64:ff9b::7f00:1]/",  # NAT64 (well-known prefix) of 127.0.0.1
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254, the cloud metadata service
    "https://[64:ff9b::10.0.0.5]/",
    "https://[64:ff9b:1::7f00:1]/",  # the local-use NAT64 prefix: refused whatever it holds
    "https://[64:ff9b:1:ffff::5db8:d822]/",
    "https://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "https://[2002:c0a8:101::1]/",  # 6to4 of 192.168.1.1
    "https://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
    "https://[::a9fe:a9fe]/",
    "https://[::]/",
]


@pytest.mark.parametrize("url", EMBEDDING_LOCAL)
def test_ipv6_addresses_embedding_a_local_ipv4_address_are_refused(url):
    with pytest.raises(ValidationError) as refused:
        vetted_addresses(url)

    assert refused.value.code == "private"


@pytest.mark.parametrize(
    "url",
    [
        "https://[64:ff9b::5db8:d822]/hooks",  # NAT64 of 93.184.216.34
        "https://[2002:5db8:d822::1]/hooks",  # 6to4 of 93.184.216.34
    ],
)
def test_ipv6_addresses_embedding_a_public_ipv4_address_are_accepted(url):
    # An IPv6-only network with DNS64 gives public hosts NAT64 addresses: they must work.
    assert len(vetted_addresses(url)) == 1


@pytest.mark.parametrize("url", EMBEDDING_LOCAL[:3] + EMBEDDING_LOCAL[5:8])
def test_send_refuses_ipv6_addresses_embedding_a_local_one(url):
    # What a delivery meets when a host's DNS answers such an address after registration.
    with pytest.raises(ValidationError):
        send(url, b"{}")


def test_a_public_https_url_is_accepted():
    assert vetted_addresses(PUBLIC) == ["93.184.216.34"]


def test_the_allow_list_admits_local_receivers(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]

    assert vetted_addresses("http://127.0.0.1:8650/hook") == ["127.0.0.1"]
    with pytest.raises(ValidationError):
        vetted_addresses("http://169.254.169.254/")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://93.184.216.34:0/", "port"),
        ("https://93.184.216.34:22/", "port"),
        ("https://93.184.216.34:1023/", "port"),
        ("https://93.184.216.34:99999/", "invalid"),
        ("https://93.184.216.34:ssh/", "invalid"),
    ],
)
def test_port_zero_and_other_services_ports_are_refused(url, code):
    # A delivery's error is shown to the partner: a webhook must not probe a host's ssh.
    with pytest.raises(ValidationError) as refused:
        vetted_addresses(url)

    assert refused.value.code == code


def test_https_port_and_ports_from_1024_are_accepted(settings):
    assert vetted_addresses("https://93.184.216.34:443/") == ["93.184.216.34"]
    assert vetted_addresses("https://93.184.216.34:8443/") == ["93.184.216.34"]
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]  # a receiver on a developer's machine
    assert vetted_addresses("http://127.0.0.1:80/") == ["127.0.0.1"]


def test_a_url_is_kept_as_it_goes_on_the_wire():
    assert wire_url(PUBLIC) == PUBLIC
    assert wire_url("https://Bücher.example:8443/hook/é?q=ö#x") == (
        "https://xn--bcher-kva.example:8443/hook/%C3%A9?q=%C3%B6"
    )
    # UTS #46, as browsers: IDNA 2003 (Python's "idna" codec) made it fass.de, another domain.
    assert wire_url("https://faß.de/h") == "https://xn--fa-hia.de/h"
    # One address, one URL: the scheme's own port, the host's case and the fragment go.
    assert wire_url("https://Example.COM:443/h#part") == "https://example.com/h"
    assert wire_url("https://[2002:5db8:d822::1]:443/h") == "https://[2002:5db8:d822::1]/h"
    assert (
        wire_url("https://[2002:5db8:d822::1]/đơn") == "https://[2002:5db8:d822::1]/%C4%91%C6%A1n"
    )
    with pytest.raises(ValidationError):
        wire_url("https://" + "ü" * 70 + ".example/")  # a label IDNA cannot write (> 63)


def test_an_endpoint_with_letters_beyond_ascii_is_delivered_to(alpha, alice, settings):
    # Stored as typed, every delivery to it failed with a UnicodeEncodeError for a day.
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url="https://93.184.216.34/nhận/é", event_types=["deal.won"]
    )

    assert endpoint.url == "https://93.184.216.34/nh%E1%BA%ADn/%C3%A9"
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]

    with one_post() as (base, received):
        # An endpoint stored before: send() puts it on the wire the same way.
        assert send(f"{base}/nhận", b"{}") == 204

    assert [path for path, _headers, _body in received] == ["/nh%E1%BA%ADn"]


def test_one_live_endpoint_per_url(alpha, alice, bob, beta):
    from notifications.webhooks.services import delete_webhook_endpoint, update_webhook_endpoint

    first = create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])
    other = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC + "/other", event_types=["deal.won"]
    )

    with pytest.raises(ValidationError) as twice:
        create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.lost"])
    with pytest.raises(ValidationError) as moved_onto:
        update_webhook_endpoint(other, by=alice, url=PUBLIC)
    assert "exists already" in twice.value.message_dict["url"][0]
    assert "exists already" in moved_onto.value.message_dict["url"][0]
    assert WebhookEndpoint.objects.filter(url=PUBLIC).count() == 1
    other.refresh_from_db()
    assert other.url == PUBLIC + "/other"
    # The same URL is another partner's own business, and free again once deleted.
    create_webhook_endpoint(partner=beta, by=bob, url=PUBLIC, event_types=["deal.won"])
    with pytest.raises(ValidationError):  # the same address spelt another way
        create_webhook_endpoint(
            partner=alpha, by=alice, url="HTTPS://93.184.216.34:443/hooks/portal#x",
            event_types=["deal.won"],
        )  # fmt: skip
    update_webhook_endpoint(first, by=alice, url=PUBLIC, event_types=["deal.won", "deal.lost"])
    delete_webhook_endpoint(first, by=alice)
    again = create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])
    assert again.pk != first.pk


def test_urls_saved_before_are_rewritten_as_they_go_on_the_wire(alpha, alice):
    """notifications 0013: an endpoint saved as typed before wire_url gets the URL the service
    writes now, so a case variant of it is one address; one IDNA cannot write is kept."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("notifications.migrations.0013_webhook_urls_on_the_wire")
    first = create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])
    typed = {
        "https://93.184.216.34:443/Hooks/nhận#x": "https://93.184.216.34/Hooks/nh%E1%BA%ADn",
        "https://Bücher.example:8443/hook?q=ö": "https://xn--bcher-kva.example:8443/hook?q=%C3%B6",
        "https://" + "ü" * 70 + ".example/": "https://" + "ü" * 70 + ".example/",
    }
    old = [
        WebhookEndpoint.objects.create(
            partner=alpha,
            url=url,
            secret="s",
            signing_secret="s",
            event_types=["deal.won"],
            created_by=alice,
        )
        for url in typed
    ]
    WebhookEndpoint.objects.filter(pk=first.pk).update(url="HTTPS://93.184.216.34:443/hooks/portal")

    migration.rewrite(apps, None)

    assert [WebhookEndpoint.objects.get(pk=e.pk).url for e in old] == list(typed.values())
    assert WebhookEndpoint.objects.get(pk=first.pk).url == PUBLIC
    # The migration keeps a copy of wire_url: the two agree.
    for url in (*typed, "https://Example.COM:443/h#part", "https://[2002:5db8:d822::1]/đơn"):
        try:
            assert migration.on_the_wire(url) == wire_url(url)
        except ValidationError:
            assert migration.on_the_wire(url) is None


def test_the_dns_is_asked_outside_the_services_transaction(alpha, alice, monkeypatch):
    # A slow DNS answer must not hold a transaction (and its locks) open.
    from django.db import connection

    from notifications.webhooks import transport
    from notifications.webhooks.services import update_webhook_endpoint

    outside, depths = len(connection.atomic_blocks), []
    lookup = transport.socket.getaddrinfo

    def recording(*args, **kwargs):
        depths.append(len(connection.atomic_blocks))
        return lookup(*args, **kwargs)

    monkeypatch.setattr(transport.socket, "getaddrinfo", recording)
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"]
    )
    update_webhook_endpoint(endpoint, by=alice, url=PUBLIC + "/moved")

    assert depths == [outside, outside]
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC + "/moved"


def test_the_same_url_twice_on_the_page_is_refused_and_nothing_saved(alice_client, alpha, alice):
    create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"])

    response = alice_client.post("/team/webhooks/", {"url": PUBLIC, "event_types": ["deal.won"]})

    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 1


def test_signature_round_trip_and_tampering():
    body = b'{"type": "deal.won", "deal": 42}'
    header = signature("whsec_test", body)

    assert verify_signature("whsec_test", header, body)
    assert not verify_signature("whsec_other", header, body)
    assert not verify_signature("whsec_test", header, body + b" ")
    old = signature("whsec_test", body, timestamp=int(time.time()) - 3600)
    assert not verify_signature("whsec_test", old, body)
    assert not verify_signature("whsec_test", "garbage", body)


def test_standard_signature_matches_the_specifications_example():
    # The example in the Standard Webhooks libraries' own tests.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'

    assert standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_new_secrets_are_standard_webhooks_secrets():
    secret = new_secret()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert new_secret() != secret


def test_an_endpoint_of_the_previous_release_signs_with_its_old_secrets_bytes(alpha, alice):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"]
    )
    # As the previous release stored it: no Standard Webhooks secret, the old string as key.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        secret="whsec_old-style_token-urlsafe", signing_secret=""
    )
    endpoint.refresh_from_db()
    body = b'{"id": 1}'
    headers = standard_headers(endpoint.secrets_valid_at(timezone.now()), "1", body)

    assert (
        endpoint.standard_secret
        == "whsec_" + base64.b64encode(b"whsec_old-style_token-urlsafe").decode()
    )
    assert Webhook(endpoint.standard_secret).verify(body, headers) == {"id": 1}


def test_admin_registers_an_endpoint_and_sees_the_secret_once(alice_client, alpha, alice):
    response = alice_client.post(
        "/team/webhooks/", {"url": PUBLIC, "event_types": ["deal.won", "deal.lost"]}
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.partner, endpoint.url, endpoint.event_types, endpoint.created_by) == (
        alpha,
        PUBLIC,
        ["deal.lost", "deal.won"],
        alice,
    )
    assert endpoint.signing_secret.startswith("whsec_")
    assert endpoint.standard_secret == endpoint.signing_secret == endpoint.secret
    assert endpoint.signing_secret in response.content.decode()
    assert endpoint.signing_secret not in alice_client.get("/team/webhooks/").content.decode()


def test_a_private_url_is_refused_on_the_page_and_nothing_saved(alice_client):
    response = alice_client.post(
        "/team/webhooks/", {"url": "https://169.254.169.254/", "event_types": ["deal.won"]}
    )

    assert response.status_code == 400
    assert "public addresses" in response.content.decode()
    assert "WEBHOOK_ALLOWED_HOSTS" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_a_plain_http_url_is_refused_naming_the_allow_list(alice_client):
    response = alice_client.post(
        "/team/webhooks/", {"url": "http://93.184.216.34/hook", "event_types": ["deal.won"]}
    )

    assert response.status_code == 400
    assert "Use an https URL" in response.content.decode()
    assert "WEBHOOK_ALLOWED_HOSTS" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_a_nat64_url_of_a_local_address_is_refused_on_the_page(alice_client):
    response = alice_client.post(
        "/team/webhooks/", {"url": "https://[64:ff9b::7f00:1]/", "event_types": ["deal.won"]}
    )

    assert response.status_code == 400
    assert "public addresses" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_unknown_event_types_are_refused(alpha, alice):
    with pytest.raises(ValidationError) as refused:
        create_webhook_endpoint(partner=alpha, by=alice, url=PUBLIC, event_types=["deal.eaten"])
    assert "event_types" in refused.value.message_dict


def test_webhooks_page_is_for_admins_and_scoped(client, sam, bob, alpha, alice):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"]
    )
    client.force_login(sam)
    assert client.get("/team/webhooks/").status_code == 403
    client.force_login(bob)
    assert PUBLIC not in client.get("/team/webhooks/").content.decode()
    assert client.post(f"/team/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.count() == 1


def test_admin_deletes_an_endpoint(alice_client, alpha, alice):
    endpoint = create_webhook_endpoint(
        partner=alpha, by=alice, url=PUBLIC, event_types=["deal.won"]
    )

    assert alice_client.post(f"/team/webhooks/{endpoint.pk}/delete/").status_code == 302

    endpoint.refresh_from_db()  # kept, marked: its deliveries stay in the log
    assert endpoint.deleted_at is not None and endpoint.deleted_by == alice
    assert "No webhook endpoints yet." in alice_client.get("/team/webhooks/").content.decode()
    assert alice_client.post(f"/team/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.count() == 1


def test_send_posts_a_signed_body_to_a_local_receiver(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    body = b'{"type": "deal.won", "deal": 42}'
    secret = new_secret()

    with one_post() as (base, received):
        assert (
            send(f"{base}/hooks?x=1", body, headers=standard_headers([secret], "42", body)) == 204
        )

    ((path, headers, got),) = received
    assert path == "/hooks?x=1" and got == body
    assert Webhook(secret).verify(got, headers) == {"type": "deal.won", "deal": 42}
    assert headers["webhook-id"] == "42"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(got, headers)


def test_send_refuses_a_url_that_now_points_inside(settings):
    # Registered while allowed; the allow-list no longer admits it when the event is sent.
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ValidationError):
        send("http://127.0.0.1:9/hook", b"{}")
