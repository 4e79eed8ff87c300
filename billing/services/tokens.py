"""Billing's service tokens for the internal API: created and revoked by staff only."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing.models import ServiceToken
from notifications.activity import record_activity
from partners.access import require_staff
from web import tokens

# Another prefix than the partners' API tokens: a secret says which API it belongs to.
TOKEN_PREFIX = "vbill_"  # + 6 characters: the 12 the prefix column holds
STAFF_ONLY_TOKENS = gettext_lazy("Only VNG Cloud staff can manage billing's service tokens.")


@transaction.atomic
def create_service_token(*, by, name: str) -> tuple[ServiceToken, str]:
    """A token for billing; returns it with its secret (shown once, only its hash is kept).

    Effects: staff only (a partner's person never gets one); a name required; one
    ServiceToken; activity `service_token.created`.
    """
    require_staff(by, STAFF_ONLY_TOKENS)
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ValidationError(
            {"name": _("Give the token a name, e.g. the system that will use it.")}
        )
    key = tokens.new_secret(TOKEN_PREFIX)
    secret = key.pop("secret")
    token = ServiceToken.objects.create(name=name, created_by=by, **key)
    record_activity(action="service_token.created", actor=by, obj=token, data={"name": name})
    return token, secret


@transaction.atomic
def revoke_service_token(token: ServiceToken, *, by) -> ServiceToken:
    """Revoke now (compare-and-set: a second revocation is refused); activity entry."""
    require_staff(by, STAFF_ONLY_TOKENS)
    if not tokens.revoke(token, by=by):
        raise ValidationError(_("This token is already revoked."), code="already_revoked")
    record_activity(action="service_token.revoked", actor=by, obj=token)
    return token


def token_for_secret(secret: str) -> ServiceToken | None:
    """The active token with this secret, or None."""
    return tokens.active_with_secret(ServiceToken.objects, secret)


touch_token = tokens.touch  # at most one UPDATE a minute (web/tokens.py)
