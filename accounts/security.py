"""/accounts/security/: the user's recent sign-ins and open sessions, and signing out elsewhere."""

from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts import selectors, services
from accounts.middleware import session_ended_response


@login_required
def security(request):
    # Sessions that ended on their own (expired, signed out) drop out of the list here.
    UserSession.objects.purge_and_list(request.user)
    ctx = {
        "sign_ins": selectors.recent_sign_ins(request.user),
        "sessions": selectors.signed_in_sessions(request.user),
        "current_key": request.session.session_key,
    }
    return render(request, "account/security.html", ctx)


@require_POST
@login_required
def sign_out_elsewhere(request):
    ended = services.end_sessions(user=request.user, keep_session_key=request.session.session_key)
    messages.success(
        request,
        ngettext(
            "Signed out of %(count)d other session.",
            "Signed out of %(count)d other sessions.",
            ended,
        )
        % {"count": ended},
    )
    return redirect("account_security")


@require_safe
def session_check(request):
    """Is this browser signed in? 204 with a fresh CSRF token in X-CSRFToken, or 401.

    A dialog whose session ended asks this before it sends its form again: signing in (in
    another tab) rotated the CSRF token, so the token in the page no longer matches.
    """
    if not request.user.is_authenticated:
        return session_ended_response()
    response = HttpResponse(status=204)
    response["X-CSRFToken"] = get_token(request)
    add_never_cache_headers(response)
    return response
