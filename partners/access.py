"""Who may open a partner page and who may change things: the one home for access checks.

Every partner view starts with `@partner_required` (login, then a membership of an active
partner, then two-factor sign-in if the partner requires it; sets `request.partner` and
`request.membership`). Views that only a partner admin may
use for writes add `@partner_admin_required(message)`: a member sees GET pages read-only where
the view allows it, and any write answers 403 with a page that says why.
"""

from functools import wraps

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from partners.models import Membership, Partner


def membership_of(user) -> Membership | None:
    if not user.is_authenticated:
        return None
    try:
        return Membership.objects.select_related("partner").get(user=user)
    except Membership.DoesNotExist:
        return None


def partner_required(view):
    """Login, then a membership of an active partner; sets request.partner and .membership.

    Staff without a membership are sent to admin; anybody else without one gets a page that
    says so (403), never a crash.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = membership_of(request.user)
        if membership is None:
            if request.user.is_staff:
                return redirect("admin:index")
            return render(request, "partners/no_partner.html", status=403)
        if membership.partner.status != Partner.Status.ACTIVE:
            ctx = {"suspended_partner": membership.partner}
            return render(request, "partners/no_partner.html", ctx, status=403)
        if membership.partner.require_2fa and not has_totp(request.user):
            return two_factor_setup_redirect(request)
        request.membership = membership
        request.partner = membership.partner
        return view(request, *args, **kwargs)

    return wrapper


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def two_factor_setup_redirect(request):
    """Send someone who must use two-factor sign-in, and has not set it up, to set it up."""
    messages.warning(request, _("Set up two-factor sign-in to continue: it is required for you."))
    return redirect("mfa_activate_totp")


def forbidden(request, message: str):
    """403 with a page that says why, in the portal's layout."""
    return render(request, "partners/forbidden.html", {"message": message}, status=403)


def partner_admin_required(message: str, *, read_only_get: bool = False):
    """Only the partner's admins may use the view; goes under `@partner_required`.

    `message` (lazy-translated) tells a member why they are refused. With `read_only_get`
    a member may still GET the view (it shows the page read-only) and only writes are refused.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            allowed = request.membership.is_admin or (
                read_only_get and request.method in ("GET", "HEAD")
            )
            if not allowed:
                return forbidden(request, str(message))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
