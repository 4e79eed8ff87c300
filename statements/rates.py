"""The rates a statement applies, day by day: one rule, read by drafting and by corrections.

On a day, for a partner, a customer and a product:
- the partner's rate is the highest rate of that product among the partner's discounts for
  that customer in force that day (valid_from <= day <= valid_until, not revoked before the day
  ended); 0 when none;
- the customer's rate is the highest rate of that product among the customer discounts the
  partner gave that customer, in force that day and drawing on a partner discount in force
  that day; 0 when none. It never exceeds the partner's (the discounts' own rule).

Amounts are rounded to whole đồng (half up) once per line: consumption x rate / 100.
"""

from collections import defaultdict
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from discounts.models import CustomerDiscountLine, DiscountLine, DiscountStatus

HUNDRED = Decimal(100)
ZERO = Decimal(0)


def vnd(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)


def share(amount: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `amount`, in whole đồng."""
    return vnd(Decimal(amount) * Decimal(rate) / HUNDRED)


def _in_force(status, valid_from, valid_until, revoked_at, day: date) -> bool:
    if not (valid_from <= day <= valid_until):
        return False
    if status == DiscountStatus.REVOKED:
        # Revoked during a day: it was still in force that day.
        return revoked_at is not None and timezone.localdate(revoked_at) >= day
    return True


class Rates:
    """The partner's and its customers' rates over a period, loaded in two queries."""

    def __init__(self, partner_id, customer_ids, first_day: date, last_day: date):
        self._partner = defaultdict(list)  # (customer, product) -> [(rate, window)]
        for line in DiscountLine.objects.filter(
            discount__partner_id=partner_id,
            discount__customer_id__in=customer_ids,
            discount__valid_from__lte=last_day,
            discount__valid_until__gte=first_day,
        ).select_related("discount"):
            d = line.discount
            self._partner[(d.customer_id, line.product_id)].append(
                (line.rate, (d.status, d.valid_from, d.valid_until, d.revoked_at))
            )
        self._customer = defaultdict(list)
        lines = CustomerDiscountLine.objects.filter(
            customer_discount__discount__partner_id=partner_id,
            customer_discount__customer_id__in=customer_ids,
            customer_discount__valid_from__lte=last_day,
            customer_discount__valid_until__gte=first_day,
        ).select_related("customer_discount__discount")
        for line in lines:
            cd = line.customer_discount
            parent = cd.discount
            self._customer[(cd.customer_id, line.product_id)].append(
                (
                    line.rate,
                    (cd.status, cd.valid_from, cd.valid_until, cd.revoked_at),
                    (parent.status, parent.valid_from, parent.valid_until, parent.revoked_at),
                )
            )

    def partner_rate(self, customer_id, product_id, day: date) -> Decimal:
        rates = [
            rate
            for rate, window in self._partner.get((customer_id, product_id), ())
            if _in_force(*window, day)
        ]
        return max(rates, default=ZERO)

    def customer_rate(self, customer_id, product_id, day: date) -> Decimal:
        rates = [
            rate
            for rate, window, parent in self._customer.get((customer_id, product_id), ())
            if _in_force(*window, day) and _in_force(*parent, day)
        ]
        return min(max(rates, default=ZERO), self.partner_rate(customer_id, product_id, day))
