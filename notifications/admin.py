from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notifications import services
from notifications.activity import (
    VIA_LABELS,
    action_choices,
    action_label,
    describe_changes,
    describe_data,
)
from notifications.models import Activity, Delivery, Event, Preference
from partners.admin import sandbox_filter
from web.admin import (
    ModelAdmin,
    QuickAutocompleteMixin,
    ReadOnlyAdmin,
    ScaleAdmin,
    SelectListFilter,
    autocomplete_filter,
    short_date,
)
from web.paging import capped_ids, probe_ids


class DeliveryInline(admin.TabularInline):
    model = Delivery
    fields = ("channel", "user", "email", "status", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events are written by the services with the change they report, and never deleted
    here: with an event would go its deliveries, the partners' bell items and webhook log."""

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
        sandbox_filter("partner"),
    )
    search_fields = ("deal__title",)
    search_help_text = _("Deal title.")
    list_select_related = ("deal", "partner", "actor")
    list_columns = (
        *("kind", "created_at", "fanned_out_at", "deal__title", "partner__name"),
        *("actor__first_name", "actor__last_name", "actor__email"),
    )
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
        return queryset.filter(pk__any_of=ids), False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: read-only and never deleted; failed e-mails are sent again by the
    action (Django's "change" permission for deliveries)."""

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
    list_columns = (
        *("channel", "email", "status", "attempts", "next_attempt_at", "sent_at", "event__kind"),
        *("user__first_name", "user__last_name", "user__email"),
    )
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
            (queryset.filter(match), True)
            if ids is None
            else (queryset.filter(pk__any_of=ids), False)
        )

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=["act"])
    def retry_selected(self, request, queryset):
        count = services.retry_deliveries(queryset, by=request.user)
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(
            request, gettext("%(n)d failed e-mail(s) queued again.") % {"n": count}, level
        )


@admin.register(Preference)
class PreferenceAdmin(QuickAutocompleteMixin, ModelAdmin):
    """A person's own choices (their settings page): staff read them. Written here, a value
    the settings page never writes (a list for the kinds) had stopped every e-mail of the
    person's partner."""

    list_display = ("user", "language")
    search_fields = ("user__email",)
    autocomplete_fields = ("user",)
    readonly_fields = ("user", "language", "email_kinds")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionFilter(SelectListFilter):
    """The kinds the apps name (no DISTINCT over the whole log to find them), in a drop-down:
    as a list of links, its 60-odd kinds made the filter panel 2,400 px long."""

    title = _("what")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return action_choices()

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ViaFilter(admin.SimpleListFilter):
    title = _("via")
    parameter_name = "via"

    def lookups(self, request, model_admin):
        return VIA_LABELS.items()

    def queryset(self, request, queryset):
        return queryset.filter(via=self.value()) if self.value() else queryset


@admin.register(Activity)
class ActivityAdmin(ScaleAdmin):
    """The activity log, read-only: who did what, when, to which object, before and after.

    Filters by partner and person (autocomplete: no list of every partner), by kind and by
    where it came from; an object's change page links here filtered to that object
    (`?content_type=…&object_id=…`). Every filter has its index, and the count is capped, so
    the list stays fast however long the log grows.
    """

    list_display = (
        short_date("created_at", _("when")),
        "actor",
        "via_label",
        "partner",
        "action_label",
        "object_link",
        "change_summary",
    )
    # (created_at, id), and (partner | actor | action, created_at, id) for the filters.
    sortable_by = ("created_at",)
    list_filter = (
        ActionFilter,
        autocomplete_filter("partner", _("partner")),
        autocomplete_filter("actor", _("actor")),
        ViaFilter,
        sandbox_filter("partner"),
    )
    search_fields = ("object_repr",)
    search_help_text = _("The object's name or e-mail address.")
    list_select_related = ("actor", "partner", "content_type")
    fields = (
        "created_at",
        "actor",
        "via_label",
        "partner",
        "action_label",
        "object_link",
        "change_summary",
        "details",
        "request_id",
    )
    readonly_fields = fields

    @admin.display(description=_("what"))
    def action_label(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("via"))
    def via_label(self, obj):
        # The word, as the filter and the team's log show it ("admin" read raw).
        return VIA_LABELS.get(obj.via, obj.via) or self.get_empty_value_display()

    def search(self, queryset, q):
        # A trigram index on the object's name (notifications 0005_admin_list_indexes).
        ids = capped_ids(Activity.objects.filter(object_repr__icontains=q))
        if ids is None:
            return queryset.filter(object_repr__icontains=q), True
        return queryset.filter(pk__any_of=ids), False

    @admin.display(description=_("object"))
    def object_link(self, obj):
        """The object's admin page while it exists, else its name as it read then."""
        model = obj.content_type.model_class() if obj.content_type else None
        if model is None or model not in self.admin_site._registry:
            return obj.object_repr
        info = (model._meta.app_label, model._meta.model_name)
        try:
            url = reverse("admin:{}_{}_change".format(*info), args=[obj.object_id])
        except NoReverseMatch:
            return obj.object_repr
        return format_html('<a href="{}">{}</a>', url, obj.object_repr)

    @admin.display(description=_("details"))
    def details(self, obj):
        """A reason, a note, the files: each named in the reader's language (not the stored
        JSON)."""
        return (
            format_html_join(mark_safe("<br>"), "{}: {}", describe_data(obj))
            or self.get_empty_value_display()
        )

    @admin.display(description=_("changes"))
    def change_summary(self, obj):
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} → {}",
            ((row.label, row.before, row.after) for row in describe_changes(obj)),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# The webhook channel's admin lives with its code.
from notifications.webhooks import admin as webhooks_admin  # noqa: E402, F401
