from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import ApiToken
from notifications.webhooks.transport import EVENT_TYPES


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What uses the token, e.g. “HubSpot sync”."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=ApiToken.Access.choices,
        initial=ApiToken.Access.READ,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    environment = forms.ChoiceField(
        label=_("Environment"),
        choices=[
            ("production", _("Production: your organisation's real deals")),
            ("sandbox", _("Sandbox: test data, registrations approved automatically")),
        ],
        initial="production",
        # Left out (an older form, a script): production, as before the sandbox.
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("A public https address of your system that receives the events."),
        widget=forms.URLInput(attrs={"class": "form-control"}),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(name, name) for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
