"""The sign-in backend: allauth's (e-mail or username and password), loading the user's
membership and partner together with the user, so a partner page reads them in the query
Django makes for the user anyway (see `partners.access.membership_of`)."""

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model


class PortalAuthenticationBackend(AuthenticationBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("membership__partner")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
