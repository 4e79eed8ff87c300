"""Session rules every request passes: timeouts, two-factor sign-in (the organisation's rule on
every partner page, staff in admin), and sessions that name a renamed sign-in backend."""

import time
from urllib.parse import urlsplit

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, logout
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _
from django_guid import get_guid

from notifications.activity import activity_context
from partners.access import membership_of

# Writing the last-seen time on every request would make every page a database write.
TOUCH_SECONDS = 60


def start_session_clock(sender, request, user, **kwargs):
    """At sign-in: the session starts now and was last seen now."""
    now = time.time()
    request.session["signed_in_at"] = now
    request.session["last_seen_at"] = now


# Sessions name the backend that signed them in: allauth's own (before the portal had one)
# or the portal's at its old place in the partners app. Neither is listed any more (Django
# would treat those sessions as signed out). Remove an entry once every such session has
# ended: SESSION_ABSOLUTE_TIMEOUT (14 days by default) after the release that renamed it.
PORTAL_BACKEND = "accounts.backends.PortalAuthenticationBackend"
RENAMED_BACKENDS = {
    "allauth.account.auth_backends.AuthenticationBackend": PORTAL_BACKEND,
    "partners.backends.PortalAuthenticationBackend": PORTAL_BACKEND,
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


SESSION_ENDED_HEADER = "X-Session-Ended"


def session_ended_response() -> HttpResponse:
    """401 for a script's request from someone signed out: the page decides what to show."""
    response = HttpResponse(
        _("Your session has ended. Sign in again."), status=401, content_type="text/plain"
    )
    response[SESSION_ENDED_HEADER] = "true"
    # A 401 names how to authenticate; this scheme is no browser's, so none shows a prompt.
    response["WWW-Authenticate"] = 'Session realm="Partner Portal"'
    return response


class SessionEndedMiddleware:
    """An htmx request from someone whose session has ended answers 401, not the login page.

    Following the redirect to the login page, htmx would swap the whole page into the dialog
    and the form, with everything typed in it, would be gone. The 401 leaves the page as it
    is; static/js/portal.js keeps the dialog, says the session ended and offers to sign in
    again in a new tab, then sends the same form (with the new CSRF token: signing in rotates
    it, see `accounts.security.session_check`).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") == "true"
            and response.status_code == 302
            and urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)
        ):
            return session_ended_response()
        return response


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def two_factor_setup_redirect(request):
    """Send someone who must use two-factor sign-in, and has not set it up, to set it up."""
    messages.warning(request, _("Set up two-factor sign-in to continue: it is required for you."))
    return redirect("mfa_activate_totp")


class TwoFactorRuleMiddleware:
    """Send a person who must use two-factor sign-in, and has not set it up, to set it up.

    It must: a member of a partner whose admins turned the organisation's rule on
    (`Partner.require_2fa`), on every page, the bell's inbox and its settings included; and
    staff in Django admin while STAFF_REQUIRE_2FA is on. Open without it: the account pages
    (where 2FA is set up, the password changed, and one signs out), the language switch,
    static files and the API (tokens are not sign-ins).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.open_prefixes = (
            "/accounts/",
            "/login/",
            "/logout/",
            "/i18n/",
            "/api/",
            "/" + settings.STATIC_URL.lstrip("/"),
        )

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.open_prefixes)
            and self._required(request, user)
            and not has_totp(user)
        ):
            return two_factor_setup_redirect(request)
        return self.get_response(request)

    def _required(self, request, user) -> bool:
        if request.path.startswith("/admin/"):
            return settings.STAFF_REQUIRE_2FA and user.is_staff
        # No query: the sign-in backend loaded the membership and partner with the user.
        membership = membership_of(user)
        return membership is not None and membership.partner.require_2fa


class ActivityContextMiddleware:
    """Tell the activity log where this request's changes come from (portal, admin or API)
    and which request it was (its id: the load balancer's X-Request-ID, or one made for it)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            via = "admin"
        elif request.path.startswith("/api/"):
            via = "api"
        else:
            via = "portal"
        request_id = (get_guid() or "")[:64]
        with activity_context(via=via, request_id=request_id):
            return self.get_response(request)
