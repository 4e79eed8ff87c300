from django.conf import settings

from notifications.selectors import unread_count
from partner_portal.admin_nav import staff_groups
from partners.access import membership_of

# Pages open to any signed-in user, so no partner decorator sets request.membership: allauth's
# (password, 2FA, security) and the notification inbox. A partner's user still gets the menu.
WITHOUT_PARTNER_DECORATOR = ("/accounts/", "/notifications/")


def portal(request):
    """What the base layout needs on every page: the user's partner and the languages."""
    membership = getattr(request, "membership", None)
    # DRF's browsable pages may render with no user at all.
    user = getattr(request, "user", None)
    if (
        membership is None
        and user is not None
        and request.path.startswith(WITHOUT_PARTNER_DECORATOR)
    ):
        membership = membership_of(user)
    staff_nav = user is not None and user.is_staff and request.path.startswith("/admin/")
    return {
        "staff_groups": staff_groups(request) if staff_nav else [],
        "current_partner": membership.partner if membership else None,
        "current_membership": membership,
        "portal_languages": settings.LANGUAGES,
        # The bell: one indexed count, capped (see unread_count).
        "unread_notifications": unread_count(user) if user and user.is_authenticated else 0,
    }
