"""The deals app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "review.taken": _("Took a registration for review"),
        "review.released": _("Gave back a registration taken for review"),
    }
)
