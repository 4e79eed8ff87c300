from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from api.models import ApiToken


class TokenAccess(permissions.BasePermission):
    """Any valid token reads; only a read-write token writes."""

    message = _("This token is read-only; create a read-and-write token to make changes.")

    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return False
        return request.method in permissions.SAFE_METHODS or token.can_write
