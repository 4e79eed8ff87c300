from django.conf import settings


def portal(request):
    """What the base layout needs on every page: the user's partner and the languages."""
    membership = getattr(request, "membership", None)
    return {
        "current_partner": membership.partner if membership else None,
        "current_membership": membership,
        "portal_languages": settings.LANGUAGES,
    }
