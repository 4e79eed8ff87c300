"""The staff's admin site: Django admin plus the review queue and the programme view.

`StaffAdminConfig` (partner_portal.apps) makes this `admin.site`, so every app's
`@admin.register` lands here. Its own pages are admin views (`admin_view`: staff only, never
cached, CSRF-protected), under admin's URL names: `admin:review_queue`, `admin:programme`,
`admin:programme_csv`. The views live with the data they show (`deals.admin_views`).
"""

from functools import partial

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import path
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from partner_portal.admin_nav import group_app_list


class StaffAdminSite(admin.AdminSite):
    site_header = _("VNG Cloud Partner Portal: staff")
    site_title = _("Partner Portal admin")
    index_title = _("Review deals and partner data")
    # The task bar (admin/base_site.html) replaces the model sidebar.
    enable_nav_sidebar = False

    def login(self, request, extra_context=None):
        # Staff sign in through the portal's sign-in page: the same lockout, limits and 2FA.
        return secure_admin_login(super().login)(request, extra_context)

    def get_app_list(self, request, app_label=None):
        """The index by staff task (partner_portal.admin_nav), not by Django app."""
        if getattr(request, "_staff_each_context", False):
            # For every page's context (`available_apps`, read by the navigation sidebar,
            # which is off): made only if a template reads it. Building it reverses two URLs
            # per model on every admin page.
            return SimpleLazyObject(
                lambda: group_app_list(super(StaffAdminSite, self).get_app_list)(request, app_label)
            )
        return group_app_list(super().get_app_list)(request, app_label)

    def each_context(self, request):
        request._staff_each_context = True
        try:
            return super().each_context(request)
        finally:
            request._staff_each_context = False

    def get_urls(self):
        from deals import admin_views

        def view(function):
            return self.admin_view(partial(function, site=self))

        own = [
            path("review/", view(admin_views.review_queue), name="review_queue"),
            path("programme/", view(admin_views.programme), name="programme"),
            path(
                "programme/<slug:table>.csv",
                view(admin_views.programme_csv),
                name="programme_csv",
            ),
        ]
        return own + super().get_urls()

    def index(self, request, extra_context=None):
        """Admin's index, opening with the review queue's counts (each a link to the queue
        filtered to those rows)."""
        from deals import admin_views

        extra_context = {**admin_views.queue_summary(request), **(extra_context or {})}
        return super().index(request, extra_context)
