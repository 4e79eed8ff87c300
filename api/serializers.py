"""The API's JSON shapes. Input serializers check types and what the schema declares (each
field refuses exactly what its schema refuses: api/schema.py); the services decide the rules."""

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from deals.models import (
    DESCRIPTION_MAX_LENGTH,
    EXTERNAL_ID_MAX_LENGTH,
    LOST_REASON_MAX_LENGTH,
    Attachment,
    Deal,
    Product,
)
from deals.services.checks import CLOSE_DATE_MAX_YEARS
from discounts.models import EffectiveStatus
from notifications.webhooks.events import EVENT_TYPES, payload
from partners.models import tax_code_validator

MAX_VND = 10**18 - 1  # Deal.estimated_value has 18 digits


# The schema keeps calling the attachment kinds "KindEnum" now that cloud accounts have a kind
# too (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] imports this name).
AttachmentKind = Attachment.Kind


class TextField(serializers.CharField):
    """A string and nothing else: 42 or true where text belongs is a type error, not "42".

    Its length is counted before trimming, as the schema's maxLength counts it."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def run_validation(self, data=serializers.empty):
        if isinstance(data, str) and self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().run_validation(data)


class TaxCodeField(TextField):
    """A Vietnamese tax code: 10 digits, or 10 digits, a dash and 3 digits (a branch)."""

    def __init__(self, **kwargs):
        super().__init__(
            max_length=14, trim_whitespace=False, validators=[tax_code_validator], **kwargs
        )


# A rate in percent, as text: above 0, at most 100, at most 2 decimals ("12.5", "100.00").
RATE_PATTERN = r"^(?!0+(\.0+)?$)(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
_RATE_RE = re.compile(RATE_PATTERN)


class RateField(serializers.Field):
    """A rate as a string matching RATE_PATTERN (the schema's), else 400; the contract's limit
    is the service's to check."""

    default_error_messages = {
        "invalid": _('Give the rate as text: above 0, at most 100, 2 decimals at most ("12.5").')
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not _RATE_RE.search(data):
            self.fail("invalid")
        return Decimal(data.strip())

    def to_representation(self, value):
        return str(value)


class FutureDateField(serializers.DateField):
    """A date the service refuses in the past; the schema says so with a pattern of the dates
    from today on."""


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know: a typo must not be silently ignored."""

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {
                name: [ErrorDetail(_("Unknown field."), code="unknown_field")]
                for name in sorted(set(data) - writable)
            }
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            # Report the unknown fields together with the other errors, not one at a time.
            if unknown and isinstance(exc.detail, dict):
                exc.detail.update(unknown)
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    pointer = serializers.CharField(help_text=_("JSON pointer into the request body."))
    detail = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(required=False, help_text=_("The reason, for programs."))
    errors = ProblemFieldErrorSerializer(many=True, required=False)


# --- output ----------------------------------------------------------------------------------


_DATETIME = serializers.DateTimeField()
_RATE = serializers.DecimalField(max_digits=5, decimal_places=2)


def _date(value):
    return value.isoformat() if value is not None else None


def _datetime(value):
    return _DATETIME.to_representation(value) if value is not None else None


def _rate(value):
    return _RATE.to_representation(value)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tax_code = serializers.CharField()


class RateOutSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)


# Made when the schema is, in its reader's language.
CLOSE_DATE_HELP = lazy(
    lambda: (
        gettext("Today or later, at most %(years)s years ahead.") % {"years": CLOSE_DATE_MAX_YEARS}
    ),
    str,
)()
EXTERNAL_ID_HELP = _(
    "Your own system's id for the deal (e.g. your CRM's), unique among your deals; null: none."
)


class DealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField(allow_null=True, help_text=EXTERNAL_ID_HELP)
    title = serializers.CharField()
    description = serializers.CharField()
    customer = CustomerRefSerializer()
    estimated_value = serializers.IntegerField(help_text=_("Whole VND."))
    expected_close_date = serializers.DateField()
    status = serializers.ChoiceField(choices=Deal.Status.choices, help_text=_("Review status."))
    review_comment = serializers.CharField()
    stage = serializers.ChoiceField(choices=Deal.Stage.choices)
    probability = serializers.IntegerField()
    protected_until = serializers.DateField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    lost_reason = serializers.CharField(source="lost_reason_code")
    lost_reason_text = serializers.CharField(source="lost_reason")
    rates = RateOutSerializer(source="discount_rules", many=True)
    discount = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(
        {"type": "integer", "nullable": True, "description": _("Issued discount.")}
    )
    def get_discount(self, deal):
        discount = getattr(deal, "discount", None)
        return discount.pk if discount is not None else None

    def to_representation(self, deal):
        """The same JSON as the declared fields give (the schema comes from them), built
        directly: DRF's field-by-field path costs ~0.7 ms a deal, most of a list's time."""
        customer = deal.customer
        return {
            "id": deal.pk,
            "external_id": deal.external_id or None,
            "title": deal.title,
            "description": deal.description,
            "customer": {"id": customer.pk, "name": customer.name, "tax_code": customer.tax_code},
            "estimated_value": int(deal.estimated_value),
            "expected_close_date": _date(deal.expected_close_date),
            "status": deal.status,
            "review_comment": deal.review_comment,
            "stage": deal.stage,
            "probability": deal.probability,
            "protected_until": _date(deal.protected_until),
            "closed_at": _datetime(deal.closed_at),
            "lost_reason": deal.lost_reason_code,
            "lost_reason_text": deal.lost_reason,
            "rates": [
                {
                    "product": rule.product.code,
                    "product_name": rule.product.name,
                    "rate": _rate(rule.rate),
                }
                for rule in deal.discount_rules.all()
            ],
            "discount": self.get_discount(deal),
            "created_at": _datetime(deal.created_at),
            "updated_at": _datetime(deal.updated_at),
        }


class LineSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)


def _status(obj) -> str:
    return getattr(obj, "current_status", None) or obj.effective_status


class DiscountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    deal = serializers.IntegerField(source="deal_id")
    deal_title = serializers.CharField(source="deal.title")
    customer = CustomerRefSerializer()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    status = serializers.SerializerMethodField()
    lines = LineSerializer(many=True)
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ChoiceField(choices=EffectiveStatus.choices))
    def get_status(self, discount) -> str:
        return _status(discount)


class CustomerDiscountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    discount = serializers.IntegerField(source="discount_id")
    customer = CustomerRefSerializer()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField()
    status = serializers.SerializerMethodField()
    note = serializers.CharField()
    lines = LineSerializer(many=True)
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=EffectiveStatus.choices))
    def get_status(self, customer_discount) -> str:
        return _status(customer_discount)


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.CharField(source="author.email")
    stage_change = serializers.IntegerField(source="stage_change_id", allow_null=True)
    created_at = serializers.DateTimeField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Attachment.Kind.choices)
    original_name = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.email")
    uploaded_at = serializers.DateTimeField()
    download = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, attachment) -> str:
        from django.urls import reverse

        path = reverse("api:attachment_detail", args=[attachment.deal_id, attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class UploadResultSerializer(serializers.Serializer):
    attachments = AttachmentSerializer(many=True)


class CustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tax_code = serializers.CharField()
    address = serializers.CharField()
    updated_at = serializers.DateTimeField()
    customer_since = serializers.SerializerMethodField()
    from_deal = serializers.SerializerMethodField()

    def _ownership(self, customer):
        links = getattr(customer, "active_ownerships", None)
        return links[0] if links else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_customer_since(self, customer):
        link = self._ownership(customer)
        return serializers.DateTimeField().to_representation(link.started_at) if link else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_from_deal(self, customer):
        link = self._ownership(customer)
        return link.deal_id if link else None


class CustomerDetailSerializer(CustomerSerializer):
    active_customer_discounts = CustomerDiscountSerializer(many=True)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ("id", "code", "name", "description")


class StaleProblemSerializer(ProblemSerializer):
    """412: the deal changed since the version in If-Match."""

    current = DealSerializer(help_text=_("The deal as it is now; its ETag is in the header."))


class StageChangeResultSerializer(serializers.Serializer):
    deal = DealSerializer()
    discount = DiscountSerializer(allow_null=True, help_text=_("The discount a win issued."))


# --- input -----------------------------------------------------------------------------------


def storable(text) -> bool:
    """Whether the database can store and search `text` (PostgreSQL refuses NUL and lone
    surrogates with an error instead of a non-match)."""
    if not isinstance(text, str) or "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ProductCodeField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Product.objects.all(), **kwargs)

    def to_internal_value(self, data):
        if not storable(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class RateInSerializer(StrictSerializer):
    product = ProductCodeField(help_text=_("Product code."))
    rate = RateField(help_text=_("Percent."))


def _rates_field(**kwargs):
    return serializers.ListField(child=RateInSerializer(), min_length=1, max_length=200, **kwargs)


def rates_dict(items) -> dict:
    """[{product, rate}] as {product: rate}; each product at most once."""
    rates = {}
    for item in items:
        if item["product"] in rates:
            raise serializers.ValidationError(
                {"rates": [_("List each product once.")]}, code="duplicate_product"
            )
        rates[item["product"]] = item["rate"]
    return rates


def _external_id_field(**kwargs):
    return TextField(
        max_length=EXTERNAL_ID_MAX_LENGTH,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=EXTERNAL_ID_HELP,
        **kwargs,
    )


class DealRegisterSerializer(StrictSerializer):
    external_id = _external_id_field()
    customer_tax_code = TaxCodeField()
    customer_name = TextField(max_length=200, required=False, allow_blank=True)
    title = TextField(max_length=200)
    description = TextField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    estimated_value = serializers.IntegerField(min_value=0, max_value=MAX_VND)
    expected_close_date = FutureDateField(help_text=CLOSE_DATE_HELP)
    rates = _rates_field()


class DealResubmitSerializer(StrictSerializer):
    external_id = _external_id_field()
    title = TextField(max_length=200, required=False)
    description = TextField(max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True)
    estimated_value = serializers.IntegerField(min_value=0, max_value=MAX_VND, required=False)
    expected_close_date = FutureDateField(required=False, help_text=CLOSE_DATE_HELP)
    rates = _rates_field(required=False)
    note = TextField(max_length=2000, required=False, allow_blank=True)


class StageChangeSerializer(StrictSerializer):
    stage = serializers.ChoiceField(choices=Deal.Stage.choices)
    note = TextField(max_length=5000, required=False, allow_blank=True, trim_whitespace=False)
    lost_reason = serializers.ChoiceField(
        choices=Deal.LostReason.choices, required=False, allow_blank=True
    )
    lost_reason_text = TextField(
        max_length=LOST_REASON_MAX_LENGTH, required=False, allow_blank=True
    )


class NoteInSerializer(StrictSerializer):
    text = TextField(max_length=5000, trim_whitespace=False)


class AttachmentUploadSerializer(StrictSerializer):
    files = serializers.ListField(child=serializers.FileField(), min_length=1)
    kind = serializers.ChoiceField(
        choices=Attachment.Kind.choices, required=False, default=Attachment.Kind.OTHER
    )


class CustomerDiscountRateInSerializer(StrictSerializer):
    product = ProductCodeField(help_text=_("Product code."))
    rate = RateField(help_text=_("Percent."))


class CustomerDiscountInSerializer(StrictSerializer):
    customer = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text=_("Customer id.")
    )
    rates = serializers.ListField(
        child=CustomerDiscountRateInSerializer(), min_length=1, max_length=200
    )
    valid_from = serializers.DateField()
    valid_until = FutureDateField(help_text=_("Today or later."))
    note = TextField(max_length=2000, required=False, allow_blank=True)


# --- query parameters ------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


class Rfc3339Field(serializers.DateTimeField):
    """A date and time in RFC 3339, its offset included (`2026-12-01T08:00:00Z`): a time
    without an offset would mean another moment in each time zone."""

    default_error_messages = {
        "invalid_datetime": _(
            "Give a date and time in RFC 3339 with its offset, e.g. 2026-12-01T08:00:00Z."
        ),
        "out_of_range": _("Give a date and time between the years 1 and 9999 in UTC."),
    }

    def get_value(self, dictionary):
        # A blank value is not a date-time (DRF would read a blank query value as absent).
        return dictionary.get(self.field_name, serializers.empty)

    def to_internal_value(self, value):
        match = _RFC3339.match(value) if isinstance(value, str) else None
        if match is None:
            self.fail("invalid_datetime")
        day, time, fraction, offset = match.groups()
        fraction = (fraction or "")[:7]  # microseconds: Python keeps no more
        offset = "+00:00" if offset in ("Z", "z") else offset
        try:
            moment = datetime.fromisoformat(f"{day}T{time}{fraction}{offset}")
        except ValueError:
            self.fail("invalid_datetime")
        # In UTC: PostgreSQL takes offsets up to 15:59, RFC 3339 (and Python) up to 23:59.
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00:00-05:00 is in the year 10000 in UTC
            self.fail("out_of_range")


def _updated_since_field():
    return Rfc3339Field(
        required=False,
        help_text=_(
            "Only what changed at or after this moment (RFC 3339), oldest change first: the "
            "list is then in update order (`updated_at`, then `id`). Keep the last "
            "`updated_at` you saw and ask again from a little before it."
        ),
    )


def _check_sort_with_updated_since(attrs):
    if attrs.get("updated_since") is not None and attrs.get("sort") not in (None, "", "updated"):
        raise serializers.ValidationError(
            {"sort": [_("With updated_since the list is in update order: leave out sort.")]},
            code="sort_with_updated_since",
        )
    return attrs


class DealQuerySerializer(serializers.Serializer):
    external_id = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=EXTERNAL_ID_MAX_LENGTH,
        help_text=_("The deal with this id of yours (at most one)."),
    )
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text=_("Title, customer, tax code.")
    )
    stage = serializers.ChoiceField(choices=Deal.Stage.choices, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=Deal.Status.choices, required=False, allow_blank=True)
    sort = serializers.ChoiceField(
        choices=["-updated", "updated", "-value", "value", "close", "-close"],
        required=False,
        allow_blank=True,
    )
    updated_since = _updated_since_field()

    def validate(self, attrs):
        return _check_sort_with_updated_since(attrs)


class DiscountQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=EffectiveStatus.choices, required=False, allow_blank=True
    )
    updated_since = _updated_since_field()


class CustomerQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text=_("Name or tax code.")
    )
    updated_since = _updated_since_field()


class EventSerializer(serializers.Serializer):
    """An event of the partner's: the same JSON as the webhook delivery's body."""

    id = serializers.IntegerField(help_text=_("Increases with each event; poll with `after`."))
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    created_at = serializers.DateTimeField()
    deal = serializers.IntegerField(allow_null=True, help_text=_("The deal's id, if any."))
    data = serializers.DictField(help_text=_("Details of the event, e.g. a reason or a date."))

    def to_representation(self, instance):
        return payload(instance)


class EventQuerySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EVENT_TYPES, required=False, allow_blank=True)
    after = serializers.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, help_text=_("Only events after this id.")
    )


# --- batch registration ----------------------------------------------------------------------

BATCH_MAX_ITEMS = 100


class HttpUrlField(TextField):
    """An http(s) address (its schema says so: api.schema); which hosts are allowed is the
    webhooks' vetting's to say (notifications.webhooks)."""


class IdempotencyKeyField(TextField):
    """An idempotency key: printable ASCII without spaces (its schema says so: api.schema)."""


class BatchItemSerializer(StrictSerializer):
    key = IdempotencyKeyField(
        required=False,
        min_length=1,
        max_length=200,
        help_text=_(
            "This item's idempotency key (printable ASCII, no spaces): sent again with the "
            "same deal, the item answers its first result again and registers nothing."
        ),
    )
    deal = DealRegisterSerializer(help_text=_("The deal, as POST /api/v1/deals/ takes it."))

    def validate_key(self, value):
        if not all("\x21" <= char <= "\x7e" for char in value):
            raise serializers.ValidationError(
                _("Use printable ASCII characters without spaces, e.g. a UUID."), code="invalid"
            )
        return value


class DealBatchSerializer(StrictSerializer):
    items = serializers.ListField(
        child=BatchItemSerializer(), min_length=1, max_length=BATCH_MAX_ITEMS
    )


class BatchResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=_("The item's position in `items`, from 0."))
    key = serializers.CharField(allow_null=True)
    status = serializers.IntegerField(
        help_text=_("201 registered; otherwise the status the single call would answer.")
    )
    replayed = serializers.BooleanField(
        help_text=_("The first result of this item's key, registered by an earlier call.")
    )
    deal = DealSerializer(allow_null=True)
    problem = ProblemSerializer(allow_null=True, help_text=_("Why the item was refused."))


class DealBatchResultSerializer(serializers.Serializer):
    results = BatchResultSerializer(many=True)
