"""Forms of the deal registration pages: register a deal, edit and resubmit one.

The forms turn what a person types into values and put each error on its field; the services
(deals.services.registration) decide the rules again on write, whoever calls them.
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.formats import localize
from django.utils.translation import gettext_lazy as _

from deals.models import DESCRIPTION_MAX_LENGTH, EXTERNAL_ID_MAX_LENGTH, Product
from deals.services.checks import CLOSE_DATE_MAX_YEARS, close_date_problem
from discounts.rates import NO_RATE, RateInput, rate_problem
from partners.models import Contract, Customer, tax_code_validator
from web.formats import grouped, typed_vnd_digits
from web.widgets import LocalDateInput, UncutTextarea

RATES = "rates"  # error key for the rates as a whole (no product, or a service refusal)

# Whole VND: plain digits, or digits grouped by threes with one kind of separator
# ("150.000.000", "150,000,000", "150 000 000"). "150.5" is refused rather than guessed.
_MAX_VND_DIGITS = 18  # Deal.estimated_value max_digits


class WholeVNDField(forms.Field):
    """A whole amount of VND, 0 or more, thousands separators allowed."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
    help = _(
        "Whole VND, no decimals. Digits only, or grouped by thousands with dots, "
        "commas or spaces: 150000000, 150.000.000 and 150,000,000 are the same."
    )
    default_error_messages = {
        "invalid": _(
            "Enter a whole number of VND, 0 or more, e.g. 150000000 or 150.000.000 "
            "(no decimals, no sign)."
        ),
        "too_large": _("That amount is too large."),
    }

    def to_python(self, value):
        value = (value or "").strip()
        if not value:
            return None
        digits = typed_vnd_digits(value)
        if digits is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        digits = digits.lstrip("0") or "0"
        if len(digits) > _MAX_VND_DIGITS:
            raise ValidationError(self.error_messages["too_large"], code="too_large")
        return Decimal(digits)

    def prepare_value(self, value):
        """A stored amount (a Decimal: a model form's initial) shown grouped as the portal
        shows amounts, which the field reads back; what was typed is shown as typed."""
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral():
            return grouped(value.quantize(Decimal(1)))
        return value


class DealFormMixin:
    """Bootstrap classes, the per-product rate fields and the mapping of service errors.

    Rate fields are named rate_<product id>; a blank one means the product is not in the deal.
    """

    def _setup(self, *, products, contract: Contract | None, initial_rates=None):
        self.contract = contract
        self.products = list(products)
        initial_rates = initial_rates or {}
        limit = contract.max_discount_rate if contract else None
        for product in self.products:
            label = (
                product.display_name
                if product.is_active
                else _("%(product)s (no longer offered)") % {"product": product.display_name}
            )
            self.fields[self.rate_name(product)] = RateInput(
                label=label,
                required=False,
                initial=initial_rates.get(product.pk),
                help_text=product.display_description,
            )
        self.rate_help = (
            _(
                "Percent, above 0 and at most %(max)s%% (your contract %(contract)s), up to 2 "
                "decimals. Leave a product blank if it is not part of the deal."
            )
            % {"max": localize(limit), "contract": contract.number}
            if contract
            else ""
        )
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    @staticmethod
    def rate_name(product: Product) -> str:
        return f"rate_{product.pk}"

    def rate_fields(self):
        return [self[self.rate_name(product)] for product in self.products]

    def rates(self) -> dict[Product, Decimal]:
        """The products with a rate, from cleaned data."""
        return {
            product: self.cleaned_data[self.rate_name(product)]
            for product in self.products
            if self.cleaned_data.get(self.rate_name(product)) is not None
        }

    def clean(self):
        cleaned = super().clean()
        if self.contract is None:
            return cleaned
        for product in self.products:
            name = self.rate_name(product)
            rate = cleaned.get(name)
            if rate is not None and (error := rate_problem(rate, contract=self.contract)):
                self.add_error(name, error)
        filled = [p for p in self.products if self[self.rate_name(p)].value() not in ("", None)]
        if not filled:
            self.add_error(RATES, NO_RATE)
        return cleaned

    def add_error(self, field, error):
        if field == RATES:
            # Not a form field: the rates as a whole, shown above the rate inputs.
            errors = self._errors.setdefault(RATES, self.error_class(renderer=self.renderer))
            errors.extend(ValidationError(error).messages)
            return
        super().add_error(field, error)
        for name in [field] if field else getattr(error, "error_dict", {}):
            attrs = self.fields[name].widget.attrs if name in self.fields else {}
            if "is-invalid" not in attrs.get("class", "is-invalid"):
                attrs["class"] += " is-invalid"

    def add_service_error(self, error: ValidationError) -> None:
        """Put a service's refusal on the field it names; the rest above the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, messages in error.message_dict.items():
            known = key in self.fields or key == RATES
            self.add_error(key if known and key != NON_FIELD_ERRORS else None, messages)

    def clean_expected_close_date(self):
        day = self.cleaned_data["expected_close_date"]
        if problem := close_date_problem(day, timezone.localdate()):
            raise ValidationError(problem)
        return day


def _deal_fields():
    """The fields a partner types for the deal itself, on both pages."""
    return {
        "title": forms.CharField(
            label=_("Title"),
            max_length=200,
            help_text=_("What the customer buys, e.g. “Move the ERP to vServer”."),
        ),
        "description": forms.CharField(
            label=_("Description"),
            required=False,
            max_length=DESCRIPTION_MAX_LENGTH,
            widget=UncutTextarea(attrs={"rows": 4}),
            help_text=_("Scope, timeline, competitors: what helps VNG Cloud review the deal."),
        ),
        "estimated_value": WholeVNDField(
            label=_("Estimated value (VND)"), help_text=WholeVNDField.help
        ),
        "expected_close_date": forms.DateField(
            label=_("Expected close date"),
            widget=LocalDateInput(),
            help_text=_(
                "When you expect the customer to sign: not in the past, at most %(years)s "
                "years ahead."
            )
            % {"years": CLOSE_DATE_MAX_YEARS},
        ),
    }


class DealRegistrationForm(DealFormMixin, forms.Form):
    customer_tax_code = forms.CharField(
        label=_("Customer tax code"),
        max_length=14,
        validators=[tax_code_validator],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_(
            "10 digits, or 10 digits, a dash and 3 digits for a branch (0312345678-001). If the "
            "portal already knows this tax code, that customer is used and its name is kept."
        ),
    )
    customer_name = forms.CharField(
        label=_("Customer name"),
        max_length=200,
        required=False,
        help_text=_("The company's registered name. Needed only for a tax code new to the portal."),
    )

    def __init__(self, *args, products, contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_deal_fields())
        self.fields["external_id"] = forms.CharField(
            label=_("Your CRM's id"),
            max_length=EXTERNAL_ID_MAX_LENGTH,
            required=False,
            help_text=_(
                "Optional: your own system's id for the deal, so your CRM can find it again. "
                "Unique within your organisation."
            ),
        )
        self.known_customer = None
        self._setup(products=products, contract=contract)

    def clean_customer_tax_code(self):
        tax_code = self.cleaned_data["customer_tax_code"].strip()
        self.known_customer = Customer.objects.filter(tax_code=tax_code, sandbox=None).first()
        return tax_code

    def clean(self):
        cleaned = super().clean()
        if "customer_tax_code" in cleaned and self.known_customer is None:
            if not cleaned.get("customer_name", "").strip():
                self.add_error(
                    "customer_name",
                    _("This tax code is new to the portal: give the customer's name."),
                )
        return cleaned


class DealResubmitForm(DealFormMixin, forms.Form):
    note = forms.CharField(
        label=_("Note to the reviewer"),
        required=False,
        max_length=2000,
        widget=UncutTextarea(attrs={"rows": 3}),
        help_text=_("Optional: what you changed and why."),
    )

    def __init__(self, *args, deal, products, contract, **kwargs):
        rules = {rule.product_id: rule.rate for rule in deal.discount_rules.all()}
        initial = {
            "title": deal.title,
            "description": deal.description,
            "estimated_value": f"{deal.estimated_value:.0f}",
            "expected_close_date": deal.expected_close_date,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(_deal_fields())
        # Products staff withdrew stay editable on a deal that already has them.
        on_deal = [rule.product for rule in deal.discount_rules.select_related("product")]
        products = list(products) + [p for p in on_deal if p not in products]
        self._setup(products=products, contract=contract, initial_rates=rules)
