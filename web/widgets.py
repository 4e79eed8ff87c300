"""Form widgets every app uses."""

from django import forms
from django.utils.formats import get_format

_PLACEHOLDER_PARTS = {"%d": "dd", "%m": "mm", "%Y": "yyyy"}


def date_placeholder() -> str:
    """The active language's first date input format, as people read it: dd/mm/yyyy."""
    text = get_format("DATE_INPUT_FORMATS")[0]
    for code, part in _PLACEHOLDER_PARTS.items():
        text = text.replace(code, part)
    return text


class _Uncut:
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].pop("maxlength", None)
        return context


class UncutTextarea(_Uncut, forms.Textarea):
    """A textarea without the `maxlength` attribute its field's max_length would give it.

    With maxlength a browser silently cuts typed or pasted text at the limit, so a partner
    never learns that the end of a note was lost. Without it, the form's (or the service's)
    own check refuses the text with an error on the field, and the text is shown again whole.
    """


class UncutTextInput(_Uncut, forms.TextInput):
    """A one-line text box without `maxlength`, for the same reason as UncutTextarea."""


class LocalDateInput(forms.DateInput):
    """A text input in the active language's date format (the browser's date picker shows
    the browser's locale, not the page's). The value is shown in the same format it is typed."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"inputmode": "numeric", "autocomplete": "off", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", date_placeholder())
        return context
