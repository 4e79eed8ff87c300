"""The JSON of the money loop: partners' cloud accounts and top-ups, billing's top-up queue."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from billing.models import CloudAccount, TopUp
from billing.services.credit import MAX_AMOUNT

MONEY = {"max_digits": 18, "decimal_places": 0}


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


class TopUpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cloud_account = serializers.IntegerField(source="cloud_account_id")
    amount = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(choices=TopUp.Status.choices)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField()


class TopUpInSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        **MONEY, min_value=1, max_value=MAX_AMOUNT, help_text=_('Whole VND, e.g. "5000000".')
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


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
