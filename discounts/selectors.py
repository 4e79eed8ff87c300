"""Reads scoped to a partner."""

from datetime import timedelta

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from discounts.models import (
    CustomerDiscount,
    Discount,
    DiscountLine,
    DiscountStatus,
    EffectiveStatus,
)
from partners.selectors import customer_match, matching_customer_ids
from web.paging import keyset_page, probe_ids


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


def effective_status_filter(value: str, today=None) -> Q:
    """The rows whose `current_status` is `value`, as conditions on the stored columns (an
    index on a date can serve them; a filter on the CASE above tests every row)."""
    today = today or timezone.localdate()
    live = ~Q(status=DiscountStatus.REVOKED)
    return {
        EffectiveStatus.REVOKED: Q(status=DiscountStatus.REVOKED),
        EffectiveStatus.EXPIRED: live & Q(valid_until__lt=today),
        EffectiveStatus.SCHEDULED: live & Q(valid_until__gte=today, valid_from__gt=today),
        EffectiveStatus.ACTIVE: live & Q(valid_until__gte=today, valid_from__lte=today),
    }[EffectiveStatus(value)]


def staff_search(rows: QuerySet, q: str, *, deal: str) -> tuple[QuerySet, bool]:
    """Staff's search in a discount list (all partners): the customer's name or tax code, or
    the title of the deal at `deal` ("deal", "discount__deal"); and whether more than
    COUNT_CAP match. Probes the indexes first (web.paging.probe_ids); a common word is tested
    on each row in list order."""
    title = {f"{deal}__title__icontains": q}
    customers = matching_customer_ids(q)
    if customers is not None:
        found = rows.model.objects
        ids = probe_ids(found.filter(customer_id__any_of=customers), found.filter(**title))
        if ids is not None:
            return rows.filter(pk__any_of=ids), False
    return rows.filter(customer_match(q, prefix="customer__") | Q(**title)), True


DISCOUNT_ORDERING = ("-created_at", "-pk")


def _passed_on() -> Subquery:
    """Active customer discounts drawn on the row's discount.

    A correlated subquery, not a JOIN with GROUP BY: the database computes it for the rows
    it returns (a page), not for every discount of the partner.
    """
    active = (
        CustomerDiscount.objects.filter(discount=OuterRef("pk"), status=DiscountStatus.ACTIVE)
        .order_by()
        .values("discount")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(active, output_field=IntegerField()), 0)


def discounts_for_partner(partner) -> QuerySet[Discount]:
    """The partner's discounts with `current_status` and `passed_on` (active customer
    discounts drawn on it), newest first."""
    return with_effective_status(
        Discount.objects.filter(partner=partner)
        .select_related("deal", "customer")
        .prefetch_related(Prefetch("lines", DiscountLine.objects.select_related("product")))
        .annotate(passed_on=_passed_on())
        .order_by(*DISCOUNT_ORDERING)
    )


def filter_discounts(discounts: QuerySet[Discount], *, status: str = "") -> QuerySet[Discount]:
    """Only the discounts whose current status is `status` (any status when blank/unknown)."""
    if status in EffectiveStatus.values:
        return discounts.filter(current_status=status)
    return discounts


ENDING_SOON_DAYS = 30


def ending_soon_filter(today=None) -> Q:
    """Active discounts whose validity ends within 30 days: the dashboard counts them and
    the Discount list's `?ending=soon` shows them, with this one filter."""
    today = today or timezone.localdate()
    return Q(
        status=DiscountStatus.ACTIVE,
        valid_from__lte=today,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=ENDING_SOON_DAYS),
    )


def discount_page(partner, *, status: str = "", cursor: str = "", ending: bool = False):
    """One page of the partner's discounts, newest first, with the status filter (and only
    those ending within 30 days when `ending`)."""
    status = status if status in EffectiveStatus.values else ""
    discounts = filter_discounts(discounts_for_partner(partner), status=status)
    if ending:
        discounts = discounts.filter(ending_soon_filter())
    scope = f"discounts|{partner.pk}|{status}|{ending}"
    # The page shows no total, so none is counted.
    return keyset_page(
        discounts, ordering=DISCOUNT_ORDERING, cursor=cursor, scope=scope, count=False
    )


def get_discount_for_partner(partner, pk) -> Discount:
    return get_object_or_404(discounts_for_partner(partner), pk=pk)


def customer_discounts_of(discount: Discount) -> QuerySet[CustomerDiscount]:
    """All customer discounts drawn on `discount`, revoked ones included (history)."""
    return with_effective_status(
        discount.customer_discounts.select_related("customer", "created_by", "revoked_by")
        .prefetch_related("lines__product")
        .order_by("-created_at", "-pk")
    )


def get_customer_discount_for_partner(partner, discount_pk, pk) -> CustomerDiscount:
    queryset = CustomerDiscount.objects.select_related("discount__partner", "customer")
    return get_object_or_404(queryset, pk=pk, discount_id=discount_pk, discount__partner=partner)
