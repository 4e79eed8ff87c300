"""Create the provider's database, its client (the portal) and its users.

Run as `python -m tests.oidc_provider.bootstrap <redirect uri> <username:email> ...` with
DJANGO_SETTINGS_MODULE=tests.oidc_provider.settings and OIDC_PROVIDER_DB set.
"""

import sys

import django

CLIENT_ID = "partner-portal"
CLIENT_SECRET = "partner-portal-secret"


def main(redirect_uri: str, users: list[str]) -> None:
    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", run_syncdb=True, verbosity=0)
    Application.objects.create(
        name="Partner Portal",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    for spec in users:
        username, email = spec.split(":", 1)
        get_user_model().objects.create_user(username=username, email=email)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
