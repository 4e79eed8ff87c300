"""Reads scoped to a partner: the one place that decides what a partner user may see."""

import re

from django.db.models import BigIntegerField, Exists, OuterRef, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.shortcuts import get_object_or_404
from django.utils import timezone

from partners.models import Customer, CustomerOwnership, Partner
from web.paging import (  # noqa: F401 (the search's rules are read from here by the apps above)
    SEARCH_MAX_LENGTH,
    SEARCH_MIN_LENGTH,
    capped_ids,
    clean_search,
    keyset_page,
)


def sandbox_partners() -> QuerySet[Partner]:
    """Every sandbox organisation: test data VNG Cloud's queues, reports and statements
    leave out."""
    return Partner.objects.filter(sandbox_of__isnull=False)


def production(queryset: QuerySet, partner_field: str = "partner") -> QuerySet:
    """`queryset` without the sandboxes' rows (`partner_field` names the partner).

    `NOT IN (SELECT id ... sandboxes)`: one hashed subplan over the small partner table, no
    join per row, so an index scan in list order stays one."""
    return queryset.exclude(**{f"{partner_field}__in": sandbox_partners()})


def production_partners() -> QuerySet[Partner]:
    """The real partners: every partner but the sandboxes."""
    return Partner.objects.filter(sandbox_of__isnull=True)


def customer_realm(partner: Partner) -> Partner | None:
    """Where `partner`'s customers live: its own sandbox rows for a sandbox, else the real
    ones (None)."""
    return partner if partner.sandbox_of_id else None


def _reverse_model(name: str):
    """The model behind a reverse relation of Customer: partners is the ground floor and
    imports nothing from the apps above it."""
    return Customer._meta.get_field(name).related_model


def owned_customers(partner: Partner, *, today=None, in_force: bool = True) -> QuerySet[Customer]:
    """Customers the partner owns now.

    Each has `active_ownerships` (the one active link, with its deal) and, unless `in_force`
    is off (a page that does not show them), `active_customer_discounts` (the partner's
    customer discounts in force for it today).
    """
    today = today or timezone.localdate()
    active = CustomerOwnership.objects.filter(partner=partner, ended_at__isnull=True)
    customer_discount = _reverse_model("customer_discounts")
    in_force_discounts = (
        customer_discount.objects.filter(
            discount__partner=partner,
            status=customer_discount.Status.ACTIVE,
            valid_from__lte=today,
            valid_until__gte=today,
        )
        .select_related("discount__deal")
        .prefetch_related(Prefetch("lines", _reverse_lines(customer_discount)))
        .order_by("valid_until", "pk")
    )
    # The owner is the active ownership's partner (kept by partners.services): no join. The
    # id goes in as a bigint: btree_gin's trigram index (0004_customer_owner) compares owner_id
    # with bigints only, and a plain literal 1 would leave the owner out of that index.
    owner = Cast(Value(partner.pk), BigIntegerField())
    prefetches = [
        Prefetch("ownerships", queryset=active.select_related("deal"), to_attr="active_ownerships")
    ]
    if in_force:
        prefetches.append(
            Prefetch(
                "customer_discounts",
                queryset=in_force_discounts,
                to_attr="active_customer_discounts",
            )
        )
    return Customer.objects.filter(owner_id=owner).prefetch_related(*prefetches)


def _reverse_lines(customer_discount):
    lines = customer_discount._meta.get_field("lines").related_model
    return lines.objects.select_related("product")


# What a search that is the start of a tax code looks like (digits, maybe the branch dash).
TAX_CODE_PREFIX = re.compile(r"[0-9]+(-[0-9]*)?")


def customer_match(q: str, prefix: str = "") -> Q:
    """Digits alone are the start of a tax code (the tax code's pattern index); anything else
    is a part of the name (a trigram index on PostgreSQL). Looking for digits inside every
    name as well cost more than the rest of the page: digit trigrams are in many names.
    `prefix` is the path to the customer from another model ("customer__")."""
    if TAX_CODE_PREFIX.fullmatch(q):
        return Q(**{f"{prefix}tax_code__startswith": q})
    return Q(**{f"{prefix}name__icontains": q})


def matching_customer_ids(q: str, customers: QuerySet[Customer] | None = None) -> list | None:
    """The ids of the `customers` (all when None) that customer_match(q) finds, or None when
    more than COUNT_CAP do: the probe of the staff searches. For a name the planner is asked
    first (web.paging.capped_ids); a tax code's start is read from its index at once."""
    customers = Customer.objects.all() if customers is None else customers
    return capped_ids(
        customers.filter(customer_match(q)), estimate=not TAX_CODE_PREFIX.fullmatch(q)
    )


def search_customers(customers: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """The customers `customer_match(q)` finds (all when blank)."""
    q = (q or "").strip()
    return customers.filter(customer_match(q)) if q else customers


CUSTOMER_ORDERING = ("name", "pk")


def customer_page(partner: Partner, *, q: str = "", cursor: str = ""):
    """One page of the partner's customers by name, with the search applied. The page
    shows no total, so none is counted."""
    customers = owned_customers(partner)
    scope = f"customers|{partner.pk}|{q}"
    if not q:
        return keyset_page(
            customers, ordering=CUSTOMER_ORDERING, cursor=cursor, scope=scope, count=False
        )
    # PostgreSQL chooses: a rare word (or a tax code prefix) from its index (the trigram one
    # has the owner in it), the few matches then sorted; a word in many names by walking the
    # list's index (owner, name, id, upper name) alone, testing each entry's last column. The
    # page's ids come first (`keys_first`), so that walk reads no rows: 5 ms for a block of
    # 7,000 matches 40,000 names down, where reading and sorting every match took 13.
    return keyset_page(
        customers.filter(customer_match(q)),
        ordering=CUSTOMER_ORDERING,
        cursor=cursor,
        scope=scope,
        count=False,
        keys_first=True,
    )


def get_customer_for_partner(partner: Partner, pk, *, in_force: bool = True) -> Customer:
    """The partner's customer, or 404. Checked against the active ownership too (not only
    `Customer.owner`), so one customer's page never rests on the copy alone. `in_force` as
    in `owned_customers`."""
    active = CustomerOwnership.objects.filter(
        customer=OuterRef("pk"), partner=partner, ended_at__isnull=True
    )
    customers = owned_customers(partner, in_force=in_force)
    return get_object_or_404(customers.filter(Exists(active)), pk=pk)


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


def customer_cloud_accounts(partner: Partner, customer: Customer):
    """The customer's VNG Cloud accounts the partner holds or asked for (billing's model)."""
    return customer.cloud_accounts.filter(partner=partner).order_by("-created_at", "-pk")


# --- The team (issue 16) ---
