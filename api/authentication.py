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

    The request then acts as the admin who created the token; if that person left the
    organisation or was deactivated, the token stops working with them.
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
        user = token.created_by if token else None
        membership = getattr(user, "membership", None) if user else None
        if (
            token is None
            or not user.is_active
            or membership is None
            or membership.partner_id != token.partner_id
        ):
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if token.partner.status != Partner.Status.ACTIVE:
            raise exceptions.PermissionDenied(_("Your organisation's access is suspended."))
        touch_token(token)
        return user, token

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
