from django.contrib import admin

from discounts.models import CustomerDiscount, CustomerDiscountLine, Discount, DiscountLine


class DiscountLineInline(admin.TabularInline):
    model = DiscountLine
    extra = 0
    can_delete = False
    readonly_fields = ("product", "rate")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Discount)
class DiscountAdmin(admin.ModelAdmin):
    """Discounts are issued by winning a deal, never typed in by hand."""

    list_display = ("deal", "partner", "customer", "valid_from", "valid_until", "status")
    list_filter = ("status", "partner", "valid_until")
    search_fields = ("deal__title", "partner__name", "customer__name", "customer__tax_code")
    list_select_related = ("deal", "partner", "customer")
    readonly_fields = (
        "partner",
        "deal",
        "customer",
        "valid_from",
        "valid_until",
        "status",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "created_at",
    )
    inlines = (DiscountLineInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CustomerDiscountLineInline(admin.TabularInline):
    model = CustomerDiscountLine
    extra = 0
    can_delete = False
    readonly_fields = ("product", "rate")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CustomerDiscount)
class CustomerDiscountAdmin(admin.ModelAdmin):
    list_display = ("customer", "discount", "valid_from", "valid_until", "status")
    list_filter = ("status", "discount__partner", "valid_until")
    search_fields = ("customer__name", "customer__tax_code", "discount__deal__title")
    list_select_related = ("customer", "discount__deal")
    readonly_fields = (
        "discount",
        "customer",
        "valid_from",
        "valid_until",
        "status",
        "note",
        "created_by",
        "created_at",
        "revoked_at",
        "revoked_by",
    )
    inlines = (CustomerDiscountLineInline,)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
