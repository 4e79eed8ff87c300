"""Registering a deal and sending one that staff sent back to review again.

The rules (checked here, whoever calls): a contract in force, at least one product, each
rate allowed by the contract (discounts.rates), a whole estimated value
of 0 or more, an expected close date that is not in the past, and no second open registration
of the same title for the same customer by the same partner.
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals import counters
from deals.models import Deal, DiscountRule, Product, StageChange
from deals.selectors import conflicting_claims
from deals.services.checks import (
    check_deal_fields,
    check_not_duplicate,
    clean_title,
    lock_partner_titles,
)
from deals.services.sandbox import schedule_approval
from deals.services.sync import check_external_id_free, check_version, clean_external_id
from discounts.rates import NO_CONTRACT, check_deal_rates
from notifications.activity import changes_between, record_activity
from notifications.models import Kind
from notifications.services import record_events
from partners.models import Contract, Customer, Partner, tax_code_validator
from partners.selectors import customer_realm
from partners.services import get_or_create_customer


def contract_in_force(partner: Partner, day: date | None = None) -> Contract:
    """The partner's contract in force on `day` (default today), or a ValidationError."""
    contract = partner.contract_on(day or timezone.localdate())
    if contract is None:
        raise ValidationError(NO_CONTRACT, code="no_contract")
    return contract


def has_conflicting_claim(deal: Deal, day: date | None = None) -> bool:
    """Whether another partner holds an approved, still-protected, open deal for the customer
    or the same company (same tax-code root: a branch 0312345678-001 and its head office
    0312345678 are one company).

    Only a yes/no: the caller must never learn which partner or deal it is.
    """
    return conflicting_claims(deal, day).exists()


def _check_customer(tax_code: str, name: str, realm: Partner | None) -> Customer | None:
    """The known customer for `tax_code` (among the sandbox `realm`'s test customers, or the
    real ones), or None if a new one may be made with `name`."""
    try:
        tax_code_validator(tax_code)
    except ValidationError as error:
        raise ValidationError({"customer_tax_code": error.messages}) from error
    customer = Customer.objects.filter(tax_code=tax_code, sandbox=realm).first()
    if customer is None and not name.strip():
        raise ValidationError(
            {"customer_name": _("This tax code is new to the portal: give the customer's name.")}
        )
    return customer


@transaction.atomic
def register_deal(
    *,
    partner: Partner,
    by,
    customer_tax_code: str,
    customer_name: str,
    title: str,
    estimated_value: Decimal,
    expected_close_date: date,
    rates: dict[Product, Decimal],
    description: str = "",
    external_id: str | None = None,
) -> Deal:
    """Register a new deal for review; returns it.

    Effects:
    - refuses (ValidationError, keyed by field where there is one) without the partner's
      contract in force, with a bad rate, field or tax code, or when the partner already has
      an open deal with the same title for the same customer (a double submission), or
      when another of its deals has the same `external_id` (its CRM's id; blank: none);
    - the customer is found by tax code, or created with `customer_name` (a known customer
      keeps its name);
    - the deal is created `pending` in `prospect` (probability 10 %), submitted for review
      now (`submitted_at`, filled by the database);
    - one DiscountRule per product in `rates`; the dashboard's deal counters count it;
    - one StageChange with the system note REGISTERED, or REGISTERED_CONFLICT when another
      partner holds a protected claim on the customer or the same company (tax-code root, see
      `has_conflicting_claim`), so the reviewer sees it;
    - events "deal registered" and, with such a claim, "possible conflict flagged" (staff);
    - an activity entry with the customer, value and rates;
    - in a sandbox: its approval by the system, after the commit and a delay
      (`deals.services.sandbox.schedule_approval`).
    Nothing is saved if any check fails.
    """
    today = timezone.localdate()
    # Lock the partner row: two submissions of one form (double click, two tabs, two app
    # servers) queue here, so the second sees the first one's deal and is refused.
    lock_partner_titles(partner.pk)
    tax_code = customer_tax_code.strip()
    title = clean_title(title)
    check_deal_fields(
        title=title,
        estimated_value=estimated_value,
        expected_close_date=expected_close_date,
        today=today,
    )
    check_deal_rates(partner, rates, today)
    realm = customer_realm(partner)
    known = _check_customer(tax_code, customer_name, realm)
    check_not_duplicate(partner=partner, customer=known, title=title)
    # The partner row lock above also orders two registrations with one external id.
    external_id = clean_external_id(external_id)
    check_external_id_free(partner, external_id)
    customer = known or get_or_create_customer(tax_code=tax_code, name=customer_name, sandbox=realm)
    deal = Deal.objects.create(
        partner=partner,
        customer=customer,
        title=title,
        description=description.strip(),
        estimated_value=estimated_value,
        expected_close_date=expected_close_date,
        created_by=by,
        probability=Deal.PROBABILITY[Deal.Stage.PROSPECT],
        external_id=external_id,
    )
    DiscountRule.objects.bulk_create(
        DiscountRule(deal=deal, product=product, rate=rate) for product, rate in rates.items()
    )
    counters.record(None, deal)
    code = StageChange.SystemNote.REGISTERED
    conflict = has_conflicting_claim(deal, today)
    if conflict:
        code = StageChange.SystemNote.REGISTERED_CONFLICT
    StageChange.objects.create(
        deal=deal, to_stage=deal.stage, to_status=deal.status, by=by, system_code=code
    )
    _record(Kind.DEAL_REGISTERED, deal, by, conflict, "registration")
    record_activity(
        action="deal.registered",
        actor=by,
        obj=deal,
        data={
            "customer": str(customer),
            "estimated_value": deal.estimated_value,
            "rates": {product.name: rate for product, rate in rates.items()},
            **({"external_id": external_id} if external_id else {}),
        },
    )
    schedule_approval(deal)
    return deal


def _record(kind: str, deal: Deal, by, conflict: bool, on: str) -> None:
    events = [{"kind": kind, "deal": deal, "actor": by}]
    if conflict:
        events.append(
            {"kind": Kind.CONFLICT_FLAGGED, "deal": deal, "actor": by, "params": {"on": on}}
        )
    record_events(events)


def _apply_edits(deal: Deal, edits: dict) -> list[str]:
    """Set the edited fields that differ; return their names."""
    changed = []
    for field, value in edits.items():
        if value is not None and getattr(deal, field) != value:
            setattr(deal, field, value)
            changed.append(field)
    return changed


def _replace_rates(deal: Deal, rates: dict[Product, Decimal]) -> bool:
    """Replace the deal's rules with `rates`; whether anything changed."""
    current = {rule.product_id: rule.rate for rule in deal.discount_rules.all()}
    if current == {product.pk: rate for product, rate in rates.items()}:
        return False
    deal.discount_rules.all().delete()
    DiscountRule.objects.bulk_create(
        DiscountRule(deal=deal, product=product, rate=rate) for product, rate in rates.items()
    )
    return True


@transaction.atomic
def resubmit_deal(
    deal: Deal,
    *,
    by,
    title: str | None = None,
    description: str | None = None,
    estimated_value: Decimal | None = None,
    expected_close_date: date | None = None,
    rates: dict[Product, Decimal] | None = None,
    note: str = "",
    expected_version: str | None = None,
) -> Deal:
    """Send a deal that staff marked `action_required` back to review (`pending`).

    Every edit is optional: None leaves the field as it is.

    Effects:
    - refuses (ValidationError, code "not_action_required") unless the deal, re-read under a
      row lock, is still `action_required` (two tabs resubmitting: the second is refused);
      refuses (code "stale") when `expected_version` is given and the deal changed since;
    - checks the edits with the registration rules (contract in force, rates, a close date not
      in the past, no duplicate open title for the customer, under the partner's row lock as
      at registration); products the deal already has
      stay allowed even if staff have since withdrawn them;
    - saves the edited title, description, estimated value and expected close date;
    - replaces the deal's DiscountRules with `rates` when they differ;
    - sets the status to `pending` (the reviewer's comment is kept for the record) and
      `submitted_at` to now (the review queue's clock starts again), and moves the deal in the
      dashboard's deal counters;
    - writes one StageChange action_required → pending with the partner's note and the names
      of what changed (system note CHANGED, shown in the reader's language);
    - events "deal resubmitted" and, if another partner holds a protected claim on the same
      company, "possible conflict flagged" (staff);
    - an activity entry with each changed value before and after;
    - in a sandbox: its approval by the system after a delay (`schedule_approval`).
    """
    if title is not None:
        lock_partner_titles(deal.partner_id)  # before the deal's row: registration's order
    deal = Deal.objects.select_for_update().get(pk=deal.pk)
    check_version(deal, expected_version)
    if deal.status != Deal.Status.ACTION_REQUIRED:
        raise ValidationError(
            _("This deal is no longer waiting for your changes (review status: %(status)s).")
            % {"status": deal.get_status_display()},
            code="not_action_required",
        )
    today = timezone.localdate()
    edits = {
        "title": clean_title(title) if title is not None else None,
        "description": description.strip() if description is not None else None,
        "estimated_value": estimated_value,
        "expected_close_date": expected_close_date,
    }
    check_deal_fields(
        title=edits["title"] if title is not None else deal.title,
        estimated_value=estimated_value if estimated_value is not None else deal.estimated_value,
        expected_close_date=expected_close_date or deal.expected_close_date,
        today=today,
    )
    if title is not None:
        check_not_duplicate(
            partner=deal.partner, customer=deal.customer, title=edits["title"], exclude_pk=deal.pk
        )
    if rates is not None:
        already = frozenset(deal.discount_rules.values_list("product_id", flat=True))
        check_deal_rates(deal.partner, rates, today, also_allowed=already)
    before = counters.snapshot(deal)
    logged = _logged(deal)
    edited = _apply_edits(deal, edits)
    changed = list(edited)
    if rates is not None and _replace_rates(deal, rates):
        changed.append("rates")
    deal.status = Deal.Status.PENDING
    # Back in the review queue: the review promise counts from now.
    deal.submitted_at = timezone.now()
    deal.save(update_fields=["status", "submitted_at", "updated_at", *edited])
    counters.record(before, deal)
    StageChange.objects.create(
        deal=deal,
        from_stage=deal.stage,
        to_stage=deal.stage,
        from_status=Deal.Status.ACTION_REQUIRED,
        to_status=Deal.Status.PENDING,
        by=by,
        note=note.strip(),
        # Field names, not labels: the timeline puts them into the reader's language.
        system_code=StageChange.SystemNote.CHANGED if changed else "",
        system_params={"fields": changed} if changed else {},
    )
    _record(Kind.DEAL_RESUBMITTED, deal, by, has_conflicting_claim(deal, today), "resubmission")
    record_activity(
        action="deal.resubmitted",
        actor=by,
        obj=deal,
        changes=changes_between(logged, _logged(deal)),
        data={"note": note.strip()} if note.strip() else {},
    )
    schedule_approval(deal)
    return deal


def _logged(deal: Deal) -> dict:
    """What a resubmission may change, as the activity log compares it."""
    values = {name: getattr(deal, name) for name in RESUBMITTED}
    rules = deal.discount_rules.select_related("product")
    return {**values, **{f"rate {rule.product.name}": rule.rate for rule in rules}}


RESUBMITTED = ("status", "title", "description", "estimated_value", "expected_close_date")
