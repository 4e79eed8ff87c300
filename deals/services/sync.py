"""What a partner's CRM needs to keep in step with the portal: its own id on each deal
(`external_id`) and optimistic concurrency (a change made against a stale version is refused).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from deals.models import EXTERNAL_ID_MAX_LENGTH, Deal
from notifications.activity import record_activity
from partners.access import require_member
from web import versions


def check_version(locked: Deal, expected: str | None) -> None:
    """Refuse (code "stale") when the caller changed the deal as it was at version `expected`
    and it has changed since (web.versions.check_version). Call it on the row locked by the
    service's transaction, so nothing can change between the check and the write."""
    message = _("This deal changed since you read it; read it again and repeat your change.")
    versions.check_version(locked.version, expected, message)


def clean_external_id(value: str | None) -> str | None:
    """The id trimmed; None for none (a blank is no id). Refuses control characters and ids
    too long to store."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > EXTERNAL_ID_MAX_LENGTH:
        message = _("Use at most %(max)s characters.") % {"max": EXTERNAL_ID_MAX_LENGTH}
        raise ValidationError({"external_id": ValidationError(message, code="max_length")})
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        message = _("Use printable characters only.")
        raise ValidationError({"external_id": ValidationError(message, code="invalid")})
    return value


def check_external_id_free(partner, external_id: str | None, *, exclude_pk=None) -> None:
    """Refuse an id another of the partner's deals already has (naming that deal: it is the
    partner's own)."""
    if external_id is None:
        return
    taken = (
        Deal.objects.filter(partner=partner, external_id=external_id)
        .exclude(pk=exclude_pk)
        .values_list("pk", flat=True)
        .first()
    )
    if taken is not None:
        message = _("Your deal #%(deal)s already has this id. Each deal needs its own.") % {
            "deal": taken
        }
        raise ValidationError(
            {"external_id": ValidationError(message, code="duplicate_external_id")}
        )


@transaction.atomic
def set_external_id(
    deal: Deal, *, by, external_id: str | None, expected_version: str | None = None
) -> Deal:
    """Set (or, with None or "", clear) the partner's own id of `deal`; returns the deal.

    Effects:
    - `by` must be a member of the deal's partner (or staff): PermissionDenied otherwise;
    - the deal row is locked; refused (code "stale") when `expected_version` is given and the
      deal has changed since (see `check_version`);
    - refused (keyed "external_id", code "duplicate_external_id") when another of the
      partner's deals has the id; the database's unique index catches a race the same way;
    - allowed whatever the deal's status and stage: it is the partner's bookkeeping;
    - `external_id` and `updated_at` saved, and an activity entry with the old and new id;
      setting the id the deal already has changes nothing.
    """
    require_member(by, deal.partner_id)
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    check_version(locked, expected_version)
    value = clean_external_id(external_id)
    if locked.external_id == value:
        return locked
    check_external_id_free(locked.partner_id, value, exclude_pk=locked.pk)
    before = locked.external_id
    locked.external_id = value
    try:
        with transaction.atomic():
            locked.save(update_fields=["external_id", "updated_at"])
    except IntegrityError:
        check_external_id_free(locked.partner_id, value, exclude_pk=locked.pk)
        raise
    record_activity(
        action="deal.external_id_set",
        actor=by,
        obj=locked,
        changes={"external_id": [before or "", value or ""]},
    )
    return locked
