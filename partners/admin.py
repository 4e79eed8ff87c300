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
    CustomerOwnership,
    Membership,
)
from partners.selectors import customer_match, matching_customer_ids, sandbox_partners
from web.admin import (
    AutocompleteLookupsAllowed,
    ConstraintsCheckedForm,
    ModelAdmin,
    NewestInline,
    NoEmptyHistory,
    QuickAutocompleteMixin,
    ScaleAdmin,
    autocomplete_filter,
    short_date,
)
from web.paging import capped_ids


def sandbox_filter(partner_field: str):
    """A list filter that leaves the sandboxes' test data out unless asked: `?sandbox=only`
    lists only it, `?sandbox=all` both. `partner_field` names the row's partner ("" for the
    partner itself)."""
    lookup = f"{partner_field}__in" if partner_field else "pk__in"

    class SandboxFilter(admin.SimpleListFilter):
        title = _("sandbox")
        parameter_name = "sandbox"

        def lookups(self, request, model_admin):
            return (("only", _("Sandboxes only")), ("all", _("Real and sandbox")))

        def choices(self, changelist):
            yield {
                "selected": self.value() not in ("only", "all"),
                "query_string": changelist.get_query_string(remove=[self.parameter_name]),
                "display": _("Real only"),
            }
            for value, title in self.lookup_choices:
                yield {
                    "selected": self.value() == value,
                    "query_string": changelist.get_query_string({self.parameter_name: value}),
                    "display": title,
                }

        def queryset(self, request, queryset):
            if self.value() == "all":
                return queryset
            if self.value() == "only":
                return queryset.filter(**{lookup: sandbox_partners()})
            # The few sandboxes' ids read first (one small query): with none, the list has
            # no condition at all; with some, a NOT IN over their ids. A subquery there made
            # PostgreSQL join every row's partner for the capped count (6.6 ms at 1M on the
            # customer discounts, whose partner is one join away).
            sandboxes = list(sandbox_partners().order_by().values_list("pk", flat=True))
            return queryset.exclude(**{lookup: sandboxes}) if sandboxes else queryset

    return SandboxFilter


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


class UserAdmin(NoEmptyHistory, AutocompleteLookupsAllowed, BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "partner_name", "is_staff", "is_active")
    list_filter = (
        "is_staff",
        "is_active",
        autocomplete_filter("membership__partner", _("partner")),
    )
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


class PartnerAdmin(ModelAdmin):
    list_display = ("name", "tax_code", "status", "created_at")
    list_filter = ("status", sandbox_filter(""))
    search_fields = ("name", "tax_code")
    inlines = (ContractInline, MembershipInline)


class MembershipAdmin(QuickAutocompleteMixin, ModelAdmin):
    list_display = ("user", "partner", "role")
    list_filter = ("role", autocomplete_filter("partner", _("partner")))
    search_fields = ("user__email", "partner__name")
    autocomplete_fields = ("partner",)
    list_select_related = ("user", "partner")


class ContractAdmin(QuickAutocompleteMixin, ModelAdmin):
    list_display = (
        "number",
        "partner",
        "start_date",
        "end_date",
        "max_discount_rate",
        "discount_validity_days",
    )
    list_filter = (autocomplete_filter("partner", _("partner")), sandbox_filter("partner"))
    search_fields = ("number", "partner__name")
    list_select_related = ("partner",)


class OwnershipInline(NewestInline):
    model = CustomerOwnership
    fields = ("partner", "deal", "started_at", "ended_at")
    readonly_fields = fields
    ordering = ("-started_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner", "deal")


class CustomerAdmin(ScaleAdmin):
    # The current owner is on the row (Customer.owner, kept by the ownership services).
    list_display = ("name", "tax_code", "owner", short_date("created_at", _("created at")))
    list_select_related = ("owner",)
    # (name, id) and the tax code's unique index.
    sortable_by = ("name", "tax_code")
    list_filter = (autocomplete_filter("owner", _("current owner")), sandbox_filter("sandbox"))
    search_fields = ("name", "tax_code")
    search_help_text = _("A part of the name, or the start of the tax code.")
    readonly_fields = ("owner", "sandbox", "created_at")
    fields = ("name", "tax_code", "address", "owner", "sandbox", "created_at")
    inlines = (OwnershipInline,)
    form = ConstraintsCheckedForm  # the unique tax code among real customers names `sandbox`

    common_search_ordering = ("-pk",)

    def search(self, queryset, q):
        # Digits: the tax code's index; a word: the names' trigram index.
        ids = matching_customer_ids(q, queryset)
        if ids is None:
            return queryset.filter(customer_match(q)), True
        return queryset.filter(pk__any_of=ids), False

    def has_add_permission(self, request):
        # Customers come with the deals registered for them (and a sandbox's with its own).
        return False

    def save_model(self, request, obj, form, change):
        # Only the fields staff changed: a win committed while the form was open may have
        # set the owner (Customer.owner), and a whole-row save would write the old one back.
        # (discounts.admin registers this page with its save through the service, logged.)
        obj.save(update_fields=form.changed_data)


class CustomerOwnershipAdmin(ScaleAdmin):
    """Ownership links are made by winning deals; staff read them here, history included."""

    list_display = (
        "customer",
        "partner",
        "deal",
        short_date("started_at", _("started at")),
        short_date("ended_at", _("ended at")),
    )
    sortable_by = ("started_at",)
    list_filter = (
        autocomplete_filter("partner", _("partner")),
        autocomplete_filter("customer", _("customer")),
        ("ended_at", admin.EmptyFieldListFilter),
        sandbox_filter("partner"),
    )
    search_fields = ("customer__name", "customer__tax_code")
    search_help_text = _("Customer name or the start of its tax code.")
    list_select_related = ("customer", "partner", "deal")
    readonly_fields = ("customer", "partner", "deal", "started_at", "ended_at", "reason")

    def search(self, queryset, q):
        customers = matching_customer_ids(q)
        if customers is None:
            return queryset.filter(customer_match(q, prefix="customer__")), True
        ids = capped_ids(CustomerOwnership.objects.filter(customer_id__any_of=customers))
        if ids is None:
            return queryset.filter(customer_id__any_of=customers), True
        return queryset.filter(pk__any_of=ids), False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
