"""Reads scoped to a partner: the one place that decides what a partner user may see."""

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from partners.models import Customer, CustomerOwnership, Partner


def _reverse_model(name: str):
    """The model behind a reverse relation of Customer: partners is the ground floor and
    imports nothing from the apps above it."""
    return Customer._meta.get_field(name).related_model


def owned_customers(partner: Partner, *, today=None) -> QuerySet[Customer]:
    """Customers the partner owns now.

    Each has `active_ownerships` (the one active link, with its deal) and
    `active_customer_discounts` (the partner's customer discounts in force for it today).
    """
    today = today or timezone.localdate()
    active = CustomerOwnership.objects.filter(partner=partner, ended_at__isnull=True)
    customer_discount = _reverse_model("customer_discounts")
    in_force = (
        customer_discount.objects.filter(
            discount__partner=partner,
            status=customer_discount.Status.ACTIVE,
            valid_from__lte=today,
            valid_until__gte=today,
        )
        .select_related("discount__deal")
        .prefetch_related("lines__product")
        .order_by("valid_until", "pk")
    )
    return (
        Customer.objects.filter(ownerships__in=active)
        .prefetch_related(
            Prefetch(
                "ownerships",
                queryset=active.select_related("deal"),
                to_attr="active_ownerships",
            ),
            Prefetch("customer_discounts", queryset=in_force, to_attr="active_customer_discounts"),
        )
        .distinct()
    )


def search_customers(customers: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """Customers whose name or tax code contains `q` (all when blank)."""
    q = (q or "").strip()
    if not q:
        return customers
    return customers.filter(Q(name__icontains=q) | Q(tax_code__icontains=q))


def get_customer_for_partner(partner: Partner, pk) -> Customer:
    return get_object_or_404(owned_customers(partner), pk=pk)


def active_ownership(customer: Customer) -> CustomerOwnership | None:
    return customer.ownerships.filter(ended_at__isnull=True).select_related("partner").first()


# Reverse relations keep the floors: partners does not import deals or discounts.
def customer_deals(partner: Partner, customer: Customer):
    """The partner's deals with this customer, newest activity first."""
    return customer.deals.filter(partner=partner).order_by("-updated_at", "-pk")


def customer_discounts_given(partner: Partner, customer: Customer):
    """The customer discounts this partner gave the customer, revoked ones included."""
    return (
        customer.customer_discounts.filter(discount__partner=partner)
        .select_related("discount__deal", "revoked_by")
        .prefetch_related("lines__product")
        .order_by("-created_at", "-pk")
    )
