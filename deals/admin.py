from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from deals import selectors, services
from deals.forms import WholeVNDField
from deals.models import (
    LOST_REASON_MAX_LENGTH,
    PROTECTION_MAX_DAYS,
    REVIEW_COMMENT_MAX_LENGTH,
    Attachment,
    DayOff,
    Deal,
    DiscountRule,
    Note,
    PendingDeletion,
    Product,
    StageChange,
)
from deals.views.content import download_response
from discounts.rates import RateInput, rate_problem
from partners.admin import sandbox_filter
from web.admin import (
    AsciiIntegerField,
    InlineListAdmin,
    KnownChoicesMixin,
    LabelledInlineFormSet,
    ModelAdmin,
    NewestInline,
    QuickAutocompleteMixin,
    ScaleAdmin,
    autocomplete_filter,
    money,
    short_date,
)
from web.admin_writes import ServiceAdminMixin, add_refusal, refusals


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ("name", "name_vi", "code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "name_vi", "code")
    fields = ("code", "name", "name_vi", "description", "description_vi", "is_active")
    prepopulated_fields = {"code": ("name",)}

    def get_readonly_fields(self, request, obj=None):
        # The code is how billing's consumption and the API name the product: once made, it
        # stays (a product is retired with "active" off, and a new one made).
        return ("code",) if obj is not None else ()

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else self.prepopulated_fields


class DealForm(KnownChoicesMixin, forms.ModelForm):
    """The deal's own fields; its customer box names the customer the page already read.
    The value is typed as on the partner's form (WholeVNDField: 150.000.000 or 150000000),
    in a text box: a number box drops what it cannot read ("525 triệu" became 525 đồng)."""

    estimated_value = WholeVNDField(label=_("estimated value (VND)"), help_text=WholeVNDField.help)


class DiscountRuleForm(KnownChoicesMixin, forms.ModelForm):
    """A rate staff type in stays within the partner's contract, like the partner's own.

    The form shows the problem on the field; `set_discount_rules` (called by
    DealAdmin.save_formset) decides again on the locked deal and does the write.
    """

    rate = RateInput(label=_("rate (%)"))

    class Meta:
        model = DiscountRule
        fields = ("product", "rate")

    def clean_rate(self):
        rate = self.cleaned_data["rate"]
        deal = self.instance.deal if self.instance.deal_id else None
        contract = deal.partner.contract_on(timezone.localdate()) if deal else None
        if rate is not None and (problem := rate_problem(rate, contract=contract)):
            raise forms.ValidationError(problem)
        return rate


def posted_from_an_open_deals_page(request) -> bool:
    """A save from a deal page opened while the deal was open: its title was a field (a
    closed deal's read-only page posts none)."""
    return request.method == "POST" and "title" in request.POST


class DiscountRuleInline(QuickAutocompleteMixin, admin.TabularInline):
    """Staff may adjust the registered rates while reviewing, not after the deal closed."""

    model = DiscountRule
    form = DiscountRuleForm
    formset = LabelledInlineFormSet
    extra = 0
    # A won deal issues its discount from these rules: an open deal keeps at least one.
    min_num = 1
    # The form's fields, said here: without them admin builds the formset class twice more
    # per request only to learn them (~1.4 ms of the deal page). A test compares them.
    fields = ("product", "rate")
    template = "admin/edit_inline/tabular_scale.html"

    def get_queryset(self, request):
        # The product boxes name each rule's product (KnownChoicesMixin): read with the rules.
        return super().get_queryset(request).select_related("product")

    def get_formset(self, request, obj=None, **kwargs):
        # InlineModelAdmin has min_num but no validate_min: ask the formset for it.
        return super().get_formset(request, obj, validate_min=True, **kwargs)

    autocomplete_fields = ("product",)

    def _editable(self, request, obj):
        # A save posted from a page opened while the deal was open binds what was typed:
        # the service refuses it (closed meanwhile) and the page shows it again, kept.
        return obj is None or not obj.is_closed or posted_from_an_open_deals_page(request)

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj) and super().has_delete_permission(request, obj)


class StageChangeInline(NewestInline):
    model = StageChange
    fields = ("at", "from_stage", "to_stage", "from_status", "to_status", "by", "system", "note")
    readonly_fields = ("system",)
    row_fields = (
        *("at", "from_stage", "to_stage", "from_status", "to_status", "note"),
        *("system_code", "system_params", "by__first_name", "by__last_name", "by__email"),
    )
    ordering = ("-at", "-pk")
    verbose_name_plural = _("stage and review history")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description=_("system note"))
    def system(self, obj):
        return obj.system_note


class NoteInline(NewestInline):
    model = Note
    fields = ("created_at", "author", "text")
    row_fields = ("created_at", "text", "author__first_name", "author__last_name", "author__email")
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")


class AttachmentInline(NewestInline):
    model = Attachment
    fields = (
        "uploaded_at",
        "kind",
        "download",
        "size",
        "content_type",
        "sha256",
        "uploaded_by",
    )
    readonly_fields = fields
    row_fields = (
        *("uploaded_at", "kind", "original_name", "size", "content_type", "sha256"),
        *("uploaded_by__first_name", "uploaded_by__last_name", "uploaded_by__email"),
    )
    ordering = ("-uploaded_at", "-pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj):
        url = reverse("admin:deals_deal_attachment", args=[obj.deal_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


class DealHistoryAdmin(InlineListAdmin):
    """All of one deal's history entries, notes or files (the deal page shows the newest 20).
    One deal's rows come from its (deal, time, id) index."""

    parent_field = "deal"
    list_select_related = ("deal",)


@admin.register(StageChange)
class StageChangeAdmin(DealHistoryAdmin):
    list_display = (short_date("at", _("at")), "deal", "from_stage", "to_stage", "to_status", "by")
    list_select_related = ("deal", "by")
    parent_ordering = ("-at", "-pk")


@admin.register(Note)
class NoteAdmin(DealHistoryAdmin):
    list_display = (short_date("created_at", _("created at")), "deal", "author", "text")
    list_select_related = ("deal", "author")
    parent_ordering = ("-created_at", "-pk")


@admin.register(Attachment)
class AttachmentAdmin(DealHistoryAdmin):
    list_display = (
        short_date("uploaded_at", _("uploaded at")),
        "deal",
        "original_name",
        "kind",
        "size",
        "uploaded_by",
    )
    list_select_related = ("deal", "uploaded_by")
    parent_ordering = ("-uploaded_at", "-pk")


class ReviewForm(forms.Form):
    DECISIONS = (
        ("approve", _("Approve")),
        ("send_back", _("Send back for changes")),
        ("reject", _("Reject")),
    )
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment for the partner"),
        required=False,
        max_length=REVIEW_COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when sending back or rejecting."),
    )
    protection_days = AsciiIntegerField(
        label=_("Protection (days)"),
        required=False,
        min_value=1,
        max_value=PROTECTION_MAX_DAYS,
        help_text=_("When approving; empty means the default."),
    )


class ProtectionForm(forms.Form):
    # Admin's own calendar, in the staff member's language (its names come from admin's
    # JavaScript catalogue): a browser's date picker speaks the browser's language.
    until = forms.DateField(label=_("Protected until"), widget=AdminDateWidget)


class VoidWinForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the win voided?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The partner sees this reason. Its discount and the customer discounts drawn on it "
            "are revoked, and the customer goes back to its previous owner."
        ),
    )


class StaffStageForm(forms.Form):
    stage = forms.ChoiceField(label=_("New stage"))
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lost_reason_code = forms.ChoiceField(
        label=_("Lost reason"),
        required=False,
        choices=[("", "---------"), *Deal.LostReason.choices],
    )
    lost_reason = forms.CharField(
        label=_("Lost reason (details)"), required=False, max_length=LOST_REASON_MAX_LENGTH
    )

    def __init__(self, *args, deal, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = services.allowed_stages(deal)
        self.fields["stage"].choices = [(s, Deal.Stage(s).label) for s in allowed]


@admin.register(Deal)
class DealAdmin(QuickAutocompleteMixin, ServiceAdminMixin, ScaleAdmin):
    list_display = (
        "title",
        "conflict",
        "partner",
        "customer",
        "status",
        "stage",
        money("estimated_value", _("value (VND)")),
        short_date("protected_until", _("protected until")),
        short_date("updated_at", _("updated")),
    )
    # Each sortable column has an index (field, id): see deals 0012_admin_list_indexes.
    sortable_by = ("title", "estimated_value", "protected_until", "updated_at")
    list_filter = (
        "status",
        "stage",
        autocomplete_filter("partner", _("partner")),
        autocomplete_filter("customer", _("customer")),
        ("closed_at", admin.EmptyFieldListFilter),
        sandbox_filter("partner"),
    )
    # Title, customer name (trigram indexes) and tax code: selectors.search_deals.
    search_fields = ("title", "customer__name", "customer__tax_code")
    search_help_text = _("Title, customer name or the start of its tax code.")
    list_select_related = ("partner", "customer")
    list_columns = (
        *("title", "status", "stage", "estimated_value", "protected_until", "updated_at"),
        *("partner__name", "customer__name", "customer__tax_code"),
    )
    form = DealForm
    autocomplete_fields = ("customer",)
    # Stage, review and closing are transitions: only the services change them.
    readonly_fields = (
        "partner",
        "status",
        "stage",
        "probability",
        "review_comment",
        "reviewed_at",
        "reviewed_by",
        "protected_until",
        "closed_at",
        "closed_by",
        "lost_reason_code",
        "lost_reason",
        "created_by",
        "created_at",
        "updated_at",
        "external_id",
    )
    fields = (
        "partner",
        "customer",
        "title",
        "description",
        "estimated_value",
        "expected_close_date",
        *readonly_fields[1:],
    )
    inlines = (DiscountRuleInline, StageChangeInline, NoteInline, AttachmentInline)
    actions = ("approve_selected", "void_win_of_selected")
    change_list_template = "admin/deals/deal/change_list.html"

    def annotate_page(self, rows):
        """The page's rows with their conflict flag (the count and the filters go without
        it: its subquery reaches the customer's tax code, and a join to every counted row's
        customer made the pending list's count 2.5 times slower at 1M deals)."""
        return selectors.with_conflict_flag(rows)

    def search(self, queryset, q):
        return selectors.staff_search_deals(queryset, q)

    def get_object(self, request, object_id, from_field=None):
        """The deal with the people its page names, in one query (Django's own lookup,
        with their rows joined), read once per request (change_view asks too). Without the
        list's conflict flag: no page of one deal shows it (a subquery less to build)."""
        read = request.__dict__.setdefault("_deals_read", {})
        if (object_id, from_field) not in read:
            related = ("partner", "customer", "created_by", "reviewed_by", "closed_by")
            queryset = super().get_queryset(request).select_related(*related)
            field = Deal._meta.pk if from_field is None else Deal._meta.get_field(from_field)
            try:
                deal = queryset.get(**{field.name: field.to_python(object_id)})
            except (Deal.DoesNotExist, ValidationError, ValueError):
                deal = None
            read[(object_id, from_field)] = deal
        return read[(object_id, from_field)]

    @admin.display(description=_("conflict"))
    def conflict(self, obj):
        """Another partner holds a protected claim on the same customer: a warning sign and
        a word (admin's boolean icons would show a conflict as a green tick)."""
        if not obj.has_conflict:
            return "—"
        return format_html(
            '<img src="{}" alt=""> {}', static("admin/img/icon-alert.svg"), _("Conflict")
        )

    def has_add_permission(self, request):
        # Deals are registered by partners in the portal.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # A closed deal never changes again, not even by staff. A save posted from a page
        # opened while it was open still binds what was typed: correct_deal refuses it and
        # the page shows the refusal with the input kept.
        if obj is not None and obj.is_closed and not posted_from_an_open_deals_page(request):
            return self.fields
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Corrections go through the service: locked row, only the changed fields. A
        refusal (the deal closed meanwhile) shows on the form, nothing saved, the input
        kept (ServiceAdminMixin)."""
        with refusals():
            deal = services.correct_deal(
                obj, by=request.user, changes={f: form.cleaned_data[f] for f in form.changed_data}
            )
        if getattr(deal, "conflict_flagged", False):
            messages.warning(
                request,
                gettext(
                    "Another partner holds a protected claim on this customer: the deal is "
                    "flagged to the reviewers as a possible conflict."
                ),
            )

    def save_formset(self, request, form, formset, change):
        """The discount rules are written by set_discount_rules, never by the formset."""
        if formset.model is not DiscountRule:
            return super().save_formset(request, form, formset, change)
        # What admin's history message lists; the formset itself saves nothing.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if not formset.has_changed():
            return None
        rates = {}
        for rule_form in formset.forms:
            data = getattr(rule_form, "cleaned_data", None) or {}
            if data.get("product") is None:
                continue
            if data.get("DELETE"):
                formset.deleted_objects.append(rule_form.instance)
                continue
            rates[data["product"]] = data["rate"]
            if rule_form.instance.pk is None:
                formset.new_objects.append(rule_form.instance)
            elif rule_form.has_changed():
                formset.changed_objects.append((rule_form.instance, rule_form.changed_data))
        with refusals():
            services.set_discount_rules(form.instance, by=request.user, rates=rates)
        return None

    def attachment_view(self, request, deal_pk, pk):
        """Staff read a partner's file from the deal page (same download headers)."""
        attachment = get_object_or_404(Attachment, deal_id=deal_pk, pk=pk)
        if not self.has_view_permission(request, attachment.deal):
            raise PermissionDenied
        return download_response(attachment)

    def protection_view(self, request, pk):
        deal = get_object_or_404(Deal, pk=pk)
        if not self.has_change_permission(request, deal):
            raise PermissionDenied
        form = ProtectionForm(request.POST or None, initial={"until": deal.protected_until})
        if request.method == "POST" and form.is_valid():
            try:
                services.extend_protection(deal, by=request.user, until=form.cleaned_data["until"])
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                self.message_user(
                    request, gettext("The protection was extended."), messages.SUCCESS
                )
                return redirect(reverse("admin:deals_deal_change", args=[deal.pk]))
        return self._form_page(
            request, deal, form, gettext("Extend protection"), "admin/deals/deal/action_form.html"
        )

    def get_urls(self):
        own = [
            path(
                "<int:deal_pk>/attachments/<int:pk>/",
                self.admin_site.admin_view(self.attachment_view),
                name="deals_deal_attachment",
            ),
            path(
                "<int:pk>/protection/",
                self.admin_site.admin_view(self.protection_view),
                name="deals_deal_protection",
            ),
            path(
                "<int:pk>/review/",
                self.admin_site.admin_view(self.review_view),
                name="deals_deal_review",
            ),
            path(
                "<int:pk>/stage/",
                self.admin_site.admin_view(self.stage_view),
                name="deals_deal_stage",
            ),
            path(
                "<int:pk>/void-win/",
                self.admin_site.admin_view(self.void_view),
                name="deals_deal_void_win",
            ),
            path(
                "duplicates/",
                self.admin_site.admin_view(self.duplicates_view),
                name="deals_deal_duplicates",
            ),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        deal = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_review": deal is not None and deal.status in services.review.REVIEWABLE,
            "can_change_stage": deal is not None and bool(services.allowed_stages(deal)),
            "can_extend": deal is not None
            and deal.status == Deal.Status.APPROVED
            and not deal.is_closed,
            "can_void_win": deal is not None
            and deal.stage == Deal.Stage.WON
            and deal.win_voided_at is None,
            # Shown above the fields, as on the review page (staff only: partners never learn
            # who holds a claim).
            "conflicts": selectors.claims_shown(selectors.conflicting_claims(deal))
            if deal is not None
            else (),
        }
        if deal is not None and deal.is_closed and not posted_from_an_open_deals_page(request):
            # A closed deal never changes: its page is read only, with no Save to press.
            extra_context.update(
                show_save=False, show_save_and_continue=False, show_save_and_add_another=False
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Approve selected registrations"), permissions=["change"])
    def approve_selected(self, request, queryset):
        done, refused = 0, []
        for deal in queryset:
            try:
                services.queue.check_approvable_from_a_list(deal)
                services.approve_deal(deal, by=request.user)
                done += 1
            except ValidationError as exc:
                refused.append(f"{deal}: {' '.join(exc.messages)}")
        if done:
            self.message_user(
                request, gettext("%(n)d registration(s) approved.") % {"n": done}, messages.SUCCESS
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    @admin.action(description=_("Void the win of the selected deal…"), permissions=["change"])
    def void_win_of_selected(self, request, queryset):
        """Asks for the reason on the deal's own page: one deal at a time, deliberately."""
        if queryset.count() != 1:
            self.message_user(
                request, gettext("Select exactly one won deal to void its win."), messages.WARNING
            )
            return None
        return redirect(reverse("admin:deals_deal_void_win", args=[queryset.get().pk]))

    def void_view(self, request, pk):
        deal = get_object_or_404(Deal, pk=pk)
        if not self.has_change_permission(request, deal):
            return redirect("admin:index")
        form = VoidWinForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.void_win(deal, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                self.message_user(request, gettext("The win was voided."), messages.SUCCESS)
                return redirect(reverse("admin:deals_deal_change", args=[deal.pk]))
        return self._form_page(
            request, deal, form, gettext("Void win"), "admin/deals/deal/action_form.html"
        )

    def duplicates_view(self, request):
        """Customers that may be one company: same tax-code root, or very similar names; the
        newest customers first, a page of them at a time (`?before=<customer id>`)."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        before = request.GET.get("before", "")
        found = selectors.possible_duplicates(
            before=int(before)
            if before.isascii() and before.isdigit() and len(before) < 19
            else None
        )
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Possible duplicates"),
            "groups": found["groups"],
            "older": found["older"],
            "scan": selectors.DUPLICATE_SCAN,
        }
        return TemplateResponse(request, "admin/deals/deal/duplicates.html", ctx)

    def _form_page(self, request, deal, form, title, template):
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": deal,
            "deal": deal,
            "form": form,
            "title": title,
            "conflicts": selectors.claims_shown(selectors.conflicting_claims(deal)),
            # What the decision is about: the rates, and the contract they must stay within.
            "rules": deal.discount_rules.select_related("product"),
            "contract": deal.partner.contract_on(timezone.localdate()),
        }
        return TemplateResponse(request, template, ctx)

    def review_view(self, request, pk):
        deal = get_object_or_404(Deal, pk=pk)
        if not self.has_change_permission(request, deal):
            raise PermissionDenied
        form = ReviewForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if data["decision"] == "approve":
                    services.approve_deal(
                        deal,
                        by=request.user,
                        comment=data["comment"],
                        protection_days=data["protection_days"],
                    )
                elif data["decision"] == "send_back":
                    services.send_back_deal(deal, by=request.user, comment=data["comment"])
                else:
                    services.reject_deal(deal, by=request.user, reason=data["comment"])
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                self.message_user(
                    request,
                    gettext("The review of “%(deal)s” was saved.") % {"deal": deal},
                    messages.SUCCESS,
                )
                # Back to the queue, the reviewer's work list: the next registration.
                return redirect(reverse("admin:review_queue"))
        return self._form_page(
            request, deal, form, gettext("Review registration"), "admin/deals/deal/action_form.html"
        )

    def stage_view(self, request, pk):
        deal = get_object_or_404(Deal, pk=pk)
        if not self.has_change_permission(request, deal):
            raise PermissionDenied
        form = StaffStageForm(request.POST or None, deal=deal)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.change_stage(
                    deal,
                    data["stage"],
                    by=request.user,
                    note=data["note"],
                    lost_reason=data["lost_reason"],
                    lost_reason_code=data["lost_reason_code"],
                )
            except ValidationError as exc:
                add_refusal(form, exc)
            else:
                self.message_user(request, gettext("The stage was changed."), messages.SUCCESS)
                return redirect(reverse("admin:deals_deal_change", args=[deal.pk]))
        return self._form_page(
            request, deal, form, gettext("Change stage"), "admin/deals/deal/action_form.html"
        )


@admin.register(PendingDeletion)
class PendingDeletionAdmin(ModelAdmin):
    """Stored objects waiting for `manage.py purge_orphans`: read-only, so none is forgotten."""

    list_display = ("name", "due_at", "attempts", "last_error", "created_at")
    search_fields = ("name",)
    ordering = ("due_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DayOff)
class DayOffAdmin(ModelAdmin):
    """VNG Cloud's own days off beyond Vietnam's public holidays and Tết (those come from the
    `holidays` library): the review queue's clock does not run on them."""

    list_display = ("day", "name")
    search_fields = ("name",)
    ordering = ("-day",)
