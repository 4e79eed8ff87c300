"""The words of each kind of event, rendered in the reader's language when read or mailed.

Events store values (a stage code, a date, a reason), never sentences, so a Vietnamese reader
and an English one each read the same event in their own language.
"""

from datetime import date

from django.utils.formats import localize
from django.utils.translation import gettext as _

from notifications.models import Event, Kind

TEXTS = {
    Kind.DEAL_REGISTERED: lambda: _("%(partner)s registered the deal “%(deal)s” for %(customer)s."),
    Kind.DEAL_RESUBMITTED: lambda: _(
        "%(partner)s resubmitted the deal “%(deal)s” for %(customer)s after changes."
    ),
    Kind.DEAL_APPROVED: lambda: _(
        "The registration of “%(deal)s” was approved; your claim is protected until %(date)s."
    ),
    Kind.DEAL_SENT_BACK: lambda: _("VNG Cloud asks for changes to “%(deal)s”: %(reason)s"),
    Kind.DEAL_REJECTED: lambda: _("The registration of “%(deal)s” was rejected: %(reason)s"),
    Kind.STAGE_CHANGED: lambda: _("“%(deal)s” moved from %(from_stage)s to %(to_stage)s."),
    Kind.DEAL_WON: lambda: _("“%(deal)s” (%(customer)s) was won; its discount is issued."),
    Kind.DEAL_LOST: lambda: _("“%(deal)s” (%(customer)s) was lost."),
    Kind.WIN_VOIDED: lambda: _(
        "VNG Cloud voided the win of “%(deal)s”; its discount was revoked: %(reason)s"
    ),
    Kind.DISCOUNT_ISSUED: lambda: _(
        "A discount for %(customer)s was issued by “%(deal)s”, valid until %(date)s."
    ),
    Kind.DISCOUNT_REVOKED: lambda: _("The discount issued by “%(deal)s” was revoked: %(reason)s"),
    Kind.CUSTOMER_DISCOUNT_CREATED: lambda: _(
        "A customer discount for %(customer)s was created on the discount of “%(deal)s”."
    ),
    Kind.CUSTOMER_DISCOUNT_ENDED: lambda: _(
        "The customer discount for %(customer)s (discount of “%(deal)s”) has ended."
    ),
    Kind.PROTECTION_EXPIRING: lambda: _(
        "Your claim on “%(deal)s” is protected only until %(date)s; win it or ask VNG Cloud "
        "to extend it."
    ),
    Kind.PROTECTION_EXPIRED: lambda: _(
        "The protection of “%(deal)s” ended on %(date)s; other partners may now register "
        "this customer."
    ),
    Kind.CONFLICT_FLAGGED: lambda: _(
        "“%(deal)s” of %(partner)s may conflict with another partner's protected claim on "
        "%(customer)s (same tax code or its branch)."
    ),
    Kind.CREDIT_TOPPED_UP: lambda: _(
        "%(amount)s VND of credit is on its way to %(customer)s's cloud account %(account)s."
    ),
    Kind.CREDIT_TOP_UP_APPLIED: lambda: _(
        "%(amount)s VND of credit was applied to %(customer)s's cloud account %(account)s."
    ),
    Kind.CREDIT_TOP_UP_FAILED: lambda: _(
        "The top-up of %(amount)s VND to %(customer)s's cloud account %(account)s failed "
        "(%(reason)s); the credit is back in your balance."
    ),
    Kind.STATEMENT_SENT: lambda: _(
        "Your statement of %(month)s is ready: a commission of %(amount)s VND. Confirm it or "
        "dispute it."
    ),
    Kind.STATEMENT_CONFIRMED: lambda: _("%(partner)s confirmed its statement of %(month)s."),
    Kind.STATEMENT_DISPUTED: lambda: _(
        "%(partner)s disputed its statement of %(month)s: %(reason)s"
    ),
    Kind.STATEMENT_PAID: lambda: _(
        "The commission of %(amount)s VND of your statement of %(month)s was paid."
    ),
    Kind.CLOUD_ACCOUNT_REQUESTED: lambda: _(
        "A link of %(customer)s's cloud account %(account)s was requested; the customer "
        "confirms it by e-mail."
    ),
    Kind.CLOUD_ACCOUNT_CONFIRMED: lambda: _(
        "%(customer)s confirmed the link of its cloud account %(account)s; VNG Cloud approves "
        "it next."
    ),
    Kind.CLOUD_ACCOUNT_APPROVED: lambda: _(
        "%(customer)s's cloud account %(account)s is linked to you; you can top it up."
    ),
    Kind.CLOUD_ACCOUNT_REJECTED: lambda: _(
        "VNG Cloud rejected the link of %(customer)s's cloud account %(account)s: %(reason)s"
    ),
    Kind.CLOUD_ACCOUNT_CANCELLED: lambda: _(
        "Your organisation cancelled the link request of %(customer)s's cloud account %(account)s."
    ),
    Kind.CLOUD_ACCOUNT_MOVED: lambda: _(
        "%(customer)s's cloud account %(account)s is no longer linked to you: the customer moved."
    ),
    Kind.CLOUD_ACCOUNT_CONFIRMATION: lambda: _(
        "A confirmation link for the cloud account %(account)s was e-mailed to the customer."
    ),
    Kind.REVIEW_OVERDUE: lambda: _(
        "The registration “%(deal)s” of %(partner)s for %(customer)s has waited longer than "
        "%(sla)s business days for review (it was due on %(date)s)."
    ),
}


def _stage_label(deal, value: str) -> str:
    if not value:
        return "-"
    return str(dict(deal._meta.get_field("stage").flatchoices).get(value, value))


def _date(value) -> str:
    if not value:
        return "-"
    return localize(date.fromisoformat(value))


def message(event: Event) -> str:
    """The event in one sentence, in the active language."""
    deal = event.deal
    params = event.params or {}
    values = {
        "deal": deal.title if deal else "-",
        "customer": deal.customer.name if deal else params.get("customer", "-"),
        "partner": event.partner.name if event.partner_id else "-",
        "reason": params.get("reason") or "-",
        "date": _date(params.get("date")),
        "from_stage": _stage_label(deal, params.get("from_stage", "")) if deal else "-",
        "to_stage": _stage_label(deal, params.get("to_stage", "")) if deal else "-",
        "sla": params.get("sla", "-"),
        "amount": params.get("amount", "-"),
        "account": params.get("account") or params.get("name") or "-",
        "month": params.get("month", "-"),
    }
    if "customer" in params:
        values["customer"] = params["customer"]
    text = TEXTS[Kind(event.kind)]() % values
    text = _other_wording(event.kind, params, values) or text
    if event.kind == Kind.CONFLICT_FLAGGED and params.get("on") == "win":
        text += " " + _("The partner tried to win it; the win was refused.")
    return text


def _other_wording(kind: str, params: dict, values: dict) -> str:
    """The cloud account events that read differently for the side they reach."""
    if kind == Kind.CLOUD_ACCOUNT_MOVED and params.get("to_you"):
        return (
            _(
                "%(customer)s's cloud account %(account)s is now linked to you: the customer is yours."
            )
            % values
        )
    if kind == Kind.CLOUD_ACCOUNT_CANCELLED and params.get("by") == "ownership":
        return (
            _(
                "The link request of %(customer)s's cloud account %(account)s was cancelled: the "
                "customer moved to another partner."
            )
            % values
        )
    return ""


def title(event: Event) -> str:
    return str(Kind(event.kind).label)
