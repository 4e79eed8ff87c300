"""How django-allauth fits the portal: no sign-up, our client address, our sign-in limits.

Accounts are made by invitation (`accounts.services.invite_user`) or by staff, never by
signing up, with a password or through single sign-on.
"""

import base64
from datetime import UTC, datetime

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter

# The internal record of how this session authenticated (password, SSO, 2FA code, and when).
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.models import EmailAddress

# The internal consume() returns the usage that allauth rolls back after a good password.
from allauth.core import context
from allauth.core.internal import ratelimit
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from axes.handlers.proxy import AxesProxyHandler
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from partners.models import Membership
from web.net import client_ip


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed sign-ins from your network. For your security, signing in is "
            "paused for 15 minutes. Try again later."
        ),
        "too_many_account_login_attempts": _(
            "Too many failed sign-ins for this account. For its security, signing in to it is "
            "paused for 15 minutes. Try again later, or reset your password to sign in now."
        ),
        "email_password_mismatch": _("The e-mail address or the password is not correct."),
        "rate_limited": _("Too many requests. Wait a few minutes and try again."),
    }

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """allauth asks for the password again before 2FA changes, and (since 65.x) counts only
        an explicit re-authentication, never the sign-in itself. Someone the portal requires to
        set up 2FA is sent to set it up right after signing in (`TwoFactorRuleMiddleware`):
        their password, typed moments ago, counts, for ACCOUNT_REAUTHENTICATION_TIMEOUT, while
        they set up the authenticator app and read their recovery codes. Otherwise allauth's
        rule stands."""
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa":
            return not setting_up_required_2fa_after_sign_in(context.request)
        return required

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        return client_ip(request)

    def pre_authenticate(self, request, **credentials):
        """Count the try against the address (across every account it names) and against the
        account (from every address).

        django-axes locks one e-mail from one address after a few failures; the address limit
        stops one address trying one password on many accounts; the account limit stops many
        addresses (a botnet) trying many passwords on one account. A successful sign-in gives
        its tries back (allauth's `authenticate` rolls `_login_failed_rl_usage` back), and a
        password reset clears the account's count.
        """
        self._login_failed_rl_usage = None
        if not AxesProxyHandler.is_allowed(request, credentials):
            return  # axes refuses this (e-mail, address) pair without checking the password
        address = ratelimit.consume(request, app="allauth.account", action="login_failed_address")
        if not address:
            raise self.validation_error("too_many_login_attempts")
        account = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed_account",
            key=self._get_login_attempts_cache_key(request, **credentials),
        )
        if not account:
            address.rollback()  # a refused try is not a failed password
            raise self.validation_error("too_many_account_login_attempts")
        self._login_failed_rl_usage = ratelimit.RateLimitUsage(
            usage=[*address.usage, *account.usage]
        )

    def _delete_login_attempts_cached_email(self, request, **credentials):
        """After a password reset: the account's failures are forgotten, so its owner signs in
        at once even while someone else keeps it locked (allauth clears only its own action)."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        ratelimit.clear(
            request,
            app="allauth.account",
            action="login_failed_account",
            key=self._get_login_attempts_cache_key(request, **credentials),
        )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        return False

    def authenticate_by_email(self, sociallogin):
        """The existing user whose e-mail the provider reports as verified, if any.

        A user's e-mail in the portal is verified by construction (an invitation link sent to
        it, or staff), so it is recorded as such: allauth would otherwise wipe the password
        of an account whose address it has no verified record of.
        """
        found = super().authenticate_by_email(sociallogin)
        if found:
            user, email = found
            EmailAddress.objects.update_or_create(
                user=user, email__iexact=email, defaults={"email": email, "verified": True}
            )
        return found


def _secrets_cipher() -> MultiFernet:
    """Fernet keys derived from SECRET_KEY, then each of SECRET_KEY_FALLBACKS.

    Encrypts with the current key and decrypts with any of them, so rotating SECRET_KEY
    (keeping the old one in SECRET_KEY_FALLBACKS until users sign in again) keeps 2FA working.
    """
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    # The salt of the secrets already stored: changing it locks everyone out.
                    salted_hmac("partners.mfa", "", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are stored encrypted (allauth stores them plain)."""

    def encrypt(self, text: str) -> str:
        return _secrets_cipher().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _secrets_cipher().decrypt(encrypted_text.encode()).decode()

    def can_delete_authenticator(self, authenticator) -> bool:
        """Keep the authenticator app of someone who must use two-factor sign-in."""
        if authenticator.type != Authenticator.Type.TOTP:
            return True
        return not must_use_two_factor(authenticator.user)


def must_use_two_factor(user) -> bool:
    """Staff while STAFF_REQUIRE_2FA is on; members of a partner that requires 2FA."""
    if user.is_staff and settings.STAFF_REQUIRE_2FA:
        return True
    return Membership.objects.filter(user=user, partner__require_2fa=True).exists()


def setting_up_required_2fa_after_sign_in(request) -> bool:
    """True while someone who must use 2FA sets it up in the minutes after signing in: the
    sign-in was less than ACCOUNT_REAUTHENTICATION_TIMEOUT ago and every authenticator they
    have was made after it (none before: a person who already had 2FA passed it to sign in,
    and changing it asks for the password as allauth does)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    records = get_authentication_records(request, user)
    if not records:
        return False
    signed_in_at = records[0]["at"]
    if datetime.now(UTC).timestamp() - signed_in_at >= account_settings.REAUTHENTICATION_TIMEOUT:
        return False
    if Authenticator.objects.filter(
        user=user, created_at__lt=datetime.fromtimestamp(signed_in_at, UTC)
    ).exists():
        return False
    return must_use_two_factor(user)
