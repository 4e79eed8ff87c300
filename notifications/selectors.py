"""Reads of one user's notifications; nobody reads another user's."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from notifications.models import Delivery

PAGE_SIZE = 30
# The bell shows "99+" beyond this; counting stops there so it stays cheap.
BELL_LIMIT = 99


def notifications_for(user) -> QuerySet[Delivery]:
    return Delivery.objects.filter(user=user, channel=Delivery.Channel.IN_APP).select_related(
        "event__deal__customer", "event__partner"
    )


def get_notification_for(user, pk) -> Delivery:
    """The user's own notification, or 404 (another user's id is indistinguishable from none)."""
    return get_object_or_404(notifications_for(user), pk=pk)


def inbox_page(user, *, before: int | None = None) -> tuple[list[Delivery], int | None]:
    """Newest first, PAGE_SIZE at a time by keyset on the id; returns (rows, next cursor)."""
    rows = notifications_for(user).order_by("-pk")
    if before:
        rows = rows.filter(pk__lt=before)
    page = list(rows[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return page, (page[-1].pk if more else None)


def unread_count(user) -> int:
    """Unread notifications, counted up to BELL_LIMIT + 1."""
    return (
        Delivery.objects.filter(user=user, channel=Delivery.Channel.IN_APP, read_at__isnull=True)
        .values("pk")[: BELL_LIMIT + 1]
        .count()
    )
