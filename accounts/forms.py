from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from accounts.selectors import STAFF_ACTOR
from notifications.activity import action_choices
from partners.models import Membership, User


class InviteForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"), max_length=254, widget=forms.EmailInput(attrs={"class": "form-control"})
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=Membership.Role.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class TwoFactorRuleForm(forms.Form):
    required = forms.BooleanField(
        label=_("Require two-factor sign-in for everyone in the organisation"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class AcceptInvitationForm(forms.Form):
    """Name and a new password, checked by Django's password validators."""

    last_name = forms.CharField(
        label=_("Family name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "family-name"}),
    )
    first_name = forms.CharField(
        label=_("Given name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "given-name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "form-control", "autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords do not match."))
        elif first:
            user = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class ActivityFilterForm(forms.Form):
    """The team activity page's filters: a kind of change and a person."""

    action = forms.ChoiceField(label=_("What"), required=False)
    actor = forms.ChoiceField(label=_("Who"), required=False)

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Everything")), *action_choices()]
        people = Membership.objects.filter(partner=partner).select_related("user")
        self.fields["actor"].choices = [
            ("", _("Everybody")),
            *sorted(((str(m.user_id), str(m.user)) for m in people), key=lambda c: c[1]),
            (STAFF_ACTOR, _("VNG Cloud")),
        ]

    def value(self, name: str) -> str:
        """The filter's value, or "" for none or one that is not a choice."""
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get(name, "")
