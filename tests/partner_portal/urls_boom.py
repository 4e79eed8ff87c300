"""The portal's URLs plus one view that fails, to see the server error page."""

from django.urls import path

from partner_portal.urls import handler400, handler403, handler404, handler500  # noqa: F401
from partner_portal.urls import urlpatterns as portal_urls


def boom(request):
    raise RuntimeError("secret internals of the failure")


urlpatterns = [path("boom/", boom), *portal_urls]
