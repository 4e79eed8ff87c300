"""Forms for the Add note and Add attachment sub-screens.

They only shape the input; the rules (length, file checks, closed deal) live in
deals.services.content, whose ValidationErrors the views show on these forms.
"""

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from deals.files.names import ALLOWED, ALLOWED_LABEL, megabytes
from deals.models import Attachment
from deals.services.content import NOTE_MAX_CHARS
from web.widgets import UncutTextarea


class NoteForm(forms.Form):
    # strip=False: the note is kept exactly as written; the service refuses a blank one.
    text = forms.CharField(
        label=_("Note"),
        strip=False,
        # No maxlength: the browser would cut a longer text without a word; the service
        # refuses it with an error on the field and the text is shown again whole.
        widget=UncutTextarea(attrs={"rows": 6, "class": "form-control"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = _("Up to %(n)s characters.") % {
            "n": number_format(NOTE_MAX_CHARS, force_grouping=True)
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field; each is checked by the service, not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [item for item in files if item]
        if not files and self.required:
            raise forms.ValidationError(_("Choose at least one file."), code="required")
        return files


def _accept() -> str:
    return ",".join(ext for kind in ALLOWED.values() for ext in kind.extensions)


class AttachmentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Attachment.Kind.choices,
        initial=Attachment.Kind.BOM,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    files = MultipleFileField(label=_("Files"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The accept list only helps the browser's file picker; the server sniffs the content.
        self.fields["files"].widget.attrs.update({"class": "form-control", "accept": _accept()})
        self.fields["files"].help_text = _(
            "Up to %(n)s files, each at most %(mb)s MB. Accepted: %(types)s."
        ) % {
            "n": settings.ATTACHMENT_MAX_FILES,
            "mb": megabytes(settings.ATTACHMENT_MAX_BYTES),
            "types": ALLOWED_LABEL,
        }

    def clean_kind(self):
        return self.cleaned_data["kind"] or Attachment.Kind.OTHER
