"""Staff's side of statements in Django admin. Every write goes through statements.services:
importing consumption (a CSV with a per-row report), re-drafting, sending, answering in a
statement's thread, marking paid, adjustments, recording e-invoices. Rows are read-only."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from billing.models import TopUp
from partners.selectors import production_partners
from statements.models import (
    Adjustment,
    Consumption,
    EInvoice,
    Statement,
    StatementLine,
    StatementMessage,
    invoice_number_forms,
)
from statements.services import consumption, drafting, einvoices, workflow
from web.admin import (
    AsciiDecimalField,
    InlineListAdmin,
    NewestInline,
    ReadOnlyAdmin,
    admin_page,
    autocomplete_filter,
    money,
    refusal_text,
    short_date,
)
from web.admin_writes import add_refusal
from web.downloads import file_download
from web.submissions import Outcome, submit_once

MAX_CSV_BYTES = 10 * 1024 * 1024


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, a header row with the columns account_id, day (YYYY-MM-DD), product (its "
            "code) and amount (whole VND). A row for an account, day and product already "
            "received replaces it."
        ),
    )


@admin.register(Consumption)
class ConsumptionAdmin(ReadOnlyAdmin):
    """Consumption received: read-only. "Add" imports a CSV and reports each row."""

    list_display = (
        "day",
        "cloud_account",
        "product",
        money("amount", _("amount (VND)")),
        "partner",
        "customer",
        "source",
        "corrections",
    )
    sortable_by = ("day",)
    list_filter = ("source", autocomplete_filter("partner", _("partner")))
    list_select_related = ("cloud_account", "product", "partner", "customer")
    search_fields = ("cloud_account__account_id",)
    search_help_text = _("The exact account id.")
    readonly_fields = (
        "cloud_account",
        "day",
        "product",
        "amount",
        "partner",
        "customer",
        "source",
        "received_at",
        "corrections",
    )

    def search(self, queryset, q):
        return queryset.filter(cloud_account__account_id=q), False

    def has_add_permission(self, request):
        return self.may_record(request)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        report = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_CSV_BYTES:
                form.add_error("file", gettext("At most 10 MB at once."))
            else:
                try:
                    report = consumption.import_csv(upload.read(), by=request.user)
                except PermissionDenied as exc:
                    form.add_error(None, str(exc))
        return admin_page(
            self,
            request,
            "admin/statements/import.html",
            gettext("Import consumption"),
            form=form,
            report=report,
        )


class LineInline(NewestInline):
    """The statement's first 20 lines, and a link to all of them (a busy partner's month has
    thousands: all of them on the page took two minutes and 38 MB at programme scale)."""

    model = StatementLine
    fields = (
        "kind",
        "customer",
        "product",
        "first_day",
        "last_day",
        "consumption",
        "partner_rate",
        "partner_discount",
        "customer_rate",
        "customer_discount",
        "amount",
        "description",
    )
    ordering = ("pk",)  # as drafted
    shown_text = _("The first %(limit)s are shown.")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("customer", "product")


class MessageInline(NewestInline):
    model = StatementMessage
    fields = ("created_at", "author", "from_staff", "text")
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class EInvoiceInline(admin.TabularInline):
    model = EInvoice
    fk_name = "statement"
    fields = ("form", "series", "number", "authority_code", "buyer_tax_code", "issued_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))


class PaidForm(forms.Form):
    reference = forms.CharField(label=_("Payment reference"), max_length=100)


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    list_display = (
        "month",
        "partner",
        "status",
        money("consumption", _("consumption (VND)")),
        money("total", _("commission (VND)")),
        short_date("sent_at", _("sent at")),
    )
    sortable_by = ("month",)
    list_filter = ("status", "month", autocomplete_filter("partner", _("partner")))
    list_select_related = ("partner",)
    readonly_fields = (
        "partner",
        "month",
        "status",
        "consumption",
        "partner_discount",
        "customer_discount",
        "adjustments",
        "total",
        "drafted_at",
        "drafts",
        "sent_at",
        "sent_by",
        "answered_at",
        "answered_by",
        "dispute_reason",
        "paid_at",
        "paid_by",
        "payment_reference",
    )
    inlines = (LineInline, EInvoiceInline, MessageInline)
    actions = ("redraft_selected", "send_selected", "mark_paid_selected")

    def get_urls(self):
        return [
            path(
                "<int:pk>/reply/",
                self.admin_site.admin_view(self.reply_view),
                name="statements_statement_reply",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The buttons a staff member may use, and only those (Django's permissions).
        acts = self.has_act_permission(request)
        records = request.user.has_perm("statements.add_einvoice")
        extra_context = {
            **(extra_context or {}),
            "reply_url": reverse("admin:statements_statement_reply", args=[object_id])
            if acts
            else "",
            "einvoice_url": reverse("admin:statements_einvoice_add") if records else "",
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def reply_view(self, request, pk):
        """Answer in the statement's thread (the partner sees it on the statement's page)."""
        if not self.has_act_permission(request):
            raise PermissionDenied
        statement = get_object_or_404(Statement, pk=pk)
        form = ReplyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():

            def write():
                workflow.add_message(statement, by=request.user, text=form.cleaned_data["text"])
                return Outcome(
                    url=reverse("admin:statements_statement_change", args=[pk]),
                    message=gettext("Your answer is in the thread."),
                )

            try:
                # A double click posted the answer twice in the partner's thread.
                return submit_once(request, write)
            except ValidationError as exc:
                add_refusal(form, exc)
        return admin_page(
            self,
            request,
            "admin/statements/form.html",
            gettext("Answer the partner"),
            form=form,
            once=True,
        )

    def _each(self, request, queryset, write, done_message):
        done = 0
        for statement in queryset:
            try:
                done += bool(write(statement))
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{statement}: {refusal_text(exc)}", messages.WARNING)
        self.message_user(request, done_message % {"n": done})

    @admin.action(
        description=_("Re-draft selected drafts from the consumption now"), permissions=["act"]
    )
    def redraft_selected(self, request, queryset):
        from django.db import transaction

        def write(statement):
            with transaction.atomic():
                return drafting.redraft(statement)

        self._each(request, queryset, write, gettext("%(n)d statement(s) re-drafted."))

    @admin.action(
        description=_("Send selected statements to their partners (amounts freeze)"),
        permissions=["act"],
    )
    def send_selected(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda s: workflow.send_statement(s, by=request.user),
            gettext("%(n)d statement(s) sent."),
        )

    @admin.action(description=_("Mark selected statements paid…"), permissions=["act"])
    def mark_paid_selected(self, request, queryset):
        form = PaidForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reference = form.cleaned_data["reference"]
            self._each(
                request,
                queryset,
                lambda s: workflow.mark_paid(s, by=request.user, reference=reference),
                gettext("%(n)d statement(s) marked paid."),
            )
            return None
        return admin_page(
            self,
            request,
            "admin/statements/action_form.html",
            gettext("Mark statements paid"),
            form=form,
            queryset=queryset,
            action="mark_paid_selected",
        )


class AdjustmentForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=production_partners().order_by("name"),
        widget=forms.NumberInput,
        help_text=_("The partner's id (shown in its address in admin)."),
    )
    month = forms.DateField(
        label=_("Month"), help_text=_("Any day of the month (YYYY-MM-DD); a sent one: the next.")
    )
    amount = AsciiDecimalField(label=_("Commission change (VND)"), max_digits=18, decimal_places=0)
    reason = forms.CharField(label=_("Why (shown to the partner)"), max_length=500)


class StatementPartAdmin(InlineListAdmin):
    """All of one statement's lines or messages (its page shows 20 of them)."""

    parent_field = "statement"
    list_select_related = ("statement__partner",)


@admin.register(StatementLine)
class StatementLineAdmin(StatementPartAdmin):
    list_display = (
        "statement",
        "kind",
        "customer",
        "product",
        "first_day",
        "last_day",
        money("consumption", _("consumption (VND)")),
        "partner_rate",
        money("amount", _("amount (VND)")),
        "description",
    )
    list_select_related = ("statement__partner", "customer", "product")
    parent_ordering = ("pk",)


@admin.register(StatementMessage)
class StatementMessageAdmin(StatementPartAdmin):
    list_display = (short_date("created_at", _("created at")), "statement", "author", "text")
    list_select_related = ("statement__partner", "author")
    parent_ordering = ("-created_at", "-pk")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdmin):
    list_display = (
        "month",
        "partner",
        "kind",
        money("amount", _("commission change (VND)")),
        "about_month",
        "reason",
    )
    sortable_by = ("created_at",)
    list_filter = ("kind", autocomplete_filter("partner", _("partner")))
    list_select_related = ("partner",)
    readonly_fields = (
        "partner",
        "month",
        "about_month",
        "kind",
        "consumption",
        "amount",
        "reason",
        "created_by",
        "created_at",
    )

    def has_add_permission(self, request):
        return self.may_record(request)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AdjustmentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():

            def write():
                consumption.add_adjustment(by=request.user, **form.cleaned_data)
                return Outcome(
                    url=reverse("admin:statements_adjustment_changelist"),
                    message=gettext("Adjustment added."),
                )

            try:
                # Nothing in an adjustment is unique: a double click would add it twice.
                return submit_once(request, write)
            except ValidationError as exc:
                add_refusal(form, exc)
        return admin_page(
            self,
            request,
            "admin/statements/form.html",
            gettext("Add an adjustment"),
            form=form,
            once=True,
        )


class EInvoiceForm(forms.Form):
    statement = forms.ModelChoiceField(
        label=_("Statement"),
        queryset=Statement.objects.all(),
        widget=forms.NumberInput,
        required=False,
        help_text=_("The statement's id, or leave blank and give a top-up."),
    )
    top_up = forms.ModelChoiceField(
        label=_("Top-up"), queryset=TopUp.objects.all(), widget=forms.NumberInput, required=False
    )
    form = forms.CharField(label=_("Form (mẫu số)"), max_length=1, initial="1")
    series = forms.CharField(label=_("Series (ký hiệu)"), max_length=6)
    number = forms.CharField(label=_("Number"), max_length=8)
    authority_code = forms.CharField(label=_("Tax authority's code"), max_length=50, required=False)
    buyer_tax_code = forms.CharField(label=_("Buyer's tax code"), max_length=14)
    issued_on = forms.DateField(label=_("Invoice date"))
    pdf = forms.FileField(label=_("PDF"), required=False)
    xml = forms.FileField(label=_("XML"), required=False)


@admin.register(EInvoice)
class EInvoiceAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "form",
        "series",
        "issued_on",
        "partner",
        "statement",
        "top_up",
        "buyer_tax_code",
    )
    sortable_by = ("issued_on",)
    list_filter = (autocomplete_filter("partner", _("partner")),)
    list_select_related = ("partner", "statement__partner", "top_up")
    search_fields = ("number",)
    search_help_text = _("The invoice number (without leading zeros, or as printed).")
    readonly_fields = (
        "statement",
        "top_up",
        "partner",
        "form",
        "series",
        "number",
        "authority_code",
        "buyer_tax_code",
        "issued_on",
        "pdf",
        "xml",
        "recorded_by",
        "recorded_by_token",
        "created_at",
    )

    def get_urls(self):
        return [
            path(
                "<int:pk>/file/<str:kind>/",
                self.admin_site.admin_view(self.file_view),
                name="statements_einvoice_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request, pk, kind):
        """Staff download an e-invoice's PDF or XML (as partners do, never inline)."""
        if not self.has_view_permission(request) or kind not in ("pdf", "xml"):
            raise PermissionDenied
        invoice = get_object_or_404(EInvoice, pk=pk)
        stored = invoice.pdf if kind == "pdf" else invoice.xml
        if not stored:
            raise Http404
        content_type = "application/pdf" if kind == "pdf" else "application/xml"
        name = f"e-invoice-{invoice.form}{invoice.series}-{invoice.number}.{kind}"
        return file_download(stored, name=name, content_type=content_type)

    def get_search_results(self, request, queryset, search_term):
        """The exact number, typed with or without its leading zeros (any length)."""
        q = (search_term or "").strip()
        if not q:
            return queryset, False
        return queryset.filter(number__in=invoice_number_forms(q)), False

    def has_add_permission(self, request):
        return self.may_record(request)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"statement": request.GET.get("statement"), "top_up": request.GET.get("top_up")}
        form = EInvoiceForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                einvoices.record_einvoice(by=request.user, **form.cleaned_data)
                self.message_user(request, gettext("E-invoice recorded."))
                return redirect(reverse("admin:statements_einvoice_changelist"))
            except ValidationError as exc:
                add_refusal(form, exc)
        return admin_page(
            self,
            request,
            "admin/statements/form.html",
            gettext("Record an e-invoice"),
            form=form,
            multipart=True,
        )
