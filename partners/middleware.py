"""Session rules every request passes: timeouts, two-factor sign-in for staff in admin, and
sessions that name a renamed sign-in backend."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.utils.translation import gettext as _

from partners.access import has_totp, two_factor_setup_redirect

# Writing the last-seen time on every request would make every page a database write.
TOUCH_SECONDS = 60


def start_session_clock(sender, request, user, **kwargs):
    """At sign-in: the session starts now and was last seen now."""
    now = time.time()
    request.session["signed_in_at"] = now
    request.session["last_seen_at"] = now


# Sessions signed in before partners.backends existed name allauth's own backend, which is
# no longer listed (Django would treat them as signed out). Remove once every such session
# has ended: SESSION_ABSOLUTE_TIMEOUT (14 days by default) after that release.
RENAMED_BACKENDS = {
    "allauth.account.auth_backends.AuthenticationBackend": (
        "partners.backends.PortalAuthenticationBackend"
    ),
}


class RenamedBackendMiddleware:
    """Keep sessions signed in when the sign-in backend they name was renamed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        renamed = RENAMED_BACKENDS.get(request.session.get(BACKEND_SESSION_KEY))
        if renamed:
            request.session[BACKEND_SESSION_KEY] = renamed
        return self.get_response(request)


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


class StaffTwoFactorMiddleware:
    """Send staff without two-factor sign-in from Django admin to set it up first.

    Only while STAFF_REQUIRE_2FA is on. The partner-wide rule (`Partner.require_2fa`) is
    checked by `partner_required`, which already has the partner at hand.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.STAFF_REQUIRE_2FA
            and request.path.startswith("/admin/")
            and user.is_authenticated
            and user.is_staff
            and not has_totp(user)
        ):
            return two_factor_setup_redirect(request)
        return self.get_response(request)
