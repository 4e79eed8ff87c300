"""What the API adds to webhook events, and the event catalogue in the OpenAPI document.

`event_data` is registered with `notifications.webhooks.events` (ApiConfig.ready): the outbox
sits below deals and the API, so it cannot import the serializers, and asks this function
instead when an event is written. Each `deal.*` event carries the deal as
`GET /api/v1/deals/{id}` returns it (the same serializer and query); `deal.won`, `deal.win_voided`,
`discount.*` and `customer_discount.*` carry the deal's discount as
`GET /api/v1/discounts/{id}` returns it (with its id and lines).

`CATALOGUE` lists every event type with its payload's schema and an example;
`add_webhook_catalogue` (a drf-spectacular postprocessing hook) puts it in the schema as
OpenAPI 3.1 `webhooks` (`x-webhooks` in a 3.0 document, which Redoc reads the same way).
"""

from collections import defaultdict

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.plumbing import process_webhooks
from drf_spectacular.settings import spectacular_settings
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from api import serializers as s
from api.views.deals import deals_with_details
from billing.models import CloudAccountStatus
from deals.models import Deal
from discounts.selectors import discounts_for_partner
from notifications.models import Kind
from notifications.webhooks.events import EVENT_TYPES, TEST_TYPE, TYPE_FOR_KIND
from notifications.webhooks.models import WebhookDelivery
from notifications.webhooks.transport import (
    ID_HEADER,
    STANDARD_SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)

WITH_DISCOUNT = frozenset(
    {
        Kind.DEAL_WON,
        Kind.WIN_VOIDED,
        Kind.DISCOUNT_ISSUED,
        Kind.DISCOUNT_REVOKED,
        Kind.CUSTOMER_DISCOUNT_CREATED,
        Kind.CUSTOMER_DISCOUNT_ENDED,
    }
)


def _by_partner(events) -> dict:
    deals = defaultdict(set)
    for event in events:
        if event.deal_id is not None:
            deals[event.partner_id].add(event.deal_id)
    return deals


def event_data(events: list) -> list[dict]:
    """For each event: {"deal": ...} and, for the kinds in WITH_DISCOUNT, {"discount": ...}
    (null if the deal has none); two or three queries per partner in the batch."""
    deals, discounts = {}, {}
    for partner_id, ids in _by_partner(events).items():
        for deal in deals_with_details(partner_id).filter(pk__in=ids):
            deals[deal.pk] = s.DealSerializer(deal).data
        if any(event.kind in WITH_DISCOUNT for event in events):
            for discount in discounts_for_partner(partner_id).filter(deal_id__in=ids):
                discounts[discount.deal_id] = s.DiscountSerializer(discount).data
    result = []
    for event in events:
        extra = {}
        if event.deal_id in deals:
            extra["deal"] = dict(deals[event.deal_id])
        if event.kind in WITH_DISCOUNT:
            found = discounts.get(event.deal_id)
            extra["discount"] = dict(found) if found is not None else None
        result.append(extra)
    return result


# --- endpoint management --------------------------------------------------------------------


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES))
    paused = serializers.BooleanField(
        help_text=_("Paused: no events are sent; those waiting are held until it is resumed.")
    )
    previous_secret_expires_at = serializers.DateTimeField(
        allow_null=True,
        help_text=_("After a rotation: until when deliveries are also signed with the old secret."),
    )
    created_at = serializers.DateTimeField()


class StaleEndpointProblemSerializer(s.ProblemSerializer):
    """412: the endpoint changed since the version in If-Match."""

    current = WebhookEndpointSerializer(
        help_text=_("The endpoint as it is now; its ETag is in the header.")
    )


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        source="standard_secret",
        help_text=_("The signing secret (`whsec_` + base64), shown in this answer only."),
    )


class WebhookEndpointInSerializer(s.StrictSerializer):
    url = s.HttpUrlField(max_length=500, help_text=_("A public https URL of your receiver."))
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=50
    )


class WebhookEndpointPatchSerializer(s.StrictSerializer):
    url = s.HttpUrlField(max_length=500, required=False)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        min_length=1,
        max_length=50,
        required=False,
    )
    paused = serializers.BooleanField(required=False)


class WebhookTestSerializer(serializers.Serializer):
    delivery = serializers.IntegerField(source="pk")
    event = serializers.IntegerField(
        source="event_id", help_text=_("The test event's id: the `webhook-id` of its POST.")
    )
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices)


# --- the catalogue ---------------------------------------------------------------------------


class DealData(serializers.Serializer):
    deal = s.DealSerializer(help_text=_("The deal as `GET /api/v1/deals/{id}` returns it."))


class DealDateData(DealData):
    date = serializers.DateField(help_text=_("Protected until (approval, protection)."))


class DealReasonData(DealData):
    reason = serializers.CharField(help_text=_("Why, as the reviewer or the partner wrote it."))


class StageChangedData(DealData):
    from_stage = serializers.ChoiceField(choices=Deal.Stage.choices)
    to_stage = serializers.ChoiceField(choices=Deal.Stage.choices)


class DiscountData(DealData):
    discount = s.DiscountSerializer(
        allow_null=True,
        help_text=_("The deal's discount as `GET /api/v1/discounts/{id}` returns it."),
    )


class DealWonData(DiscountData):
    pass


class WinVoidedData(DiscountData):
    reason = serializers.CharField()


class DiscountIssuedData(DiscountData):
    date = serializers.DateField(help_text=_("The discount's last day."))


class DiscountRevokedData(DiscountData):
    reason = serializers.CharField()


class CustomerDiscountData(DiscountData):
    customer = serializers.CharField(help_text=_("The customer's name."))


class TopUpData(serializers.Serializer):
    top_up = serializers.IntegerField(help_text=_("The top-up's id."))
    amount = serializers.DecimalField(max_digits=20, decimal_places=0, help_text=_("VND."))
    account = serializers.CharField(help_text=_("The customer's VNG Cloud account id."))
    customer = serializers.CharField(help_text=_("The customer's name."))


class CloudAccountData(serializers.Serializer):
    cloud_account = serializers.IntegerField(
        help_text=_("The cloud account's id (`GET /api/v1/cloud-accounts/{id}/`).")
    )
    account = serializers.CharField(
        help_text=_("The customer's VNG Cloud account id; blank for a new account until approved.")
    )
    name = serializers.CharField(help_text=_("The account's name (a new account's)."))
    customer = serializers.CharField(help_text=_("The customer's name."))
    status = serializers.ChoiceField(
        choices=CloudAccountStatus.choices, help_text=_("The account's status after the event.")
    )


class CloudAccountReasonData(CloudAccountData):
    reason = serializers.CharField(help_text=_("Why, as VNG Cloud wrote it."))


class CloudAccountCancelledData(CloudAccountData):
    by = serializers.ChoiceField(
        choices=[("partner", "partner"), ("ownership", "ownership")],
        help_text=_("`partner`: your organisation withdrew it; `ownership`: the customer moved."),
    )


class CloudAccountMovedData(CloudAccountData):
    to_you = serializers.BooleanField(
        help_text=_("True: the account came to you with its customer; false: it left.")
    )


class StatementData(serializers.Serializer):
    statement = serializers.IntegerField(help_text=_("The statement's id."))
    month = serializers.CharField(help_text=_("The month the statement covers."))
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=0, help_text=_("The statement's total, VND.")
    )


class StatementDisputedData(StatementData):
    reason = serializers.CharField(help_text=_("Why, as the partner wrote it."))


class TestData(serializers.Serializer):
    message = serializers.CharField()
    endpoint = serializers.IntegerField(help_text=_("The endpoint the test was sent to."))


_DESCRIPTIONS = {
    "deal.registered": (DealData, _("A deal was registered (by the API or the portal).")),
    "deal.resubmitted": (DealData, _("A deal sent back was edited and resubmitted.")),
    "deal.approved": (
        DealDateData,
        _("VNG Cloud approved the registration; `date`: protected until."),
    ),
    "deal.sent_back": (DealReasonData, _("VNG Cloud sent the registration back for changes.")),
    "deal.rejected": (DealReasonData, _("VNG Cloud rejected the registration.")),
    "deal.stage_changed": (StageChangedData, _("The deal moved to another open stage.")),
    "deal.won": (DealWonData, _("The deal was won; its discount was issued with it.")),
    "deal.lost": (DealReasonData, _("The deal was lost.")),
    "deal.win_voided": (WinVoidedData, _("VNG Cloud voided the win (the discount is revoked).")),
    "deal.protection_expiring": (DealDateData, _("The deal's protection ends soon (`date`).")),
    "deal.protection_expired": (DealDateData, _("The deal's protection ended.")),
    "discount.issued": (DiscountIssuedData, _("A discount was issued for a won deal.")),
    "discount.revoked": (DiscountRevokedData, _("VNG Cloud revoked a discount.")),
    "customer_discount.created": (CustomerDiscountData, _("A customer discount was drawn.")),
    "customer_discount.ended": (
        CustomerDiscountData,
        _("A customer discount was revoked or ended."),
    ),
    "credit.topped_up": (TopUpData, _("A top-up of a customer's account was requested.")),
    "credit.top_up_applied": (TopUpData, _("VNG Cloud's billing applied the top-up.")),
    "credit.top_up_failed": (
        TopUpData,
        _("VNG Cloud's billing could not apply the top-up; the credit was returned."),
    ),
    "statement.sent": (StatementData, _("VNG Cloud sent the month's statement.")),
    "statement.confirmed": (StatementData, _("The partner confirmed the statement.")),
    "statement.disputed": (StatementDisputedData, _("The partner disputed the statement.")),
    "statement.paid": (StatementData, _("VNG Cloud marked the statement paid.")),
    "cloud_account.requested": (
        CloudAccountData,
        _("A link of a customer's cloud account was requested; the customer confirms by e-mail."),
    ),
    "cloud_account.confirmed": (
        CloudAccountData,
        _("The customer confirmed the link; VNG Cloud approves it next."),
    ),
    "cloud_account.approved": (
        CloudAccountData,
        _("VNG Cloud approved the link: the account is yours to top up."),
    ),
    "cloud_account.rejected": (CloudAccountReasonData, _("VNG Cloud rejected the link.")),
    "cloud_account.cancelled": (
        CloudAccountCancelledData,
        _("The link request was withdrawn, or ended because the customer moved."),
    ),
    "cloud_account.moved": (
        CloudAccountMovedData,
        _("A linked account followed its customer to or from you (`to_you`)."),
    ),
    TEST_TYPE: (TestData, _("Sent to one endpoint when its admin asks for a test.")),
}
assert set(_DESCRIPTIONS) == {*TYPE_FOR_KIND.values(), TEST_TYPE}  # every type documented

_DEAL_EXAMPLE = {
    "id": 42,
    "external_id": "CRM-0042",
    "title": "Cloud migration for Example Retail",
    "description": "Move 40 VMs to vServer.",
    "customer": {"id": 7, "name": "Example Retail JSC", "tax_code": "0312345678"},
    "estimated_value": 850000000,
    "expected_close_date": "2026-12-31",
    "status": "approved",
    "review_comment": "",
    "stage": "won",
    "probability": 100,
    "protected_until": "2027-03-01",
    "closed_at": "2026-11-20T08:15:00Z",
    "lost_reason": "",
    "lost_reason_text": "",
    "rates": [{"product": "vserver", "product_name": "vServer", "rate": "12.00"}],
    "discount": 9,
    "created_at": "2026-10-02T03:00:00Z",
    "updated_at": "2026-11-20T08:15:00Z",
}
_DISCOUNT_EXAMPLE = {
    "id": 9,
    "deal": 42,
    "deal_title": "Cloud migration for Example Retail",
    "customer": {"id": 7, "name": "Example Retail JSC", "tax_code": "0312345678"},
    "valid_from": "2026-11-20",
    "valid_until": "2027-11-19",
    "status": "active",
    "lines": [{"product": "vserver", "product_name": "vServer", "rate": "12.00"}],
    "created_at": "2026-11-20T08:15:00Z",
    "updated_at": "2026-11-20T08:15:00Z",
    "revoked_at": None,
}
_EXAMPLE_EXTRA = {
    "date": "2027-03-01",
    "reason": "The customer chose another provider.",
    "from_stage": "proposal",
    "to_stage": "negotiation",
    "customer": "Example Retail JSC",
}


_TOP_UP_EXAMPLE = {
    "top_up": 17,
    "amount": "5000000",
    "account": "vng-123456",
    "customer": "Example Retail JSC",
}
_STATEMENT_EXAMPLE = {"statement": 31, "month": "November 2026", "amount": "12750000"}
_CLOUD_ACCOUNT_EXAMPLE = {
    "cloud_account": 12,
    "account": "vng-123456",
    "name": "",
    "customer": "Example Retail JSC",
    "status": "awaiting_customer",
}
# The money loop's events name no deal: their data is the top-up's or the statement's.
_NO_DEAL_EXAMPLES = {
    TopUpData: _TOP_UP_EXAMPLE,
    StatementData: _STATEMENT_EXAMPLE,
    StatementDisputedData: {**_STATEMENT_EXAMPLE, "reason": "The vServer line is counted twice."},
    CloudAccountData: _CLOUD_ACCOUNT_EXAMPLE,
    CloudAccountReasonData: {
        **_CLOUD_ACCOUNT_EXAMPLE,
        "status": "rejected",
        "reason": "The account belongs to another company.",
    },
    CloudAccountCancelledData: {**_CLOUD_ACCOUNT_EXAMPLE, "status": "cancelled", "by": "partner"},
    CloudAccountMovedData: {**_CLOUD_ACCOUNT_EXAMPLE, "status": "active", "to_you": True},
}


def example_data(name: str) -> dict:
    data_class = _DESCRIPTIONS[name][0]
    if data_class is TestData:
        return {"message": "A test event from the VNG Cloud Partner Portal.", "endpoint": 3}
    if data_class in _NO_DEAL_EXAMPLES:
        return dict(_NO_DEAL_EXAMPLES[data_class])
    fields = data_class().fields
    data = {"deal": _DEAL_EXAMPLE}
    if "discount" in fields:
        data["discount"] = _DISCOUNT_EXAMPLE
    data.update({key: value for key, value in _EXAMPLE_EXTRA.items() if key in fields})
    return data


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace(".", "_").split("_"))


def _envelope(name: str, data_class) -> type[serializers.Serializer]:
    """The delivery's body for one type, named e.g. `DealWonEvent` in the components."""
    return type(
        f"{_camel(name)}Event",
        (serializers.Serializer,),
        {
            "id": serializers.IntegerField(
                help_text=format_lazy(
                    _("The event's id, also sent as `{header}`: the same on every retry."),
                    header=ID_HEADER,
                )
            ),
            "type": serializers.ChoiceField(choices=[(name, name)]),
            "created_at": serializers.DateTimeField(),
            "deal": serializers.IntegerField(allow_null=True),
            "data": data_class(),
            "__module__": __name__,
        },
    )


HEADERS_NOTE = format_lazy(
    _(
        "Signed by the Standard Webhooks specification: `{id}` (the event's id), `{timestamp}` "
        "(Unix seconds) and `{signature}` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, "
        "several space-separated during a secret rotation). Answer 2xx within a few seconds; "
        "anything else is retried."
    ),
    id=ID_HEADER,
    timestamp=TIMESTAMP_HEADER,
    signature=STANDARD_SIGNATURE_HEADER,
)


def catalogue() -> list[OpenApiWebhook]:
    hooks = []
    for name, (data_class, description) in _DESCRIPTIONS.items():
        example = {
            "id": 1234,
            "type": name,
            "created_at": "2026-11-20T08:15:00Z",
            "deal": None
            if name == TEST_TYPE or _DESCRIPTIONS[name][0] in _NO_DEAL_EXAMPLES
            else 42,
            "data": example_data(name),
        }
        hooks.append(
            OpenApiWebhook(
                name=name,
                decorator=extend_schema(
                    operation_id=f"webhook_{name.replace('.', '_')}",
                    summary=description,
                    description=HEADERS_NOTE,
                    request=_envelope(name, data_class),
                    examples=[OpenApiExample(name, value=example)],
                    responses={200: OpenApiResponse(description=_("Received."))},
                ),
            )
        )
    return hooks


def _without_enum_ids(schema):
    """The enum hook, which ran before, removes these marks from the rest of the document."""
    if isinstance(schema, dict):
        return {k: _without_enum_ids(v) for k, v in schema.items() if k != "x-spec-enum-id"}
    if isinstance(schema, list):
        return [_without_enum_ids(item) for item in schema]
    return schema


def add_webhook_catalogue(result, generator, request, public):
    """drf-spectacular postprocessing hook: every event type in the document."""
    webhooks = process_webhooks(catalogue(), generator.registry)
    components = generator.registry.build(spectacular_settings.APPEND_COMPONENTS)
    result.setdefault("components", {}).setdefault("schemas", {})
    for key, value in components.get("schemas", {}).items():
        if key not in result["components"]["schemas"]:
            result["components"]["schemas"][key] = _without_enum_ids(value)
    key = "webhooks" if str(result.get("openapi", "")).startswith("3.1") else "x-webhooks"
    result[key] = webhooks
    return result
