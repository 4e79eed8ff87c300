"""Registering a deal and sending it back for review."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import Deal, DiscountRule, Product, StageChange
from partners.services import get_or_create_customer


def check_rates(partner, rates: dict[Product, Decimal], day: date | None = None):
    """Every rate above 0 and within the limit of the partner's contract in force on `day`."""
    day = day or timezone.localdate()
    if not rates:
        raise ValidationError(
            {"rates": _("Register a discount rate for at least one product.")}, code="no_rates"
        )
    contract = partner.contract_on(day)
    if contract is None:
        raise ValidationError(
            _(
                "Your organisation has no contract with VNG Cloud in force today; contact your account manager."
            ),
            code="no_contract",
        )
    for product, rate in rates.items():
        if rate is None or rate <= 0 or rate > contract.max_discount_rate:
            raise ValidationError(
                {
                    "rates": _(
                        "The rate for %(product)s must be above 0 and at most %(max)s%% "
                        "(your contract %(contract)s)."
                    )
                    % {"product": product, "max": contract.max_discount_rate, "contract": contract}
                },
                code="rate_out_of_range",
            )
    return contract


@transaction.atomic
def register_deal(
    *,
    partner,
    by,
    customer_tax_code: str,
    customer_name: str,
    title: str,
    estimated_value: Decimal,
    expected_close_date: date,
    rates: dict[Product, Decimal],
    description: str = "",
) -> Deal:
    """Register a new deal for review.

    Effects: the customer is found by tax code (or created); the deal starts `pending` in
    `prospect`; one DiscountRule per product; a first history entry.
    """
    check_rates(partner, rates)
    customer = get_or_create_customer(tax_code=customer_tax_code, name=customer_name)
    deal = Deal.objects.create(
        partner=partner,
        customer=customer,
        title=title.strip(),
        description=description,
        estimated_value=estimated_value,
        expected_close_date=expected_close_date,
        created_by=by,
        probability=Deal.PROBABILITY[Deal.Stage.PROSPECT],
    )
    DiscountRule.objects.bulk_create(
        DiscountRule(deal=deal, product=product, rate=rate) for product, rate in rates.items()
    )
    StageChange.objects.create(
        deal=deal, to_stage=deal.stage, to_status=deal.status, by=by, note=_("Registered")
    )
    return deal


@transaction.atomic
def resubmit_deal(
    deal: Deal, *, by, rates: dict[Product, Decimal] | None = None, note: str = ""
) -> Deal:
    """Send a deal that staff marked `action_required` back to review (`pending`).

    Effects: optional new discount rates replace the old ones; a history entry.
    """
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    if deal.status != Deal.Status.ACTION_REQUIRED:
        raise ValidationError(_("Only a deal sent back for changes can be resubmitted."))
    if rates is not None:
        check_rates(deal.partner, rates)
        deal.discount_rules.all().delete()
        DiscountRule.objects.bulk_create(
            DiscountRule(deal=deal, product=p, rate=r) for p, r in rates.items()
        )
    deal.status = Deal.Status.PENDING
    deal.save(update_fields=["status", "updated_at"])
    StageChange.objects.create(
        deal=deal,
        from_stage=deal.stage,
        to_stage=deal.stage,
        from_status=Deal.Status.ACTION_REQUIRED,
        to_status=Deal.Status.PENDING,
        by=by,
        note=note,
    )
    return deal
