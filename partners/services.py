"""Writes on partner data. Every function runs inside the caller's transaction or its own."""

from django.db import transaction
from django.utils import timezone

from partners.models import Customer, CustomerOwnership, Partner


@transaction.atomic
def get_or_create_customer(*, tax_code: str, name: str, address: str = "") -> Customer:
    """The customer with this tax code; created with `name` if it is new (names are not updated)."""
    customer, _created = Customer.objects.get_or_create(
        tax_code=tax_code.strip(), defaults={"name": name.strip(), "address": address.strip()}
    )
    return customer


@transaction.atomic
def transfer_ownership(
    *, customer: Customer, partner: Partner, deal=None, at=None
) -> CustomerOwnership:
    """Make `partner` the customer's owner from `at` (default now).

    Effects: ends another partner's active link at `at` (kept as history) and creates the new
    link, recording the deal that made it. If `partner` already owns the customer, the existing
    link is returned unchanged.
    """
    at = at or timezone.now()
    # Lock the customer row: two wins for one customer (two partners) queue here, so the
    # second one sees the first one's link. The partial unique constraint is the last guard.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    current = (
        CustomerOwnership.objects.select_for_update()
        .filter(customer=customer, ended_at__isnull=True)
        .first()
    )
    if current is not None:
        if current.partner_id == partner.pk:
            return current
        # The other link may have started after our clock was read (a concurrent win that
        # committed first): history stays in order.
        at = max(at, current.started_at)
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    return CustomerOwnership.objects.create(
        customer=customer, partner=partner, deal=deal, started_at=at
    )
