"""/accounts/security/: the user's recent sign-ins and open sessions, and signing out elsewhere."""

from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import selectors, services


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
