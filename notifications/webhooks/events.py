"""The API's names for the outbox's kinds of event, in one place, and an event's JSON.

`GET /api/v1/events/` and every webhook delivery show an event the same way (`payload`).
Kinds missing here stay inside the portal (a possible conflict is for the reviewers only).

An event's `data` holds what a CRM acts on: the deal exactly as `GET /api/v1/deals/{id}` shows
it, the discount with its lines. Those shapes belong to the API, two floors above this app, so
the API registers the function that builds them (`register_data_builder`, from its
AppConfig.ready); `record_events` calls it when the event is written, in the same transaction,
so the data is the state the event describes, and retries send the same body.
"""

from collections.abc import Callable

from notifications.models import Kind

TYPE_FOR_KIND = {
    Kind.DEAL_REGISTERED: "deal.registered",
    Kind.DEAL_RESUBMITTED: "deal.resubmitted",
    Kind.DEAL_APPROVED: "deal.approved",
    Kind.DEAL_SENT_BACK: "deal.sent_back",
    Kind.DEAL_REJECTED: "deal.rejected",
    Kind.STAGE_CHANGED: "deal.stage_changed",
    Kind.DEAL_WON: "deal.won",
    Kind.DEAL_LOST: "deal.lost",
    Kind.WIN_VOIDED: "deal.win_voided",
    Kind.PROTECTION_EXPIRING: "deal.protection_expiring",
    Kind.PROTECTION_EXPIRED: "deal.protection_expired",
    Kind.DISCOUNT_ISSUED: "discount.issued",
    Kind.DISCOUNT_REVOKED: "discount.revoked",
    Kind.CUSTOMER_DISCOUNT_CREATED: "customer_discount.created",
    Kind.CUSTOMER_DISCOUNT_ENDED: "customer_discount.ended",
    Kind.CREDIT_TOPPED_UP: "credit.topped_up",
    Kind.CREDIT_TOP_UP_APPLIED: "credit.top_up_applied",
    Kind.CREDIT_TOP_UP_FAILED: "credit.top_up_failed",
    Kind.STATEMENT_SENT: "statement.sent",
    Kind.STATEMENT_CONFIRMED: "statement.confirmed",
    Kind.STATEMENT_DISPUTED: "statement.disputed",
    Kind.STATEMENT_PAID: "statement.paid",
    Kind.CLOUD_ACCOUNT_REQUESTED: "cloud_account.requested",
    Kind.CLOUD_ACCOUNT_CONFIRMED: "cloud_account.confirmed",
    Kind.CLOUD_ACCOUNT_APPROVED: "cloud_account.approved",
    Kind.CLOUD_ACCOUNT_REJECTED: "cloud_account.rejected",
    Kind.CLOUD_ACCOUNT_CANCELLED: "cloud_account.cancelled",
    Kind.CLOUD_ACCOUNT_MOVED: "cloud_account.moved",
}
KIND_FOR_TYPE = {name: str(kind) for kind, name in TYPE_FOR_KIND.items()}
EVENT_TYPES = tuple(TYPE_FOR_KIND.values())
PARTNER_KINDS = tuple(KIND_FOR_TYPE.values())
# Not subscribed to: sent to one endpoint when its admin asks ("Send a test event").
TEST_TYPE = "webhook.test"

# builder(events) -> one dict per event, in order: the data the API adds to each (the deal,
# the discount). Filled by the API app; empty (params only) in a process without it.
_data_builders: list[Callable[[list], list[dict]]] = []


def register_data_builder(builder: Callable[[list], list[dict]]) -> None:
    if builder not in _data_builders:
        _data_builders.append(builder)


def event_type(kind: str) -> str | None:
    """The API's name of an outbox kind; None for a kind the partner is not told about."""
    if kind == Kind.WEBHOOK_TEST:
        return TEST_TYPE
    return TYPE_FOR_KIND.get(kind)


def build_data(events: list) -> list[dict]:
    """Each event's `data`: its params, and what the registered builders add (the deal, the
    discount) for the kinds partners are told about."""
    data = [dict(event.params or {}) for event in events]
    told = [i for i, event in enumerate(events) if TYPE_FOR_KIND.get(event.kind)]
    for builder in _data_builders:
        for i, extra in zip(told, builder([events[i] for i in told]), strict=True):
            data[i].update(extra)
    return data


def payload(event) -> dict:
    """What the partner receives for `event` (the API list and each webhook delivery): the
    data written with the event, or for an event older than that, built now."""
    data = event.data if event.data is not None else build_data([event])[0]
    return {
        "id": event.pk,
        "type": event_type(event.kind),
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "deal": event.deal_id,
        "data": data,
    }
