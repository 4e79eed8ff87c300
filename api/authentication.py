"""`Authorization: Bearer <token>`: the token's partner scopes every read and write."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from api.selectors import token_for_secret
from api.services import touch_token
from partners.models import Partner


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Looks the token up on every request, so a revocation counts from the next one.

    The request then acts as the admin who created the token, and only while they are one:
    if that person left the organisation, was deactivated or is now a member only, the token
    stops working with them (`ApiToken.stopped_because`).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the token as “Authorization: Bearer <token>”.")
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = token_for_secret(secret)
        stopped = token.stopped_because if token else "creator_gone"
        if stopped == "not_admin":
            raise exceptions.AuthenticationFailed(
                _(
                    "The person who created this token is no longer an admin of your "
                    "organisation, so it does not work; an admin can create a new one."
                )
            )
        if stopped:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if token.partner.status != Partner.Status.ACTIVE:
            raise exceptions.PermissionDenied(_("Your organisation's access is suspended."))
        touch_token(token)
        return token.created_by, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": gettext_lazy(
                "An API token created on /team/tokens/ by a partner admin."
            ),
        }
