from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PartnerPortalConfig(AppConfig):
    name = "partner_portal"
    verbose_name = "Partner Portal"
    default = True


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django admin, with the staff's site as `admin.site`: the review queue and the
    programme view are its own pages, and its index opens with the queue's counts."""

    default = False
    default_site = "partner_portal.admin_site.StaffAdminSite"
