from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deals.content_forms import MultipleFileField
from deals.models import CLOSING_STAGES, LOST_REASON_MAX_LENGTH, Attachment, Deal
from deals.services import allowed_stages
from web.widgets import UncutTextarea


class ServiceErrorsMixin:
    """Put a service's ValidationError on the fields it names, the rest above the form."""

    def add_service_error(self, exc: ValidationError):
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class StageForm(ServiceErrorsMixin, forms.Form):
    """The Update stage sub-screen. Field names: stage, note, lost_reason, files."""

    stage = forms.ChoiceField(label=_("New stage"), choices=Deal.Stage.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=5000,
        widget=UncutTextarea(attrs={"rows": 3}),
    )
    lost_reason = forms.ChoiceField(
        label=_("Why was the deal lost?"),
        required=False,
        choices=[("", _("Choose a reason")), *Deal.LostReason.choices],
    )
    lost_reason_text = forms.CharField(
        label=_("Details"), required=False, max_length=LOST_REASON_MAX_LENGTH
    )
    files = MultipleFileField(label=_("Files"), required=False)
    kind = forms.ChoiceField(
        label=_("Kind of file"),
        choices=Attachment.Kind.choices,
        initial=Attachment.Kind.BOM,
        required=False,
    )
    confirm_close = forms.BooleanField(
        label=_("I understand that this closes the deal; it cannot be reopened."),
        required=False,
    )

    def __init__(self, *args, deal: Deal, **kwargs):
        super().__init__(*args, **kwargs)
        self.deal = deal
        # Every stage is accepted here: the service decides, so a second tab gets its real
        # reason ("already closed") rather than "not a valid choice".
        allowed = allowed_stages(deal)
        self.offered = [(value, label) for value, label in Deal.Stage.choices if value in allowed]

    def clean_kind(self):
        return self.cleaned_data["kind"] or Attachment.Kind.OTHER

    def clean(self):
        data = super().clean()
        stage = data.get("stage")
        if stage == Deal.Stage.LOST:
            if not data.get("lost_reason"):
                self.add_error("lost_reason", _("Say why the deal was lost."))
            elif (
                data["lost_reason"] == Deal.LostReason.OTHER
                and "lost_reason_text" not in self.errors  # too long: that error says it
                and not data.get("lost_reason_text", "").strip()
            ):
                self.add_error("lost_reason_text", _("Describe the reason."))
        if stage in CLOSING_STAGES and not data.get("confirm_close"):
            self.add_error("confirm_close", _("Confirm that you want to close the deal."))
        return data
