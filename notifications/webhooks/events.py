"""The API's names for the outbox's kinds of event, in one place, and an event's JSON.

`GET /api/v1/events/` and every webhook delivery show an event the same way (`payload`).
Kinds missing here stay inside the portal (a possible conflict is for the reviewers only).
"""

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
}
KIND_FOR_TYPE = {name: str(kind) for kind, name in TYPE_FOR_KIND.items()}
EVENT_TYPES = tuple(TYPE_FOR_KIND.values())
PARTNER_KINDS = tuple(KIND_FOR_TYPE.values())


def event_type(kind: str) -> str | None:
    """The API's name of an outbox kind; None for a kind the partner is not told about."""
    return TYPE_FOR_KIND.get(kind)


def payload(event) -> dict:
    """What the partner receives for `event` (the API list and each webhook delivery)."""
    return {
        "id": event.pk,
        "type": event_type(event.kind),
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "deal": event.deal_id,
        "data": dict(event.params or {}),
    }
