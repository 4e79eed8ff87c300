"""/notifications/, the bell, mark read, and e-mail settings: each user sees only their own."""

import pytest
from django.core import mail

from deals.services import approve_deal, change_stage
from notifications.models import Delivery, Preference
from tests.factories import DealFactory
from tests.notifications.test_services import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_notified(alpha, alice, sam, bob, beta, staff, deliver):
    """alice has two unread notifications; bob has one of his own (data that could leak)."""
    deliver(approve_deal, DealFactory(partner=alpha, created_by=alice, title="Alpha A"), by=staff)
    deliver(approve_deal, DealFactory(partner=alpha, created_by=alice, title="Alpha B"), by=staff)
    deliver(approve_deal, DealFactory(partner=beta, created_by=bob, title="Beta secret"), by=staff)
    return Delivery.objects.filter(user=alice, channel="in_app").order_by("pk")


def test_bell_shows_the_unread_count(alice_client, alice_notified):
    page = alice_client.get("/").content.decode()

    assert "Notifications: 2 unread" in page
    assert "data-unread>2</span>" in page


def test_list_is_newest_first_links_the_deal_and_shows_only_ones_own(alice_client, alice_notified):
    page = alice_client.get("/notifications/").content.decode()

    assert page.index("Alpha B") < page.index("Alpha A")
    assert "Beta secret" not in page
    first = alice_notified.last()
    assert f'href="/deals/{first.event.deal_id}/"' in page


@pytest.mark.parametrize("before", ["²", "9" * 40, "x"])
def test_a_before_that_is_no_number_shows_the_newest(alice_client, alice_notified, before):
    page = alice_client.get("/notifications/", {"before": before}).content.decode()

    assert "Alpha A" in page and "Alpha B" in page and "Beta secret" not in page


def test_inbox_and_its_settings_keep_the_partners_menu(alice_client, alice_notified):
    for url in ("/notifications/", "/notifications/settings/"):
        page = alice_client.get(url).content.decode()

        assert 'id="main-nav"' in page, url
        assert 'href="/deals/"' in page, url
        assert "Alpha Cloud" in page, url  # the account menu names the partner


def test_mark_read_and_mark_all_read(alice_client, alice, alice_notified, bob):
    first, second = alice_notified

    response = alice_client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert "Notifications: 1 unread" in alice_client.get("/").content.decode()

    alice_client.post("/notifications/read-all/")
    assert alice_notified.filter(read_at__isnull=True).count() == 0
    # bob's notification is untouched.
    assert Delivery.objects.filter(user=bob, channel="in_app", read_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/deals/?stage=won", "/deals/?stage=won"),  # a local path is followed
        ("foo", "/notifications/"),  # not a path: was reversed as a view name (500)
        ("dashboard", "/notifications/"),
        ("https://evil.example/", "/notifications/"),
        ("//evil.example/", "/notifications/"),
        ("/\\evil.example/", "/notifications/"),
        ("javascript:alert(1)", "/notifications/"),
        ("", "/notifications/"),
    ],
)
def test_mark_read_follows_only_a_local_path(alice_client, alice_notified, target, location):
    first = alice_notified.first()

    response = alice_client.post(f"/notifications/{first.pk}/read/", {"next": target})

    assert (response.status_code, response["Location"]) == (302, location)
    first.refresh_from_db()
    assert first.read_at is not None


def test_marking_another_users_notification_answers_404(alice_client, alice_notified, bob):
    bobs = Delivery.objects.get(user=bob, channel="in_app")

    response = alice_client.post(f"/notifications/{bobs.pk}/read/")

    assert response.status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None


@pytest.mark.parametrize("url", ["/notifications/1/read/", "/notifications/read-all/"])
def test_mark_read_views_are_post_only(alice_client, url):
    assert alice_client.get(url).status_code == 405


def test_pages_need_a_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login/" in response.url


def test_staff_see_their_notifications_linking_to_admin(
    client, reviewer, alpha, alice, vserver, deliver
):
    deal = deliver(register, alpha, alice, vserver)
    client.force_login(reviewer)

    page = client.get("/notifications/").content.decode()

    assert deal.title in page
    assert f"/admin/deals/deal/{deal.pk}/change/" in page


def test_settings_choose_language_and_kinds(alice_client, alice, alpha_deal, deliver):
    response = alice_client.post(
        "/notifications/settings/", {"language": "vi", "email_deal_won": ""}
    )
    assert response.status_code == 302
    preference = Preference.objects.get(user=alice)
    assert preference.language == "vi"
    assert preference.wants_email("deal_won") is False
    assert preference.wants_email("deal_lost") is False  # unticked boxes are "no"

    deliver(change_stage, alpha_deal, "won", by=alice)
    assert [m.to for m in mail.outbox] == [["sales-ops@vngcloud.test"]]
    page = alice_client.get("/notifications/settings/").content.decode()
    assert 'name="email_deal_won" id="id_email_deal_won">' in page


def test_admin_header_links_staff_to_their_notifications(
    client, reviewer, alpha, alice, vserver, deliver
):
    deliver(register, alpha, alice, vserver)
    reviewer.is_superuser = True
    reviewer.save()
    client.force_login(reviewer)

    page = client.get("/admin/").content.decode()

    assert '<a href="/notifications/" data-bell>Notifications (1)</a>' in page


def test_a_suspended_partners_people_cannot_read_the_inbox_either(
    alice_client, alice_notified, alpha, client, staff
):
    """Every partner page answered 403 once the partner was suspended, but the inbox and its
    settings still listed its deals' news."""
    from partners.models import Partner

    assert alice_client.get("/notifications/").status_code == 200
    Partner.objects.filter(pk=alpha.pk).update(status=Partner.Status.SUSPENDED)

    for path in ("/notifications/", "/notifications/settings/"):
        response = alice_client.get(path)
        assert response.status_code == 403
        assert "is suspended" in response.content.decode()
    assert alice_client.post("/notifications/read-all/").status_code == 403
    assert not alice_notified.filter(read_at__isnull=False).exists()  # nothing marked read
    client.force_login(staff)  # staff have no partner: their own inbox opens
    assert client.get("/notifications/").status_code == 200
