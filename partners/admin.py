"""How staff read partner data in admin: lists, filters, search.

The models whose changes are rules (a user's access, a partner's status, a membership's role,
a contract's terms, a customer's owner) are registered by the app that owns the service,
with these classes as their base: accounts/admin.py (users, partners, memberships) and
discounts/admin.py (contracts, ownership). Their saves call the service (web/admin_writes.py).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from partners.models import (
    Contract,
    Customer,
    CustomerOwnership,
    Membership,
)


class MembershipInline(admin.TabularInline):
    """Read-only: a role or membership changes on the membership's own page (its service)."""

    model = Membership
    extra = 0
    fields = ("partner", "role", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "partner_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "membership__partner")
    search_fields = ("email", "first_name", "last_name")
    inlines = (MembershipInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    @admin.display(description=_("partner"))
    def partner_name(self, obj):
        membership = getattr(obj, "membership", None)
        return membership.partner.name if membership else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("membership__partner")


class ContractInline(admin.TabularInline):
    """Read-only: a contract is recorded and changed on its own page (its service)."""

    model = Contract
    extra = 0
    fields = (
        "number",
        "start_date",
        "end_date",
        "max_discount_rate",
        "discount_validity_days",
    )
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "tax_code")
    inlines = (ContractInline, MembershipInline)


class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "partner", "role")
    list_filter = ("role", "partner")
    search_fields = ("user__email", "partner__name")
    autocomplete_fields = ("partner",)
    list_select_related = ("user", "partner")


class ContractAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "partner",
        "start_date",
        "end_date",
        "max_discount_rate",
        "discount_validity_days",
    )
    list_filter = ("partner",)
    search_fields = ("number", "partner__name")
    list_select_related = ("partner",)


class OwnershipInline(admin.TabularInline):
    model = CustomerOwnership
    extra = 0
    can_delete = False
    fields = ("partner", "deal", "started_at", "ended_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_code", "current_owner", "created_at")
    search_fields = ("name", "tax_code")
    inlines = (OwnershipInline,)

    @admin.display(description=_("current owner"))
    def current_owner(self, obj):
        link = next((o for o in obj.ownerships.all() if o.ended_at is None), None)
        return link.partner.name if link else "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("ownerships__partner")

    def save_model(self, request, obj, form, change):
        # Only the fields staff changed: a win committed while the form was open may have
        # set the owner (Customer.owner), and a whole-row save would write the old one back.
        if change:
            obj.save(update_fields=form.changed_data)
        else:
            obj.save()


class CustomerOwnershipAdmin(admin.ModelAdmin):
    """Ownership links are made by winning deals; staff read them here, history included."""

    list_display = ("customer", "partner", "deal", "started_at", "ended_at")
    list_filter = ("partner", ("ended_at", admin.EmptyFieldListFilter))
    search_fields = ("customer__name", "customer__tax_code", "partner__name")
    list_select_related = ("customer", "partner", "deal")
    readonly_fields = ("customer", "partner", "deal", "started_at", "ended_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
