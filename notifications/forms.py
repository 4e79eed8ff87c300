from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.models import Kind, Preference


class PreferenceForm(forms.Form):
    """The e-mail language and one checkbox per kind of event."""

    language = forms.ChoiceField(
        label=_("Language of e-mails"),
        choices=[("", _("Portal default (Vietnamese)")), *settings.LANGUAGES],
        required=False,
    )

    def __init__(self, *args, preference: Preference, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = preference.language
        for kind in Kind:
            self.fields[f"email_{kind.value}"] = forms.BooleanField(
                label=kind.label, required=False, initial=preference.wants_email(kind.value)
            )

    def email_kinds(self) -> dict[str, bool]:
        return {kind.value: self.cleaned_data[f"email_{kind.value}"] for kind in Kind}

    def kind_fields(self):
        return [self[f"email_{kind.value}"] for kind in Kind]
