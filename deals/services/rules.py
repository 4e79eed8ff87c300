"""Staff adjust a deal's registered discount (its rules) while reviewing it.

The one write path for DiscountRule rows of an existing deal: Django admin's rule inline
calls `set_discount_rules`; the partner's own edits go through `resubmit_deal`.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Deal, DiscountRule, Product
from deals.services.review import record_correction
from discounts.rates import check_deal_rates
from notifications.activity import changes_between, record_activity


@transaction.atomic
def set_discount_rules(deal: Deal, *, by, rates: dict[Product, Decimal]) -> list[DiscountRule]:
    """Make the deal's rules exactly `rates` (one rate per product); returns them.

    Effects, all or nothing:
    - the deal row is locked, so a win that issues the discount from these rules waits, and
      a deal closed meanwhile is refused (ValidationError, code "closed");
    - refused by `check_deal_rates` under the contract in force today: no contract, no rate
      ("no_rates"), a rate a rate rule or the contract's limit refuses, or a product no longer
      offered that the deal did not have ("rate_out_of_range", keyed "rates");
    - rules of products no longer in `rates` are deleted, changed rates updated, new
      products added; unchanged rules keep their rows;
    - when a rate changed, a timeline entry by `by` (system note CORRECTED) lists each
      product's old and new rate, for the partner, and an activity entry has them too.
    """
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    if locked.is_closed:
        raise ValidationError(
            _("This deal is closed; its data can no longer change."), code="closed"
        )
    before_ids = frozenset(locked.discount_rules.values_list("product_id", flat=True))
    check_deal_rates(locked.partner, rates, timezone.localdate(), also_allowed=before_ids)
    before = {rule.product: rule.rate for rule in locked.discount_rules.select_related("product")}
    locked.discount_rules.exclude(product__in=list(rates)).delete()
    for product, rate in rates.items():
        DiscountRule.objects.update_or_create(deal=locked, product=product, defaults={"rate": rate})
    corrections = [
        {
            "field": "rates",
            "product": product.name,
            "from": _rate(before.get(product)),
            "to": _rate(rates.get(product)),
        }
        for product in sorted({*before, *rates}, key=lambda p: p.name)
        if before.get(product) != rates.get(product)
    ]
    if corrections:
        # The deal's JSON shows its rates: its version (ETag) and ?updated_since= follow.
        locked.save(update_fields=["updated_at"])
        record_correction(locked, by=by, corrections=corrections)
        record_activity(
            action="deal.rates_corrected",
            actor=by,
            obj=locked,
            changes=changes_between(_by_name(before), _by_name(rates)),
        )
    return list(locked.discount_rules.select_related("product"))


def _by_name(rates: dict) -> dict:
    """{"rate vServer": rate}: the log names each product's rate as a field of its own."""
    return {f"rate {product.name}": rate for product, rate in rates.items()}


def _rate(rate) -> str:
    return "" if rate is None else format(rate.normalize(), "f")
