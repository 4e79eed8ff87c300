"""Admin for people and organisations: every change of access goes through accounts.services.

Users, partners and memberships are listed as partners/admin.py declares; here their saves
call the same services as /team/ (the last-admin rule, row locks, sessions ended, the
activity log). A refusal shows on the form with the staff member's input kept
(web/admin_writes.py).
"""

from allauth.mfa.models import Authenticator
from allauth.usersessions.admin import UserSessionAdmin
from allauth.usersessions.models import UserSession
from django import forms
from django.contrib import admin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Invitation
from partners import admin as partner_admin
from partners.models import Membership, Partner, User
from web.admin import ConstraintsCheckedForm, ModelAdmin, autocomplete_filter
from web.admin_writes import ServiceAdminMixin, adopt, refusals, save_plain_fields

NOT_STAFF_AND_PARTNER = _(
    "A partner's person cannot be VNG Cloud staff. Give staff access to a staff account."
)


class UserForm(UserChangeForm):
    def _post_clean(self):
        """An e-mail taken exactly fails two checks, the field's own unique one (Django's
        generic words) and the any-case constraint (above the form): one message, on the
        field, in the portal's words."""
        super()._post_clean()
        if self.has_error("email", "unique"):
            self._errors["email"] = self.error_class([str(services.DUPLICATE_EMAIL)])
            above = self._errors.get(NON_FIELD_ERRORS)
            if above is not None:
                kept = [m for m in above if m != str(services.DUPLICATE_EMAIL)]
                if kept:
                    self._errors[NON_FIELD_ERRORS] = self.error_class(kept)
                else:
                    del self._errors[NON_FIELD_ERRORS]

    def clean(self):
        cleaned = super().clean()
        member = Membership.objects.filter(user=self.instance).exists()
        if member and (cleaned.get("is_staff") or cleaned.get("is_superuser")):
            self.add_error("is_staff", NOT_STAFF_AND_PARTNER)
        return cleaned


@admin.register(User)
class UserAdmin(ServiceAdminMixin, partner_admin.UserAdmin):
    """`is_active` goes through `set_user_active`: a partner's last active admin is kept, and
    deactivation ends every session at once. Nobody is deleted here: people are deactivated."""

    form = UserForm

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        save_plain_fields(obj, form, owned=("is_active", "email"))
        if "email" in form.changed_data:
            with refusals():
                services.change_email(user=obj, email=form.cleaned_data["email"], by=request.user)
        if "is_active" in form.changed_data:
            with refusals(services.TeamError):
                services.set_user_active(
                    user=obj, active=form.cleaned_data["is_active"], by=request.user
                )
        return None

    def has_delete_permission(self, request, obj=None):
        # Nobody is deleted, staff included: the deals they reviewed, the history entries
        # and the activity log would lose who did it (their references are set to nothing).
        # Deactivate instead: the person is signed out everywhere and cannot sign in.
        return False

    def get_actions(self, request):
        # Deleting partner users in bulk would take their history with them: deactivate.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class PartnerForm(ConstraintsCheckedForm):
    status_reason = forms.CharField(
        label=_("Reason for the status change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the activity log, which the partner's admins read."),
    )

    class Meta:
        model = Partner
        fields = ("name", "tax_code", "status", "require_2fa")

    def clean(self):
        cleaned = super().clean()
        # A reason is recorded with a change of status only: one typed beside an unchanged
        # status was dropped without a word.
        if (cleaned.get("status_reason") or "").strip() and "status" not in self.changed_data:
            self.add_error(
                "status_reason",
                _("A reason is recorded with a change of status; the status is unchanged."),
            )
        return cleaned


@admin.register(Partner)
class PartnerAdmin(ServiceAdminMixin, partner_admin.PartnerAdmin):
    """Suspension and the two-factor rule go through their services; a partner is suspended,
    never deleted."""

    form = PartnerForm
    refusal_fields = {"reason": "status_reason"}

    def get_fields(self, request, obj=None):
        if obj is None:  # a new partner starts active, without the 2FA rule
            return ("name", "tax_code")
        return ("name", "tax_code", "status", "status_reason", "require_2fa")

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        with refusals():
            services.correct_partner(
                partner=obj,
                by=request.user,
                changes={f: data[f] for f in form.changed_data if f in ("name", "tax_code")},
            )
            if "status" in form.changed_data:
                services.set_partner_status(
                    partner=obj,
                    status=data["status"],
                    by=request.user,
                    reason=data["status_reason"],
                )
            if "require_2fa" in form.changed_data:
                services.set_two_factor_rule(
                    partner=obj, required=data["require_2fa"], by=request.user
                )
        return None

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipForm(forms.ModelForm):
    active = forms.BooleanField(
        label=_("can sign in"),
        required=False,
        help_text=_("Off: the person is signed out everywhere and cannot sign in."),
    )

    class Meta:
        model = Membership
        fields = ("user", "partner", "role")
        # Django's own words named the field ("Membership with this User already exists").
        error_messages = {
            "user": {
                "unique": _(
                    "This person already belongs to a partner; a person belongs to one "
                    "partner only. Change that membership instead."
                )
            }
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["active"].initial = self.instance.user.is_active


@admin.register(Membership)
class MembershipAdmin(ServiceAdminMixin, partner_admin.MembershipAdmin):
    """A membership is added with `add_member`; its role changes with `change_role` and the
    person's access with `set_user_active`, as on /team/. Never deleted: deactivate."""

    form = MembershipForm
    autocomplete_fields = ("user", "partner")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "partner", "role")
        return ("user", "partner", "role", "active")

    def get_readonly_fields(self, request, obj=None):
        return ("user", "partner") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        with refusals(services.TeamError):
            if not change:
                made = services.add_member(
                    partner=data["partner"], user=data["user"], role=data["role"], by=request.user
                )
                adopt(obj, made)
                return
            if "role" in form.changed_data:
                services.change_role(membership=obj, role=data["role"], by=request.user)
            if "active" in form.changed_data:
                services.set_user_active(user=obj.user, active=data["active"], by=request.user)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(ModelAdmin):
    """Read-only: partner admins invite from /team/ (accounts.services.invite_user)."""

    list_display = (
        "email",
        "partner",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    list_filter = ("role", autocomplete_filter("partner", _("partner")))
    search_fields = ("email", "partner__name")
    list_select_related = ("partner",)
    readonly_fields = (
        "partner",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    )
    exclude = ("token_hash",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# allauth's list of signed-in sessions searches `user__username`, which this User model does
# not have (people sign in by e-mail): its search box answered every search with a 500. A
# session is seen or ended (deleted) here, never edited: its stored data is allauth's own (a
# hand-typed "NaN" in it was a 500).
admin.site.unregister(UserSession)


@admin.register(UserSession)
class SignedInSessionAdmin(UserSessionAdmin):
    search_fields = ("user__email", "ip")

    def has_change_permission(self, request, obj=None):
        return False


# allauth's authenticator admin showed the secret (`data`) as an editable field and deleted
# with no rule and no trace. Here an authenticator is seen and, for someone who lost their
# phone, removed through accounts.services.remove_authenticator: the person is signed out
# everywhere, sets up a new app at the next sign-in where two-factor is required of them, and
# the removal is in the activity log.
admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def delete_model(self, request, obj):
        services.remove_authenticator(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for authenticator in queryset.select_related("user"):
            services.remove_authenticator(authenticator, by=request.user)
