"""Reads of the money loop scoped to a partner: what a partner's page or token may see."""

from decimal import Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from billing.models import CloudAccount, CreditEntry, PartnerCredit, TopUp
from partners.models import Customer, Partner
from web.paging import keyset_page

# The list, newest first, on the (partner, created_at, id) index.
ACCOUNT_ORDERING = ("-created_at", "-pk")
ENTRY_ORDERING = ("-created_at", "-pk")


def cloud_accounts_for_partner(partner: Partner) -> QuerySet[CloudAccount]:
    """The accounts the partner holds or asked for now (not those that moved away)."""
    return CloudAccount.objects.filter(partner=partner).select_related("customer")


def cloud_account_page(partner: Partner, *, cursor: str = ""):
    return keyset_page(
        cloud_accounts_for_partner(partner),
        ordering=ACCOUNT_ORDERING,
        cursor=cursor,
        scope=f"cloud-accounts|{partner.pk}",
        count=False,
    )


def get_cloud_account_for_partner(partner: Partner, pk) -> CloudAccount:
    """The partner's account, or 404 (another partner's too, even one that used to be ours)."""
    return get_object_or_404(cloud_accounts_for_partner(partner), pk=pk)


def customer_cloud_accounts(partner: Partner, customer: Customer) -> QuerySet[CloudAccount]:
    return cloud_accounts_for_partner(partner).filter(customer=customer).order_by(*ACCOUNT_ORDERING)


def balance(partner: Partner) -> Decimal:
    row = PartnerCredit.objects.filter(partner=partner).values_list("balance", flat=True).first()
    return row if row is not None else Decimal(0)


def top_ups_of(account: CloudAccount, partner: Partner) -> QuerySet[TopUp]:
    """The partner's own top-ups of the account (a previous holder's stay its own)."""
    return TopUp.objects.filter(cloud_account=account, partner=partner).order_by(
        "-created_at", "-pk"
    )


def top_ups_for_partner(partner: Partner) -> QuerySet[TopUp]:
    return TopUp.objects.filter(partner=partner).select_related("cloud_account__customer")


def top_up_page(partner: Partner, *, cursor: str = ""):
    """The partner's top-ups, newest first, on the (partner, created_at, id) index."""
    return keyset_page(
        top_ups_for_partner(partner),
        ordering=("-created_at", "-pk"),
        cursor=cursor,
        scope=f"top-ups|{partner.pk}",
        count=False,
    )


def get_top_up_for_partner(partner: Partner, pk) -> TopUp:
    return get_object_or_404(top_ups_for_partner(partner), pk=pk)


def ledger_page(partner: Partner, *, cursor: str = ""):
    return keyset_page(
        CreditEntry.objects.filter(partner=partner).select_related("top_up__cloud_account"),
        ordering=ENTRY_ORDERING,
        cursor=cursor,
        scope=f"credit|{partner.pk}",
        count=False,
    )


def pending_top_ups() -> QuerySet[TopUp]:
    """Billing's queue: every partner's pending top-ups, oldest first (`topup_pending`)."""
    return TopUp.objects.filter(status=TopUp.Status.PENDING).select_related(
        "cloud_account__customer", "partner"
    )
