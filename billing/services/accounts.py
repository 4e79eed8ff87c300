"""Customers' cloud accounts: request, the customer's confirmation, approval, following owners."""

import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import ACCOUNT_ID_PATTERN, AccountConfirmation, CloudAccount, CloudAccountLink
from notifications.activity import record_activity
from notifications.models import Kind
from notifications.services import record_event
from partners.access import require_member, require_staff
from partners.models import Customer, Partner
from web.digests import sha256_hex

# How long the customer's confirmation link works.
CONFIRMATION_DAYS = 7
STAFF_ONLY_APPROVE = gettext_lazy("Only VNG Cloud staff can approve or reject a cloud account.")
Status = CloudAccount.Status


token_hash = sha256_hex  # the link's token has 256 random bits (web.digests)


def confirmation_token(confirmation: AccountConfirmation) -> str:
    """The link's token, derived from the row and SECRET_KEY (as Django's password-reset
    tokens are): the database keeps only its hash, and the e-mail, sent later by the outbox's
    worker, can still be written. A link already sent survives a SECRET_KEY rotation (its hash
    is what is looked up); an e-mail still waiting then would carry one that does not open."""
    value = f"{confirmation.pk}:{confirmation.created_at.timestamp()}:{confirmation.email}"
    return salted_hmac("billing.AccountConfirmation", value, algorithm="sha256").hexdigest()


def event_params(account: CloudAccount, **extra) -> dict:
    """What a cloud account's event carries (its webhook `data`): ids and names, no sentence."""
    return {
        "cloud_account": account.pk,
        "account": account.account_id,
        "name": account.name,
        "customer": account.customer.name,
        "status": account.status,
        **extra,
    }


def _record(kind, account: CloudAccount, *, actor=None, partner_id=None, **extra) -> None:
    record_event(
        kind,
        partner=Partner(pk=partner_id or account.partner_id),
        actor=actor,
        params=event_params(account, **extra),
    )


def _clean_account_id(value: str) -> str:
    value = (value or "").strip()
    if not re.fullmatch(ACCOUNT_ID_PATTERN, value):
        raise ValidationError(
            {
                "account_id": _(
                    "An account id is 3 to 64 letters, digits, dashes or underscores, as VNG "
                    "Cloud shows it in the account's settings."
                )
            }
        )
    return value


def _check_open(account_id: str) -> None:
    taken = CloudAccount.objects.filter(account_id=account_id, status__in=CloudAccount.OPEN)
    if taken.exists():
        # Never says whose: it may be another partner's customer.
        raise ValidationError(
            {
                "account_id": ValidationError(
                    _("This account is already linked, or being linked, to a partner."),
                    code="taken",
                )
            }
        )


@transaction.atomic
def request_cloud_account(
    *,
    partner: Partner,
    customer: Customer,
    by,
    kind: str,
    email: str,
    account_id: str = "",
    name: str = "",
    language: str = "",
) -> CloudAccount:
    """Ask to link the customer's existing VNG Cloud account, or to open a new one for it.

    Effects: `by` must belong to `partner`, which must own `customer` now (the customer row is
    locked, so an ownership move waits for this or this waits for it); an existing account
    needs its id (in no other open link), a new one a name; one CloudAccount waiting for the
    customer; event `cloud_account.requested` (the partner, webhooks); the confirmation link
    (bilingual, valid CONFIRMATION_DAYS, single use) e-mailed to the customer through the
    outbox (`send_confirmation`); activity `cloud_account.requested`.
    """
    require_member(by, partner.pk)
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.owner_id != partner.pk:
        raise ValidationError(_("This company is not one of your customers now."), code="not_owner")
    errors = {}
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter the customer's e-mail address.")
    name = " ".join((name or "").split())[:200]
    if kind == CloudAccount.Kind.EXISTING:
        try:
            account_id = _clean_account_id(account_id)
            _check_open(account_id)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif kind == CloudAccount.Kind.NEW:
        account_id = ""
        if not name:
            errors["name"] = _("Give the new account a name, e.g. the company's short name.")
    else:
        errors["kind"] = _("Choose an existing account or a new one.")
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            account = CloudAccount.objects.create(
                customer=locked,
                partner=partner,
                kind=kind,
                account_id=account_id,
                name=name,
                email=email,
                requested_by=by,
            )
    except IntegrityError:  # a concurrent request for the same account id committed first
        _check_open(account_id)
        raise
    _record(Kind.CLOUD_ACCOUNT_REQUESTED, account, actor=by)
    send_confirmation(account, language=language)
    record_activity(
        action="cloud_account.requested",
        actor=by,
        obj=account,
        partner=partner,
        data={"customer": locked.name, "email": email},
    )
    return account


def send_confirmation(
    account: CloudAccount, *, language: str = ""
) -> tuple[AccountConfirmation, str]:
    """A new single-use link for the customer (in the caller's transaction); returns its row
    and the token (kept only as a hash).

    Effects: one AccountConfirmation; event `cloud_account_confirmation`, whose one delivery
    is an e-mail to the customer's address (the outbox: sent after commit, retried, in the
    address's order, visible to staff among the deliveries; written by
    `confirmation_email`).
    """
    now = timezone.now()
    confirmation = AccountConfirmation.objects.create(
        cloud_account=account,
        token_hash=secrets.token_hex(32),  # replaced below, once the row has its id
        email=account.email,
        language=language or settings.LANGUAGE_CODE,
        created_at=now,
        expires_at=now + timedelta(days=CONFIRMATION_DAYS),
    )
    token = confirmation_token(confirmation)
    confirmation.token_hash = token_hash(token)
    confirmation.save(update_fields=["token_hash"])
    # No partner on the event: the customer's e-mail is not the partner's news, and does not
    # queue behind the partner's events (their order is kept for the partner's webhooks).
    record_event(
        Kind.CLOUD_ACCOUNT_CONFIRMATION,
        params=event_params(
            account,
            confirmation=confirmation.pk,
            email=confirmation.email,
            language=confirmation.language,
        ),
    )
    return confirmation, token


def confirmation_email(delivery) -> EmailMultiAlternatives:
    """The customer's e-mail for an outbox delivery of `cloud_account_confirmation`:
    both languages in one message (the customer is not a portal user with a preference),
    the subject in the language of the request."""
    confirmation = AccountConfirmation.objects.select_related(
        "cloud_account__customer", "cloud_account__partner"
    ).get(pk=delivery.event.params["confirmation"])
    token = confirmation_token(confirmation)
    ctx = {
        "account": confirmation.cloud_account,
        "link": settings.SITE_URL.rstrip("/") + reverse("cloud_account_confirm", args=[token]),
        "days": CONFIRMATION_DAYS,
    }
    parts = []
    for language in ("vi", "en"):
        with translation.override(language):
            parts.append(render_to_string("billing/email/confirm_body.txt", ctx).strip())
    with translation.override(confirmation.language):
        subject = render_to_string("billing/email/confirm_subject.txt", ctx).strip()
    body = "\n\n-----\n\n".join(parts) + "\n"
    return EmailMultiAlternatives(" ".join(subject.split()), body, None, [delivery.email])


@transaction.atomic
def resend_confirmation(
    account: CloudAccount, *, by, language: str = ""
) -> tuple[AccountConfirmation, str]:
    """Send the customer a fresh link (the old ones stop working); only while waiting for it.
    Returns the new link's row and token."""
    require_member(by, account.partner_id)
    locked = CloudAccount.objects.select_for_update().get(pk=account.pk)
    if locked.status != Status.AWAITING_CUSTOMER:
        raise ValidationError(_("The customer has already answered this request."))
    AccountConfirmation.objects.filter(cloud_account=locked, used_at__isnull=True).update(
        expires_at=timezone.now()
    )
    return send_confirmation(locked, language=language)


def open_confirmation(token: str) -> AccountConfirmation:
    """The confirmation the token stands for while it can be used; ValidationError otherwise
    (code "invalid", "used" or "expired")."""
    confirmation = (
        AccountConfirmation.objects.select_related(
            "cloud_account__customer", "cloud_account__partner"
        )
        .filter(token_hash=token_hash(token or ""))
        .first()
    )
    if confirmation is None:
        raise ValidationError(_("This link is not valid."), code="invalid")
    if (
        confirmation.used_at is not None
        or confirmation.cloud_account.status != Status.AWAITING_CUSTOMER
    ):
        raise ValidationError(_("This link has already been used."), code="used")
    if confirmation.expires_at <= timezone.now():
        raise ValidationError(
            _("This link has expired. Ask your partner to send a new one."), code="expired"
        )
    return confirmation


@transaction.atomic
def confirm_cloud_account(*, token: str) -> CloudAccount:
    """The customer confirms the request through its e-mailed link.

    Effects: the link's row is locked (two clicks make one confirmation) and must be unused,
    unexpired and its request still waiting for the customer; the link is used up; the
    account waits for staff's approval; event `cloud_account.confirmed` (the partner and
    staff); activity `cloud_account.confirmed` (no actor: the customer is not a portal user).
    """
    AccountConfirmation.objects.select_for_update().filter(
        token_hash=token_hash(token or "")
    ).first()
    confirmation = open_confirmation(token)
    now = timezone.now()
    confirmation.used_at = now
    confirmation.save(update_fields=["used_at"])
    account = CloudAccount.objects.select_for_update().get(pk=confirmation.cloud_account_id)
    account.status = Status.AWAITING_APPROVAL
    account.confirmed_at = now
    account.save(update_fields=["status", "confirmed_at"])
    record_activity(
        action="cloud_account.confirmed", obj=account, data={"email": confirmation.email}
    )
    _record(Kind.CLOUD_ACCOUNT_CONFIRMED, account)
    return account


@transaction.atomic
def approve_cloud_account(account: CloudAccount, *, by, account_id: str = "") -> CloudAccount:
    """Staff approve a confirmed request: the account is linked to the partner.

    Effects: staff only; the row is locked and must wait for approval; a new account gets the
    id VNG Cloud gave it (`account_id`, required then); the partner must still own the
    customer; status active, decided_at/by; the first `CloudAccountLink`; event and activity
    `cloud_account.approved`.
    """
    require_staff(by, STAFF_ONLY_APPROVE)
    locked = CloudAccount.objects.select_for_update().get(pk=account.pk)
    if locked.status != Status.AWAITING_APPROVAL:
        raise ValidationError(
            _(
                "Only a request the customer has confirmed can be approved; this one is “%(status)s”."
            )
            % {"status": locked.get_status_display()},
            code="not_waiting",
        )
    if locked.kind == CloudAccount.Kind.NEW or account_id:
        locked.account_id = _clean_account_id(account_id or locked.account_id)
        _check_open_other(locked)
    now = timezone.now()
    locked.status = Status.ACTIVE
    locked.decided_at = now
    locked.decided_by = by
    locked.save(update_fields=["status", "account_id", "decided_at", "decided_by"])
    CloudAccountLink.objects.create(
        cloud_account=locked,
        partner_id=locked.partner_id,
        started_at=now,
        start_reason=CloudAccountLink.Reason.APPROVED,
    )
    record_activity(
        action="cloud_account.approved",
        actor=by,
        obj=locked,
        data={"customer": locked.customer.name},
    )
    _record(Kind.CLOUD_ACCOUNT_APPROVED, locked, actor=by)
    return locked


def _check_open_other(account: CloudAccount) -> None:
    taken = CloudAccount.objects.filter(
        account_id=account.account_id, status__in=CloudAccount.OPEN
    ).exclude(pk=account.pk)
    if taken.exists():
        raise ValidationError(
            {
                "account_id": ValidationError(
                    _("This account is already linked, or being linked, to a partner."),
                    code="taken",
                )
            }
        )


@transaction.atomic
def reject_cloud_account(account: CloudAccount, *, by, reason: str) -> CloudAccount:
    """Staff refuse a request (waiting for the customer or for approval), with a reason.

    Effects: staff only; row locked; status rejected with the reason; unused links stop
    working; event and activity `cloud_account.rejected`.
    """
    require_staff(by, STAFF_ONLY_APPROVE)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"decision_note": _("Say why, for the partner.")})
    locked = CloudAccount.objects.select_for_update().get(pk=account.pk)
    if locked.status not in CloudAccount.PENDING:
        raise ValidationError(_("This request has already been decided."), code="decided")
    locked.status = Status.REJECTED
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.decision_note = reason[:500]
    locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    record_activity(action="cloud_account.rejected", actor=by, obj=locked, data={"reason": reason})
    _record(Kind.CLOUD_ACCOUNT_REJECTED, locked, actor=by, reason=locked.decision_note)
    return locked


@transaction.atomic
def cancel_cloud_account(account: CloudAccount, *, by) -> CloudAccount:
    """The partner withdraws its own request while it waits for the customer or for staff.

    Effects: `by` must belong to the partner holding the request; the row is locked and must
    still be pending (a request staff decided meanwhile is refused: "somebody else was
    faster"); status cancelled, decided_at; the customer's unused links stop working; the
    account id is free again (the open-link constraint covers pending requests only);
    event and activity `cloud_account.cancelled`.
    """
    require_member(by, account.partner_id)
    locked = CloudAccount.objects.select_for_update().get(pk=account.pk)
    if locked.partner_id != account.partner_id or locked.status not in CloudAccount.PENDING:
        raise ValidationError(
            _("This request is no longer waiting; it is “%(status)s”.")
            % {"status": locked.get_status_display()},
            code="not_pending",
        )
    now = timezone.now()
    locked.status = Status.CANCELLED
    locked.decided_at = now
    locked.decision_note = _("Cancelled by %(name)s.") % {"name": by.get_full_name() or by.email}
    locked.save(update_fields=["status", "decided_at", "decision_note"])
    AccountConfirmation.objects.filter(cloud_account=locked, used_at__isnull=True).update(
        expires_at=now
    )
    record_activity(action="cloud_account.cancelled", actor=by, obj=locked)
    _record(Kind.CLOUD_ACCOUNT_CANCELLED, locked, actor=by, by="partner")
    return locked


def follow_customer_owner(
    *, customer: Customer, from_partner_id, to_partner_id, at, by=None
) -> None:
    """The customer's ownership moved (`partners.services` calls this in its transaction,
    with the customer row locked): its linked accounts follow.

    Effects: each linked (active) account of the customer held by the old owner, or by nobody,
    goes to the new owner (None: nobody); the account's current `CloudAccountLink` ends and a
    new one starts at `at`; the old owner's requests still in progress are cancelled (the new
    owner asks again if it wants them; their links stop working; event
    `cloud_account.cancelled` with `by` "ownership"); one activity entry and one event
    `cloud_account.moved` (`to_you`) per account and partner, neither naming the other; the
    entries name `by` (staff who moved the customer by hand), else nobody.
    """
    accounts = CloudAccount.objects.select_for_update().filter(customer=customer)
    moving = list(accounts.filter(status=Status.ACTIVE, partner_id__in=[from_partner_id, None]))
    reason = (
        CloudAccountLink.Reason.OWNERSHIP_MOVED
        if to_partner_id
        else CloudAccountLink.Reason.OWNERSHIP_ENDED
    )
    for account in moving:
        if account.partner_id == to_partner_id:
            continue
        _move(account, to_partner_id, at, reason, by)
    if from_partner_id:
        for account in accounts.filter(partner_id=from_partner_id, status__in=CloudAccount.PENDING):
            account.status = Status.CANCELLED
            account.decision_note = str(
                gettext_lazy("Cancelled: the customer moved to another partner.")
            )
            account.decided_at = at
            account.save(update_fields=["status", "decision_note", "decided_at"])
            AccountConfirmation.objects.filter(cloud_account=account, used_at__isnull=True).update(
                expires_at=at
            )
            record_activity(action="cloud_account.cancelled", actor=by, obj=account)
            _record(Kind.CLOUD_ACCOUNT_CANCELLED, account, by="ownership")


def _move(account: CloudAccount, to_partner_id, at, reason, by=None) -> None:
    current = CloudAccountLink.objects.filter(cloud_account=account, ended_at__isnull=True).first()
    if current is not None:
        current.ended_at = max(at, current.started_at)
        current.end_reason = reason
        current.save(update_fields=["ended_at", "end_reason"])
        at = current.ended_at
    old_partner_id = account.partner_id
    account.partner_id = to_partner_id
    account.save(update_fields=["partner"])
    if to_partner_id:
        CloudAccountLink.objects.create(
            cloud_account=account, partner_id=to_partner_id, started_at=at, start_reason=reason
        )
    for partner_id in {old_partner_id, to_partner_id} - {None}:
        record_activity(
            action="cloud_account.moved",
            actor=by,
            obj=account,
            partner=Partner(pk=partner_id),
            data={"customer": account.customer.name},
        )
        to_you = partner_id == to_partner_id
        _record(Kind.CLOUD_ACCOUNT_MOVED, account, partner_id=partner_id, to_you=to_you)
