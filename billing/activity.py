"""The billing app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "cloud_account.requested": _("Asked to link a cloud account"),
        "cloud_account.confirmed": _("The customer confirmed a cloud account"),
        "cloud_account.approved": _("Approved a cloud account"),
        "cloud_account.rejected": _("Rejected a cloud account"),
        "cloud_account.cancelled": _("Cancelled a cloud account request"),
        "cloud_account.moved": _("A cloud account followed its customer"),
        "credit.payment_recorded": _("Recorded a payment"),
        "credit.topped_up": _("Topped up a cloud account"),
        "credit.top_up_applied": _("Billing applied a top-up"),
        "credit.top_up_failed": _("A top-up failed; its credit was returned"),
        "service_token.created": _("Created a billing service token"),
        "service_token.revoked": _("Revoked a billing service token"),
    }
)
