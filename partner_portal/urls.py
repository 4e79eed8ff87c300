from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from partners import views as partner_views

admin.site.site_header = _("VNG Cloud Partner Portal: staff")
admin.site.site_title = _("Partner Portal admin")
admin.site.index_title = _("Review deals and partner data")
admin.site.login_form = partner_views.StaffAuthenticationForm

urlpatterns = [
    path("", include("deals.urls")),
    path("", include("discounts.urls")),
    path("", include("partners.urls")),
    path("api/", include("api.urls")),
    path("team/", include("api.page_urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=partner_views.EmailAuthenticationForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler400 = "partner_portal.errors.bad_request"
handler403 = "partner_portal.errors.permission_denied"
handler404 = "partner_portal.errors.page_not_found"
handler500 = "partner_portal.errors.server_error"
