"""Session rules every request passes: timeouts, and two-factor sign-in where it is required."""

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from partners.models import Membership

# Pages a user must reach to set up 2FA (or leave) while 2FA is required of them.
TWO_FACTOR_EXEMPT = ("/accounts/", "/logout/", "/i18n/", "/static/", "/media/", "/login/")
# Writing the last-seen time on every request would make every page a database write.
TOUCH_SECONDS = 60


class SessionTimeoutMiddleware:
    """Sign out a session idle for SESSION_IDLE_TIMEOUT, or SESSION_ABSOLUTE_TIMEOUT old.

    Both times are kept in the session itself (database-backed, so every app server sees
    them); the last-seen time is written at most once a minute.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request):
        now = time.time()
        session = request.session
        started = session.setdefault("signed_in_at", now)
        seen = session.get("last_seen_at", now)
        idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
        absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
        if now - seen > idle or now - started > absolute:
            logout(request)
            messages.info(request, _("Your session has expired. Please sign in again."))
        elif now - session.get("last_seen_at", 0) > TOUCH_SECONDS:
            session["last_seen_at"] = now


class RequireTwoFactorMiddleware:
    """Send users who must use two-factor sign-in, and have not set it up, to set it up.

    Required of everyone in a partner whose admins turned `Partner.require_2fa` on, and of
    staff in Django admin while STAFF_REQUIRE_2FA is on.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(TWO_FACTOR_EXEMPT)
            and self._required(request)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request, _("Set up two-factor sign-in to continue: it is required for you.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def _required(self, request) -> bool:
        if request.path.startswith("/admin/") and request.user.is_staff:
            return settings.STAFF_REQUIRE_2FA
        return Membership.objects.filter(user=request.user, partner__require_2fa=True).exists()
