from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications import services
from notifications.activity import ACTIONS, action_label
from notifications.models import Activity, Delivery, Event, Preference
from web.admin import ScaleAdmin, autocomplete_filter, short_date
from web.paging import capped_ids, probe_ids

# Where an activity came from (notifications.activity.activity_context).
VIA_CHOICES = (
    ("portal", _("Portal")),
    ("admin", _("Admin")),
    ("api", _("API")),
    ("worker", _("Worker")),
    ("command", _("Command")),
)


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "user", "email", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ScaleAdmin):
    list_display = (
        "kind",
        "deal",
        "partner",
        "actor",
        short_date("created_at", _("created at")),
        short_date("fanned_out_at", _("delivered to recipients at")),
    )
    # (created_at, id), and (kind, created_at, id) for the kind filter.
    sortable_by = ("created_at",)
    list_filter = (
        "kind",
        autocomplete_filter("partner", _("partner")),
        ("fanned_out_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("deal__title",)
    search_help_text = _("Deal title.")
    list_select_related = ("deal", "partner", "actor")
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

    def search(self, queryset, q):
        ids = capped_ids(Event.objects.filter(deal__title__icontains=q))
        if ids is None:
            return queryset.filter(deal__title__icontains=q), True
        return queryset.filter(pk__in=ids), False

    def has_add_permission(self, request):
        # Events are written by the services, with the change they report.
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScaleAdmin):
    list_display = (
        "event",
        "channel",
        "user",
        "email",
        "status",
        "attempts",
        short_date("next_attempt_at", _("next attempt at")),
        short_date("sent_at", _("sent at")),
    )
    sortable_by = ()
    list_filter = ("status", "channel", "event__kind")
    search_fields = ("email", "user__email")
    search_help_text = _("The recipient's e-mail address.")
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

    def search(self, queryset, q):
        users = get_user_model().objects.filter(email__icontains=q).values("pk")
        match = Q(user__in=users) | Q(email=q)
        ids = probe_ids(Delivery.objects.filter(user__in=users), Delivery.objects.filter(email=q))
        return (
            (queryset.filter(match), True) if ids is None else (queryset.filter(pk__in=ids), False)
        )

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


class ActionFilter(admin.SimpleListFilter):
    """The kinds of action the apps name (not a DISTINCT over the whole log)."""

    title = _("what")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(((code, str(label)) for code, label in ACTIONS.items()), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ViaFilter(admin.SimpleListFilter):
    title = _("via")
    parameter_name = "via"

    def lookups(self, request, model_admin):
        return VIA_CHOICES

    def queryset(self, request, queryset):
        return queryset.filter(via=self.value()) if self.value() else queryset


@admin.register(Activity)
class ActivityAdmin(ScaleAdmin):
    """The activity log, read-only: who did what, when, to which object, before and after."""

    list_display = (
        short_date("created_at", _("when")),
        "actor",
        "via",
        "partner",
        "action_label",
        "object_repr",
    )
    # (created_at, id), and (partner | actor | action, created_at, id) for the filters.
    sortable_by = ("created_at",)
    list_filter = (
        ActionFilter,
        autocomplete_filter("partner", _("partner")),
        autocomplete_filter("actor", _("actor")),
        ViaFilter,
    )
    search_fields = ("object_repr",)
    search_help_text = _("The object's name or e-mail address.")
    list_select_related = ("actor", "partner")
    readonly_fields = [field.name for field in Activity._meta.fields]

    @admin.display(description=_("what"))
    def action_label(self, obj):
        return action_label(obj.action)

    def search(self, queryset, q):
        # A trigram index on the object's name (notifications 0005_admin_list_indexes).
        ids = capped_ids(Activity.objects.filter(object_repr__icontains=q))
        if ids is None:
            return queryset.filter(object_repr__icontains=q), True
        return queryset.filter(pk__in=ids), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The webhook channel's admin lives with its code.
from notifications.webhooks import admin as webhooks_admin  # noqa: E402, F401
