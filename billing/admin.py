"""Staff's side of the money loop in Django admin. Every write goes through billing.services:
approving or rejecting a cloud account, recording a payment, deciding a top-up, making and
revoking billing's service tokens. The ledger and the top-ups are read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.documents import top_up_documents
from billing.models import (
    CloudAccount,
    CloudAccountLink,
    CreditEntry,
    PartnerCredit,
    ServiceToken,
    TopUp,
)
from billing.services import accounts, credit, tokens
from partners.selectors import production_partners
from web.admin import (
    InlineListAdmin,
    NewestInline,
    ReadOnlyAdmin,
    admin_page,
    autocomplete_filter,
    money,
    refusal_text,
    short_date,
)


class LinkInline(NewestInline):
    model = CloudAccountLink
    fields = ("partner", "started_at", "start_reason", "ended_at", "end_reason")
    readonly_fields = fields
    ordering = ("-started_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")


@admin.register(CloudAccountLink)
class CloudAccountLinkAdmin(InlineListAdmin):
    """All of one cloud account's links (its page shows the newest 20)."""

    parent_field = "cloud_account"
    parent_ordering = ("-started_at", "-pk")
    list_display = (
        "cloud_account",
        "partner",
        short_date("started_at", _("started at")),
        "start_reason",
        short_date("ended_at", _("ended at")),
        "end_reason",
    )
    list_select_related = ("cloud_account", "partner")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    account_id = forms.CharField(
        label=_("Account id"),
        required=False,
        help_text=_("For a new account: the id VNG Cloud gave it. Required to approve it."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Required to reject; shown to the partner."),
    )


@admin.register(CloudAccount)
class CloudAccountAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "customer",
        "partner",
        "kind",
        "status",
        money("credit", _("credit applied (VND)")),
        short_date("created_at", _("requested at")),
    )
    sortable_by = ("created_at",)
    list_filter = (
        "status",
        "kind",
        autocomplete_filter("partner", _("partner")),
        autocomplete_filter("customer", _("customer")),
    )
    list_select_related = ("customer", "partner")
    search_fields = ("account_id",)
    search_help_text = _("The exact account id.")
    readonly_fields = (
        "customer",
        "partner",
        "kind",
        "account_id",
        "name",
        "email",
        "status",
        "credit",
        "requested_by",
        "created_at",
        "confirmed_at",
        "decided_at",
        "decided_by",
        "decision_note",
    )
    inlines = (LinkInline,)
    actions = ("approve_selected",)

    def search(self, queryset, q):
        return queryset.filter(account_id=q), False

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="billing_cloudaccount_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            # Offered to who may decide (Django's change permission for cloud accounts).
            "decide_url": reverse("admin:billing_cloudaccount_decide", args=[object_id])
            if self.has_act_permission(request)
            else "",
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def decide_view(self, request, pk):
        """Approve (with the id of a new account) or reject (with a reason) one request."""
        if not self.has_act_permission(request):
            raise PermissionDenied
        account = get_object_or_404(
            CloudAccount.objects.select_related("customer", "partner"), pk=pk
        )
        form = DecisionForm(request.POST or None, initial={"account_id": account.account_id})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    accounts.approve_cloud_account(
                        account, by=request.user, account_id=data["account_id"]
                    )
                    self.message_user(request, gettext("The cloud account is linked."))
                else:
                    accounts.reject_cloud_account(account, by=request.user, reason=data["reason"])
                    self.message_user(request, gettext("The request is rejected."))
                return redirect(reverse("admin:billing_cloudaccount_change", args=[pk]))
            except ValidationError as exc:
                form.add_error(None, refusal_text(exc))
        return admin_page(
            self,
            request,
            "admin/billing/decide.html",
            gettext("Approve or reject a cloud account"),
            form=form,
            account=account,
        )

    @admin.action(
        description=_("Approve selected (confirmed, existing accounts)"), permissions=["act"]
    )
    def approve_selected(self, request, queryset):
        done = 0
        for account in queryset:
            try:
                accounts.approve_cloud_account(account, by=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{account}: {refusal_text(exc)}", messages.WARNING)
        if done:
            self.message_user(request, gettext("%(n)d cloud account(s) linked.") % {"n": done})


class PaymentForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=production_partners().order_by("name"),  # a sandbox holds no money
        widget=forms.NumberInput,
        help_text=_("The partner's id (shown in its address in admin)."),
    )
    amount = forms.CharField(label=_("Amount (VND)"))
    reference = forms.CharField(label=_("Bank transfer reference"), max_length=100)
    reason = forms.CharField(label=_("Note"), required=False, max_length=500)


@admin.register(CreditEntry)
class CreditEntryAdmin(ReadOnlyAdmin):
    """The ledger: read-only. "Add" records a partner's payment through the service."""

    list_display = (
        short_date("created_at", _("at")),
        "partner",
        "kind",
        money("amount", _("amount (VND)")),
        money("balance_after", _("balance after (VND)")),
        "reference",
        "reason",
        "created_by",
    )
    sortable_by = ("created_at",)
    list_filter = ("kind", autocomplete_filter("partner", _("partner")))
    list_select_related = ("partner", "created_by")
    readonly_fields = (
        "partner",
        "kind",
        "amount",
        "balance_after",
        "reason",
        "reference",
        "top_up",
        "created_by",
        "created_at",
    )

    def has_add_permission(self, request):
        return self.may_record(request)

    def add_view(self, request, form_url="", extra_context=None):
        """Record a payment: the only way credit enters the ledger by hand."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PaymentForm(request.POST or None, initial={"partner": request.GET.get("partner")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                entry = credit.record_payment(
                    partner=data["partner"],
                    amount=data["amount"],
                    reference=data["reference"],
                    reason=data["reason"],
                    by=request.user,
                )
                self.message_user(
                    request,
                    gettext("Payment recorded; %(partner)s's balance is %(balance)s đồng.")
                    % {"partner": entry.partner, "balance": credit.vnd(entry.balance_after)},
                )
                return redirect(reverse("admin:billing_creditentry_changelist"))
            except ValidationError as exc:
                for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                    form.add_error(field if field in form.fields else None, errors)
        return admin_page(
            self, request, "admin/billing/form.html", gettext("Record a payment"), form=form
        )


@admin.register(PartnerCredit)
class PartnerCreditAdmin(ReadOnlyAdmin):
    list_display = (
        "partner",
        money("balance", _("balance (VND)")),
        short_date("updated_at", _("updated at")),
    )
    list_select_related = ("partner",)
    list_filter = (autocomplete_filter("partner", _("partner")),)
    readonly_fields = ("partner", "balance", "updated_at")


class FailForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Shown to the partner; the credit goes back to its balance."),
    )


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    list_display = (
        "__str__",
        "partner",
        "cloud_account",
        money("amount", _("amount (VND)")),
        "status",
        short_date("created_at", _("requested at")),
        short_date("decided_at", _("decided at")),
    )
    sortable_by = ("created_at",)
    list_filter = ("status", autocomplete_filter("partner", _("partner")))
    list_select_related = ("partner", "cloud_account")
    readonly_fields = (
        "partner",
        "cloud_account",
        "amount",
        "status",
        "note",
        "requested_by",
        "created_at",
        "decided_at",
        "decided_by",
        "decided_by_token",
        "billing_reference",
        "failure_reason",
        "einvoices",
    )
    actions = ("apply_selected", "fail_selected")

    @admin.display(description=_("e-invoices"))
    def einvoices(self, obj):
        """The top-up's e-invoices with their files, and the way to record one."""

        def links(invoice):
            return format_html_join(
                " ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:statements_einvoice_file", args=[invoice.pk, k]), k.upper())
                    for k in ("pdf", "xml")
                    if getattr(invoice, k)
                ),
            )

        invoices = top_up_documents([obj]).get(obj.pk, [])
        listed = format_html_join(
            "", "<li data-einvoice>{} {}</li>", ((i, links(i)) for i in invoices)
        )
        record = format_html(
            '<a href="{}?top_up={}">{}</a>',
            reverse("admin:statements_einvoice_add"),
            obj.pk,
            gettext("Record the e-invoice"),
        )
        listed = format_html("<ul>{}</ul>", listed) if invoices else ""
        return format_html("{}{}", listed, record)

    @admin.action(description=_("Mark selected top-ups applied"), permissions=["act"])
    def apply_selected(self, request, queryset):
        done = 0
        for top_up in queryset:
            try:
                _made, changed = credit.apply_top_up(top_up, by=request.user)
                done += changed
            except ValidationError as exc:
                self.message_user(request, f"{top_up}: {refusal_text(exc)}", messages.WARNING)
        self.message_user(request, gettext("%(n)d top-up(s) applied.") % {"n": done})

    @admin.action(
        description=_("Mark selected top-ups failed (returns the credit)…"), permissions=["act"]
    )
    def fail_selected(self, request, queryset):
        form = FailForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for top_up in queryset:
                try:
                    _made, changed = credit.fail_top_up(
                        top_up, by=request.user, reason=form.cleaned_data["reason"]
                    )
                    done += changed
                except ValidationError as exc:
                    self.message_user(request, f"{top_up}: {refusal_text(exc)}", messages.WARNING)
            self.message_user(
                request, gettext("%(n)d top-up(s) failed; their credit was returned.") % {"n": done}
            )
            return None
        return admin_page(
            self,
            request,
            "admin/billing/fail_confirmation.html",
            gettext("Fail top-ups"),
            form=form,
            queryset=queryset,
        )


class ServiceTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("e.g. the billing system"))


@admin.register(ServiceToken)
class ServiceTokenAdmin(ReadOnlyAdmin):
    """Billing's tokens: made here by staff, shown once, stored hashed; never a partner's."""

    list_display = (
        "name",
        "prefix",
        "created_by",
        short_date("created_at", _("created at")),
        short_date("last_used_at", _("last used")),
        short_date("revoked_at", _("revoked at")),
    )
    readonly_fields = (
        "name",
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    )
    actions = ("revoke_selected",)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ServiceTokenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                token, secret = tokens.create_service_token(
                    by=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                form.add_error(None, refusal_text(exc))
            else:
                # The secret exists only in this answer.
                response = admin_page(
                    self,
                    request,
                    "admin/billing/token_created.html",
                    gettext("Billing service token created"),
                    token=token,
                    secret=secret,
                )
                response["Cache-Control"] = "no-store"
                return response
        return admin_page(
            self,
            request,
            "admin/billing/form.html",
            gettext("Add a billing service token"),
            form=form,
        )

    @admin.action(description=_("Revoke selected tokens"), permissions=["act"])
    def revoke_selected(self, request, queryset):
        done = 0
        for token in queryset:
            try:
                tokens.revoke_service_token(token, by=request.user)
                done += 1
            except ValidationError as exc:
                self.message_user(request, f"{token}: {refusal_text(exc)}", messages.WARNING)
        self.message_user(request, gettext("Tokens revoked: %(n)d.") % {"n": done})
