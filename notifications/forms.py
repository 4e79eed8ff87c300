from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from notifications.models import Kind, Preference


class PreferenceForm(forms.Form):
    """The e-mail language and one checkbox per kind of event the user can receive."""

    language = forms.ChoiceField(
        label=_("Language of e-mails"),
        choices=[("", _("Portal default (Vietnamese)")), *settings.LANGUAGES],
        required=False,
    )

    def __init__(self, *args, preference: Preference, kinds: list[Kind], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.preference = preference
        self.fields["language"].initial = preference.language
        for kind in kinds:
            self.fields[f"email_{kind.value}"] = forms.BooleanField(
                label=kind.label, required=False, initial=preference.wants_email(kind.value)
            )

    def email_kinds(self) -> dict[str, bool]:
        """The choices made here; a kind not offered keeps what was stored before."""
        stored = self.preference.email_kinds
        kept = dict(stored) if isinstance(stored, dict) else {}
        return kept | {kind.value: self.cleaned_data[f"email_{kind.value}"] for kind in self.kinds}

    def kind_fields(self):
        return [self[f"email_{kind.value}"] for kind in self.kinds]
