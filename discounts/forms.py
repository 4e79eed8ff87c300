from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from discounts.models import Discount
from discounts.rates import NO_RATE, RateInput
from discounts.services import rate_field
from partners.selectors import owned_customers
from web.widgets import LocalDateInput, UncutTextarea


class CustomerDiscountForm(forms.Form):
    """Create a customer discount: one rate field per product line of the partner discount.

    The form only parses input; the rules live in services.create_customer_discount, whose
    errors come back onto the fields here (add_service_errors).
    """

    customer = forms.ModelChoiceField(
        label=_("Customer"),
        queryset=None,
        error_messages={"invalid_choice": _("This company is not one of your customers now.")},
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=LocalDateInput())
    valid_until = forms.DateField(label=_("Valid until"), widget=LocalDateInput())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=UncutTextarea(attrs={"rows": 2})
    )

    def __init__(self, *args, discount: Discount, **kwargs):
        super().__init__(*args, **kwargs)
        self.discount = discount
        customers = owned_customers(discount.partner).order_by("name", "pk")
        self.fields["customer"].queryset = customers
        self.lines = list(discount.lines.select_related("product"))
        for line in self.lines:
            self.fields[rate_field(line.product_id)] = RateInput(
                label=_("%(product)s rate (%%)") % {"product": line.product.display_name},
                required=False,
                help_text=_("Up to %(max)s%%. Leave empty to leave the product out.")
                % {"max": localize(line.rate)},
                # RateInput's text box: a number box dropped the comma of "0,5" and sent
                # "05" (5% saved for half a percent).
            )
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name == "customer" else "form-control"
        if not self.is_bound:
            self._set_initial(customers)

    def _set_initial(self, customers):
        today = timezone.localdate()
        self.initial.setdefault("valid_from", max(today, self.discount.valid_from))
        self.initial.setdefault("valid_until", self.discount.valid_until)
        if customers.filter(pk=self.discount.customer_id).exists():
            self.initial.setdefault("customer", self.discount.customer_id)

    def rate_fields(self):
        return [self[rate_field(line.product_id)] for line in self.lines]

    def clean(self):
        data = super().clean()
        given = [line for line in self.lines if data.get(rate_field(line.product_id)) is not None]
        rate_errors = any(rate_field(line.product_id) in self.errors for line in self.lines)
        if not given and not rate_errors:
            raise ValidationError(NO_RATE, code="no_rates")
        return data

    def rates(self) -> dict:
        """{product id: rate} for the products given a rate."""
        return {
            line.product_id: self.cleaned_data[rate_field(line.product_id)]
            for line in self.lines
            if self.cleaned_data.get(rate_field(line.product_id)) is not None
        }

    def add_service_errors(self, exc: ValidationError):
        """Put the service's refusals on the fields they name; the rest above the form."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)
