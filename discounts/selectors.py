"""Reads scoped to a partner."""

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone

from discounts.models import CustomerDiscount, Discount, DiscountStatus, EffectiveStatus


def with_effective_status(queryset: QuerySet, today=None) -> QuerySet:
    """Annotate `current_status`: expired follows from the dates, no job has to run."""
    today = today or timezone.localdate()
    return queryset.annotate(
        current_status=Case(
            When(status=DiscountStatus.REVOKED, then=Value(EffectiveStatus.REVOKED.value)),
            When(valid_until__lt=today, then=Value(EffectiveStatus.EXPIRED.value)),
            When(valid_from__gt=today, then=Value(EffectiveStatus.SCHEDULED.value)),
            default=Value(EffectiveStatus.ACTIVE.value),
        )
    )


def discounts_for_partner(partner) -> QuerySet[Discount]:
    return with_effective_status(
        Discount.objects.filter(partner=partner)
        .select_related("deal", "customer")
        .prefetch_related("lines__product")
        .annotate(
            passed_on=Count(
                "customer_discounts",
                filter=Q(customer_discounts__status=DiscountStatus.ACTIVE),
            )
        )
    )


def get_discount_for_partner(partner, pk) -> Discount:
    return get_object_or_404(discounts_for_partner(partner), pk=pk)


def customer_discounts_of(discount: Discount) -> QuerySet[CustomerDiscount]:
    return with_effective_status(
        discount.customer_discounts.select_related("customer").prefetch_related("lines__product")
    )
