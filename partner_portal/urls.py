from allauth.account import views as account_views
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.urls import include, path
from django.views.generic import RedirectView

from partner_portal import health, metrics

# admin.site is the staff's own site (partner_portal.admin_site.StaffAdminSite).


def not_offered(request, *args, **kwargs):
    """allauth pages the portal does not offer: the e-mail is the login, changed by staff."""
    raise Http404


urlpatterns = [
    # Served by ProbeMiddleware before any other middleware; named here for reverse() and in
    # case the middleware is left out.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("", include("deals.urls")),
    path("", include("discounts.urls")),
    path("", include("partners.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
    path("", include("billing.urls")),
    path("", include("statements.urls")),
    path("api/", include("api.urls")),
    path("team/", include("api.page_urls")),
    # The sign-in page keeps its old address; allauth's own (/accounts/login/) is the same view.
    path("login/", account_views.login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/email/", not_offered),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico on pages that name no icon (and on admin's own files).
    path(
        "favicon.ico", RedirectView.as_view(url=f"/{settings.STATIC_URL.lstrip('/')}brand/mark.svg")
    ),
]

handler400 = "web.errors.bad_request"
handler403 = "web.errors.permission_denied"
handler404 = "web.errors.page_not_found"
handler500 = "web.errors.server_error"
