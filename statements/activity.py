"""The statements app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "consumption.received": _("Received consumption"),
        "consumption.imported": _("Imported consumption"),
        "statement.drafted": _("Drafted a statement"),
        "statement.redrafted": _("Re-drafted a statement"),
        "statement.sent": _("Sent a statement"),
        "statement.confirmed": _("Confirmed a statement"),
        "statement.disputed": _("Disputed a statement"),
        "statement.message": _("Wrote in a statement's thread"),
        "statement.paid": _("Marked a statement paid"),
        "statement.adjusted": _("Added an adjustment"),
        "einvoice.recorded": _("Recorded an e-invoice"),
    }
)
