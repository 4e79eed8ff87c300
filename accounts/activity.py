"""The accounts app's entries in the activity log (see notifications.activity)."""

from django.utils.translation import gettext_lazy as _

from notifications.activity import register_actions

register_actions(
    {
        "team.invited": _("Invited a person"),
        "team.invitation_revoked": _("Revoked an invitation"),
        "team.invitation_accepted": _("Accepted an invitation"),
        "team.role_changed": _("Changed a role"),
        "team.deactivated": _("Deactivated a person"),
        "team.reactivated": _("Reactivated a person"),
        "team.two_factor_rule": _("Changed the two-factor rule"),
        "team.sessions_ended": _("Signed a person out everywhere"),
        "team.member_added": _("Added a person to the organisation"),
        "partner.suspended": _("Suspended the organisation"),
        "partner.reactivated": _("Reactivated the organisation"),
        "partner.corrected": _("Corrected the organisation's name or tax code (VNG Cloud staff)"),
        "account.authenticator_removed": _("Removed a person's authenticator (VNG Cloud staff)"),
        "account.email_changed": _("Changed a person's e-mail address (VNG Cloud staff)"),
    }
)
