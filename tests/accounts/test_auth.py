"""Login by e-mail, logout, and who lands where."""

import pytest

from partners.models import Partner

pytestmark = pytest.mark.django_db


def test_login_with_email_and_password_lands_on_the_dashboard(client, alice):
    response = client.post("/login/", {"login": "Alice@Alpha.test", "password": "test-password"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["current_partner"].name == "Alpha Cloud Solutions"


def test_login_with_a_wrong_password_says_so_and_stays_logged_out(client, alice):
    response = client.post("/login/", {"login": "alice@alpha.test", "password": "nope"})

    assert response.status_code == 200
    assert "The e-mail address or the password is not correct." in response.content.decode()
    assert client.get("/").status_code == 302


def test_login_is_locked_after_five_failures(client, alice, settings):
    for _ in range(5):
        client.post("/login/", {"login": "alice@alpha.test", "password": "wrong"})

    response = client.post("/login/", {"login": "alice@alpha.test", "password": "test-password"})

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert client.get("/").status_code == 302


def test_logout_is_a_post_and_ends_the_session(alice_client):
    assert alice_client.get("/logout/").status_code == 405
    response = alice_client.post("/logout/")
    assert response.status_code == 302
    assert alice_client.get("/deals/").status_code == 302


def test_user_without_a_partner_sees_a_clear_page(client, nobody):
    client.force_login(nobody)

    for path in ("/", "/deals/", "/discounts/", "/customers/"):
        response = client.get(path)
        assert response.status_code == 403
        assert "Your account is not linked to a partner" in response.content.decode()


def test_user_of_a_suspended_partner_is_told_so(client, alice, alpha):
    alpha.status = Partner.Status.SUSPENDED
    alpha.save()
    client.force_login(alice)

    response = client.get("/deals/")

    assert response.status_code == 403
    assert "is suspended" in response.content.decode()


def test_staff_without_a_partner_land_in_admin(client, staff):
    client.force_login(staff)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/review/"  # the review queue is their landing page
    assert client.get("/admin/review/").status_code == 200


def test_logged_in_user_visiting_login_is_sent_on(alice_client):
    assert alice_client.get("/login/")["Location"] == "/"


def test_lockout_is_per_user_and_address(client, alice, sam):
    for _ in range(5):
        client.post("/login/", {"login": "alice@alpha.test", "password": "wrong"})

    other_user = client.post("/login/", {"login": "sam@alpha.test", "password": "test-password"})
    client.post("/logout/")
    other_address = client.post(
        "/login/",
        {"login": "alice@alpha.test", "password": "test-password"},
        REMOTE_ADDR="10.1.2.3",
    )

    assert other_user.status_code == 302
    assert other_address.status_code == 302


@pytest.mark.parametrize(
    ("target", "location"),
    [("foo", "foo"), ("//evil.example/", "/"), ("https://evil.example/", "/")],
)
def test_the_other_next_parameters_stay_on_the_site(client, alice, target, location):
    # Sign-in (allauth) and the language switch (Django) check `next` themselves; a bare word
    # is a relative URL there, never a view name.
    signed_in = client.post(
        "/login/", {"login": "alice@alpha.test", "password": "test-password", "next": target}
    )
    language = client.post("/i18n/setlang/", {"language": "en", "next": target})

    assert (signed_in.status_code, signed_in["Location"]) == (302, location)
    assert (language.status_code, language["Location"]) == (302, location)
