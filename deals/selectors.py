"""Reads on deals, always scoped to one partner."""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Left
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.dashboard import deal_view_filter
from deals.models import Attachment, Deal, Note, StageChange
from partners.models import Customer
from partners.selectors import TAX_CODE_PREFIX, customer_match, matching_customer_ids
from web.paging import COUNT_CAP, SEARCH_WINDOW, keyset_page, search_page

# The deal list's sorts: each ends in the id, and each has an index (partner, field, id),
# also with the stage between (see Deal.Meta.indexes), so any page is one index range scan.
DEAL_SORTS = {
    "-updated": ("-updated_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-value": ("-estimated_value", "-pk"),
    "value": ("estimated_value", "pk"),
    "close": ("expected_close_date", "pk"),
    "-close": ("-expected_close_date", "-pk"),
}
DEFAULT_DEAL_SORT = "-updated"


def deals_for_partner(partner) -> QuerySet[Deal]:
    return Deal.objects.filter(partner=partner).select_related("customer")


def _deal_match(q: str) -> Q:
    """Title contains `q`, or the customer matches it as the Customers search does
    (`customer_match`: digits are the start of its tax code, anything else a part of its
    name). `%` and `_` are matched literally (Django escapes them)."""
    return Q(title__icontains=q) | customer_match(q, prefix="customer__")


def search_deals(deals: QuerySet[Deal], q: str) -> tuple[QuerySet[Deal], int]:
    """The deals matching `q` found from the search indexes, and how many (COUNT_CAP + 1
    means more than COUNT_CAP).

    The ids of the title matches (trigram index) united with the deals of the matching
    customers (trigram and tax code indexes, then the (partner, customer) index), at most
    COUNT_CAP + 1 of them. When there are more, matches are dense: walking the list in its
    order with the test on each row fills a page quickly.
    """
    customers = Customer.objects.filter(customer_match(q))
    by_title = deals.filter(title__icontains=q).order_by().values_list("pk", flat=True)
    by_customer = deals.filter(customer__in=customers.values("pk")).order_by()
    probe = by_title.union(by_customer.values_list("pk", flat=True), all=True)
    ids = list(probe[: COUNT_CAP + 1])
    if len(ids) <= COUNT_CAP:
        # The probe ran on `deals`, so the stage filter is in it: its ids are the matches.
        return deals.filter(pk__any_of=ids), len(set(ids))
    return deals.filter(_deal_match(q)), COUNT_CAP + 1


def staff_search_deals(deals: QuerySet[Deal], q: str) -> tuple[QuerySet[Deal], bool, int | None]:
    """Staff's deal search over all partners: the deals of `deals` whose title holds `q`, or
    whose customer's name holds it (its tax code starts with it: digits), whether more
    than COUNT_CAP match, and how many match when the probe found them all (None: not
    counted), so the list counts nothing again.

    First the customers (at most COUNT_CAP + 1 ids, from the trigram or tax code index), then
    in one query the deals by title (trigram index) and those of the customers (foreign-key
    index): a deal found both ways comes twice, so the query reads up to twice COUNT_CAP + 1
    rows, and more than COUNT_CAP distinct deals (or a full read) means the word is common
    and is tested on each row in list order instead (one join per row; a page comes after a
    few hundred rows). Otherwise the list reads the customers' deals by the customer index
    and the titled ones by id: the same rows as the ids the probe found, and cheaper to count
    and sort than those ids (a tax code's 100 customers hold 400 deals, scattered over the
    table).
    """
    customers = matching_customer_ids(q)
    if customers is not None:
        # Each id with whether its title matched: the two probes in one round trip, on the
        # list's own rows (its filters applied), so what they find is what the list shows.
        by_title = deals.filter(title__icontains=q).order_by()
        theirs = deals.filter(customer_id__any_of=customers).order_by()
        probe = by_title.values_list("pk", Value(True)).union(
            theirs.values_list("pk", Value(False)), all=True
        )
        # Each deal comes at most twice (once by title, once by customer): a full read holds
        # at least COUNT_CAP + 1 distinct deals, a shorter one all of them.
        read = 2 * (COUNT_CAP + 1)
        found = list(probe[:read])
        distinct = {pk for pk, _is_title in found}
        if len(found) < read and len(distinct) <= COUNT_CAP:
            titled = [pk for pk, is_title in found if is_title]
            matches = deals.filter(Q(customer_id__any_of=customers) | Q(pk__any_of=titled))
            return matches, False, len(distinct)
    return deals.filter(_deal_match(q)), True, None


def filtered_deals(partner, *, stage: str = "", view: str = "") -> QuerySet[Deal]:
    """The partner's deals in `stage` and in the named `view` (a dashboard figure's rows,
    deals.dashboard.deal_view_filter); unknown names are ignored."""
    deals = deals_for_partner(partner)
    if stage in Deal.Stage.values:
        deals = deals.filter(stage=stage)
    condition = deal_view_filter(view)
    if condition is not None:
        deals = deals.filter(condition)
    return deals


def deal_page(
    partner, *, q: str = "", stage: str = "", sort: str = "", cursor: str = "", view: str = ""
):
    """One page of the partner's deal list; unknown stages, sorts and views fall back to
    all/default."""
    stage = stage if stage in Deal.Stage.values else ""
    view = view if deal_view_filter(view) is not None else ""
    sort = sort if sort in DEAL_SORTS else DEFAULT_DEAL_SORT
    deals = filtered_deals(partner, stage=stage, view=view)
    scope = deal_list_scope(partner, q=q, stage=stage, sort=sort) + f"|{view}"
    if q:
        return search_page(
            deals,
            _deal_match(q),
            lambda deals: search_deals(deals, q),
            ordering=DEAL_SORTS[sort],
            cursor=cursor,
            scope=scope,
            # A tax code prefix is never a common word: straight to the indexes.
            window=0 if TAX_CODE_PREFIX.fullmatch(q) else SEARCH_WINDOW,
        )
    return keyset_page(deals, ordering=DEAL_SORTS[sort], cursor=cursor, scope=scope)


def deals_for_export(
    partner, *, q: str = "", stage: str = "", sort: str = "", view: str = ""
) -> QuerySet[Deal]:
    """Every deal of the list as filtered and sorted on screen, for the CSV download (read
    with .iterator(): it streams)."""
    deals = filtered_deals(partner, stage=stage, view=view)
    if q:
        deals = deals.filter(_deal_match(q))
    return deals.order_by(*DEAL_SORTS.get(sort, DEAL_SORTS[DEFAULT_DEAL_SORT]))


def deal_list_scope(partner, *, q: str, stage: str, sort: str) -> str:
    """What a deal-list cursor is valid for: this partner's list with this search and sort."""
    return f"deals|{partner.pk}|{sort}|{stage}|{q}"


def get_deal_for_partner(partner, pk) -> Deal:
    """The partner's deal or 404: another partner's deal is indistinguishable from none."""
    return get_object_or_404(
        deals_for_partner(partner).select_related("created_by", "closed_by", "discount"), pk=pk
    )


def get_attachment_for_partner(partner, deal_pk, pk) -> Attachment:
    return get_object_or_404(
        Attachment.objects.filter(deal__partner=partner, deal_id=deal_pk).select_related("deal"),
        pk=pk,
    )


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "stage", "review", "note" or "attachment"
    at: datetime
    obj: object


TIMELINE_SIZE = 20
TIMELINE_MAX = 1000


def deal_timeline(deal: Deal, limit: int = TIMELINE_SIZE) -> tuple[list[TimelineEntry], bool]:
    """The newest `limit` stage changes, reviews, notes and attachments, newest first, and
    whether there are older ones ("show more").

    Three queries whatever the length of the history: each kind reads its newest `limit` + 1
    rows from its (deal, time, id) index, and the merge keeps the newest `limit`.
    """
    limit = max(1, min(limit, TIMELINE_MAX))
    changes = StageChange.objects.filter(deal=deal).select_related("by").order_by("-at", "-pk")
    # A note written with a stage change is shown inside that change's entry.
    notes = Note.objects.filter(deal=deal, stage_change__isnull=True).select_related("author")
    files = Attachment.objects.filter(deal=deal).select_related("uploaded_by")
    entries = [
        TimelineEntry("review" if change.is_review else "stage", change.at, change)
        for change in changes[: limit + 1]
    ]
    entries += [
        TimelineEntry("note", note.created_at, note)
        for note in notes.order_by("-created_at", "-pk")[: limit + 1]
    ]
    entries += [
        TimelineEntry("attachment", item.uploaded_at, item)
        for item in files.order_by("-uploaded_at", "-pk")[: limit + 1]
    ]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit], len(entries) > limit


def recent_activity(partner, limit: int = 10) -> list[StageChange]:
    """The partner's newest history entries, read from the (partner, at, id) index."""
    return list(
        StageChange.objects.filter(partner=partner)
        .select_related("deal", "by")
        .order_by("-at", "-pk")[:limit]
    )


def protected_claims(day=None) -> QuerySet[Deal]:
    """Deals that protect their partner's claim on the customer on `day` (default today):
    approved, open, protection not yet expired."""
    return Deal.objects.filter(
        status=Deal.Status.APPROVED,
        closed_at__isnull=True,
        protected_until__gte=day or timezone.localdate(),
    )


# A tax code is 10 digits for a company, plus "-" and 3 digits for one of its branches: the
# first 10 characters (the root) name the company.
TAX_ROOT_LENGTH = 10


def tax_root(tax_code: str) -> str:
    return tax_code[:TAX_ROOT_LENGTH]


def same_company(tax_code: str, prefix: str = "customer__") -> Q:
    """Customers with the same tax-code root: the head office and all its branches."""
    root = tax_root(tax_code)
    return Q(**{f"{prefix}tax_code": root}) | Q(**{f"{prefix}tax_code__startswith": root + "-"})


def conflicting_claims(deal: Deal, day=None) -> QuerySet[Deal]:
    """Other partners' protected claims on this deal's customer or the same company (tax-code
    root). For staff only: a partner must never learn which partner or deal it is."""
    return (
        protected_claims(day)
        # A sandbox's deals meet only its own test customers (its realm), and real deals only
        # real customers: a test claim never blocks a real win, nor a real one a test.
        .filter(same_company(deal.customer.tax_code), customer__sandbox=deal.customer.sandbox_id)
        .exclude(partner_id=deal.partner_id)
        .select_related("partner")
    )


def claims_shown(claims: QuerySet[Deal]) -> QuerySet[Deal]:
    """Only what a staff page's list of claims shows (title, partner, stage, protection):
    a third of the columns, and a third of the CPU to build its query."""
    return claims.only("title", "stage", "protected_until", "partner__name")


def same_realm(prefix: str = "customer__") -> Q:
    """The outer deal's realm (its customer's sandbox, 0 for the real customers), as a filter
    on an annotated `realm` (see `with_realm`), for subqueries compared row by row."""
    return Q(realm=Coalesce(OuterRef(f"{prefix}sandbox_id"), 0))


def with_realm(queryset: QuerySet[Deal]) -> QuerySet[Deal]:
    return queryset.alias(realm=Coalesce("customer__sandbox_id", 0))


def with_conflict_flag(queryset: QuerySet[Deal], day=None) -> QuerySet[Deal]:
    """Annotate `has_conflict` (another partner's protected claim on the same company).

    The customers are compared by `LEFT(tax_code, 10)`, the expression of the customers'
    `customer_tax_root` index: per row, one index lookup for the same company's customers,
    then their deals. (A `LIKE root || '%'` built from the outer row cannot use an index.)
    """
    others = (
        protected_claims(day)
        .annotate(tax_root=Left("customer__tax_code", TAX_ROOT_LENGTH))
        .filter(tax_root=Left(OuterRef("customer__tax_code"), TAX_ROOT_LENGTH))
        .exclude(partner_id=OuterRef("partner_id"))
    )
    return queryset.annotate(has_conflict=Exists(with_realm(others).filter(same_realm())))


# --- possible duplicates (staff) ---------------------------------------------------------------


def real_customers() -> QuerySet[Customer]:
    """The customers staff compare: a sandbox's test customers copy real tax codes and names."""
    return Customer.objects.filter(sandbox__isnull=True)


# Names at least this similar (pg_trgm similarity, 0..1) are shown as possible duplicates.
NAME_SIMILARITY = 0.5
# The newest customers compared on one page of possible duplicates (each against every
# customer), and how many similar names are shown for each.
DUPLICATE_SCAN = 20
SIMILAR_PER_CUSTOMER = 5


def possible_duplicates(*, before: int | None = None, scan: int | None = None) -> dict:
    """The newest `scan` real customers (those before the customer id `before`, if given), each
    compared with every customer, as groups of customers that may be one company, with their
    deals; for staff only. `older` is where the next page starts (None at the oldest).

    A group is either the customers sharing a tax-code root (head office and branches), or a
    customer and another of a different root with a very similar name: trigram similarity
    on PostgreSQL, one name containing the other (case-insensitively) elsewhere. Comparing
    every pair of customers once took minutes at 250,000 customers (the page timed out); a
    page of the newest is one index lookup per customer.
    """
    scan = scan or DUPLICATE_SCAN
    newest = real_customers().order_by("-pk")
    if before is not None:
        newest = newest.filter(pk__lt=before)
    newest = list(newest.values_list("pk", "name", "tax_code")[:scan])
    roots = {tax_root(code) for _pk, _name, code in newest}
    by_root: dict[str, list[int]] = {}
    for pk, root in (
        real_customers()
        .annotate(root=Left("tax_code", TAX_ROOT_LENGTH))
        .filter(root__in=roots)  # the customers' tax-root index
        .order_by("pk")
        .values_list("pk", "root")
    ):
        by_root.setdefault(root, []).append(pk)
    similar = _similar_names(newest)
    groups, seen = [], set()
    for pk, _name, code in newest:
        root = tax_root(code)
        if len(by_root.get(root, ())) > 1 and root not in seen:
            seen.add(root)
            groups.append((_("Same tax-code root %(root)s") % {"root": root}, by_root[root]))
        for other in similar.get(pk, ()):
            if (pair := frozenset((pk, other))) not in seen:
                seen.add(pair)
                groups.append((_("Similar names"), [pk, other]))
    ids = {pk for _reason, members in groups for pk in members}
    customers = real_customers().in_bulk(ids)
    deals: dict[int, list] = {}
    for deal in Deal.objects.filter(customer_id__in=ids).select_related("partner").order_by("-pk"):
        deals.setdefault(deal.customer_id, []).append(deal)
    result = []
    for reason, members in groups:
        rows = [customers[pk] for pk in members if pk in customers]
        for customer in rows:
            customer.deal_list = deals.get(customer.pk, [])
        result.append({"reason": reason, "customers": rows})
    older = newest[-1][0] if len(newest) == scan else None
    return {"groups": result, "older": older}


def _similar_names(newest: list[tuple[int, str, str]]) -> dict[int, list[int]]:
    """{customer id: ids of other real customers of another tax-code root with a very similar
    name}, for the given (id, name, tax code) rows."""
    if not newest:
        return {}
    if connection.vendor != "postgresql":
        return _similar_names_in_python(newest)
    with transaction.atomic(), connection.cursor() as cursor:
        # `%` keeps only names this similar, so the names' trigram index answers it (one
        # index scan per customer; a plan reading the table stopped early only when the
        # names were alike). Both settings are put back after: inside an outer transaction
        # this block is a savepoint, whose release keeps what SET LOCAL set.
        cursor.execute(
            # missing_ok: pg_trgm's setting exists once the extension is loaded in the session
            "SELECT current_setting('pg_trgm.similarity_threshold', true),"
            " current_setting('enable_seqscan')"
        )
        threshold, seqscan = cursor.fetchone()
        threshold = threshold or "0.3"  # pg_trgm's default
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true),"
            " set_config('enable_seqscan', 'off', true)",
            [str(NAME_SIMILARITY)],
        )
        cursor.execute(
            """
            SELECT n.id, o.id FROM partners_customer n
            CROSS JOIN LATERAL (
                SELECT b.id FROM partners_customer b
                WHERE upper(b.name) %% upper(n.name) AND b.id <> n.id AND b.sandbox_id IS NULL
                  AND left(b.tax_code, 10) <> left(n.tax_code, 10)
                LIMIT %s
            ) o
            WHERE n.id = ANY(%s)
            """,
            [SIMILAR_PER_CUSTOMER, [pk for pk, _name, _code in newest]],
        )
        found: dict[int, list[int]] = {}
        for pk, other in cursor.fetchall():
            found.setdefault(pk, []).append(other)
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true),"
            " set_config('enable_seqscan', %s, true)",
            [threshold, seqscan],
        )
        return found


def _similar_names_in_python(newest, scan: int = 2000) -> dict[int, list[int]]:
    """SQLite (demo) fallback: one name contains the other, against the newest `scan`
    customers."""
    rows = list(real_customers().order_by("-pk").values_list("pk", "name", "tax_code")[:scan])
    names = [(pk, " ".join(name.casefold().split()), tax_root(code)) for pk, name, code in rows]
    found: dict[int, list[int]] = {}
    for pk_a, name, code in newest:
        name_a, root_a = " ".join(name.casefold().split()), tax_root(code)
        for pk_b, name_b, root_b in names:
            if pk_b != pk_a and root_a != root_b and min(len(name_a), len(name_b)) >= 5:
                if name_a in name_b or name_b in name_a:
                    found.setdefault(pk_a, []).append(pk_b)
                    if len(found[pk_a]) >= SIMILAR_PER_CUSTOMER:
                        break
    return found
