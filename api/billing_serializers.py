"""The JSON of the money loop: partners' cloud accounts and top-ups, billing's top-up queue."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers import StrictSerializer, TextField
from billing.models import CloudAccount, TopUp
from billing.services.credit import MAX_AMOUNT

MONEY = {"max_digits": 18, "decimal_places": 0}
# 1 to MAX_AMOUNT (100 billion) whole đồng, as text.
AMOUNT_PATTERN = r"^([1-9][0-9]{0,10}|100000000000)$"


@extend_schema_field(
    {"type": "string", "pattern": AMOUNT_PATTERN, "example": "5000000"}, component_name=None
)
class AmountField(serializers.DecimalField):
    """Whole VND as a string ("5000000"): what its schema says, and nothing else (a JSON
    number, a sign, a decimal point or a blank is refused)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or not re.fullmatch(AMOUNT_PATTERN, data):
            self.fail("invalid")
        return super().to_internal_value(data)


class CloudAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account_id = serializers.CharField(
        help_text=_("VNG Cloud's id; blank until a new one is approved.")
    )
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=CloudAccount.Kind.choices)
    status = serializers.ChoiceField(choices=CloudAccount.Status.choices)
    customer = serializers.IntegerField(source="customer_id")
    customer_name = serializers.CharField(source="customer.name")
    credit = serializers.DecimalField(
        **MONEY, help_text=_("Credit applied by confirmed top-ups, in VND.")
    )
    created_at = serializers.DateTimeField()


class CloudAccountInSerializer(StrictSerializer):
    customer = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, help_text=_("One of your customers (its id).")
    )
    kind = serializers.ChoiceField(
        choices=CloudAccount.Kind.choices,
        help_text=_("`existing`: link the account `account_id`; `new`: ask VNG Cloud for one."),
    )
    account_id = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text=_("The existing account's id, as VNG Cloud shows it (kind `existing`)."),
    )
    name = TextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text=_("The new account's name (kind `new`)."),
    )
    email = serializers.EmailField(
        max_length=254, help_text=_("The customer's address: the confirmation link goes there.")
    )
    language = serializers.ChoiceField(
        choices=[("vi", "vi"), ("en", "en")],
        required=False,
        default="vi",
        help_text=_("The confirmation e-mail's subject language (its body has both)."),
    )


class TopUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cloud_account = serializers.IntegerField(source="cloud_account_id")
    amount = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(choices=TopUp.Status.choices)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField()


class TopUpInSerializer(StrictSerializer):
    amount = AmountField(
        **MONEY, min_value=1, max_value=MAX_AMOUNT, help_text=_('Whole VND, e.g. "5000000".')
    )
    note = TextField(required=False, allow_blank=True, max_length=500, default="")


class BillingTopUpSerializer(TopUpSerializer):
    """A top-up as billing sees it: which partner, which account (VNG Cloud's id)."""

    partner = serializers.IntegerField(source="partner_id")
    partner_name = serializers.CharField(source="partner.name")
    account_id = serializers.CharField(source="cloud_account.account_id")
    billing_reference = serializers.CharField()


class TopUpQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=TopUp.Status.choices, required=False, default=TopUp.Status.PENDING
    )


class ApplyInSerializer(serializers.Serializer):
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text=_("Billing's own reference for the credit it applied."),
    )


class FailInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, help_text=_("Why; shown to the partner."))
