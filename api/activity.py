"""The API app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "api.token_created": _("Created an API token"),
        "api.token_revoked": _("Revoked an API token"),
    }
)
