"""Reads on API tokens, scoped to a partner."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from api.models import ApiToken
from notifications.models import Event
from notifications.webhooks.events import KIND_FOR_TYPE, PARTNER_KINDS
from web import tokens


def tokens_for_partner(partner) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(partner=partner).select_related(
        "created_by__membership", "revoked_by"
    )


def get_token_for_partner(partner, pk) -> ApiToken:
    return get_object_or_404(tokens_for_partner(partner), pk=pk)


def token_for_secret(secret: str) -> ApiToken | None:
    """The active token with this secret, its partner (and that partner's sandbox) and its
    creator's membership: one query."""
    found = ApiToken.objects.select_related("partner__sandbox", "created_by__membership")
    return tokens.active_with_secret(found, secret)


def events_for_partner(partner, *, type: str = "", after: int | None = None) -> QuerySet[Event]:
    """The partner's events the API shows (kinds with an API name), optionally of one type and
    after an event id."""
    events = Event.objects.filter(partner=partner, kind__in=PARTNER_KINDS)
    if type:
        events = events.filter(kind=KIND_FOR_TYPE[type])
    if after is not None:
        events = events.filter(pk__gt=after)
    return events
