"""Forms of the cloud-account pages. They shape the input; billing.services holds the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import CloudAccount
from web.widgets import UncutTextInput


class CloudAccountRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Account"),
        choices=[
            (CloudAccount.Kind.EXISTING, _("Link the customer's existing VNG Cloud account")),
            (CloudAccount.Kind.NEW, _("Ask VNG Cloud to open a new account")),
        ],
        initial=CloudAccount.Kind.EXISTING,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    account_id = forms.CharField(
        label=_("Account id"),
        required=False,
        help_text=_("For an existing account: its id, as VNG Cloud shows it."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Account name"),
        required=False,
        max_length=200,  # an error on the field, not the name cut where the service keeps it
        help_text=_("For a new account: the name it will have."),
        widget=UncutTextInput(attrs={"class": "form-control"}),
    )
    email = forms.CharField(
        label=_("Customer's e-mail"),
        required=False,
        help_text=_("The customer confirms by a link sent to this address."),
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )


class TopUpForm(forms.Form):
    # A text box, not a number box: the service reads the amount and says what is wrong.
    amount = forms.CharField(
        label=_("Amount (VND)"),
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,  # an error on the field, not the note cut where the service keeps it
        widget=UncutTextInput(attrs={"class": "form-control"}),
    )
