"""Every account and team form refuses a POST without the CSRF token, and changes nothing."""

import pytest
from django.test import Client

from accounts.models import Invitation
from partners.models import Membership, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    return client


@pytest.mark.parametrize(
    "path, data",
    [
        ("/team/invite/", {"email": "x@alpha.test", "role": "member"}),
        ("/team/{sam}/role/", {"role": "admin"}),
        ("/team/{sam}/deactivate/", {}),
        ("/team/{sam}/reactivate/", {}),
        ("/team/two-factor/", {"required": "on"}),
        ("/accounts/security/sign-out-elsewhere/", {}),
        (
            "/accounts/password/change/",
            {
                "oldpassword": "test-password",
                "password1": "Xy-12345678",
                "password2": "Xy-12345678",
            },
        ),
        ("/accounts/2fa/totp/activate/", {"code": "123456"}),
        ("/accounts/reauthenticate/", {"password": "test-password"}),
        ("/accounts/2fa/totp/deactivate/", {}),
        ("/accounts/2fa/recovery-codes/generate/", {}),
        ("/logout/", {}),
        ("/accounts/logout/", {}),
    ],
)
def test_signed_in_forms_need_the_csrf_token(csrf_client, alice, sam, alpha, path, data):
    response = csrf_client.post(path.format(sam=sam.pk), data)

    assert response.status_code == 403
    assert Membership.objects.get(user=sam).role == "member"
    assert User.objects.get(pk=sam.pk).is_active
    assert User.objects.get(pk=alice.pk).check_password("test-password")
    assert Invitation.objects.count() == 0
    alpha.refresh_from_db()
    assert alpha.require_2fa is False


@pytest.mark.parametrize(
    "path, data",
    [
        ("/login/", {"login": "alice@alpha.test", "password": "test-password"}),
        ("/accounts/login/", {"login": "alice@alpha.test", "password": "test-password"}),
        ("/accounts/password/reset/", {"email": "alice@alpha.test"}),
        ("/accounts/2fa/authenticate/", {"code": "123456"}),
        ("/accounts/oidc/sso/login/", {}),
    ],
)
def test_anonymous_forms_need_the_csrf_token(alice, path, data):
    client = Client(enforce_csrf_checks=True)

    response = client.post(path, data)

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_invitation_form_needs_the_csrf_token(alice_client, django_capture_on_commit_callbacks):
    from django.core import mail

    from tests.accounts.conftest import last_link

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post("/team/invite/", {"email": "linh@alpha.test", "role": "member"})
    client = Client(enforce_csrf_checks=True)

    response = client.post(last_link(), {"password1": "Mây-2026-x", "password2": "Mây-2026-x"})

    assert response.status_code == 403
    assert not User.objects.filter(email="linh@alpha.test").exists()
    assert len(mail.outbox) == 1


def test_password_reset_form_needs_the_csrf_token(client, alice):
    from tests.accounts.conftest import last_link

    client.post("/accounts/password/reset/", {"email": "alice@alpha.test"})
    form_url = client.get(last_link(), follow=True).redirect_chain[-1][0]
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = client.cookies

    response = strict.post(form_url, {"password1": "Mây-2026-x", "password2": "Mây-2026-x"})

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.check_password("test-password")
