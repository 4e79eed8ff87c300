"""Who may open a partner page and who may change things: the one home for access checks.

Every partner view starts with `@partner_required` (login, then a membership of an active
partner; sets `request.partner` and `request.membership`). The partner's two-factor rule is
enforced before any view, for every page, by `accounts.middleware.TwoFactorRuleMiddleware`. Views that only a partner admin may
use for writes add `@partner_admin_required(message)`: a member sees GET pages read-only where
the view allows it, and any write answers 403 with a page that says why.

Services keep their own defensive checks (an admin action, a command or a future API may call
them) through `require_member`, `require_partner_admin` and `require_staff`: they raise
PermissionDenied with the messages below, which the portal's 403 page shows. The messages
live here so a refusal reads the same wherever it comes from.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from partners.models import Membership, Partner, User

OWN_ORGANISATION_ONLY = _("You can only change your own organisation's deals.")
ADMIN_ONLY_CUSTOMER_DISCOUNTS = _(
    "Only an admin of your organisation can create or revoke customer discounts."
)
STAFF_ONLY_REVOKE_DISCOUNT = _("Only VNG Cloud staff can revoke a partner discount.")
STAFF_ONLY_VOID_WIN = _("Only VNG Cloud staff can void a win.")
STAFF_ONLY_SUSPEND = _("Only VNG Cloud staff can suspend or reactivate a partner.")
STAFF_ONLY_CONTRACTS = _("Only VNG Cloud staff can change contracts.")
STAFF_ONLY_TRANSFER = _("Only VNG Cloud staff can move a customer to another partner.")
STAFF_ONLY_CORRECT = _("Only VNG Cloud staff can correct a partner's or a customer's details.")


def membership_of(user) -> Membership | None:
    """The user's membership with its partner; no query when the sign-in backend loaded it
    with the user (`accounts.backends`), as it does for every signed-in request."""
    if not user.is_authenticated:
        return None
    if User.membership.related.is_cached(user):
        return User.membership.related.get_cached_value(user)
    return Membership.objects.select_related("partner").filter(user=user).first()


def partner_required(view):
    """Login, then a membership of an active partner; sets request.partner and .membership.

    Staff without a membership are sent to admin's review queue (their landing page); anybody
    else without one gets a page that says so (403), never a crash.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = membership_of(request.user)
        if membership is None:
            if request.user.is_staff:
                return redirect("admin:review_queue")
            return render(request, "partners/no_partner.html", status=403)
        if (refused := _if_suspended(request, membership)) is not None:
            return refused
        request.membership = membership
        request.partner = membership.partner
        return view(request, *args, **kwargs)

    return wrapper


def not_suspended(view):
    """Login, and a person of a suspended partner gets its page (403) as on every partner
    page; staff and people with no partner pass. For the pages any signed-in person opens
    (the bell, its settings), which showed a suspended partner's people their deals' news."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = membership_of(request.user)
        refused = _if_suspended(request, membership) if membership is not None else None
        if refused is not None:
            return refused
        return view(request, *args, **kwargs)

    return wrapper


def _if_suspended(request, membership):
    """The page saying the person's partner is suspended (403), or None while it is active."""
    if membership.partner.status == Partner.Status.ACTIVE:
        return None
    ctx = {"suspended_partner": membership.partner}
    return render(request, "partners/no_partner.html", ctx, status=403)


def forbidden(request, message: str):
    """403 with a page that says why, in the portal's layout (the portal's error page)."""
    return render(request, "error.html", {"status": 403, "message": message}, status=403)


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


def _of_partner(partner_id) -> Q:
    """Memberships of the partner, or of the partner whose sandbox it is: a sandbox token acts
    as its creator, whose membership is the real organisation's."""
    return Q(partner_id=partner_id) | Q(partner__sandbox__pk=partner_id)


def is_partner_admin(user, partner_id) -> bool:
    """An admin of the partner (or of the partner whose sandbox it is); staff may step in."""
    if user.is_staff:
        return True
    return Membership.objects.filter(
        _of_partner(partner_id), user=user, role=Membership.Role.ADMIN
    ).exists()


def require_member(user, partner_id) -> None:
    """Staff or a member of the partner (or of the partner whose sandbox it is);
    PermissionDenied(OWN_ORGANISATION_ONLY) otherwise."""
    if user.is_staff or Membership.objects.filter(_of_partner(partner_id), user=user).exists():
        return
    raise PermissionDenied(str(OWN_ORGANISATION_ONLY))


def require_partner_admin(user, partner_id, message) -> None:
    """Staff or an admin of the partner; PermissionDenied(message) otherwise."""
    if not is_partner_admin(user, partner_id):
        raise PermissionDenied(str(message))


def check_partner_admin(partner, by, message) -> None:
    """A service's check that `by` may manage the partner's access (tokens, webhooks): its
    admins, or staff stepping in (a leak). A refusal is a ValidationError with the code
    "forbidden", which the pages show on the form and the API answers with 403."""
    if not is_partner_admin(by, partner.pk):
        raise ValidationError(str(message), code="forbidden")


def require_staff(user, message) -> None:
    if not user.is_staff:
        raise PermissionDenied(str(message))
