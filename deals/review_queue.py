"""Reads for the review queue (`/admin/review/`): registrations waiting for review, oldest
first, with their clock against the review promise, their flags and who has taken them.

The queue is every deal `pending` review, ordered by `submitted_at` (when it entered the
queue: registered or resubmitted) and the id. It pages by keyset over partial indexes that
hold the waiting registrations only (`deal_review_queue`, by partner, by reviewer), so a page
costs the same whatever the programme's history. Its counts stop at COUNT_CAP.

Flags, for staff only:
- conflict: another partner holds a protected claim on the same company (the tax-code root,
  as `deals.selectors.conflicting_claims` decides it for registration and winning);
- possible duplicate: another registration for the same company is waiting for review or
  for the partner's changes (two partners, or one partner twice, registering one customer).
Both compare companies through the `customer_tax_root` index, row by row.
"""

import functools
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Coalesce, Left

from deals.business_days import (
    Calendar,
    Clock,
    clock,
    local_day,
    midnight,
    overdue_before,
    sla_days,
)
from deals.models import Deal, DiscountRule
from deals.selectors import TAX_ROOT_LENGTH, protected_claims, same_realm, with_realm
from deals.services.review import REVIEWABLE
from partners.selectors import production
from web.paging import COUNT_CAP, CappedCount, KeysetPage, keyset_page

ORDERING = ("submitted_at", "pk")


def waiting() -> QuerySet[Deal]:
    """Every registration waiting for review; the sandboxes' are approved by themselves
    (deals.services.sandbox) and are no reviewer's work."""
    return production(Deal.objects.filter(status=Deal.Status.PENDING))


def _same_company(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    """Rows of `queryset` whose customer is the outer deal's company (tax-code root), in the
    same realm (a sandbox's test customer is never a real company's duplicate)."""
    return (
        with_realm(queryset)
        .alias(root=Left("customer__tax_code", TAX_ROOT_LENGTH))
        .filter(same_realm(), root=Left(OuterRef("customer__tax_code"), TAX_ROOT_LENGTH))
    )


def with_flags(deals: QuerySet[Deal], day: date | None = None) -> QuerySet[Deal]:
    """Annotate `has_conflict` and `has_duplicate` (see the module's docstring)."""
    conflicts = _same_company(protected_claims(day)).exclude(partner_id=OuterRef("partner_id"))
    duplicates = _same_company(
        Deal.objects.filter(status__in=REVIEWABLE, closed_at__isnull=True)
    ).exclude(pk=OuterRef("pk"))
    return deals.annotate(has_conflict=Exists(conflicts), has_duplicate=Exists(duplicates))


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters as the URL carries them; anything unknown is ignored."""

    overdue: bool = False
    partner: int | None = None
    product: int | None = None
    conflict: bool = False
    duplicate: bool = False
    mine: bool = False

    @classmethod
    def from_query(cls, params) -> "QueueFilters":
        return cls(
            overdue=params.get("overdue") == "1",
            partner=_positive_int(params.get("partner")),
            product=_positive_int(params.get("product")),
            conflict=params.get("conflict") == "1",
            duplicate=params.get("duplicate") == "1",
            mine=params.get("mine") == "1",
        )

    @property
    def active(self) -> bool:
        return self != QueueFilters()

    def scope(self, user) -> str:
        """What a cursor is valid for (filters, and the reviewer for "taken by me")."""
        return f"review-queue|{self}|{user.pk if self.mine else ''}"


def _positive_int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def queue(filters: QueueFilters, *, user, cal: Calendar, today: date) -> QuerySet[Deal]:
    """The waiting registrations `filters` select, flagged, with their partner, customer
    and reviewer."""
    cutoff = overdue_before(cal, today) if filters.overdue else None
    reviewer = user.pk if filters.mine else None
    return _queue(filters, reviewer, today, cutoff).all()


# The queue's querysets are built once per process and arguments (every value they hold:
# the filters, the day, the cutoff, the reviewer) and cloned per request: building the
# flags' subqueries was a tenth of a queue page's CPU. A new day is a new key.
@functools.lru_cache(maxsize=256)
def _queue(filters: QueueFilters, reviewer, today: date, cutoff) -> QuerySet[Deal]:
    deals = waiting()
    if cutoff is not None:
        deals = deals.filter(submitted_at__lt=cutoff)
    if filters.partner:
        deals = deals.filter(partner_id=filters.partner)
    if reviewer is not None:
        deals = deals.filter(review_taken_by_id=reviewer)
    if filters.product:
        rules = DiscountRule.objects.filter(deal=OuterRef("pk"), product_id=filters.product)
        deals = deals.filter(Exists(rules))
    deals = with_flags(deals, today)
    if filters.conflict:
        deals = deals.filter(has_conflict=True)
    if filters.duplicate:
        deals = deals.filter(has_duplicate=True)
    return deals.select_related("partner", "customer", "review_taken_by").only(*ROW_FIELDS)


# What a queue row shows (deals.templatetags.staff_pages.queue_rows) and its keyset pages by:
# the page reads these columns only, not the three joined tables' every column (half the
# query's compiling was writing out columns no row shows).
ROW_FIELDS = (
    "title",
    "estimated_value",
    "submitted_at",
    "created_at",
    "review_taken_at",
    "partner__name",
    "customer__name",
    "customer__tax_code",
    "review_taken_by__first_name",
    "review_taken_by__last_name",
    "review_taken_by__email",
)


@dataclass(frozen=True)
class QueueRow:
    deal: Deal
    clock: Clock
    error: str = ""  # why the reviewer's last action on it was refused

    @property
    def company_search(self) -> dict:
        """Admin's deal list searched for the company's tax-code root: its deals, the
        possible duplicates among them."""
        return {"q": self.deal.customer.tax_code[:TAX_ROOT_LENGTH]}


def queue_page(
    filters: QueueFilters,
    *,
    user,
    cal: Calendar,
    today: date,
    cursor: str = "",
    errors: dict[int, str] | None = None,
) -> tuple[KeysetPage, list[QueueRow]]:
    """One page of the queue, oldest first, and its rows with their clocks (and the
    refusals in `errors`, by deal id)."""
    page = keyset_page(
        queue(filters, user=user, cal=cal, today=today),
        ordering=ORDERING,
        cursor=cursor,
        scope=filters.scope(user),
        count=False,
    )
    errors = errors or {}
    sla, clocks = sla_days(), {}  # one clock per day of submission: a page shares a few
    rows = []
    for deal in page.rows:
        day = local_day(_submitted(deal))
        if day not in clocks:
            clocks[day] = clock(cal, midnight(day), today, sla)
        rows.append(QueueRow(deal, clocks[day], errors.get(deal.pk, "")))
    return page, rows


def _submitted(deal: Deal):
    return deal.submitted_at or deal.created_at


@dataclass(frozen=True)
class QueueCounts:
    """The queue at a glance, each count no further than COUNT_CAP (`more`: past it)."""

    waiting: int
    overdue: int
    mine: int
    more: frozenset = frozenset()


def queue_counts(*, user, cal: Calendar, today: date) -> QueueCounts:
    """Waiting, overdue and taken by `user`: one query, three capped counts over the queue's
    partial indexes (carried by the user's own row)."""
    cutoff = overdue_before(cal, today)
    counts = _counts(user.pk, cutoff).all().get()
    more = frozenset(name for name, count in counts.items() if count > COUNT_CAP)
    return QueueCounts(**{name: min(n, COUNT_CAP) for name, n in counts.items()}, more=more)


@functools.lru_cache(maxsize=256)
def _counts(reviewer: int, cutoff) -> QuerySet:
    base = waiting()
    figures = {
        "waiting": base,
        "overdue": base.filter(submitted_at__lt=cutoff),
        "mine": base.filter(review_taken_by_id=reviewer),
    }
    return (
        get_user_model()
        .objects.filter(pk=reviewer)
        .values(**{name: CappedCount(qs, cap=COUNT_CAP) for name, qs in figures.items()})
    )


def deals_for_action(ids: list[int]) -> list[Deal]:
    """The registrations a reviewer selected, in the queue's order (any status: the
    services say why one can no longer be acted on)."""
    return list(
        Deal.objects.filter(pk__in=ids)
        .select_related("partner", "customer", "review_taken_by")
        .order_by(Coalesce("submitted_at", "created_at"), "pk")
    )
