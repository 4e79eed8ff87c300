"""Staff see the partners' API tokens and webhook endpoints, and can revoke a leaked token."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from api import services
from api.models import ApiToken
from web.admin import ModelAdmin, autocomplete_filter


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    list_display = (
        "name",
        "partner",
        "prefix",
        "is_sandbox",
        "access",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (
        "access",
        ("revoked_at", admin.EmptyFieldListFilter),
        autocomplete_filter("partner", _("partner")),
        "is_sandbox",
    )
    search_fields = ("name", "prefix", "partner__name", "created_by__email")
    list_select_related = ("partner", "created_by")
    readonly_fields = [field.name for field in ApiToken._meta.fields]
    actions = ("revoke_tokens",)

    def has_add_permission(self, request):
        return False  # only the partner's admin may see a new token's secret

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays as the record

    @admin.action(description=_("Revoke selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                services.revoke_api_token(token, by=request.user)
            except ValidationError:
                continue  # revoked meanwhile
            revoked += 1
        self.message_user(
            request,
            ngettext("%(n)s token revoked.", "%(n)s tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )
