"""A partner's sandbox: an organisation of its own where an integrator's tests run the real
rules on test data, approved without a VNG Cloud reviewer.

- `ensure_sandbox` makes it on demand (the first sandbox API token, `api.services`): a
  `Partner` with `sandbox_of` set, the partner's name and tax code, and copies of its
  contracts, so registrations, rates and wins follow the same contract rules.
- Its customers are its own rows (`Customer.sandbox`), found by the real tax codes an
  integrator sends: a test win never moves a real customer, and a test claim never meets a
  real one (`deals.selectors.conflicting_claims`).
- Its registrations are approved by the system SANDBOX_AUTO_APPROVE_SECONDS after they are
  submitted: a task sent with that countdown after the commit, and a beat sweep for a hand-off
  that was lost (`approve_due_sandbox_registrations`). Both go through `approve_deal`, so
  the approval has its history entry, its `deal.approved` event (and webhooks) and its
  activity entry, with no actor (the system).
- VNG Cloud's queues, reports and statements leave it out (`partners.selectors.production`);
  its events reach its own webhook endpoints only, never a person (`notifications.recipients`).
"""

import logging
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from deals.models import Deal
from deals.services.review import approve_deal
from notifications.activity import record_activity
from notifications.services import broker_configured
from partners.models import Contract, Partner, sandbox_name

logger = logging.getLogger(__name__)

APPROVE_TASK = "deals.tasks.approve_sandbox_registration"


@transaction.atomic
def ensure_sandbox(partner: Partner, *, by) -> Partner:
    """The partner's sandbox organisation, made now if it has none; returns it.

    Effects, the first time: a Partner (`sandbox_of` = `partner`, its name with
    " [sandbox]", its tax code, active); an activity entry `partner.sandbox_created` on the
    partner. Every time: each of the partner's contracts not yet copied is copied
    (number "SANDBOX-<the contract's id>", the same dates and limits), so a contract staff
    recorded later reaches the sandbox with the next sandbox token.
    Refused (ValidationError, code "sandbox") for a sandbox itself.
    """
    if partner.sandbox_of_id:
        raise ValidationError("A sandbox has no sandbox of its own.", code="sandbox")
    # Two admins making the first sandbox token at once: the second waits and finds it.
    Partner.objects.select_for_update().get(pk=partner.pk)
    sandbox = Partner.objects.filter(sandbox_of=partner).first()
    if sandbox is None:
        sandbox = Partner.objects.create(
            name=sandbox_name(partner.name), tax_code=partner.tax_code, sandbox_of=partner
        )
        record_activity(action="partner.sandbox_created", actor=by, obj=sandbox, partner=partner)
    _copy_contracts(partner, sandbox)
    return sandbox


def _copy_contracts(partner: Partner, sandbox: Partner) -> None:
    copied = set(sandbox.contracts.values_list("number", flat=True))
    for contract in partner.contracts.all():
        number = f"SANDBOX-{contract.pk}"
        if number not in copied:
            Contract.objects.create(
                partner=sandbox,
                number=number,
                start_date=contract.start_date,
                end_date=contract.end_date,
                max_discount_rate=contract.max_discount_rate,
                discount_validity_days=contract.discount_validity_days,
            )


def auto_approve_seconds() -> int:
    return settings.SANDBOX_AUTO_APPROVE_SECONDS


def schedule_approval(deal: Deal) -> None:
    """In the caller's transaction: after it commits, a sandbox deal's approval is sent to the
    worker with the delay as countdown. Nothing for a real deal. Without a broker (or when the
    broker is down) the beat sweep, or `manage.py approve_sandbox`, approves it."""
    if not deal.partner.sandbox_of_id:
        return
    transaction.on_commit(lambda pk=deal.pk: _send(pk))


def _send(deal_pk: int) -> None:
    if not broker_configured():
        return
    try:
        current_app.send_task(APPROVE_TASK, args=[deal_pk], countdown=auto_approve_seconds())
    except Exception as exc:  # noqa: BLE001 - any broker error; the sweep approves it later
        logger.warning("could not schedule the sandbox approval of deal %s: %s", deal_pk, exc)


def approve_sandbox_registration(deal_pk: int) -> Deal | None:
    """Approve the sandbox registration `deal_pk` as the system; returns it, or None when there
    is nothing to do (a real deal, or one no longer waiting: approved already, by a repeated
    task or the sweep).

    Effects: those of `approve_deal` with `by=None` (the history entry and the activity entry
    name no person; the `deal.approved` event reaches the sandbox's webhook endpoints).
    """
    deal = (
        Deal.objects.filter(
            pk=deal_pk, partner__sandbox_of__isnull=False, status=Deal.Status.PENDING
        )
        .select_related("partner")
        .first()
    )
    if deal is None:
        return None
    try:
        return approve_deal(deal, by=None)
    except ValidationError:
        return None  # reviewed meanwhile (the row is re-checked under its lock)


def approve_due_sandbox_registrations(*, now=None) -> int:
    """The sweep (beat, every minute): approve every sandbox registration submitted at least
    SANDBOX_AUTO_APPROVE_SECONDS ago. Returns how many it approved."""
    cutoff = (now or timezone.now()) - timedelta(seconds=auto_approve_seconds())
    due = Deal.objects.filter(
        partner__sandbox_of__isnull=False, status=Deal.Status.PENDING, submitted_at__lte=cutoff
    ).order_by("submitted_at", "pk")
    return sum(
        approve_sandbox_registration(pk) is not None for pk in due.values_list("pk", flat=True)
    )
