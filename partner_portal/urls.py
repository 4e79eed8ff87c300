from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from partner_portal.admin_nav import group_app_list

admin.site.site_header = _("VNG Cloud Partner Portal: staff")
admin.site.site_title = _("Partner Portal admin")
admin.site.index_title = _("Review deals and partner data")
# Staff sign in through the portal's sign-in page: the same lockout, limits and 2FA.
admin.site.login = secure_admin_login(admin.site.login)
# The index by staff task, not by Django app; the task bar replaces the model sidebar.
admin.site.get_app_list = group_app_list(admin.site.get_app_list)
admin.site.enable_nav_sidebar = False


def not_offered(request, *args, **kwargs):
    """allauth pages the portal does not offer: the e-mail is the login, changed by staff."""
    raise Http404


urlpatterns = [
    path("", include("deals.urls")),
    path("", include("discounts.urls")),
    path("", include("partners.urls")),
    path("", include("accounts.urls")),
    path("", include("notifications.urls")),
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
