"""Reads on deals, always scoped to one partner."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from deals.models import OPEN_STAGES, Attachment, Deal, Note, StageChange


def deals_for_partner(partner) -> QuerySet[Deal]:
    return Deal.objects.filter(partner=partner).select_related("customer")


def get_deal_for_partner(partner, pk) -> Deal:
    """The partner's deal or 404: another partner's deal is indistinguishable from none."""
    return get_object_or_404(
        deals_for_partner(partner).select_related("created_by", "closed_by"), pk=pk
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


def deal_timeline(deal: Deal) -> list[TimelineEntry]:
    """Stage changes, reviews, notes and attachments, newest first."""
    entries = [
        TimelineEntry("review" if change.is_review else "stage", change.at, change)
        for change in StageChange.objects.filter(deal=deal).select_related("by")
    ]
    entries += [
        TimelineEntry("note", note.created_at, note)
        # A note written with a stage change is shown inside that change's entry.
        for note in Note.objects.filter(deal=deal, stage_change__isnull=True).select_related(
            "author"
        )
    ]
    entries += [
        TimelineEntry("attachment", item.uploaded_at, item)
        for item in Attachment.objects.filter(deal=deal).select_related("uploaded_by")
    ]
    return sorted(entries, key=lambda entry: entry.at, reverse=True)


def pipeline_by_stage(partner) -> list[dict]:
    """Open, approved deals per stage with their count and estimated value."""
    rows = (
        deals_for_partner(partner)
        .filter(stage__in=OPEN_STAGES, closed_at__isnull=True, status=Deal.Status.APPROVED)
        .values("stage")
        .annotate(count=Count("pk"), value=Sum("estimated_value"))
    )
    by_stage = {row["stage"]: row for row in rows}
    return [
        {
            "stage": stage,
            "label": Deal.Stage(stage).label,
            "count": by_stage.get(stage, {}).get("count", 0),
            "value": by_stage.get(stage, {}).get("value") or 0,
        }
        for stage in OPEN_STAGES
    ]


def deal_counts(partner) -> dict:
    return deals_for_partner(partner).aggregate(
        open=Count("pk", filter=Q(closed_at__isnull=True)),
        won=Count("pk", filter=Q(stage=Deal.Stage.WON)),
        pending=Count("pk", filter=Q(status=Deal.Status.PENDING)),
        action_required=Count("pk", filter=Q(status=Deal.Status.ACTION_REQUIRED)),
    )


def recent_activity(partner, limit: int = 10) -> list[StageChange]:
    return list(
        StageChange.objects.filter(deal__partner=partner)
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


def conflicting_claims(deal: Deal, day=None) -> QuerySet[Deal]:
    """Other partners' protected claims on this deal's customer. For staff only: a partner
    must never learn which partner or deal it is."""
    return (
        protected_claims(day)
        .filter(customer_id=deal.customer_id)
        .exclude(partner_id=deal.partner_id)
        .select_related("partner")
    )


def with_conflict_flag(queryset: QuerySet[Deal], day=None) -> QuerySet[Deal]:
    """Annotate `has_conflict` (another partner's protected claim on the same customer)."""
    others = (
        protected_claims(day)
        .filter(customer_id=OuterRef("customer_id"))
        .exclude(partner_id=OuterRef("partner_id"))
    )
    return queryset.annotate(has_conflict=Exists(others))
