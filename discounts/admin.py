from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from discounts import contracts, services
from discounts.models import (
    CustomerDiscount,
    CustomerDiscountLine,
    Discount,
    DiscountLine,
    DiscountStatus,
    EffectiveStatus,
)
from discounts.rates import RateInput
from discounts.selectors import effective_status_filter, staff_search, with_effective_status
from partners import admin as partner_admin
from partners.admin import sandbox_filter
from partners.models import Contract, Customer, CustomerOwnership
from web.admin import (
    AsciiIntegerField,
    QuickAutocompleteMixin,
    ScaleAdmin,
    autocomplete_filter,
    short_date,
)
from web.admin_writes import ServiceAdminMixin, adopt, refusals


class EffectiveStatusFilter(admin.SimpleListFilter):
    """Status as the partner sees it: expired follows the dates (needs `current_status`)."""

    title = _("status")
    parameter_name = "current_status"

    def lookups(self, request, model_admin):
        return EffectiveStatus.choices

    def queryset(self, request, queryset):
        if self.value() in EffectiveStatus.values:
            return queryset.filter(effective_status_filter(self.value()))
        return queryset


STATUS_ORDERING = {
    EffectiveStatus.EXPIRED: ("-valid_until", "-pk"),
    EffectiveStatus.SCHEDULED: ("valid_from", "pk"),
}


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Shown to the partner on the discount page."),
    )


class RevokeWithReason:
    """A revoke action in two steps, as staff expect of a change the partner is told of: a
    page listing the ticked rows that will end (and those already ended, left as they are)
    and asking the reason, then the service for each row. Subclasses name the page's words
    and `revoke_one(request, row, reason)`."""

    revoke_intro = ""
    revoke_done = ""

    def _revoke_in_two_steps(self, request, queryset):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._revoke(request, queryset, form.cleaned_data["reason"])
            return None
        rows = list(queryset)
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Revoke %(name)s") % {"name": self.opts.verbose_name_plural},
            "intro": self.revoke_intro,
            "ending": [row for row in rows if row.status == DiscountStatus.ACTIVE],
            "left": [row for row in rows if row.status != DiscountStatus.ACTIVE],
            "form": form,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/discounts/revoke_confirmation.html", ctx)

    def _revoke(self, request, queryset, reason):
        done = 0
        for row in queryset:
            try:
                self.revoke_one(request, row, reason)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{row}: {' '.join(exc.messages)}", messages.WARNING)
        if done:
            self.message_user(request, str(self.revoke_done) % {"n": done}, messages.SUCCESS)


class ReadOnlyLineInline(admin.TabularInline):
    extra = 0
    can_delete = False
    readonly_fields = ("product", "rate")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DiscountLineInline(ReadOnlyLineInline):
    model = DiscountLine


class CustomerDiscountInline(admin.TabularInline):
    model = CustomerDiscount
    extra = 0
    can_delete = False
    fields = ("customer", "valid_from", "valid_until", "status", "revoked_at")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.display(description=_("status"))
def current_status(obj):
    # The label as text: a lazy one goes through admin's display_for_value, which compares it
    # with each empty value (a translation each time, five a cell).
    return str(EffectiveStatus(obj.current_status).label)


@admin.register(Discount)
class DiscountAdmin(RevokeWithReason, ScaleAdmin):
    """Discounts are issued by winning a deal, never typed in by hand; staff may revoke one."""

    list_display = (
        "deal",
        "partner",
        "customer",
        short_date("valid_from", _("valid from")),
        short_date("valid_until", _("valid until")),
        current_status,
        short_date("created_at", _("issued")),
    )
    # Each has an index (field, id): discounts 0006_admin_list_indexes.
    sortable_by = ("valid_from", "valid_until", "created_at")
    list_filter = (
        EffectiveStatusFilter,
        autocomplete_filter("partner", _("partner")),
        autocomplete_filter("customer", _("customer")),
        "valid_until",
        sandbox_filter("partner"),
    )
    search_fields = ("deal__title", "customer__name", "customer__tax_code")
    search_help_text = _("Deal title, customer name or the start of its tax code.")
    list_select_related = ("deal", "partner", "customer")
    list_columns = (
        *("valid_from", "valid_until", "status", "created_at", "deal__title", "partner__name"),
        *("customer__name", "customer__tax_code"),
    )
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
    inlines = (DiscountLineInline, CustomerDiscountInline)
    actions = ("revoke_selected",)

    def get_queryset(self, request):
        return with_effective_status(super().get_queryset(request))

    def search(self, queryset, q):
        return staff_search(queryset, q, deal="deal")

    def get_ordering(self, request):
        # Expired discounts, most recently expired first; not yet valid ones, soonest first:
        # each from the validity date's index (the newest by creation are rarely either).
        status = request.GET.get(EffectiveStatusFilter.parameter_name)
        return STATUS_ORDERING.get(status) or super().get_ordering(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    revoke_intro = _(
        "These partner discounts will be revoked. Every active customer discount drawn on them "
        "ends too. Both stay in the history."
    )
    revoke_done = _("%(n)d discount(s) revoked, with the customer discounts drawn on them.")

    @admin.action(description=_("Revoke selected discounts…"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        """Asks for a reason on a page of its own, then revokes through the service."""
        return self._revoke_in_two_steps(request, queryset)

    def revoke_one(self, request, discount, reason):
        services.revoke_discount(discount, by=request.user, reason=reason)


class CustomerDiscountLineInline(ReadOnlyLineInline):
    model = CustomerDiscountLine


@admin.register(CustomerDiscount)
class CustomerDiscountAdmin(RevokeWithReason, ScaleAdmin):
    list_display = (
        "customer",
        "discount",
        "partner",
        short_date("valid_from", _("valid from")),
        short_date("valid_until", _("valid until")),
        current_status,
        short_date("created_at", _("created at")),
    )
    sortable_by = ("valid_from", "valid_until", "created_at")
    list_filter = (
        EffectiveStatusFilter,
        autocomplete_filter("discount__partner", _("partner")),
        autocomplete_filter("customer", _("customer")),
        "valid_until",
        sandbox_filter("discount__partner"),
    )
    search_fields = ("customer__name", "customer__tax_code", "discount__deal__title")
    search_help_text = _("Customer name, the start of its tax code, or the deal title.")
    list_select_related = ("customer", "discount__deal", "discount__partner")
    list_columns = (
        *("valid_from", "valid_until", "status", "created_at", "customer__name"),
        *("customer__tax_code", "discount__deal__title", "discount__partner__name"),
    )
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
    actions = ("revoke_selected",)

    def get_queryset(self, request):
        return with_effective_status(super().get_queryset(request))

    def search(self, queryset, q):
        return staff_search(queryset, q, deal="discount__deal")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("partner"))
    def partner(self, obj):
        return obj.discount.partner

    revoke_intro = _(
        "These customer discounts will end now; the partner that gave them reads your reason "
        "in its activity log. They stay in the history."
    )
    revoke_done = _("%(n)d customer discount(s) revoked.")

    @admin.action(description=_("Revoke selected customer discounts…"), permissions=["change"])
    def revoke_selected(self, request, queryset):
        """Asks for a reason on a page of its own, then revokes through the service."""
        return self._revoke_in_two_steps(request, queryset)

    def revoke_one(self, request, customer_discount, reason):
        services.revoke_customer_discount(customer_discount, by=request.user, reason=reason)


class ContractForm(forms.ModelForm):
    """Parses the terms; their rules and messages are discounts.contracts' alone, so the
    model's own checks (its constraints, the unique number) are left to the service."""

    max_discount_rate = RateInput(label=_("highest discount rate (%)"))
    discount_validity_days = AsciiIntegerField(label=_("discount validity (days)"))

    class Meta:
        model = Contract
        fields = ("partner", *contracts.TERMS)

    def _get_validation_exclusions(self):
        return {*super()._get_validation_exclusions(), *contracts.TERMS}


@admin.register(Contract)
class ContractAdmin(ServiceAdminMixin, partner_admin.ContractAdmin):
    """Contracts are recorded and changed through discounts.contracts: dates in order and
    never overlapping the partner's other contracts, a rate limit above 0 and at most 100,
    a validity of 1 to 3,650 days. Deals already registered keep their rates. Never deleted:
    end a contract by its end date."""

    form = ContractForm
    autocomplete_fields = ("partner",)
    fields = ("partner", *contracts.TERMS)

    def get_readonly_fields(self, request, obj=None):
        return ("partner",) if obj is not None else ()

    def save_model(self, request, obj, form, change):
        terms = {name: form.cleaned_data[name] for name in contracts.TERMS}
        with refusals():
            if change:
                contracts.change_contract(obj, by=request.user, **terms)
            else:
                made = contracts.create_contract(
                    partner=form.cleaned_data["partner"], by=request.user, **terms
                )
                adopt(obj, made)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Customer)
class CustomerAdmin(ServiceAdminMixin, partner_admin.CustomerAdmin):
    """A customer's name, tax code and address are corrected through
    `discounts.services.correct_customer`: only what staff changed, in the activity log
    (the tax code decides conflicts and duplicates). Customers come with their deals: none
    is added here."""

    def save_model(self, request, obj, form, change):
        with refusals():
            services.correct_customer(
                customer=obj,
                by=request.user,
                changes={f: form.cleaned_data[f] for f in form.changed_data},
            )


class TransferForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("Why does the customer move?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Kept in the activity log, which both partners' admins read (neither sees the "
            "other's name)."
        ),
    )

    class Meta:
        model = CustomerOwnership
        fields = ("customer", "partner")


@admin.register(CustomerOwnership)
class CustomerOwnershipAdmin(
    QuickAutocompleteMixin, ServiceAdminMixin, partner_admin.CustomerOwnershipAdmin
):
    """Staff move a customer to another partner by adding its new ownership here
    (`discounts.services.transfer_customer`): the old link ends and is kept, the other
    partners' customer discounts for it end, as on a win. Links are never edited."""

    form = TransferForm
    autocomplete_fields = ("customer", "partner")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("customer", "partner", "reason")
        # A link as it is, with the reason a staff move gave (a win's is empty).
        return self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with refusals():
            link = services.transfer_customer(
                customer=data["customer"],
                partner=data["partner"],
                by=request.user,
                reason=data["reason"],
            )
        adopt(obj, link)
