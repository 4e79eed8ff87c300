from django.conf import settings

from partners.access import membership_of


def portal(request):
    """What the base layout needs on every page: the user's partner and the languages."""
    membership = getattr(request, "membership", None)
    if membership is None and request.path.startswith("/accounts/"):
        # allauth's pages (password, 2FA, security) have no partner decorator to set it.
        membership = membership_of(request.user)
    return {
        "current_partner": membership.partner if membership else None,
        "current_membership": membership,
        "portal_languages": settings.LANGUAGES,
    }
