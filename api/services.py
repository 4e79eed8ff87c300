"""Writes on API tokens and idempotency keys; the team pages and the API call these."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from api.models import ApiToken, IdempotencyKey
from deals.services.sandbox import ensure_sandbox
from notifications.activity import record_activity
from partners.access import check_partner_admin
from partners.models import Partner
from web import tokens

TOKEN_PREFIX = "pp_"
IDEMPOTENCY_TTL = timedelta(hours=24)


ADMINS_ONLY = gettext_lazy("Only an admin of your organisation can manage API tokens.")


@transaction.atomic
def create_api_token(
    *,
    partner: Partner,
    by,
    name: str,
    access: str = ApiToken.Access.READ,
    sandbox: bool = False,
) -> tuple[ApiToken, str]:
    """Create a token for `partner`; returns it with its secret (the only time it exists).

    Effects: `by` must be an admin of `partner` (ValidationError "forbidden" otherwise); a
    name is required and access must be read or read_write; one ApiToken is saved with the
    SHA-256 of the secret and its first characters (to recognise it in the list). The token
    acts as `by` from then on. With `sandbox`, the token acts on the partner's sandbox
    organisation, made now if it has none (`deals.services.sandbox.ensure_sandbox`, which
    also copies contracts recorded since); the activity entry says which kind it is.
    """
    check_partner_admin(partner, by, ADMINS_ONLY)
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name, e.g. the system that will use it.")
    if access not in ApiToken.Access.values:
        errors["access"] = _("Choose read only or read and write.")
    if errors:
        raise ValidationError(errors)
    if sandbox:
        ensure_sandbox(partner, by=by)
    key = tokens.new_secret(TOKEN_PREFIX)
    secret = key.pop("secret")
    token = ApiToken.objects.create(
        partner=partner, is_sandbox=sandbox, name=name[:100], access=access, created_by=by, **key
    )
    data = {"name": token.name, "access": access, **({"sandbox": True} if sandbox else {})}
    record_activity(action="api.token_created", actor=by, obj=token, data=data)
    return token, secret


@transaction.atomic
def revoke_api_token(token: ApiToken, *, by) -> ApiToken:
    """Revoke a token now: the next request that carries it answers 401.

    Effects: `by` must be an admin of the token's partner (or staff); revoked_at/revoked_by are set by a
    compare-and-set, so a second revocation is refused (ValidationError) and changes nothing.
    """
    check_partner_admin(token.partner, by, ADMINS_ONLY)
    if not tokens.revoke(token, by=by):
        raise ValidationError(_("This token was already revoked."), code="already_revoked")
    record_activity(action="api.token_revoked", actor=by, obj=token, data={"name": token.name})
    return token


touch_token = tokens.touch  # at most one UPDATE a minute (web/tokens.py)


def purge_idempotency_keys(*, now=None) -> int:
    """Delete the idempotency keys older than 24 hours; returns how many went."""
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
