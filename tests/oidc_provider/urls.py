"""The provider's pages: django-oauth-toolkit under /o/, and a sign-in by e-mail for tests."""

from django.contrib.auth import get_user_model, login
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from oauth2_provider.oauth2_validators import OAuth2Validator


class Validator(OAuth2Validator):
    """Claims: the e-mail, and whether the provider verified it (usernames `unverified-*`)."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": not user.username.startswith("unverified"),
            "name": user.get_full_name() or user.username,
        }


def sign_in(request):
    """Stands for the provider's own sign-in page: ?username=... signs that user in."""
    user = get_user_model().objects.filter(username=request.GET.get("username", "")).first()
    if user is None:
        return HttpResponse("unknown user", status=404)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(request.GET.get("next") or "/")


urlpatterns = [
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("sign-in/", sign_in),
]
