"""Writes on partner data. Every function runs inside the caller's transaction or its own."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import Customer, CustomerOwnership, Partner


@transaction.atomic
def get_or_create_customer(
    *, tax_code: str, name: str, address: str = "", sandbox: Partner | None = None
) -> Customer:
    """The customer with this tax code; created with `name` if it is new (names are not updated).

    `sandbox`: a sandbox organisation's own test customer with this tax code, never the real
    one (a sandbox win must not move a real customer)."""
    customer, _created = Customer.objects.get_or_create(
        tax_code=tax_code.strip(),
        sandbox=sandbox,
        defaults={"name": name.strip(), "address": address.strip()},
    )
    return customer


def check_same_realm(customer: Customer, partner: Partner, *, field: str = "customer") -> None:
    """Refuse (ValidationError keyed by `field`) a customer of another realm than `partner`'s:
    a sandbox works with its own test customers only, a real partner with real customers
    only (partners.selectors.customer_realm). The portal finds customers within the realm;
    staff's corrections and transfers name any customer, so they are checked here."""
    realm = partner.pk if partner.sandbox_of_id else None
    if customer.sandbox_id == realm:
        return
    if realm is not None:
        message = _("A sandbox only works with its own test customers.")
    else:
        message = _(
            "This is a sandbox's test customer: a real partner's deals and customers cannot use it."
        )
    raise ValidationError({field: ValidationError(message, code="other_realm")})


# Work above this floor that must move with a customer's owner (billing's cloud-account links)
# registers a follower here from its AppConfig.ready. It runs inside the ownership change's
# transaction, with the customer row locked: an event handled later by the worker would leave
# a moment where the old partner still holds the link and could top it up. Not a signal: the
# two services below call it explicitly, and the registration is one line to find.
OwnershipFollower = Callable[..., None]
_followers: list[OwnershipFollower] = []


def follow_ownership(follower: OwnershipFollower) -> None:
    """Call `follower(customer=, from_partner_id=, to_partner_id=, at=, by=)` on every move
    (`by`: the staff member who moved the customer by hand, else None: a win, whose partner's
    person is never named to the other partner)."""
    if follower not in _followers:
        _followers.append(follower)


def _ownership_moved(customer: Customer, from_partner_id, to_partner_id, at, by=None) -> None:
    for follower in _followers:
        follower(
            customer=customer,
            from_partner_id=from_partner_id,
            to_partner_id=to_partner_id,
            at=at,
            by=by,
        )


@transaction.atomic
def transfer_ownership(
    *, customer: Customer, partner: Partner, deal=None, at=None, by=None, reason: str = ""
) -> CustomerOwnership:
    """Make `partner` the customer's owner from `at` (default now).

    Effects: ends another partner's active link at `at` (kept as history) and creates the new
    link, recording the deal that made it; sets `customer.owner` to `partner`; the registered
    followers move what hangs on the owner (`follow_ownership`), naming `by` (staff moving
    the customer by hand) in what they record; the new link keeps `reason` (a staff move's).
    If `partner` already owns the customer, the existing link is returned unchanged.
    """
    at = at or timezone.now()
    # Lock the customer row: two wins for one customer (two partners) queue here, so the
    # second one sees the first one's link. The partial unique constraint is the last guard.
    locked = Customer.objects.select_for_update().filter(pk=customer.pk).first()
    current = (
        CustomerOwnership.objects.select_for_update()
        .filter(customer=customer, ended_at__isnull=True)
        .first()
    )
    if current is not None:
        if current.partner_id == partner.pk:
            if locked.owner_id != partner.pk:  # only if the owner had drifted
                _set_owner(customer, partner.pk)
            return current
        # The other link may have started after our clock was read (a concurrent win that
        # committed first): history stays in order.
        at = max(at, current.started_at)
        current.ended_at = at
        current.save(update_fields=["ended_at"])
    _set_owner(customer, partner.pk)
    created = CustomerOwnership.objects.create(
        customer=customer, partner=partner, deal=deal, started_at=at, reason=reason
    )
    _ownership_moved(customer, current.partner_id if current else None, partner.pk, at, by)
    return created


def _set_owner(customer: Customer, partner_id: int | None) -> None:
    """Keep `Customer.owner` equal to the active ownership's partner (same transaction)."""
    # update() skips auto_now: the API's ?updated_since= must see the move.
    Customer.objects.filter(pk=customer.pk).update(owner_id=partner_id, updated_at=timezone.now())
    customer.owner_id = partner_id


def sync_customer_owners() -> int:
    """Set `Customer.owner` from the active ownership wherever they differ; returns how many
    customers changed. For data loaded in bulk, and once after deploying the version that
    added the column (a win handled meanwhile by a process still on the old code changed
    the ownership only). `manage.py sync_customer_owners` runs it."""
    active = CustomerOwnership.objects.filter(customer=OuterRef("pk"), ended_at__isnull=True)
    active_partner = Subquery(active.values("partner_id")[:1])
    owned = Customer.objects.filter(owner__isnull=False)
    # An owner to set, another owner, and an owner to clear: each an indexed EXISTS a row.
    unset = Customer.objects.filter(owner__isnull=True).filter(Exists(active))
    moved = owned.filter(Exists(active.exclude(partner_id=OuterRef("owner_id"))))
    now = timezone.now()  # update() skips auto_now
    changed = unset.update(owner_id=active_partner, updated_at=now) + moved.update(
        owner_id=active_partner, updated_at=now
    )
    return changed + owned.exclude(Exists(active)).update(owner=None, updated_at=now)


@transaction.atomic
def undo_ownership(*, customer: Customer, deal, at=None) -> CustomerOwnership | None:
    """Undo the link a (voided) won deal made; returns the restored previous link, if any.

    Effects: if the customer's active link is the one `deal` created, it ends at `at`
    (default now) and, when that link had ended another partner's, the other partner gets a
    new active link from `at` (same deal as its old one; both old links kept as history);
    `customer.owner` and the registered followers follow (the other partner, or nobody). If
    the customer has moved on since (another win), nothing changes.
    """
    at = at or timezone.now()
    # The same lock as transfer_ownership: a win and an undo on one customer queue.
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    ours = (
        CustomerOwnership.objects.select_for_update()
        .filter(customer=customer, deal=deal, ended_at__isnull=True)
        .first()
    )
    if ours is None:
        return None
    ours.ended_at = max(at, ours.started_at)
    ours.save(update_fields=["ended_at"])
    # transfer_ownership ends the previous link exactly when ours starts.
    previous = (
        CustomerOwnership.objects.filter(customer=customer, ended_at=ours.started_at)
        .exclude(pk=ours.pk)
        .exclude(partner_id=ours.partner_id)
        .order_by("-started_at")
        .first()
    )
    _set_owner(customer, previous.partner_id if previous else None)
    _ownership_moved(
        customer, ours.partner_id, previous.partner_id if previous else None, ours.ended_at
    )
    if previous is None:
        return None
    return CustomerOwnership.objects.create(
        customer=customer,
        partner_id=previous.partner_id,
        deal=previous.deal,
        started_at=ours.ended_at,
    )
