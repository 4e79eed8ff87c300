from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications import services
from notifications.activity import action_label
from notifications.models import Activity, Delivery, Event, Preference


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "user", "email", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("kind", "deal", "partner", "actor", "created_at", "fanned_out_at")
    list_filter = ("kind", ("fanned_out_at", admin.EmptyFieldListFilter))
    search_fields = ("deal__title", "partner__name")
    list_select_related = ("deal", "partner", "actor")
    date_hierarchy = "created_at"
    readonly_fields = (
        "kind",
        "partner",
        "deal",
        "actor",
        "params",
        "key",
        "created_at",
        "fanned_out_at",
    )
    inlines = (DeliveryInline,)

    def has_add_permission(self, request):
        # Events are written by the services, with the change they report.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event",
        "channel",
        "user",
        "email",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "channel", "event__kind")
    search_fields = ("email", "user__email", "event__deal__title")
    list_select_related = ("event", "user")
    readonly_fields = (
        "event",
        "channel",
        "user",
        "email",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "read_at",
        "created_at",
    )
    actions = ("retry_selected",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["view"])
    def retry_selected(self, request, queryset):
        count = services.retry_deliveries(queryset, by=request.user)
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(
            request, gettext("%(n)d failed e-mail(s) queued again.") % {"n": count}, level
        )


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "language")
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """The activity log, read-only: who did what, when, to which object, before and after."""

    list_display = ("created_at", "actor", "via", "partner", "action_label", "object_repr")
    list_filter = ("via", "action")
    search_fields = ("object_repr", "actor__email", "partner__name")
    list_select_related = ("actor", "partner")
    show_full_result_count = False
    readonly_fields = [field.name for field in Activity._meta.fields]

    @admin.display(description=_("what"), ordering="action")
    def action_label(self, obj):
        return action_label(obj.action)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The webhook channel's admin lives with its code.
from notifications.webhooks import admin as webhooks_admin  # noqa: E402, F401
