from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import Invitation
from web.admin import autocomplete_filter


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Read-only: partner admins invite from /team/ (accounts.services.invite_user)."""

    list_display = (
        "email",
        "partner",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    list_filter = ("role", autocomplete_filter("partner", _("partner")))
    search_fields = ("email", "partner__name")
    list_select_related = ("partner",)
    readonly_fields = (
        "partner",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
