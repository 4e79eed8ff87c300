"""Writes on discounts. `deals` calls issue_discount when a deal is won."""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from discounts.models import Discount, DiscountLine


@transaction.atomic
def issue_discount(
    *,
    partner,
    deal,
    customer,
    lines: Iterable[tuple[object, Decimal]],
    valid_from: date,
    validity_days: int,
) -> Discount:
    """Issue the partner's discount for a won deal.

    Effects: one Discount (the one-to-one on `deal` makes a second one impossible) valid from
    `valid_from` for `validity_days` days, and one DiscountLine per (product, rate).
    """
    discount = Discount.objects.create(
        partner=partner,
        deal=deal,
        customer=customer,
        valid_from=valid_from,
        valid_until=valid_from + timedelta(days=validity_days - 1),
    )
    DiscountLine.objects.bulk_create(
        DiscountLine(discount=discount, product=product, rate=rate) for product, rate in lines
    )
    return discount
