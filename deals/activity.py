"""The deals app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "deal.registered": _("Registered a deal"),
        "deal.resubmitted": _("Resubmitted a deal"),
        "deal.approved": _("Approved a registration"),
        "deal.sent_back": _("Sent a registration back"),
        "deal.rejected": _("Rejected a registration"),
        "deal.protection_extended": _("Extended a deal's protection"),
        "deal.corrected": _("Corrected a deal"),
        "deal.rates_corrected": _("Corrected a deal's discount rates"),
        "deal.stage_changed": _("Changed a deal's stage"),
        "deal.won": _("Marked a deal won"),
        "deal.lost": _("Marked a deal lost"),
        "deal.win_voided": _("Voided a win"),
        "deal.note_added": _("Added a note"),
        "deal.attachments_added": _("Added attachments"),
        "deal.external_id_set": _("Set a deal's CRM id"),
        "review.taken": _("Took a registration for review"),
        "partner.sandbox_created": _("Created the organisation's sandbox"),
        "review.released": _("Gave back a registration taken for review"),
    }
)
