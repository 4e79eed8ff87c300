"""The staff's admin site: Django admin plus the review queue and the programme view.

`StaffAdminConfig` (partner_portal.apps) makes this `admin.site`, so every app's
`@admin.register` lands here. Its own pages are admin views (`admin_view`: staff only, never
cached, CSRF-protected), under admin's URL names: `admin:review_queue`, `admin:programme`,
`admin:programme_csv`. The views live with the data they show (`deals.admin_views`).
"""

import re
from datetime import UTC, datetime
from functools import partial, wraps

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import TO_FIELD_VAR
from django.contrib.admin.views.main import ERROR_FLAG, SEARCH_VAR
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from partner_portal.admin_nav import group_app_list
from web.admin import AsciiDecimalField, AsciiIntegerField, BoundedSplitDateTimeField, is_key

# A date-time with an offset (`2026-01-01T00:00:00+19:48`), and a date part's number.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?[+-]\d{2}:?\d{2}")
_DATE_PARTS = ("__year", "__month", "__day")


def _lookups_postgresql_takes(query):
    """A change list's lookups (`?updated_at__gte=`, `?attempt_time__year=`) as PostgreSQL
    and Django's date filters take them, or None for a lookup no row can match: a moment
    with an offset RFC 3339 allows but PostgreSQL refuses (past ±15:59) is the same moment
    in UTC; a year, month or day of more than four digits overflowed Django's date filter."""
    changed = query.copy()
    for key, values in query.lists():
        if key == SEARCH_VAR:
            continue
        if key.endswith(_DATE_PARTS) and any(not re.fullmatch(r"[0-9]{1,4}", v) for v in values):
            return None
        if any(_MOMENT.fullmatch(v) for v in values):
            try:
                changed.setlist(key, [_in_utc(v) for v in values])
            except (ValueError, OverflowError):
                return None
    return changed


def _in_utc(value: str) -> str:
    if not _MOMENT.fullmatch(value):
        return value
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


def _rows_an_action_can_name(post, model):
    """The change list's ticked rows (`_selected_action`) without the values no row's key can
    be (a hand-made "abc" made Django's action lookup fail with a 500): none left is Django's
    "Items must be selected" message."""
    ticked = post.getlist(ACTION_CHECKBOX_NAME)
    kept = [value for value in ticked if is_key(value, model)]
    if kept == ticked:
        return post
    post = post.copy()
    post.setlist(ACTION_CHECKBOX_NAME, kept)
    return post


# Every staff form's dates bounded below and numbers in ASCII digits (web.admin). Admin's
# defaults name BigIntegerField, which a subclass meets first, so it is named too.
FORM_CLASSES = (
    (models.DateTimeField, BoundedSplitDateTimeField),
    (models.IntegerField, AsciiIntegerField),
    (models.BigIntegerField, AsciiIntegerField),
    (models.DecimalField, AsciiDecimalField),
)


class StaffAdminSite(admin.AdminSite):
    site_header = _("VNG Cloud Partner Portal: staff")
    site_title = _("Partner Portal admin")
    index_title = _("Review deals and partner data")
    # The task bar (admin/base_site.html) replaces the model sidebar.
    enable_nav_sidebar = False

    def login(self, request, extra_context=None):
        # Staff sign in through the portal's sign-in page: the same lockout, limits and 2FA.
        return secure_admin_login(super().login)(request, extra_context)

    def admin_view(self, view, cacheable=False):
        """Admin's own wrapper, and a `?_to_field=` that cannot name a field refused as
        Django refuses a field it does not allow (400): Django looks the name up among the
        model's fields, where a hidden relation (`related_name="+"`) is named "+", and then
        failed on it with a 500."""
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def guarded(request, *args, **kwargs):
            to_field = request.GET.get(TO_FIELD_VAR)
            if to_field and not to_field.isidentifier():
                raise DisallowedModelAdminToField(f"The field {to_field!r} cannot be referenced.")
            query = _lookups_postgresql_takes(request.GET)
            if query is None:  # Django's answer to a lookup it cannot use
                return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
            request.GET = query
            model_admin = getattr(view, "__self__", None)
            if request.method == "POST" and isinstance(model_admin, admin.ModelAdmin):
                request.POST = _rows_an_action_can_name(request.POST, model_admin.model)
            return inner(request, *args, **kwargs)

        return guarded

    def register(self, model_or_iterable, admin_class=None, **options):
        """Admin's own, and every model admin's date-and-time fields bounded below
        (web.admin.BoundedSplitDateTimeField) and number fields in ASCII digits
        (web.admin.AsciiIntegerField, AsciiDecimalField)."""
        super().register(model_or_iterable, admin_class, **options)
        for model_admin in self._registry.values():
            for field, form_class in FORM_CLASSES:
                override = model_admin.formfield_overrides.setdefault(field, {})
                override["form_class"] = form_class
            for inline in model_admin.inlines:
                # An inline is made per request from its class: the class says it (a dict of
                # its own, not the one the base class shares).
                overrides = {k: dict(v) for k, v in inline.formfield_overrides.items()}
                for field, form_class in FORM_CLASSES:
                    overrides.setdefault(field, {})["form_class"] = form_class
                inline.formfield_overrides = overrides

    def get_app_list(self, request, app_label=None):
        """The index by staff task (partner_portal.admin_nav), not by Django app."""
        if getattr(request, "_staff_each_context", False):
            # For every page's context (`available_apps`, read by the navigation sidebar,
            # which is off): made only if a template reads it. Building it reverses two URLs
            # per model on every admin page.
            return SimpleLazyObject(
                lambda: group_app_list(super(StaffAdminSite, self).get_app_list)(request, app_label)
            )
        return group_app_list(super().get_app_list)(request, app_label)

    def each_context(self, request):
        request._staff_each_context = True
        try:
            return super().each_context(request)
        finally:
            request._staff_each_context = False

    def get_urls(self):
        from deals import admin_views

        def view(function):
            return self.admin_view(partial(function, site=self))

        own = [
            path("review/", view(admin_views.review_queue), name="review_queue"),
            path("programme/", view(admin_views.programme), name="programme"),
            path(
                "programme/<slug:table>.csv",
                view(admin_views.programme_csv),
                name="programme_csv",
            ),
        ]
        return own + super().get_urls()

    def index(self, request, extra_context=None):
        """Admin's index, opening with the review queue's counts (each a link to the queue
        filtered to those rows)."""
        from deals import admin_views

        extra_context = {**admin_views.queue_summary(request), **(extra_context or {})}
        return super().index(request, extra_context)
