from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from notifications.webhooks import services
from notifications.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from partners.admin import sandbox_filter
from web.admin import ModelAdmin, ScaleAdmin, autocomplete_filter, short_date
from web.paging import capped_ids


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ModelAdmin):
    list_display = ("url", "partner", "created_by", "created_at", "deleted_at")
    list_filter = (autocomplete_filter("partner", _("partner")), sandbox_filter("partner"))
    search_fields = ("url", "partner__name")
    list_select_related = ("partner", "created_by")
    readonly_fields = (
        "partner",
        "url",
        "event_types",
        "paused",
        "previous_secret_expires_at",
        "created_by",
        "created_at",
        "deleted_at",
        "deleted_by",
    )
    exclude = ("secret", "signing_secret", "previous_signing_secret")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting the row would take its delivery log; partners mark it deleted


class WebhookAttemptInline(admin.TabularInline):
    """Every POST of the delivery: Redeliver adds to this history."""

    model = WebhookAttempt
    fields = ("number", "started_at", "response_code", "duration_ms", "error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScaleAdmin):
    list_display = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_response_code",
        short_date("next_attempt_at", _("next attempt at")),
        short_date("created_at", _("created at")),
    )
    # (created_at, id), and (status, created_at, id) for the status filter.
    sortable_by = ("created_at",)
    list_filter = (
        "status",
        autocomplete_filter("endpoint__partner", _("partner")),
        sandbox_filter("endpoint__partner"),
    )
    search_fields = ("endpoint__url",)
    search_help_text = _("A part of the endpoint's URL.")
    list_select_related = ("event", "endpoint")
    list_columns = (
        *("status", "attempts", "last_response_code", "next_attempt_at", "created_at"),
        *("event__kind", "endpoint__url"),
    )
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    inlines = (WebhookAttemptInline,)
    actions = ("redeliver",)

    def search(self, queryset, q):
        # Endpoints are few: their ids, then each one's (endpoint, created_at) index.
        endpoints = list(
            WebhookEndpoint.objects.filter(url__icontains=q).values_list("pk", flat=True)
        )
        rows = queryset.filter(endpoint__in=endpoints)
        return rows, capped_ids(rows) is None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the log stays

    @admin.action(description=_("Redeliver selected webhook deliveries"), permissions=["change"])
    def redeliver(self, request, queryset):
        sent, refused = 0, []
        for delivery in queryset.select_related("endpoint__partner"):
            try:
                services.redeliver_webhook(delivery, by=request.user)
            except ValidationError as error:  # being sent right now, or its endpoint deleted
                refused.append(f"{delivery}: {' '.join(error.messages)}")
                continue
            sent += 1
        if sent or not refused:
            self.message_user(
                request,
                ngettext("%(n)s delivery sent again.", "%(n)s deliveries sent again.", sent)
                % {"n": sent},
                messages.SUCCESS,
            )
        # Why each of the others was not, as the deal list's approval says it.
        for line in refused:
            self.message_user(request, line, messages.WARNING)
