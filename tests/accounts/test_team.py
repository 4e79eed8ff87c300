"""/team/: invitations, roles, deactivation, and who may do what."""

import pytest
from allauth.usersessions.models import UserSession
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.models import Invitation
from partners.models import Membership, User
from tests.accounts.conftest import another_browser, last_link
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Mây-trắng-bay-2026"


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Post the invitation form; the e-mail leaves after commit, as the request ends."""

    def do(client, email="linh@alpha.test", role="member"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/team/invite/", {"email": email, "role": role})

    return do


def test_team_lists_people_with_role_last_sign_in_and_2fa(alice_client, alice, sam, bob):
    page = alice_client.get("/team/")

    html = page.content.decode()
    assert page.status_code == 200
    emails = [m.user.email for m in page.context["members"]]
    assert sorted(emails) == ["alice@alpha.test", "sam@alpha.test"]
    assert "bob@beta.test" not in html
    assert "Never" in html and "Off" in html


def test_invitation_end_to_end(client, alice_client, alpha, sign_in, invite):
    response = invite(alice_client)
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["linh@alpha.test"]
    assert "Alpha Cloud Solutions" in mail.outbox[0].subject
    link = last_link()

    newcomer = another_browser()
    page = newcomer.get(link)
    assert page.status_code == 200
    assert "linh@alpha.test" in page.content.decode()
    done = newcomer.post(
        link,
        {"last_name": "Trần", "first_name": "Linh", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert done["Location"] == "/accounts/login/"
    user = User.objects.get(email="linh@alpha.test")
    assert user.check_password(PASSWORD) and user.is_active
    assert (user.membership.partner, user.membership.role) == (alpha, "member")
    assert sign_in(newcomer, "linh@alpha.test", PASSWORD)["Location"] == "/"
    assert Invitation.objects.get().accepted_at is not None


def test_an_invitation_link_works_once(client, alice_client, invite):
    invite(alice_client)
    link = last_link()
    another_browser().post(link, {"password1": PASSWORD, "password2": PASSWORD})

    again = another_browser().post(
        link, {"password1": "Other-pass-2026", "password2": "Other-pass-2026"}
    )

    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert User.objects.get(email="linh@alpha.test").check_password(PASSWORD)


def test_an_expired_invitation_link_is_refused(client, alice_client, invite):
    invite(alice_client)
    link = last_link()
    Invitation.objects.update(
        created_at=timezone.now() - timezone.timedelta(days=8),
        expires_at=timezone.now() - timezone.timedelta(days=1),
    )

    response = another_browser().get(link)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="linh@alpha.test").exists()


def test_an_invitation_expires_after_seven_days(alice_client, invite):
    invite(alice_client)
    invitation = Invitation.objects.get()
    assert (invitation.expires_at - invitation.created_at).days == 7


def test_invitation_password_goes_through_the_validators(alice_client, invite):
    invite(alice_client)
    link = last_link()

    response = another_browser().post(link, {"password1": "linh", "password2": "linh"})

    assert response.status_code == 400
    assert "This password is too short" in response.content.decode()
    assert not User.objects.filter(email="linh@alpha.test").exists()


def test_inviting_another_partners_user_is_refused_without_naming_it(alice_client, bob, invite):
    response = invite(alice_client, email="BOB@beta.test")

    html = response.content.decode()
    assert response.status_code == 400
    assert "This e-mail address cannot be invited" in html
    assert "Beta" not in html
    assert Invitation.objects.count() == 0 and mail.outbox == []


def test_inviting_someone_already_in_the_team_says_so(alice_client, sam, invite):
    response = invite(alice_client, email="sam@alpha.test")
    assert "already in your team" in response.content.decode()
    assert Invitation.objects.count() == 0


def test_inviting_again_replaces_the_old_link(alice_client, invite):
    invite(alice_client)
    first = last_link()
    invite(alice_client)

    assert another_browser().get(first).status_code == 410
    assert another_browser().get(last_link()).status_code == 200
    assert Invitation.objects.filter(revoked_at__isnull=True).count() == 1


def test_invitation_is_refused_if_the_address_joined_another_partner_meanwhile(
    alice_client, beta, invite
):
    invite(alice_client)
    link = last_link()
    MembershipFactory(partner=beta, user__email="linh@alpha.test", role="member")

    response = another_browser().post(link, {"password1": PASSWORD, "password2": PASSWORD})

    assert response.status_code == 410
    assert Membership.objects.get(user__email="linh@alpha.test").partner == beta


def test_revoked_invitation_link_stops_working(alice_client, invite):
    invite(alice_client)
    link = last_link()
    alice_client.post(f"/team/invitations/{Invitation.objects.get().pk}/revoke/")
    assert another_browser().get(link).status_code == 410


def test_admin_changes_a_role(alice_client, sam):
    response = alice_client.post(f"/team/{sam.pk}/role/", {"role": "admin"})
    assert response.status_code == 302
    assert Membership.objects.get(user=sam).role == "admin"


def test_the_last_active_admin_cannot_be_demoted(alice_client, alice, sam):
    alice_client.post(f"/team/{alice.pk}/role/", {"role": "member"})

    page = alice_client.get("/team/")
    assert "at least one active admin" in page.content.decode()
    assert Membership.objects.get(user=alice).role == "admin"


def test_the_last_active_admin_cannot_be_deactivated(alpha, alice, sam):
    sam.membership.role = "admin"
    sam.membership.save()
    services.deactivate_user(membership=alice.membership, by=sam)
    sam.refresh_from_db()

    with pytest.raises(services.TeamError):
        services.deactivate_user(membership=sam.membership, by=sam)
    with pytest.raises(services.TeamError):
        services.change_role(membership=sam.membership, role="member", by=sam)
    assert User.objects.get(pk=sam.pk).is_active


def test_deactivation_ends_the_users_sessions_at_once(alice_client, sam, sign_in):
    sams_browser = another_browser()
    sign_in(sams_browser, "sam@alpha.test")
    assert sams_browser.get("/deals/").status_code == 200
    assert UserSession.objects.filter(user=sam).count() == 1

    response = alice_client.post(f"/team/{sam.pk}/deactivate/")

    assert response.status_code == 302
    assert sams_browser.get("/deals/").status_code == 302
    assert not User.objects.get(pk=sam.pk).is_active
    assert UserSession.objects.filter(user=sam).count() == 0
    again = sign_in(another_browser(), "sam@alpha.test")
    assert again.status_code == 302 and again["Location"] == "/accounts/inactive/"


def test_admin_cannot_deactivate_themselves(alice_client, alice, sam):
    alice_client.post(f"/team/{alice.pk}/deactivate/")
    assert User.objects.get(pk=alice.pk).is_active


def test_reactivation_lets_the_user_sign_in_again(alice_client, sam, sign_in):
    alice_client.post(f"/team/{sam.pk}/deactivate/")
    alice_client.post(f"/team/{sam.pk}/reactivate/")
    assert sign_in(another_browser(), "sam@alpha.test")["Location"] == "/"


def test_members_see_the_team_read_only(client, sam, alice):
    client.force_login(sam)

    page = client.get("/team/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "admins can change the team." in html
    assert "/team/invite/" not in html and "/deactivate/" not in html


@pytest.mark.parametrize(
    "path, data",
    [
        ("/team/invite/", {"email": "x@alpha.test", "role": "admin"}),
        ("/team/{alice}/role/", {"role": "member"}),
        ("/team/{alice}/deactivate/", {}),
        ("/team/{alice}/reactivate/", {}),
        ("/team/two-factor/", {"required": "on"}),
    ],
)
def test_a_members_post_answers_403(client, sam, alice, alpha, path, data):
    client.force_login(sam)

    response = client.post(path.format(alice=alice.pk), data)

    assert response.status_code == 403
    assert Membership.objects.get(user=alice).role == "admin"
    assert User.objects.get(pk=alice.pk).is_active
    assert Invitation.objects.count() == 0
    alpha.refresh_from_db()
    assert alpha.require_2fa is False


@pytest.mark.parametrize("action", ["role", "deactivate", "reactivate"])
def test_another_partners_user_answers_404(alice_client, bob, action):
    response = alice_client.post(f"/team/{bob.pk}/{action}/", {"role": "member"})

    assert response.status_code == 404
    assert Membership.objects.get(user=bob).role == "admin"
    assert User.objects.get(pk=bob.pk).is_active


def test_another_partners_invitation_answers_404(alice_client, bob):
    client = another_browser()
    client.force_login(bob)
    client.post("/team/invite/", {"email": "x@beta.test", "role": "member"})

    response = alice_client.post(f"/team/invitations/{Invitation.objects.get().pk}/revoke/")

    assert response.status_code == 404
    assert Invitation.objects.get().revoked_at is None


@pytest.mark.parametrize(
    "path",
    [
        "/team/invite/",
        "/team/two-factor/",
        "/team/1/role/",
        "/team/1/deactivate/",
        "/team/1/reactivate/",
        "/team/invitations/1/revoke/",
        "/accounts/security/sign-out-elsewhere/",
    ],
)
def test_team_changes_are_post_only(alice_client, path):
    assert alice_client.get(path).status_code == 405


def test_admin_turns_the_organisation_2fa_rule_on(alice_client, alpha):
    alice_client.post("/team/two-factor/", {"required": "on"})
    alpha.refresh_from_db()
    assert alpha.require_2fa is True


def test_team_requires_a_partner(client, nobody):
    client.force_login(nobody)
    assert client.get("/team/").status_code == 403


def test_team_anonymous_goes_to_login(client):
    assert client.get("/team/")["Location"].startswith("/login/")


def test_the_team_list_itself_takes_no_post(client, sam):
    client.force_login(sam)
    assert client.post("/team/", {"email": "x@alpha.test"}).status_code == 405
